#!/usr/bin/env bash
# make bench: the jobs' speed and memory on the release build, each figure beside its floor
# measured in the same run (the A and B runs alternate), with medians, ratios and the targets
# of issue 10, and beside the same work done as a Python desk would do it. Needs python3,
# sqlite3, GNU time, bc and flock; the Python desk's alert scan needs pandas and TA-Lib, which
# go into a venv under target/bench-venv (from PyPI) the first time. BENCH_RUNS (default 5)
# runs of each long case, BENCH_STARTUP_RUNS (default 11) of each start-up case; the candles v2
# migration's size, runs and kills by BENCH_MIGRATE_MIB, _RUNS and _KILLS (tests/bench/migrate.sh);
# the database backup's size by BENCH_BACKUP_MIB (tests/bench/backup.sh, needs zstd).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/target/release
runs=${BENCH_RUNS:-5}
startup_runs=${BENCH_STARTUP_RUNS:-11}
for need in /usr/bin/time python3 sqlite3 bc flock; do
  command -v $need >/dev/null || { echo "bench: needs $need (GNU time, python3, sqlite3, bc, util-linux)" >&2; exit 1; }
done
venv=$top/target/bench-venv
if ! "$venv/bin/python" -c 'import talib, pandas' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'ta-lib>=0.6' pandas
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/upstox-jobs-bench.XXXXXX")
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT
. "$top/tests/bench/lib.sh"
echo "make bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(load)"
echo "release build: opt-level, LTO, panic and codegen-units as Cargo.toml's [profile.release]"

# upstox-nse-index-update against the bundled files served on 127.0.0.1 by python3's
# http.server (HTTP/1.0, a connection per request: tiny_http, used by the tests, stalls ~40 ms
# on every reused connection, which would be all this measured), request pacing off (in
# production its 2 requests/s per host dominate).
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$top/tests/fixtures/nse" >/dev/null 2>&1 &
pids+=($!)
url=http://127.0.0.1:$port
for _ in $(seq 50); do python3 -c "import urllib.request; urllib.request.urlopen('$url/')" 2>/dev/null && break; sleep 0.1; done
for day in day1 day2; do
  base=$url; [ $day = day2 ] && base=$url/rebalanced
  printf '[http]\nrequests_per_second = 100000\n[jobs.nse-index-update]\nbase_url = "%s"\n' "$base" > "$work/$day.toml"
done
nse() { "${wrap[@]}" "$bin/upstox-nse-index-update" -q --log-format text --data-dir "$1" --config "$2" 2>/dev/null; }
first=() again=() rebalance=() nse_kib=() nse_desk=() nse_desk_kib=()
for i in $(seq "$runs"); do
  timed first nse "$work/data$i" "$work/day1.toml"
  timed nse_desk python3 "$top/tests/bench/desk_nse.py" "$url" "$work/desk-nse$i.db" > /dev/null
  timed again nse "$work/data$i" "$work/day1.toml"
  timed rebalance nse "$work/data$i" "$work/day2.toml"
  peak nse_kib nse "$work/rss$i" "$work/day1.toml"
  peak nse_desk_kib python3 "$top/tests/bench/desk_nse.py" "$url" "$work/desk-nse-rss$i.db" > /dev/null
done
desk_nse="Python desk: urllib, csv, sqlite3"
row "nse-index-update: first load, 9 indices" "$(ms "$(median "${first[@]}")")" ms "$desk_nse" \
  "$(ms "$(median "${nse_desk[@]}")")"
row "nse-index-update: peak RSS of the run" "$(mib "$(largest "${nse_kib[@]}")")" MiB "$desk_nse" \
  "$(mib "$(largest "${nse_desk_kib[@]}")")"
echo
echo "upstox-nse-index-update, $runs runs each (median wall; peak RSS the largest, first load)"
printf '  %-44s %9s ms\n' "first load: 9 indices, 1322 memberships" "$(ms "$(median "${first[@]}")")" \
  "unchanged re-run: 9 indices, no writes" "$(ms "$(median "${again[@]}")")" \
  "rebalance: 4 joins, 4 exits, renames" "$(ms "$(median "${rebalance[@]}")")"
printf '  %-44s %9s MiB\n' "peak RSS" "$(mib "$(largest "${nse_kib[@]}")")" \
  "binary size (stripped)" "$(mib $(($(stat -c %s "$bin/upstox-nse-index-update") / 1024)))"

. "$top/tests/bench/ingest.sh"
. "$top/tests/bench/migrate.sh"
. "$top/tests/bench/alerts.sh"
. "$top/tests/bench/startup.sh"
. "$top/tests/bench/backup.sh"
. "$top/tests/bench/news.sh"
. "$top/tests/bench/jobs.sh"
. "$top/tests/bench/performance.sh"
echo
echo "The table: every figure above beside the nearest alternative, measured in the same run"
printf '%-58s %10s %-9s %-46s %10s %7s  %s\n' case ours unit alternative theirs ratio target
table
echo
echo "end: $(load)"
