# tests/bench.sh, performance-analytics' normal run (its 16:00 run): a year of day candles of
# RELIANCE, TCS, INFY and NIFTY 50 synced from the demo market on 127.0.0.1, a trade book of
# 600 fills over them at the stored closes (three strategies) imported, then the run over the
# year: its time and peak memory, beside a Python desk's pandas script doing the same FIFO
# matching and marking to the daily closes (no charges, no risk metrics: a floor for it).
"$bin/demo-market" "$top/tests/fixtures/nse" > "$work/perf-market.out" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/perf-market.out" ] && break; sleep 0.1; done
perf_market=$(head -n1 "$work/perf-market.out")
echo perf-token > "$work/perf-token"
cat > "$work/perf.toml" <<TOML
[http]
requests_per_second = 1000
[credentials]
upstox_token = "$work/perf-token"
[jobs.market-sync]
watchlist = ["RELIANCE", "TCS", "INFY"]
[jobs.performance-analytics]
upstox_trades = false
[providers.upstox]
base_url = "$perf_market"
instruments_url = "$perf_market/instruments/NSE.json.gz"
limits = [{ requests = 10000, per_secs = 1.0 }]
TOML
perf_data=$work/perf-data
"$bin/upstox-market-sync" -q --config "$work/perf.toml" --data-dir "$perf_data" \
  --symbols 'RELIANCE,TCS,INFY,NSE_INDEX|Nifty 50' --interval day --period 1y --no-quotes --no-options \
  2>"$work/err" || { cat "$work/err" >&2; exit 1; }
perf_last=$(python3 - "$perf_data/market_data.db" "$work/perf-trades.csv" <<'PY'
import datetime, random, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
ist = datetime.timezone(datetime.timedelta(hours=5, minutes=30))
closes = {}
for symbol, ts, close in db.execute(
    "SELECT i.trading_symbol, c.ts, c.close FROM candles c JOIN instruments i ON i.instrument_key = c.instrument"
    " WHERE c.interval = 1440 AND i.trading_symbol IN ('RELIANCE', 'TCS', 'INFY') ORDER BY c.ts"):
    closes.setdefault(symbol, []).append((datetime.datetime.fromtimestamp(ts, ist).date(), close))
rng = random.Random(18)
held = {}
with open(sys.argv[2], "w") as f:
    f.write("trade_id,symbol,side,quantity,price,traded_at,strategy\n")
    for n in range(1, 601):
        symbol = rng.choice(sorted(closes))
        day, close = rng.choice(closes[symbol])
        strategy = rng.choice(["momentum", "swing", "pairs"])
        side = "SELL" if held.get((symbol, strategy), 0) >= 10 and rng.random() < 0.5 else "BUY"
        held[(symbol, strategy)] = held.get((symbol, strategy), 0) + (-10 if side == "SELL" else 10)
        f.write(f"{n},{symbol},{side},10,{close:.2f},{day} 11:00:00,{strategy}\n")
print(max(d for rows in closes.values() for d, _ in rows))
PY
)
performance() { # data-dir (--force: whatever the day, the run a trading day gets)
  "${wrap[@]}" "$bin/upstox-performance-analytics" -q --log-format text --config "$work/perf.toml" \
    --data-dir "$1" --to "$perf_last" --force 2>"$work/err" || { cat "$work/err" >&2; return 1; }
}
desk_performance() { # data-dir
  "${wrap[@]}" "$venv/bin/python" "$top/tests/bench/desk_performance.py" "$1/market_data.db" "$work/perf-trades.csv" > /dev/null
}
"$bin/upstox-performance-analytics" -q --config "$work/perf.toml" --data-dir "$perf_data" \
  import-trades "$work/perf-trades.csv" > /dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
perf_us=() perf_kib=() dperf_us=() dperf_kib=()
for i in $(seq "$runs"); do
  timed perf_us performance "$perf_data"
  timed dperf_us desk_performance "$perf_data"
  peak perf_kib performance "$perf_data"
  peak dperf_kib desk_performance "$perf_data"
done
echo
echo "performance-analytics over a year, 600 fills, $runs runs each, alternating with the Python desk ($(load))"
row "performance-analytics: a year, 600 fills, 3 symbols" "$(ms "$(median "${perf_us[@]}")")" ms \
  "Python desk: pandas FIFO and marks" "$(ms "$(median "${dperf_us[@]}")")"
row "performance-analytics: peak RSS of the run" "$(mib "$(largest "${perf_kib[@]}")")" MiB \
  "Python desk: pandas FIFO and marks" "$(mib "$(largest "${dperf_kib[@]}")")"
