#!/usr/bin/env bash
# make demo: the desk's day end to end with no configuration of yours and no network. Serves
# NSE-format constituent files and a synthetic market (Upstox's API, prices up to now) on
# 127.0.0.1 and a mail catcher (python3-aiosmtpd), then runs every job into a fresh data
# directory: the index constituents (a first load dated a week ago, then today's rebalance),
# a year of day candles, an intraday sync, an alert scan whose rules fire and are mailed, a
# trade book's performance with its chart, the night's backup and a dry run of Sunday's
# maintenance, a saved news feed tagged and scored, and upstox-jobs status and runs. The
# configuration it writes only points the jobs at loopback.
# With --keep the servers keep running until Ctrl-C, for trying the README's examples on it.
set -euo pipefail
keep=false
case "${1:-}" in
    "") ;;
    --keep) keep=true ;;
    *) echo "usage: tests/demo.sh [--keep]" >&2; exit 2 ;;
esac
top=$(cd "$(dirname "$0")/.." && pwd)
bin="$top/target/debug"
work=$(mktemp -d "${TMPDIR:-/tmp}/upstox-jobs-demo.XXXXXX")
data="$work/data"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

# Starts a server that prints its base URL on its first line of stdout into FILE.
serve() {
    local out=$1
    shift
    "$@" > "$out" &
    pids+=($!)
    for _ in $(seq 100); do [ -s "$out" ] && break; sleep 0.1; done
    [ -s "$out" ] || { echo "demo: $1 did not start" >&2; exit 1; }
}
serve "$work/nse.url" "$bin/fixture-server" "$top/tests/fixtures/nse"
serve "$work/market.out" "$bin/demo-market" "$top/tests/fixtures/nse"
nse=$(head -n1 "$work/nse.url")
market=$(head -n1 "$work/market.out")
# Debian's python3-aiosmtpd is in the system Python, whatever python3 comes first in PATH.
py=/usr/bin/python3
[ -x "$py" ] || py=python3
smtp_port=$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$py" -m aiosmtpd -n -l "127.0.0.1:$smtp_port" -c aiosmtpd.handlers.Mailbox "$work/mail" &
pids+=($!)
listening() { "$py" -c "import socket; socket.create_connection(('127.0.0.1', $smtp_port), 1)" 2>/dev/null; }
for _ in $(seq 100); do listening && break; sleep 0.1; done
listening || { echo "demo: no mail catcher: install python3-aiosmtpd (apt install python3-aiosmtpd)" >&2; exit 1; }

# The loopback servers stand in for NSE, Upstox and the desk's mail server; everything else
# is the built-in defaults but the pace of requests, which loopback need not be spared. Upstox
# needs a token: the demo market takes any.
echo demo-token > "$work/upstox_token"
cat > "$work/config.toml" <<TOML
data_dir = "$data"

[http]
requests_per_second = 1000

[credentials]
upstox_token = "$work/upstox_token"

[jobs.nse-index-update]
base_url = "$nse/rebalanced"

[jobs.market-sync]
watchlist = ["RELIANCE", "TCS", "INFY"]
intervals = ["15minute", "day"]
initial_days = { "15minute" = 5, "day" = 400 }

[notify.email]
host = "127.0.0.1"
port = $smtp_port
security = "none"
from = "alerts@desk.example"
to = ["desk@desk.example"]

# The demo market serves no trades: the trades are the trade book imported below.
[jobs.performance-analytics]
upstox_trades = false

[providers.upstox]
base_url = "$market"
instruments_url = "$market/instruments/NSE.json.gz"
limits = [{ requests = 10000, per_secs = 1.0 }]
TOML
sed "s#$nse/rebalanced#$nse#" "$work/config.toml" > "$work/first-load.toml"
export UPSTOX_JOBS_CONFIG="$work/config.toml"
run() { local name=$1; shift; "$bin/$name" --log-format text "$@"; }
first_load=$(date -d '7 days ago' +%F)

echo "== serving on 127.0.0.1: NSE's files at $nse, the market (Upstox API) at $market, mail on port $smtp_port"
echo "== data directory: $data"
echo
echo "== upstox-nse-index-update: first load of the 9 default indices, as of $first_load"
run upstox-nse-index-update --config "$work/first-load.toml" --as-of "$first_load"
echo
echo "== upstox-nse-index-update --dry-run: what today's files would change (nothing is written)"
run upstox-nse-index-update --dry-run --index NIFTY50 --index NIFTYNEXT50
echo
echo "== upstox-nse-index-update: today's rebalance"
run upstox-nse-index-update
echo
echo "== upstox-nse-index-update show --index NIFTY50 --history (the first 5 members, and the past ones)"
run upstox-nse-index-update show --index NIFTY50 --history > "$work/history.txt"
head -n 6 "$work/history.txt"
echo "   ..."
awk 'NR > 1 && $4 != "-"' "$work/history.txt"
echo
echo "== upstox-market-sync --interval day --period 1y: a year of day candles of NIFTY 50, the watchlist and the indices"
run upstox-market-sync --interval day --period 1y
echo
echo "== upstox-market-sync --force: an intraday run (15-minute and day candles, quotes, option chains; --force: whatever the hour)"
run upstox-market-sync --force
echo
echo "== upstox-alert-scan rules add: two price levels the latest quotes cross, and an RSI rule"
tail -n +2 "$work/market.out" | while read -r symbol kind level quote; do
    echo "   ($symbol is quoted at $quote)"
    run upstox-alert-scan rules add "$symbol" "$kind" "$level" --channels database,email
done
run upstox-alert-scan rules add INFY rsi-above period=14 level=70 --channels database,email
run upstox-alert-scan rules list
echo
echo "== upstox-alert-scan --force: a scan (--force: whatever the hour); alerts go out by email"
run upstox-alert-scan --force
echo
echo "== upstox-alert-scan explain RELIANCE: its indicator values and every rule's state"
run upstox-alert-scan explain RELIANCE
echo
echo "== upstox-performance-analytics: a trade book (at the stored closes) imported, the run, and the report with its chart"
last=$("$py" - "$data/market_data.db" "$work/trades.csv" <<'PY'
import datetime, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
closes = {}
for symbol, ts, close in db.execute(
    "SELECT i.trading_symbol, c.ts, c.close FROM candles c JOIN instruments i ON i.instrument_key = c.instrument"
    " WHERE c.interval = 1440 AND i.trading_symbol IN ('INFY', 'TCS') ORDER BY c.ts"):
    day = datetime.datetime.fromtimestamp(ts, datetime.timezone(datetime.timedelta(hours=5, minutes=30))).date()
    closes.setdefault(symbol, []).append((day, close))
days = [d for d, _ in closes["INFY"]]
price = {(s, d): c for s, rows in closes.items() for d, c in rows}
plan = [(60, "INFY", "BUY", 50, "momentum"), (50, "TCS", "SELL", 10, "swing"), (40, "INFY", "SELL", 25, "momentum"),
        (30, "TCS", "BUY", 10, "swing"), (20, "INFY", "SELL", 25, "momentum"), (10, "TCS", "BUY", 5, "swing")]
with open(sys.argv[2], "w") as f:
    f.write("trade_id,symbol,side,quantity,price,traded_at,strategy\n")
    for n, (back, symbol, side, qty, strategy) in enumerate(plan, 1):
        day = days[-back]
        f.write(f"{n},{symbol},{side},{qty},{price[(symbol, day)]:.2f},{day} 11:00:00,{strategy}\n")
print(days[-1])
PY
)
run upstox-performance-analytics import-trades "$work/trades.csv"
run upstox-performance-analytics --to "$last"
run upstox-performance-analytics report --to "$last" --chart "$work/performance.png"
echo
echo "== upstox-db-backup: the night's backup (copied under writes, checked, compressed, restored once as a drill)"
run upstox-db-backup
run upstox-db-backup list
echo
echo "== upstox-db-maintenance --dry-run: what Sunday's maintenance would purge, and whether it would VACUUM"
run upstox-db-maintenance --dry-run
echo
echo "== upstox-corporate-announcements --from-file: NSE's corporate actions saved from a browser (NSE refuses data-centre addresses), typed and stored"
run upstox-corporate-announcements --from-file "nse-actions=$top/tests/fixtures/corporate/nse-actions.json"
echo
echo "== upstox-corporate-announcements show --from 2026-08-01 --to 2026-08-31 (the first 5)"
run upstox-corporate-announcements show --from 2026-08-01 --to 2026-08-31 | head -n 5
echo
echo "== upstox-news-sentiment --from-file: a saved feed of Indian market news, tagged with NSE symbols and scored"
run upstox-news-sentiment --from-file "$top/tests/fixtures/news/sample_feed.xml"
run upstox-news-sentiment score "Infosys cuts guidance; shares slump 6%"
echo
echo "== the mail the desk received"
"$py" - "$work/mail" <<'PY'
import mailbox, sys
for message in mailbox.Maildir(sys.argv[1], create=False):
    print("   From:", message["From"])
    print("   To:", message["To"])
    print("   Subject:", message["Subject"])
    body = message.get_payload(decode=True) if not message.is_multipart() else message.get_payload(0).get_payload(decode=True)
    for line in body.decode("utf-8", "replace").splitlines():
        print("  ", line)
    print()
PY
echo "== upstox-jobs status"
"$bin/upstox-jobs" status
echo
echo "== upstox-jobs runs"
"$bin/upstox-jobs" runs
echo
if $keep; then servers="keep running until Ctrl-C: every example of the README works on it"
else servers="stopped with the demo (tests/demo.sh --keep keeps them): these read what is stored"
fi
cat <<TEXT
== explore: the data is in $data (market_data.db, SQLite)
   The servers $servers.
   export PATH="$bin:\$PATH" UPSTOX_JOBS_CONFIG="$work/config.toml"
   upstox-nse-index-update show --index NIFTY50 --history
   upstox-alert-scan rules list
   upstox-performance-analytics report --format json     # the chart: $work/performance.png
   upstox-jobs runs --job market-sync
   sqlite3 $data/market_data.db "SELECT * FROM candles_ist WHERE instrument = 'NSE_EQ|INE002A01018' ORDER BY ts_ist DESC LIMIT 5"
   rm -r $work    # when done
TEXT
if $keep; then
    wait
fi
