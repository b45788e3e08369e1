"""alert-scan's benchmark scan as a Python desk would write it, for `make bench`: pandas and
TA-Lib on the same market_data.db. Reads the enabled rules, asks the synthetic market server
for the latest prices of their symbols in one request (urllib), reads each symbol's newest
day candles (pandas.read_sql_query; `candles` keeps a day as interval code 1440), adds the
quote as the forming bar, computes RSI and MACD with TA-Lib and the volume, support and
resistance lines with pandas, reads every rule at the forming bar and the one before (a new
rule fires on a crossing, as alert-scan's edge trigger has it), and writes the 2,000 states
and the firings in one transaction. Prints the number of rules read and of firings, to
compare with alert-scan's.

Usage: desk_alerts.py DB BASE_URL TOKEN FORMING_TS [HISTORY_BARS]
"""
import datetime
import json
import sqlite3
import sys
import urllib.parse
import urllib.request

import numpy as np
import pandas as pd
import talib


def params(text):
    return dict(p.split("=", 1) for p in text.split())


def read(kind, p, bars):
    """Whether the rule's condition holds at each of the last two bars (None: too few bars)."""
    close, high, low, volume = (bars[c].to_numpy(dtype=float) for c in ("close", "high", "low", "volume"))
    if kind in ("price-above", "price-below"):
        level = float(p["level"])
        held = close[-2:] > level if kind == "price-above" else close[-2:] < level
        return list(held)
    if kind in ("rsi-above", "rsi-below"):
        rsi = talib.RSI(close, timeperiod=int(p.get("period", 14)))[-2:]
        level = float(p.get("level", 70 if kind == "rsi-above" else 30))
        held = rsi > level if kind == "rsi-above" else rsi < level
        return [None if np.isnan(r) else bool(h) for r, h in zip(rsi, held)]
    if kind in ("macd-cross-up", "macd-cross-down"):
        macd, signal, _ = talib.MACD(close, fastperiod=int(p.get("fast", 12)),
                                     slowperiod=int(p.get("slow", 26)), signalperiod=int(p.get("signal", 9)))
        held = macd[-2:] > signal[-2:] if kind == "macd-cross-up" else macd[-2:] < signal[-2:]
        return [None if np.isnan(s) else bool(h) for s, h in zip(signal[-2:], held)]
    n = int(p.get("period", 20))
    if kind == "volume-spike":
        average = bars["volume"].rolling(n).mean().shift(1).to_numpy()[-2:]
        return [None if np.isnan(a) else bool(v > float(p.get("factor", 2)) * a)
                for v, a in zip(volume[-2:], average)]
    if kind in ("resistance-break", "support-break"):
        if "level" in p:
            line = np.full(2, float(p["level"]))
        elif kind == "resistance-break":
            line = bars["high"].rolling(n).max().shift(1).to_numpy()[-2:]
        else:
            line = bars["low"].rolling(n).min().shift(1).to_numpy()[-2:]
        held = close[-2:] > line if kind == "resistance-break" else close[-2:] < line
        return [None if np.isnan(x) else bool(h) for x, h in zip(line, held)]
    raise ValueError(kind)


def main():
    db, base, token, forming = sys.argv[1:5]
    forming = int(forming)
    history = int(sys.argv[5]) if len(sys.argv) > 5 else 400
    conn = sqlite3.connect(db, isolation_level=None)
    rules = pd.read_sql_query(
        "SELECT r.id, r.symbol, r.kind, r.params, i.instrument_key FROM alert_rules r "
        "JOIN instruments i ON i.trading_symbol = r.symbol WHERE r.enabled = 1 AND r.interval = 'day'",
        conn)
    keys = list(dict.fromkeys(rules["instrument_key"]))
    url = f"{base}/v2/market-quote/quotes?instrument_key=" + ",".join(urllib.parse.quote(k, safe="") for k in keys)
    request = urllib.request.Request(url, headers={"Authorization": "Bearer " + token, "Accept": "application/json"})
    with urllib.request.urlopen(request) as r:
        quotes = {q["instrument_token"]: q for q in json.loads(r.read())["data"].values()}
    now = datetime.datetime.now(datetime.timezone.utc).isoformat()
    states, events = [], []
    for key, group in rules.groupby("instrument_key", sort=False):
        bars = pd.read_sql_query(
            "SELECT ts, high, low, close, volume FROM candles WHERE instrument = ? AND interval = 1440 "
            "AND ts < ? ORDER BY ts DESC LIMIT ?", conn, params=(key, forming, history)).iloc[::-1]
        q = quotes[key]
        # Upstox's quote prices are float32 widened to double: rounded back, as alert-scan does.
        ltp, high, low = (round(x, 4) for x in (q["last_price"], q["ohlc"]["high"], q["ohlc"]["low"]))
        bars.loc[len(bars)] = [forming, max(high, ltp), min(low, ltp), ltp, q["volume"]]
        for rule in group.itertuples():
            before, holds = read(rule.kind, params(rule.params), bars)
            if holds is None:
                continue
            fires = holds and not before
            states.append((rule.id, int(not holds), int(holds), forming, now, now if fires else None))
            if fires:
                events.append((rule.id, rule.symbol, rule.kind, ltp, forming, now))
    conn.execute("BEGIN")
    conn.executemany("INSERT OR REPLACE INTO alert_state (rule_id, armed, holds, bar_ts, checked_at, fired_at) "
                     "VALUES (?, ?, ?, ?, ?, ?)", states)
    conn.executemany("INSERT INTO alert_events (rule_id, symbol, rule, interval, value, threshold, price, bar_ts, fired_at) "
                     "VALUES (?, ?, ?, 'day', 0, 0, ?, ?, ?)", events)
    conn.execute("COMMIT")
    print(len(rules), len(states), len(events))


main()
