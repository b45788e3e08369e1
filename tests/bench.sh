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
