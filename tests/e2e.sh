#!/usr/bin/env bash
# make e2e: the .deb in a real systemd. Boots Debian 12's systemd as PID 1 in a
# systemd-nspawn container (../shared/tools/systemd-box, host rootfs, about 10 s), installs
# target/debian/upstox-jobs_*.deb with apt, and checks what a user would: install creates the
# user, the data directory and starts the timer without running a job, the timer's next run
# is in IST, desk users in group upstox share the data directory and others are told how to,
# a service's run leaves node_exporter metrics that promtool accepts, a run is
# sandboxed as user upstox, every installed service has the shared sandbox drop-in, the
# journal has its lines and fields, job_runs and `upstox-jobs status` agree, a failing run
# exits 69, requests run from the spool and through the socket-activated HTTP API (which
# exits when idle, and whose page renders in chromium), all eight timers are due when their
# documented schedules say, each service runs once against loopback servers and journals its
# summary with its fields, a failure of each job is emailed, an upgrade from the previous
# version keeps configuration, data and units and leaves a running job alone, a stop is clean,
# and purge removes what it should. Needs root. Ends with the time of each section and
# "N passed, N failed".
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
box=${SYSTEMD_BOX:-$top/../shared/tools/systemd-box/box.sh}
[ -f "$box" ] || { echo "e2e: $box is missing: ../shared must be beside the checkout" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "e2e: needs root (systemd-nspawn)" >&2; exit 1; }
deb=$(ls "$top"/target/debian/upstox-jobs_*_amd64.deb 2>/dev/null | head -n1)
[ -n "$deb" ] || { echo "e2e: no .deb in target/debian: run make deb first" >&2; exit 1; }
# BOX_NAME may be set to run beside another checkout's e2e run (each box has its own state).
export BOX_NAME=${BOX_NAME:-upstox-e2e} BOX_ROOTFS=host
unit=upstox-nse-index-update
db=/var/lib/upstox-jobs/market_data.db

# Wall time per section, printed at the end: the run is part of make test.
section_name=setup section_started=$EPOCHREALTIME sections=()
section() {
  sections+=("$(awk -v a="$section_started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%6.1f", b - a }') $section_name")
  section_name=$1 section_started=$EPOCHREALTIME
}
e2e_started=$EPOCHREALTIME

stage=$top/target/e2e
inside=/opt/upstox-e2e
rm -rf "$stage" && mkdir -p "$stage"
"$top/target/debug/fixture-server" "$top/tests/fixtures/nse" > "$stage/url" &
server=$!
# NSE's and BSE's APIs and a news feed, laid out as their paths (the server ignores queries).
ex=$stage/exchanges corp=$top/tests/fixtures/corporate
mkdir -p "$ex/api" "$ex/bse/DefaultData" "$ex/bse/Corpforthresults" "$ex/bse/AnnSubCategoryGetData" "$ex/news"
echo '<html><body>NSE</body></html>' > "$ex/home.html"
cp "$corp/nse-actions.json" "$ex/api/corporates-corporateActions"
cp "$corp/nse-announcements.json" "$ex/api/corporate-announcements"
cp "$corp/nse-board-meetings.json" "$ex/api/corporate-board-meetings"
cp "$corp/nse-holidays.json" "$ex/api/holiday-master"
cp "$corp/bse-actions.json" "$ex/bse/DefaultData/w"
cp "$corp/bse-results.json" "$ex/bse/Corpforthresults/w"
cp "$corp/bse-announcements.json" "$ex/bse/AnnSubCategoryGetData/w"
cp "$top/tests/fixtures/news/sample_feed.xml" "$ex/news/"
"$top/target/debug/fixture-server" "$ex" > "$stage/exchanges.url" &
exchanges=$!
# A synthetic market speaking Upstox's API (any token), its prices up to now, for market-sync.
"$top/target/debug/demo-market" "$top/tests/fixtures/nse" > "$stage/market.out" &
market=$!
# A source that accepts connections and never answers: a run that stays busy.
python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
print(s.getsockname()[1], flush=True)
held = []
while True: held.append(s.accept())' > "$stage/hang.port" &
hang=$!
# A real SMTP server on the host's loopback (the box shares the network): failure reports land here.
smtp_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
/usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$smtp_port" -c aiosmtpd.handlers.Mailbox "$stage/maildir" &
smtp=$!
bash "$box" down >/dev/null 2>&1
trap 'bash "$box" down >/dev/null 2>&1; kill $server $exchanges $market $hang $smtp 2>/dev/null' EXIT
for _ in $(seq 50); do [ -s "$stage/url" ] && [ -s "$stage/exchanges.url" ] && [ -s "$stage/market.out" ] && [ -s "$stage/hang.port" ] && break; sleep 0.1; done
url=$(head -n1 "$stage/url")
exurl=$(head -n1 "$stage/exchanges.url")
murl=$(head -n1 "$stage/market.out")
email=$(printf '[notify.email]\nhost = "127.0.0.1"\nport = %s\nsecurity = "none"\nfrom = "jobs@desk.example"\nto = ["desk@desk.example"]' "$smtp_port")
printf '%s\n[jobs.nse-index-update]\nbase_url = "%s"\n' "$email" "$url" > "$stage/good.toml"
printf '%s\n[jobs.corporate-announcements]\nnse_home = "%s/home.html"\nnse_url = "%s/api"\nbse_url = "%s/bse"\n[jobs.news-sentiment]\nfeeds = [{ name = "local", url = "%s/news/sample_feed.xml" }]\n' \
  "$email" "$exurl" "$exurl" "$exurl" "$exurl" > "$stage/newjobs.toml"
# Nothing listens on port 9 of loopback: every download fails to connect.
printf '[http]\nretries = 1\nbackoff_initial_ms = 100\n%s\n[jobs.nse-index-update]\nbase_url = "http://127.0.0.1:9"\n' "$email" > "$stage/bad.toml"
printf '[http]\nretries = 0\ntimeout_secs = 100\n[jobs.nse-index-update]\nbase_url = "http://127.0.0.1:%s"\n' \
  "$(head -n1 "$stage/hang.port")" > "$stage/hang.toml"
# Upstox's API on loopback, paced for loopback; a day's candles of a month are enough.
echo e2e-token > "$stage/upstox_token"
printf '%s\n[http]\nrequests_per_second = 1000\n[credentials]\nupstox_token = "%s/upstox_token"\n[providers.upstox]\nbase_url = "%s"\ninstruments_url = "%s/instruments/NSE.json.gz"\nlimits = [{ requests = 10000, per_secs = 1.0 }]\n[jobs.market-sync]\nintervals = ["day"]\ninitial_days = { "day" = 30 }\n' \
  "$email" "$inside" "$murl" "$murl" > "$stage/market.toml"
# A value of the wrong type: every job stops at once with exit 78, the cheapest failure.
printf '[http]\nretries = "many"\n' > "$stage/broken.toml"
# The next version of the same tree for the upgrade: the package with its version bumped in
# its metadata. Repacked by dpkg-deb in about a second, where cargo deb takes minutes to
# compress it again (and removes the .deb it built before).
version=$(dpkg-deb -f "$deb" Version)
next_version=$version+e2e1
{ dpkg-deb -R "$deb" "$stage/next" && sed -i "s/^Version: .*/Version: $next_version/" "$stage/next/DEBIAN/control" \
  && dpkg-deb -b -Zgzip -z1 "$stage/next" "$stage/next.deb" >/dev/null && rm -r "$stage/next"; } \
  || { echo "e2e: cannot repack $deb as version $next_version" >&2; exit 1; }

bash "$box" up >/dev/null || { echo "e2e: the box did not boot" >&2; exit 1; }
bash "$box" push "$stage" "$inside" || { echo "e2e: cannot copy into the box" >&2; exit 1; }
in_box() { bash "$box" exec "$@"; }
sql() { in_box sqlite3 "$db" "$1"; }

passed=0 failed=0
check() {
  local what=$1; shift
  if "$@"; then echo "ok - $what"; passed=$((passed + 1)); else echo "FAILED - $what"; failed=$((failed + 1)); return 1; fi
}
contains() { grep -q -- "$1" <<< "$2"; }
# Each further argument matches a whole line of $1 (a regular expression).
lines_in() { local text=$1 line; shift; for line; do grep -qx -- "$line" <<< "$text" || return 1; done; }

section "install and timers"
check "apt installs the .deb" bash "$box" install "$deb"
check "install created the system user upstox" in_box id -u upstox
check "install started the timer" test "$(in_box systemctl is-active $unit.timer)" = active
check "install ran no job" test "$(in_box systemctl show -P ExecMainStartTimestampMonotonic $unit.service)" = 0
check "the man page is installed" in_box man -w $unit
next=$(in_box systemctl show -P NextElapseUSecRealtime $unit.timer)
next_ist=$(TZ=Asia/Kolkata date -d "$next" +%H:%M 2>/dev/null)
check "the timer's next run is 23:30-23:35 IST (got '$next', $next_ist IST)" \
  test "$next_ist" \> "23:29" -a "$next_ist" \< "23:36"
check "list-timers shows the timer" contains "$unit.timer" "$(in_box systemctl list-timers --no-pager 'upstox-*')"
timers=$(in_box systemctl list-timers --no-pager --all 'upstox-*.timer')
check "install started all eight jobs' timers, each with a next run" \
  test "$(grep -c '^[A-Z][a-z][a-z] .* upstox-.*\.timer' <<< "$timers")" = 8 || echo "$timers"
# Each timer's next elapse against its job's documented schedule (README's table, DESIGN),
# written here again rather than read back from the units: due at a slot of the schedule in
# IST, at most RandomizedDelaySec after it, and no later than the first slot after the clock
# (read before and after asking systemd, so that a slot passing meanwhile counts either way).
jobs="nse-index-update corporate-announcements market-sync alert-scan news-sentiment performance-analytics db-backup db-maintenance"
before=$(in_box date +%s)
nexts=$(for job in $jobs; do
  echo "$job $(date -d "$(in_box systemctl show -P NextElapseUSecRealtime upstox-$job.timer)" +%s 2>/dev/null)"; done)
after=$(in_box date +%s)
verdicts=$(NEXTS=$nexts python3 - "$before" "$after" <<'PY'
import os, sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo
IST = ZoneInfo("Asia/Kolkata")
def hm(t): return (t.hour, t.minute)
# job: (whether an IST minute is one of its slots, its RandomizedDelaySec in seconds). The
# market jobs' timers fire every day: their binaries, not the timers, know the NSE calendar.
SCHEDULES = {
    "nse-index-update": (lambda t: hm(t) == (23, 30), 300),
    "corporate-announcements": (lambda t: hm(t) == (23, 0), 300),
    "market-sync": (lambda t: t.minute == 15 and 9 <= t.hour <= 15 or hm(t) == (15, 45), 0),
    "alert-scan": (lambda t: (9, 15) <= hm(t) <= (15, 30), 0),
    "news-sentiment": (lambda t: t.minute in (0, 30), 120),
    "performance-analytics": (lambda t: hm(t) == (16, 0), 300),
    "db-backup": (lambda t: hm(t) == (2, 0), 900),
    "db-maintenance": (lambda t: t.weekday() == 6 and hm(t) == (2, 30), 900),
}
before, after = int(sys.argv[1]), int(sys.argv[2])
for line in os.environ["NEXTS"].splitlines():
    job, got = (line.split() + [""])[:2]
    due, delay = SCHEDULES[job]
    # Slots from the oldest one whose random delay may still be pending to the first after the clock.
    t = datetime.fromtimestamp(before - delay - (before - delay) % 60, IST)
    slots = []
    while not slots or slots[-1].timestamp() <= after:
        if due(t): slots.append(t)
        t += timedelta(minutes=1)
    got_at = datetime.fromtimestamp(int(got or 0), IST)
    matched = [s for s in slots if s.timestamp() <= got_at.timestamp() <= s.timestamp() + delay]
    print(job, "ok" if matched else "wrong", (matched + slots)[-1 if not matched else 0].strftime("%a %H:%M"), f"{delay // 60} min", got_at.strftime("%a %H:%M:%S"), sep="|")
PY
)
for job in $jobs; do
  IFS='|' read -r _ verdict slot delay got <<< "$(grep "^$job|" <<< "$verdicts")"
  check "list-timers shows upstox-$job.timer, next at $got IST: its schedule's slot $slot IST, within $delay" \
    test "$verdict $(grep -c " upstox-$job\.timer " <<< "$timers")" = "ok 1" || echo "$nexts"
done

section "data directory"
# One data directory per machine, whoever runs a binary (issue 12). Install makes it, before
# any run; the alert-scan service creates the database (outside market hours it needs --force,
# given by a runtime drop-in that also takes its failure on the rule's unknown symbol for a
# success, so that OnFailure= mails nobody); a desk user in group upstox adds a rule that the
# service's next run evaluates; a user outside the group is told which group to join and gets
# no database of their own; what root's ad hoc run leaves, the service's user can write.
data=/var/lib/upstox-jobs
check "install made $data: owner upstox, group upstox, mode 2770" \
  test "$(in_box stat -c '%U %G %a' $data)" = "upstox upstox 2770"
check "upstox-jobs status reads $data" \
  contains "^no runs recorded yet: $db does not exist" "$(in_box upstox-jobs status 2>&1)"
in_box useradd --create-home --groups upstox desk
in_box useradd --create-home outsider
forced=/run/systemd/system/upstox-alert-scan.service.d
in_box sh -c "mkdir -p $forced && printf '[Service]\nExecStart=\nExecStart=/usr/bin/upstox-alert-scan --force\nSuccessExitStatus=1 78\n' > $forced/50-e2e.conf && systemctl daemon-reload"
in_box systemctl start upstox-alert-scan.service
added=$(in_box runuser -u desk -- upstox-alert-scan rules add AHOMYARN price-above level=5 2>&1)
check "a desk user in group upstox adds a rule to $db ($added)" \
  test "$(sql "SELECT symbol FROM alert_rules")" = AHOMYARN
in_box systemctl start upstox-alert-scan.service >/dev/null 2>&1
check "the service's next run evaluates the desk user's rule" \
  contains "AHOMYARN" "$(sql "SELECT coalesce(summary, '') || ' ' || coalesce(error, '') FROM job_runs WHERE job = 'alert-scan' ORDER BY id DESC LIMIT 1")"
in_box sh -c "rm -r $forced && systemctl daemon-reload"
refused=$(in_box runuser -u outsider -- upstox-alert-scan rules add TCS price-below level=3200 2>&1; echo "exit $?")
check "a user outside group upstox gets one line naming $data and the group, exit 73" \
  lines_in "$refused" "upstox-alert-scan: error: cannot write to $data, this machine's upstox-jobs data directory: join its group (sudo adduser \\\$USER upstox, then log in again), or give --data-dir for data of your own" "exit 73" \
  || echo "$refused"
check "... and no database of their own" in_box test ! -e /home/outsider/.local/share/upstox-jobs
check "root's ad hoc run succeeds" \
  in_box upstox-nse-index-update --config "$inside/good.toml" --log-format text -q --index NIFTYIT
check "... and leaves nothing in $data that group upstox cannot write" \
  test -z "$(in_box find $data -mindepth 1 \( ! -group upstox -o ! -perm -g+rw \) -print)"
check "... so the service's user runs the job after it" \
  in_box runuser -u upstox -- upstox-nse-index-update --config "$inside/good.toml" --log-format text -q --index NIFTYIT

section "metrics"
# Metrics for node_exporter's textfile collector (issue 12): with the collector's directory
# present and writable by group upstox, a run of the sandboxed service (alert-scan, skipped
# outside market hours: a run all the same) leaves its file there, and promtool accepts it.
prom=/var/lib/prometheus/node-exporter
in_box sh -c "mkdir -p $prom && chgrp upstox $prom && chmod 2775 $prom"
in_box systemctl start upstox-alert-scan.service >/dev/null 2>&1
metrics=$(in_box cat $prom/upstox-jobs-alert-scan.prom 2>&1)
check "the service's run leaves its metrics in $prom" \
  contains '^upstox_job_last_run_timestamp_seconds{job="alert-scan"} ' "$metrics" || echo "$metrics"
check "... which promtool accepts" in_box sh -c "promtool check metrics < $prom/upstox-jobs-alert-scan.prom"
check "... and no temporary file is left beside it" \
  test "$(in_box find $prom -type f ! -name '*.prom' | wc -l)" = 0
in_box rm -r $prom

section "nightly jobs"
# The nightly jobs (issue 13), as their timers would start them, in the sandbox: db-backup
# copies market_data.db into /var/lib/upstox-jobs/backups with its manifest and restores it in
# its drill; db-maintenance then checks, optimizes and checkpoints it; both record success.
in_box systemctl start upstox-db-backup.service >/dev/null 2>&1
check "the db-backup service backs up market_data.db, verified" \
  test "$(in_box sh -c "ls $data/backups/market_data-*.db.zst $data/backups/market_data-*.manifest.json | wc -l")" = 2
check "... its run and drill are recorded as succeeded" \
  contains "^succeeded .*1 restore drills passed" \
  "$(sql "SELECT status || ' ' || summary FROM job_runs WHERE job = 'db-backup' ORDER BY id DESC LIMIT 1")"
check "... and upstox-db-backup verify, run by a desk user, passes" \
  in_box runuser -u desk -- upstox-db-backup --log-format text -q verify
in_box systemctl start upstox-db-maintenance.service >/dev/null 2>&1
check "the db-maintenance service then succeeds" \
  test "$(sql "SELECT status FROM job_runs WHERE job = 'db-maintenance' ORDER BY id DESC LIMIT 1")" = succeeded

section "requests"
# Runs on demand (issue 17): the path unit is enabled and active from the install; a desk
# user in group upstox drops a request file in the spool (hidden name, then rename) and the
# path unit's dispatcher runs it in the sandbox as user upstox, linked in job_runs and with
# REQUEST_ID in the journal; `upstox-jobs request … --wait` from a shell waits for its result;
# a refused file lands in rejected/ with its reason.
spool=/var/spool/upstox-jobs/requests
check "upstox-jobs-dispatch.path is enabled and active after install" \
  test "$(in_box systemctl is-enabled upstox-jobs-dispatch.path) $(in_box systemctl is-active upstox-jobs-dispatch.path)" = "enabled active"
check "install made $spool: owner root, group upstox, mode 2770" \
  test "$(in_box stat -c '%U %G %a' $spool)" = "root upstox 2770"
in_box runuser -u desk -- sh -c "printf '%s' '{\"job\": \"db-backup\", \"requested_by\": \"desk-app\"}' > $spool/.e2e.json.tmp && mv $spool/.e2e.json.tmp $spool/e2e.json"
for _ in $(seq 100); do
  [ "$(sql "SELECT state FROM job_requests WHERE requested_by = 'desk-app'")" = succeeded ] && break
  sleep 0.2
done
spooled=$(sql "SELECT id FROM job_requests WHERE requested_by = 'desk-app'")
check "a desk user's spool file ran as request $spooled and succeeded, the file taken" \
  test "$(sql "SELECT state || ' ' || origin FROM job_requests WHERE id = '$spooled'") $(in_box sh -c "ls $spool | wc -l")" = "succeeded spool 1"
check "... run by the dispatcher service as user upstox, its job_runs row linked" \
  test "$(sql "SELECT count(*) FROM job_runs WHERE request_id = '$spooled' AND status = 'succeeded'") $(in_box journalctl -q -o cat --output-fields=_UID -t upstox-db-backup REQUEST_ID=$spooled | sort -u)" = "1 $(in_box id -u upstox)"
check "... with REQUEST_ID on its journal lines" \
  contains "backed up and verified" "$(in_box journalctl -q -o cat -t upstox-db-backup REQUEST_ID=$spooled)"
waited=$(in_box runuser -u desk -- timeout 120 upstox-jobs request db-backup --wait --timeout 100 2>&1; echo "exit $?")
check "upstox-jobs request --wait by a desk user waits for the result: succeeded, exit 0" \
  lines_in "$waited" "  state     succeeded (attempt 1)" "exit 0" || echo "$waited"
in_box runuser -u desk -- sh -c "echo '{\"job\": \"sync\", \"requested_by\": \"desk\"}' > $spool/.bad.json.tmp && mv $spool/.bad.json.tmp $spool/bad.json"
for _ in $(seq 50); do in_box test -e $spool/rejected/bad.json.error && break; sleep 0.2; done
check "a refused spool file is moved to rejected/ with its reason" \
  contains "is not a job" "$(in_box cat $spool/rejected/bad.json.error)"

section "API"
# The HTTP API (issue 17): the socket is enabled and listening from the install while its
# service is not running; the first connection starts the service (sandboxed as upstox, with
# a private network: the socket still serves); a desk user sends the token from
# /etc/upstox-jobs/api-token and asks for a run, which the dispatcher runs; the status page
# renders in headless chromium; with a short idle time set by a drop-in, the service exits
# and the socket starts it again on the next connection.
api=http://127.0.0.1:8765
check "upstox-jobs-api.socket is enabled and listening after install, its service not started" \
  test "$(in_box systemctl is-enabled upstox-jobs-api.socket) $(in_box systemctl is-active upstox-jobs-api.socket) $(in_box systemctl is-active upstox-jobs-api.service)" = "enabled active inactive"
check "install made the API token, readable by group upstox only" \
  test "$(in_box stat -c '%U %G %a' /etc/upstox-jobs/api-token)" = "root upstox 640"
in_box sh -c "printf '[api]\\nidle_secs = 3\\n' > $inside/api.toml && chmod 644 $inside/api.toml"
in_box mkdir -p /etc/systemd/system/upstox-jobs-api.service.d
in_box sh -c "printf '[Service]\nEnvironment=UPSTOX_JOBS_CONFIG=$inside/api.toml\n' > /etc/systemd/system/upstox-jobs-api.service.d/e2e-idle.conf"
in_box systemctl daemon-reload
page=$(in_box curl -s --max-time 30 $api/)
check "the first connection starts the service and gets the status page" \
  contains "<h1>upstox-jobs</h1>" "$page"
check "... served by upstox-jobs-api.service as user upstox" \
  test "$(in_box systemctl show -P ActiveState upstox-jobs-api.service) $(in_box systemctl show -P User upstox-jobs-api.service)" = "active upstox"
check "without the token the API answers 401" \
  test "$(in_box curl -s -o /dev/null -w '%{http_code}' $api/v1/jobs)" = 401
posted=$(in_box runuser -u desk -- sh -c "curl -s -H \"Authorization: Bearer \$(cat /etc/upstox-jobs/api-token)\" -d '{\"job\": \"db-backup\", \"requested_by\": \"e2e-http\"}' $api/v1/requests")
asked=$(sed -n 's/.*"id": *\([0-9]*\).*/\1/p' <<< "$posted")
for _ in $(seq 100); do
  [ "$(sql "SELECT state FROM job_requests WHERE id = '$asked'")" = succeeded ] && break
  sleep 0.2
done
check "a desk user's request through the API (id '$asked') is run by the dispatcher and succeeds" \
  test "$(sql "SELECT state || ' ' || origin FROM job_requests WHERE id = '$asked'")" = "succeeded http" || echo "$posted"
shown=$(in_box runuser -u desk -- sh -c "curl -s -H \"Authorization: Bearer \$(cat /etc/upstox-jobs/api-token)\" $api/v1/requests/$asked")
check "... and GET /v1/requests/ID shows it succeeded" contains '"state": "succeeded"' "$shown"
dom=$(in_box timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir=/tmp/e2e-chromium --dump-dom $api/ 2>/dev/null)
check "the status page renders in headless chromium with the request in its queue" \
  contains "#$asked db-backup" "$dom"
for _ in $(seq 100); do
  [ "$(in_box systemctl is-active upstox-jobs-api.service)" = inactive ] && break
  sleep 0.2
done
check "the service exits after its idle time (3 s by the drop-in), cleanly, the socket still listening" \
  test "$(in_box systemctl is-active upstox-jobs-api.service) $(in_box systemctl show -P Result upstox-jobs-api.service) $(in_box systemctl is-active upstox-jobs-api.socket)" = "inactive success active"
check "the next connection starts it again" \
  test "$(in_box curl -s -o /dev/null -w '%{http_code}' --max-time 30 $api/metrics)" = 200
in_box rm -f /etc/systemd/system/upstox-jobs-api.service.d/e2e-idle.conf
in_box systemctl daemon-reload

section "issue 14-16 jobs"
# The jobs of issues 14-16, as their timers start them, in the sandbox, against loopback answers
# in the sources' formats: the exchanges' announcements typed and stored with the holiday
# list, a feed's articles stored and scored, and performance-analytics' run recorded (with no
# trades database it skips, saying why).
in_box cp "$inside/newjobs.toml" /etc/upstox-jobs/config.toml
in_box systemctl start upstox-corporate-announcements.service >/dev/null 2>&1
check "the corporate-announcements service succeeds against NSE's and BSE's formats" \
  contains "^succeeded .*sources done" \
  "$(sql "SELECT status || ' ' || summary FROM job_runs WHERE job = 'corporate-announcements' ORDER BY id DESC LIMIT 1")"
check "... storing typed announcements and NSE's holiday list" \
  test "$(sql "SELECT (SELECT count(*) > 0 FROM corporate_announcements WHERE kind = 'dividend') AND (SELECT count(*) >= 8 FROM market_holidays)")" = 1
in_box systemctl start upstox-news-sentiment.service >/dev/null 2>&1
check "the news-sentiment service stores and scores the feed's articles" \
  test "$(sql "SELECT (SELECT status FROM job_runs WHERE job = 'news-sentiment' ORDER BY id DESC LIMIT 1) || ' ' || (SELECT count(*) FROM news_article_scores)")" = "succeeded 3"
# The optional model package (make sentiment-model): installed beside the main one, the job
# finds it where it looks without configuration.
model_deb=$(ls "$top"/target/sentiment-model/upstox-jobs-sentiment-model_*_all.deb 2>/dev/null | head -n1)
if [ -n "$model_deb" ]; then
  check "apt installs the sentiment model's package" bash "$box" install "$model_deb"
  check "news-sentiment scores with the installed model, no configuration" \
    contains "^positive.*model/" \
    "$(in_box runuser -u upstox -- upstox-news-sentiment score --scorer model "Infosys beats estimates and raises its revenue guidance")"
else
  echo "SKIPPED - the sentiment model's package (run make sentiment-model)"
fi
in_box systemctl start upstox-performance-analytics.service >/dev/null 2>&1
check "the performance-analytics service ends well and records its run" \
  test "$(in_box systemctl show -P Result upstox-performance-analytics.service) $(sql "SELECT count(*) FROM job_runs WHERE job = 'performance-analytics'")" = "success 1"

section "sandbox"
# The sandbox is written once, in upstox-.service.d/10-hardening.conf: ask systemd what it made
# of every installed service (a job added later included), not what the files say. The
# exposures are those before the drop-in: the running manager scores 1.1, 1.3 and 0.4 where
# the offline check in tests/tests/units.rs scores 1.2, 1.5 and 0.5 (it counts PrivateMounts=
# unset). The issue's limit is 1.5; each maximum here is what the service scores, so that any
# weakening shows. Each exception is explained where it is set (10-hardening.conf, the units).
services=$(in_box sh -c 'cd /usr/lib/systemd/system && ls upstox-*.service')
check "the package installs eleven services: eight jobs', the failure reporter, the API, the dispatcher" \
  test "$(wc -w <<< "$services")" = 11
for service in $services; do
  users=yes max=1.1
  case $service in
    # The reporter, as OnFailure= starts it; its own drop-in turns PrivateUsers= off.
    *@.service) service=${service%.service}$unit.service.service users=no max=1.3 ;;
    # A private network, and no Internet socket of its own (upstox-jobs-api.service.d).
    upstox-jobs-api.service) max=0.4 ;;
  esac
  props=$(in_box systemctl show -p DropInPaths -p ProtectSystem -p NoNewPrivileges -p PrivateUsers \
    -p RestrictNamespaces -p SystemCallFilter "$service")
  check "$service reads the shared sandbox: ProtectSystem=strict, NoNewPrivileges, PrivateUsers=$users, a syscall filter" \
    lines_in "$props" 'DropInPaths=.*/usr/lib/systemd/system/upstox-\.service\.d/10-hardening\.conf.*' \
      ProtectSystem=strict NoNewPrivileges=yes "PrivateUsers=$users" RestrictNamespaces=yes 'SystemCallFilter=.* openat .*' \
    || echo "$props" | cut -c1-200
  exposure=$(in_box systemd-analyze security --no-pager "$service" 2>&1 | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
  check "$service: systemd-analyze security exposure $exposure, at most $max" \
    awk -v e="$exposure" -v m="$max" 'BEGIN { exit !(e != "" && e + 0 <= m + 0) }'
done

section "nse-index-update"
in_box cp "$inside/good.toml" /etc/upstox-jobs/config.toml
check "systemctl start runs the job to success, sandboxed, as user upstox" in_box systemctl start $unit.service
invocation=$(in_box systemctl show -P InvocationID $unit.service)
check "journalctl -u shows the one-line summary" \
  contains "^nse-index-update succeeded in .*: 9/9 indices done" "$(in_box journalctl --no-pager -u $unit -o cat)"
check "lines carry structured fields: JOB, INDEX, ROWS" \
  contains "^ *ROWS=50$" "$(in_box journalctl --no-pager JOB=nse-index-update INDEX=NIFTY50 -o verbose)"
check "logged natively, never twice through stderr" \
  test -z "$(in_box journalctl --no-pager _SYSTEMD_INVOCATION_ID="$invocation" _TRANSPORT=stdout -o cat)"
check "SYSLOG_IDENTIFIER is the binary's name" \
  contains "NIFTYBANK: 12 constituents" "$(in_box journalctl --no-pager -t $unit -o cat)"
check "the data went to StateDirectory, owned by upstox" test "$(in_box stat -c %U $db)" = upstox
check "job_runs records the run with systemd's invocation id" \
  test "$(sql "SELECT status FROM job_runs WHERE invocation_id = '$invocation'")" = succeeded
status=$(in_box upstox-jobs status)
next_ist=$(TZ=Asia/Kolkata date -d "$(in_box systemctl show -P NextElapseUSecRealtime $unit.timer)" '+%Y-%m-%d %H:%M')
check "upstox-jobs status shows the run and the timer's next run ($next_ist)" \
  contains "^nse-index-update .* succeeded .* 9/9 .* $next_ist" "$status" || echo "$status"

# market-sync as its timer starts it, against Upstox's API on loopback, for the NIFTY 50
# members just stored; a runtime drop-in gives --force, as the box's clock may be outside
# market hours.
section market-sync
in_box cp "$inside/market.toml" /etc/upstox-jobs/config.toml
forced=/run/systemd/system/upstox-market-sync.service.d
in_box sh -c "mkdir -p $forced && printf '[Service]\nExecStart=\nExecStart=/usr/bin/upstox-market-sync --force\n' > $forced/50-e2e.conf && systemctl daemon-reload"
check "the market-sync service succeeds against Upstox's API format" in_box systemctl start upstox-market-sync.service
check "... storing the NIFTY 50 members' day candles and quotes" \
  test "$(sql "SELECT (SELECT count(DISTINCT instrument) >= 50 FROM candles) AND (SELECT count(DISTINCT instrument) >= 50 FROM quotes)")" = 1
in_box sh -c "rm -r $forced && systemctl daemon-reload"

# Every job has now run once as its service: its summary is in the journal under its unit,
# with the fields JOB, STATUS (as job_runs recorded the run) and ROWS.
section journal
for job in $jobs; do
  summary=$(in_box journalctl --no-pager -u upstox-$job.service JOB=$job -o json --output-fields=MESSAGE,STATUS,ROWS | python3 -c '
import json, sys
lines = [e for e in map(json.loads, sys.stdin) if "STATUS" in e and "ROWS" in e]
print(" ".join((lines[-1]["STATUS"], lines[-1]["ROWS"], lines[-1]["MESSAGE"])) if lines else "none")')
  recorded=$(sql "SELECT status FROM job_runs WHERE job = '$job' ORDER BY id DESC LIMIT 1")
  check "journalctl -u upstox-$job.service: its summary with JOB=$job, STATUS=$recorded, ROWS= ('$summary')" \
    contains "^$recorded [0-9][0-9]* $job $recorded in " "$summary"
done

section "failure reports"
in_box cp "$inside/bad.toml" /etc/upstox-jobs/config.toml
in_box systemctl start $unit.service >/dev/null 2>&1
check "an unreachable source fails the unit with exit status 69" \
  test "$(in_box systemctl show -P ExecMainStatus $unit.service)" = 69
check "the failure is in the journal, naming the index and the cause" \
  contains "^NIFTY50: connection to http://127.0.0.1:9/ind_nifty50list.csv failed" \
  "$(in_box journalctl --no-pager -u $unit -p err -o cat)"
for _ in $(seq 100); do [ -n "$(ls "$stage/maildir/new" 2>/dev/null)" ] && break; sleep 0.1; done
# The message as a reader sees it: headers unfolded, quoted-printable decoded.
report=$(python3 -c 'import email, glob, sys
for f in glob.glob(sys.argv[1] + "/new/*"):
    m = email.message_from_file(open(f))
    print("Subject:", " ".join(m["Subject"].split()))
    print(m.get_payload(decode=True).decode())' "$stage/maildir" 2>/dev/null)
check "the failure unit emailed the report: unit, result, exit status, last run, journal lines" \
  sh -c 'grep -q "^Subject: \[upstox-jobs\] upstox-nse-index-update.service failed on .* (exit-code)$" <<EOT &&
$0
EOT
grep -q "^Exit status: 69$" <<EOT &&
$0
EOT
grep -q "^Last run in job_runs: failed: NIFTY50: connection to" <<EOT &&
$0
EOT
grep -q "upstox-nse-index-update\[[0-9]*\]: NIFTYIT: connection to http://127.0.0.1:9" <<EOT
$0
EOT' "$report" || echo "$report" | head -20
check "job_runs says failed and keeps the data" \
  test "$(sql "SELECT status || ' ' || (SELECT COUNT(*) FROM nse_index_membership WHERE index_name = 'NIFTY50') FROM job_runs WHERE job = 'nse-index-update' ORDER BY id DESC LIMIT 1")" = "failed 50"

# A failure of every other job is mailed too: a runtime drop-in points each at a configuration
# with a value of the wrong type (exit 78, the quickest failure), while the failure reporter
# keeps reading the real one, which has the mail server.
for job in $jobs; do
  [ $job = nse-index-update ] && continue
  in_box sh -c "mkdir -p /run/systemd/system/upstox-$job.service.d && printf '[Service]\nEnvironment=UPSTOX_JOBS_CONFIG=$inside/broken.toml\n' > /run/systemd/system/upstox-$job.service.d/50-e2e.conf"
done
in_box systemctl daemon-reload
for job in $jobs; do [ $job = nse-index-update ] || in_box systemctl start upstox-$job.service >/dev/null 2>&1; done
mails() {
  python3 -c 'import email, glob, sys
for f in glob.glob(sys.argv[1] + "/new/*"):
    m = email.message_from_file(open(f))
    status = [l for l in m.get_payload(decode=True).decode().splitlines() if l.startswith("Exit status:")]
    print(" ".join(m["Subject"].split()), "|", *status)' "$stage/maildir" 2>/dev/null
}
for _ in $(seq 150); do [ "$(mails | grep -c "^\[upstox-jobs\] upstox-.* failed on .*Exit status: 78$")" -ge 7 ] && break; sleep 0.2; done
reports=$(mails)
for job in $jobs; do
  [ $job = nse-index-update ] && continue
  check "a failure of upstox-$job.service (exit 78) is emailed, naming the unit and exit status" \
    contains "^\[upstox-jobs\] upstox-$job.service failed on .* (exit-code) | Exit status: 78$" "$reports" \
    || echo "$reports"
  in_box rm -r /run/systemd/system/upstox-$job.service.d
done
in_box systemctl daemon-reload
in_box systemctl reset-failed

# An upgrade to the next version, with a changed configuration file, data, the timers
# armed and a job running: everything is as it was, the package is the new one.
section upgrade
in_box cp "$inside/hang.toml" /etc/upstox-jobs/config.toml
token=$(in_box sha256sum /etc/upstox-jobs/api-token)
runs=$(sql "SELECT count(*) FROM job_runs")
in_box systemctl start --no-block $unit.service
for _ in $(seq 50); do [ "$(in_box systemctl is-active $unit.service)" = activating ] && break; sleep 0.1; done
busy=$(in_box systemctl show -P InvocationID $unit.service)
check "dpkg upgrades version $version to $next_version" in_box sh -c "dpkg -i $inside/next.deb >/dev/null"
check "... and says so" test "$(in_box dpkg-query -W -f '${Version} ${db:Status-Status}' upstox-jobs)" = "$next_version installed"
check "an upgrade leaves a running job alone" \
  test "$(in_box systemctl is-active $unit.service) $(in_box systemctl show -P InvocationID $unit.service)" = "activating $busy"
check "... keeps the changed configuration file and the API token" \
  test "$(in_box cmp "$inside/hang.toml" /etc/upstox-jobs/config.toml && in_box sha256sum /etc/upstox-jobs/api-token)" = "$token"
check "... keeps the data: every job_runs row ($runs) and NIFTY 50's 50 members" \
  test "$(sql "SELECT count(*) >= $runs FROM job_runs") $(sql "SELECT count(*) FROM nse_index_membership WHERE index_name = 'NIFTY50' AND left_on IS NULL")" = "1 50"
armed=$(for job in $jobs; do
  next=$(in_box systemctl show -P NextElapseUSecRealtime upstox-$job.timer)
  echo "$(in_box systemctl is-enabled upstox-$job.timer) $(in_box systemctl is-active upstox-$job.timer) ${next:+next}"
done | sort | uniq -c)
check "... keeps all eight timers enabled and active, each with a next elapse" \
  lines_in "$armed" " *8 enabled active next" || echo "$armed"
check "... keeps the API's socket and the spool's path unit enabled and active" \
  test "$(in_box systemctl is-enabled upstox-jobs-api.socket upstox-jobs-dispatch.path | sort -u) $(in_box systemctl is-active upstox-jobs-api.socket upstox-jobs-dispatch.path | sort -u)" = "enabled active"
stop_started=$(date +%s)
in_box systemctl stop $unit.service 2>/dev/null
stop_took=$(( $(date +%s) - stop_started ))
check "a stop during a run is clean and quick: exit 143, unit not failed, ${stop_took}s" \
  test "$(in_box systemctl show -P ExecMainStatus $unit.service) $(in_box systemctl is-failed $unit.service) $((stop_took < 10))" = "143 inactive 1"
check "job_runs records the stopped run as interrupted" \
  test "$(sql "SELECT status FROM job_runs WHERE invocation_id = '$busy'")" = interrupted

section purge
in_box sh -c "mkdir -p /var/lib/upstox-jobs/backups && touch /var/lib/upstox-jobs/backups/market_data.db.zst"
in_box apt-get purge -y -qq upstox-jobs >/dev/null 2>&1
check "purge removes the state, the units and their drop-ins, and keeps the backups" \
  test "$(in_box sh -c "ls /var/lib/upstox-jobs; ls -d /usr/lib/systemd/system/$unit.timer /usr/lib/systemd/system/upstox-*.d 2>/dev/null")" = backups
left=$(in_box sh -c "ls -d /usr/lib/systemd/system/upstox-* /etc/systemd/system/*/upstox-* /etc/upstox-jobs /var/spool/upstox-jobs /var/lib/systemd/timers/stamp-upstox-* 2>/dev/null; systemctl list-units --all --plain --no-legend 'upstox-*'")
check "... every unit, its enablement, the configuration, the spool and the timers' stamps, nothing left loaded" \
  test -z "$left" || echo "$left"

section end
echo "time per section (wall seconds):"
printf '  %s\n' "${sections[@]}"
awk -v a="$e2e_started" -v b="$EPOCHREALTIME" 'BEGIN { printf "  %6.1f total\n", b - a }'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
