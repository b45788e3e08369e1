#!/usr/bin/env bash
# make demo: the job end to end with no configuration and no network. Serves the bundled
# NSE-format files on 127.0.0.1, runs upstox-nse-index-update into a fresh data directory
# (a first load, then a later day with a rebalance), and prints what was stored.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin="$top/target/debug"
work=$(mktemp -d "${TMPDIR:-/tmp}/upstox-jobs-demo.XXXXXX")
"$bin/fixture-server" "$top/tests/fixtures/nse" > "$work/server.url" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s "$work/server.url" ] && break; sleep 0.1; done
url=$(head -n1 "$work/server.url")
[ -n "$url" ] || { echo "demo: the fixture server did not start" >&2; exit 1; }

# The built-in defaults serve; only the download address points at the loopback server.
cat > "$work/day1.toml" <<TOML
[jobs.nse-index-update]
base_url = "$url"
TOML
sed "s#$url#$url/rebalanced#" "$work/day1.toml" > "$work/day2.toml"

job() { "$bin/upstox-nse-index-update" --data-dir "$work/data" --log-format text "$@"; }
echo "== serving NSE-format files (synthetic companies) on $url; data in $work/data"
echo
echo "== day 1: first load of the 9 default indices"
job --config "$work/day1.toml"
echo
echo "== day 2, dry run: what the rebalanced files would change (nothing is written)"
job --config "$work/day2.toml" --dry-run --index NIFTY50 --index NIFTYNEXT50
echo
echo "== day 2: the rebalance"
job --config "$work/day2.toml"
echo
echo "== stored: upstox-nse-index-update show"
job --config "$work/day2.toml" show
echo
echo "== NIFTY50 with its history: show --index NIFTY50 --history (first 8 and past members)"
job --config "$work/day2.toml" show --index NIFTY50 --history | { head -n 9; echo "   ..."; tail -n 2; }
