"""What a desk's own script would do for performance-analytics' daily run, the floor it is
measured beside in make bench: the trade book matched FIFO per symbol and strategy with pandas,
realised P&L per fill, open positions marked at each session's close from market_data.db, and
the portfolio's and each strategy's daily P&L. No charges, no risk metrics, nothing written.

Usage: desk_performance.py MARKET_DB TRADES_CSV
"""

import sqlite3
import sys
from collections import deque

import pandas as pd

IST = "Asia/Kolkata"


def main(db_path, trades_path):
    trades = pd.read_csv(trades_path, parse_dates=["traded_at"])
    trades["date"] = trades["traded_at"].dt.date
    db = sqlite3.connect(db_path)
    closes = pd.read_sql_query(
        "SELECT i.trading_symbol AS symbol, c.ts, c.close FROM candles c"
        " JOIN instruments i ON i.instrument_key = c.instrument WHERE c.interval = 1440",
        db,
    )
    closes["date"] = pd.to_datetime(closes["ts"], unit="s", utc=True).dt.tz_convert(IST).dt.date
    marks = closes.pivot_table(index="date", columns="symbol", values="close").sort_index().ffill()

    lots = {}
    realised = []
    for row in trades.sort_values(["traded_at", "trade_id"]).itertuples():
        book = lots.setdefault((row.symbol, row.strategy), deque())
        sign = 1 if row.side == "BUY" else -1
        left = row.quantity
        pnl = 0.0
        while left and book and (book[0][0] > 0) != (sign > 0):
            qty, price = book[0]
            take = min(left, abs(qty))
            pnl += take * (row.price - price) * (1 if qty > 0 else -1)
            left -= take
            rest = abs(qty) - take
            if rest:
                book[0] = (rest if qty > 0 else -rest, price)
            else:
                book.popleft()
        if left:
            book.append((sign * left, row.price))
        realised.append((row.date, row.strategy, pnl))
    realised = pd.DataFrame(realised, columns=["date", "strategy", "pnl"])

    # Each day's open positions, replayed, marked at that day's close.
    positions = {}
    unrealised = []
    by_day = trades.groupby("date")
    for day in marks.index:
        if day in by_day.groups:
            for row in by_day.get_group(day).itertuples():
                key = (row.symbol, row.strategy)
                qty = row.quantity if row.side == "BUY" else -row.quantity
                cost = positions.get(key, (0, 0.0))
                positions[key] = (cost[0] + qty, cost[1] + qty * row.price)
        for (symbol, strategy), (qty, cost) in positions.items():
            if qty and symbol in marks.columns:
                unrealised.append((day, strategy, qty * marks.at[day, symbol] - cost))
    unrealised = pd.DataFrame(unrealised, columns=["date", "strategy", "value"])
    daily = unrealised.groupby(["date", "strategy"])["value"].sum().unstack(fill_value=0.0)
    total = daily.sum(axis=1).diff().fillna(0.0)
    per_strategy = realised.groupby("strategy")["pnl"].sum()
    print(len(total), float(total.sum()), per_strategy.to_dict())


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
