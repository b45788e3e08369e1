#!/usr/bin/env bash
# make bench: how long upstox-nse-index-update takes and how much memory it uses, on the
# release build, against the bundled files served on 127.0.0.1 with request pacing off
# (in production the pacing, 2 requests/s per host, dominates). Five runs of each case;
# prints the median wall time and the largest peak RSS. The files are served by python3's
# http.server: HTTP/1.0, a connection per request, no keep-alive stall (tiny_http, used by the
# tests, stalls ~40 ms on every reused connection, which would be all this measured).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/target/release
runs=${BENCH_RUNS:-5}
command -v /usr/bin/time >/dev/null || { echo "bench: needs GNU time (apt-get install time)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/upstox-jobs-bench.XXXXXX")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$top/tests/fixtures/nse" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
url=http://127.0.0.1:$port
for _ in $(seq 50); do python3 -c "import urllib.request; urllib.request.urlopen('$url/')" 2>/dev/null && break; sleep 0.1; done
for day in day1 day2; do
  base=$url; [ $day = day2 ] && base=$url/rebalanced
  printf '[http]\nrequests_per_second = 100000\n[jobs.nse-index-update]\nbase_url = "%s"\n' "$base" > "$work/$day.toml"
done

job() { # data-dir config → "seconds kib"
  /usr/bin/time -f "%e %M" -o "$work/t" "$bin/upstox-nse-index-update" -q --log-format text \
    --data-dir "$1" --config "$2" 2>/dev/null
  cat "$work/t"
}
report() { # name, then lines of "seconds kib"
  local name=$1; shift
  printf '%s\n' "$@" | sort -n | awk -v name="$name" '
    { t[NR] = $1; if ($2 > m) m = $2 }
    END { printf "%-46s %8.3f s %8.1f MiB\n", name, t[int((NR + 1) / 2)], m / 1024 }'
}

first=() again=() rebalance=()
for i in $(seq "$runs"); do
  d=$work/data$i
  first+=("$(job "$d" "$work/day1.toml")")
  again+=("$(job "$d" "$work/day1.toml")")
  rebalance+=("$(job "$d" "$work/day2.toml")")
done
echo "upstox-nse-index-update, release build, $runs runs each (median wall, max peak RSS)"
report "first load: 9 indices, 1322 memberships" "${first[@]}"
report "unchanged re-run: 9 indices, no writes" "${again[@]}"
report "rebalance: 4 joins, 4 exits, renames" "${rebalance[@]}"
printf '%-46s %8.1f MiB\n' "binary size (stripped, LTO)" "$(echo "$(stat -c %s "$bin/upstox-nse-index-update") / 1048576" | bc -l)"
printf '%-46s %8.1f MiB\n' "market_data.db after the three runs" "$(echo "$(stat -c %s "$work/data1/market_data.db") / 1048576" | bc -l)"

# upstox-market-sync: parse and upsert 50 symbols × 30 sessions of 1-minute candles
# (562,500 candles, 100 requests of up to 28 days each) from the synthetic market server on
# loopback, with the request budget and pacing opened up (in production Upstox's limits,
# 50/s and 2,000 per 30 min, dominate). Beside it, a plain INSERT loop of as many rows into
# the same table: the floor for SQLite itself.
symbols=50 from=2026-07-01 to=2026-08-11
bars=$((symbols * 30 * 375))
"$bin/market-server" --symbols $symbols --from $from --to $to > "$work/market.url" &
market=$!
trap 'kill $server $market 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do [ -s "$work/market.url" ] && break; sleep 0.1; done
murl=$(head -1 "$work/market.url")
keys=$("$bin/market-server" --symbols $symbols --from $from --to $to --list | paste -sd, -)
echo secret > "$work/token"
cat > "$work/market.toml" <<TOML
[http]
requests_per_second = 100000
[credentials]
upstox_token = "$work/token"
[providers.upstox]
base_url = "$murl"
instruments_url = "$murl/instruments/NSE.json.gz"
limits = [{ requests = 100000, per_secs = 1.0 }]
TOML
sync=() insert=()
for i in $(seq "$runs"); do
  d=$work/market$i
  /usr/bin/time -f "%e %M" -o "$work/t" "$bin/upstox-market-sync" -q --log-format text \
    --data-dir "$d" --config "$work/market.toml" --symbols "$keys" --interval 1minute \
    --from $from --to $to --no-quotes --no-options 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
  sync+=("$(cat "$work/t")")
  n=$(sqlite3 "$d/market_data.db" "SELECT count(*) FROM candles")
  [ "$n" -eq "$bars" ] || { echo "bench: stored $n candles, expected $bars" >&2; exit 1; }
  /usr/bin/time -f "%e %M" -o "$work/t" "$bin/insert-bench" "$work/insert$i.db" $symbols $((30 * 375)) > "$work/ins"
  insert+=("$(awk '{ print $2 }' "$work/ins") $(awk '{ print $2 }' "$work/t")")
done
rate() { printf '%s\n' "$@" | sort -n | awk -v n="$bars" '{ t[NR] = $1 } END { printf "%.0f", n / t[int((NR + 1) / 2)] }'; }
echo
echo "upstox-market-sync, release build, $runs runs each (median wall, max peak RSS)"
report "sync $bars 1-minute candles from loopback" "${sync[@]}"
printf '%-46s %8s candles/s (target >= 300000)\n' "  end to end: fetch, parse, check, upsert" "$(rate "${sync[@]}")"
report "plain INSERT loop, same rows and table" "${insert[@]}"
printf '%-46s %8s rows/s\n' "  SQLite alone" "$(rate "${insert[@]}")"
printf '%-46s %8.1f MiB\n' "market_data.db after the sync" "$(echo "$(stat -c %s "$work/market1/market_data.db") / 1048576" | bc -l)"

# upstox-alert-scan: one scan of 2,000 rules (4 a symbol, the kinds in turn: price levels,
# RSI, MACD crosses, volume spikes, support and resistance breaks) on 500 symbols with 250 day
# candles each, which alert-bench writes straight into market_data.db; the 500 latest prices
# come from the synthetic market server on loopback in one request. Each run scans a fresh
# copy of the prepared directory with --force (every rule evaluated for the first time:
# 2,000 states written, and the firings), then scans the same copy again, as the next
# minute's run finds it. Wall time is the whole process, start to exit, by the shell's
# nanosecond clock (GNU time's %e has 10 ms steps); peak RSS is GNU time's.
alert_symbols=500 alert_bars=250 alert_rules=2000
forming=$("$bin/alert-bench" "$work/alerts" --symbols $alert_symbols --bars $alert_bars)
"$bin/market-server" --symbols $alert_symbols --from "$(date -d "$forming - 60 days" +%F)" --to "$forming" \
  > "$work/alert-market.url" &
alert_market=$!
trap 'kill $server $market $alert_market 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do [ -s "$work/alert-market.url" ] && break; sleep 0.1; done
cat > "$work/alerts.toml" <<TOML
[http]
requests_per_second = 100000
[credentials]
upstox_token = "$work/token"
[providers.upstox]
base_url = "$(head -1 "$work/alert-market.url")"
limits = [{ requests = 100000, per_secs = 1.0 }]
TOML
"$bin/upstox-alert-scan" -q --data-dir "$work/alerts" --config "$work/alerts.toml" \
  rules import "$work/alerts/rules.csv" >/dev/null
scan() { # data-dir, name of an array to append "seconds kib" to
  local -n into=$2
  local t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -f "%M" -o "$work/t" "$bin/upstox-alert-scan" -q --log-format text --force \
    --data-dir "$1" --config "$work/alerts.toml" 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
  t1=$(date +%s%N)
  into+=("$(echo "($t1 - $t0) / 1000000000" | bc -l) $(cat "$work/t")")
}
report_ms() { # name, note, then lines of "seconds kib"
  local name=$1 note=$2; shift 2
  printf '%s\n' "$@" | sort -n | awk -v name="$name" -v note="$note" '
    { t[NR] = $1; if ($2 > m) m = $2 }
    END { printf "%-46s %8.1f ms %8.1f MiB%s\n", name, t[int((NR + 1) / 2)] * 1000, m / 1024, note }'
}
fresh=() next=()
for i in $(seq "$runs"); do
  d=$work/alerts-run$i
  cp -r "$work/alerts" "$d"
  scan "$d" fresh
  n=$(sqlite3 "$d/market_data.db" "SELECT count(*) FROM alert_state")
  [ "$n" -eq "$alert_rules" ] || { echo "bench: $n rules evaluated, expected $alert_rules" >&2; exit 1; }
  scan "$d" next
done
# The floor under it: a run that finds no rule (start-up, configuration, lock, database,
# job_runs, one HTTP client) and stops before asking for prices.
floor=()
mkdir "$work/alerts-empty"
for i in $(seq "$runs"); do scan "$work/alerts-empty" floor; done
fired=$(sqlite3 "$work/alerts-run1/market_data.db" "SELECT count(*) FROM alert_events")
echo
echo "upstox-alert-scan --force, release build, $runs runs each (median wall, max peak RSS)"
report_ms "scan: $alert_rules rules, $alert_symbols symbols x $alert_bars bars" " (targets < 100 ms, < 30 MiB)" "${fresh[@]}"
printf '%-46s %8s\n' "  of which fired (first scan)" "$fired"
report_ms "the next minute's scan (states known)" " (targets < 100 ms, < 30 MiB)" "${next[@]}"
report_ms "  floor: a run with no rules" "" "${floor[@]}"
