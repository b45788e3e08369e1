#!/usr/bin/env bash
# make e2e: the shipped units in a real systemd. Boots Debian 12's systemd as PID 1 in a
# systemd-nspawn container (../shared/tools/systemd-box, host rootfs, about 10 s), installs
# the units with the built binary, and checks what a user would: the timer's next run in IST,
# a sandboxed run as user upstox, the journal's lines and fields, the job_runs row, and a
# failing run's exit status. Needs root. Ends with an "N passed, N failed" line.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
box=${SYSTEMD_BOX:-$top/../shared/tools/systemd-box/box.sh}
[ -f "$box" ] || { echo "e2e: $box is missing: ../shared must be beside the checkout" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "e2e: needs root (systemd-nspawn)" >&2; exit 1; }
export BOX_NAME=upstox-e2e BOX_ROOTFS=host
unit=upstox-nse-index-update

# Staged here, then pushed into the box's /opt (the host's /tmp, say, is hidden in the box).
stage=$top/target/e2e
inside=/opt/upstox-e2e
rm -rf "$stage" && mkdir -p "$stage/units"
cp "$top/target/debug/upstox-nse-index-update" "$stage/"
sed "s#/usr/bin/upstox-nse-index-update#$inside/upstox-nse-index-update#" \
  "$top/systemd/$unit.service" > "$stage/units/$unit.service"
cp "$top/systemd/$unit.timer" "$stage/units/"

"$top/target/debug/fixture-server" "$top/tests/fixtures/nse" > "$stage/url" &
server=$!
bash "$box" down >/dev/null 2>&1
trap 'bash "$box" down >/dev/null 2>&1; kill $server 2>/dev/null' EXIT
for _ in $(seq 50); do [ -s "$stage/url" ] && break; sleep 0.1; done
url=$(head -n1 "$stage/url")
printf '[jobs.nse-index-update]\nbase_url = "%s"\n' "$url" > "$stage/good.toml"
# Nothing listens on port 9 of loopback: every download fails to connect.
printf '[http]\nretries = 1\nbackoff_initial_ms = 100\n[jobs.nse-index-update]\nbase_url = "http://127.0.0.1:9"\n' > "$stage/bad.toml"

bash "$box" up >/dev/null || { echo "e2e: the box did not boot" >&2; exit 1; }
bash "$box" push "$stage" "$inside" || { echo "e2e: cannot copy into the box" >&2; exit 1; }
in_box() { bash "$box" exec "$@"; }
in_box sh -c "useradd --system --no-create-home --shell /usr/sbin/nologin upstox &&
  mkdir -p /etc/upstox-jobs && cp $inside/good.toml /etc/upstox-jobs/config.toml &&
  cp $inside/units/* /etc/systemd/system/ && systemctl daemon-reload &&
  systemctl enable --now $unit.timer" >/dev/null 2>&1

passed=0 failed=0
check() {
  local what=$1; shift
  if "$@"; then echo "ok - $what"; passed=$((passed + 1)); else echo "FAILED - $what"; failed=$((failed + 1)); fi
}

next=$(in_box systemctl show -P NextElapseUSecRealtime $unit.timer)
next_ist=$(TZ=Asia/Kolkata date -d "$next" +%H:%M 2>/dev/null)
check "the timer's next run is 23:30-23:35 IST (got '$next', $next_ist IST)" \
  test "$next_ist" \> "23:29" -a "$next_ist" \< "23:36"
check "list-timers shows the timer" sh -c "bash '$box' exec systemctl list-timers --no-pager 'upstox-*' | grep -q '$unit.timer'"

check "systemctl start runs the job to success, sandboxed, as user upstox" in_box systemctl start $unit.service
invocation=$(in_box systemctl show -P InvocationID $unit.service)
journal() { in_box journalctl --no-pager "$@"; }
check "journalctl -u shows the one-line summary" \
  sh -c "bash '$box' exec journalctl --no-pager -u $unit -o cat | grep -q '^nse-index-update succeeded in .*: 9/9 indices done'"
check "lines carry structured fields: JOB, INDEX, ROWS" \
  sh -c "bash '$box' exec journalctl --no-pager JOB=nse-index-update INDEX=NIFTY50 -o verbose | grep -q '^ *ROWS=50$'"
check "logged natively, never twice through stderr" \
  test "$(journal _SYSTEMD_INVOCATION_ID="$invocation" _TRANSPORT=stdout -o cat | grep -c .)" = 0
check "SYSLOG_IDENTIFIER is the binary's name" \
  sh -c "bash '$box' exec journalctl --no-pager -t upstox-nse-index-update -o cat | grep -q 'NIFTYBANK: 12 constituents'"
check "the data went to StateDirectory, owned by upstox" \
  test "$(in_box stat -c %U /var/lib/upstox-jobs/market_data.db)" = upstox
check "job_runs records the run with systemd's invocation id" \
  sh -c "bash '$box' exec sqlite3 /var/lib/upstox-jobs/market_data.db \"SELECT status FROM job_runs WHERE invocation_id = '$invocation'\" | grep -qx succeeded"

in_box cp "$inside/bad.toml" /etc/upstox-jobs/config.toml
in_box systemctl start $unit.service >/dev/null 2>&1
check "an unreachable source fails the unit with exit status 69" \
  test "$(in_box systemctl show -P ExecMainStatus $unit.service)" = 69
check "the failure is in the journal, naming the index and the cause" \
  sh -c "bash '$box' exec journalctl --no-pager -u $unit -p err -o cat | grep -q '^NIFTY50: connection to http://127.0.0.1:9/ind_nifty50list.csv failed'"
check "job_runs says failed and keeps the data" \
  sh -c "bash '$box' exec sqlite3 /var/lib/upstox-jobs/market_data.db \"SELECT status || ' ' || (SELECT COUNT(*) FROM nse_index_membership WHERE index_name = 'NIFTY50') FROM job_runs ORDER BY id DESC LIMIT 1\" | grep -qx 'failed 50'"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
