# tests/bench.sh, start-up: every binary's `--help`, and a scheduled run that has no work,
# beside the floor of starting a process at all (/bin/true, timed the same way), in turn.
# A release build has no pinned clock, so the skipped run is made the way an operator would
# make one: [calendar] holidays_file names today an NSE holiday (a closure announced late), and
# market-sync, alert-scan and performance-analytics, run as their timers run them (no --force),
# skip by their gate after the lock, database and job_runs row. The other jobs run every day
# (their gate is Always), so they have no skipped run: their cheapest honest no-op is the run
# that finds the job's lock held by another run (exit 75, which the unit counts as success),
# before any database is opened. upstox-jobs is the operator's CLI, not a job: --help only.
# The nearest alternative is a Python job's start: argparse's --help, and `import sqlite3`
# with a query, for the skipped run.
LC_ALL=C printf '{"CM": [{"tradingDate": "%s", "description": "make bench: closed today"}]}\n' \
  "$(LC_ALL=C TZ=Asia/Kolkata date +%d-%b-%Y)" > "$work/holidays.json"
printf '[calendar]\nholidays_file = "%s"\n' "$work/holidays.json" > "$work/skip.toml"
skipped_run() { # binary
  "${wrap[@]}" "$bin/$1" -q --log-format text --config "$work/skip.toml" --data-dir "$work/skip-$1" 2>"$work/err" \
    || { cat "$work/err" >&2; return 1; }
}
locked_run() { # binary, whose lock is held
  exits 75 "${wrap[@]}" "$bin/$1" -q --log-format text --config "$work/skip.toml" --data-dir "$work/skip-$1" 2>/dev/null
}
binaries=()
for crate in "$top"/bins/*/; do
  name=$(basename "$crate")
  case $name in upstox-*) binaries+=("$name") ;; *) binaries+=("upstox-$name") ;; esac
done
declare -A skip_of=()
for b in "${binaries[@]}"; do
  case $b in
    upstox-market-sync | upstox-alert-scan | upstox-performance-analytics)
      skip_of[$b]=skipped_run
      skipped_run "$b" # creates the database, as the timer's first run of the day finds it
      status=$(sqlite3 "$work/skip-$b/market_data.db" "SELECT status FROM job_runs ORDER BY id DESC LIMIT 1")
      [ "$status" = skipped ] || { echo "bench: $b's run was $status, not skipped" >&2; exit 1; } ;;
    upstox-jobs) ;;
    *)
      skip_of[$b]=locked_run
      mkdir -p "$work/skip-$b/locks"
      # Held by this shell until it exits, as a run in progress holds it.
      exec {held}>>"$work/skip-$b/locks/${b#upstox-}.lock"
      flock -n "$held" ;;
  esac
done
declare -A help_us=() help_kib=() skip_us=() skip_kib=()
true_us=() true_kib=() py_us=() py_skip_us=() py_skip_kib=()
desk_help() { "${wrap[@]}" python3 -c 'import argparse; argparse.ArgumentParser(prog="desk-job").parse_args()' --help; }
desk_skip() { "${wrap[@]}" python3 -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute("SELECT 1").fetchall()' "$work/desk-skip.db"; }
add() { local -n _add_to=$1; _add_to[$2]="${_add_to[$2]:-} $3"; }
for i in $(seq "$startup_runs"); do
  timed true_us /bin/true
  peak true_kib /bin/true
  timed py_us desk_help > /dev/null
  timed py_skip_us desk_skip
  peak py_skip_kib desk_skip
  for b in "${binaries[@]}"; do
    t=() k=()
    timed t "$bin/$b" --help > /dev/null
    peak k "$bin/$b" --help > /dev/null
    add help_us "$b" "${t[0]}"; add help_kib "$b" "${k[0]}"
    if [ -n "${skip_of[$b]:-}" ]; then
      t=() k=()
      timed t "${skip_of[$b]}" "$b"
      peak k "${skip_of[$b]}" "$b"
      add skip_us "$b" "${t[0]}"; add skip_kib "$b" "${k[0]}"
    fi
  done
done
floor_us=$(median "${true_us[@]}")
echo
echo "start-up, $startup_runs runs each, median wall, largest peak RSS ($(load))"
printf '  %-44s %9s ms %7s MiB\n' "floor: /bin/true" "$(ms "$floor_us")" "$(mib "$(largest "${true_kib[@]}")")"
printf '  %-44s %9s ms\n' "Python desk: a job's --help (argparse)" "$(ms "$(median "${py_us[@]}")")"
for b in "${binaries[@]}"; do
  # shellcheck disable=SC2086 # the lists are space-separated numbers
  h=$(median ${help_us[$b]}) hk=$(largest ${help_kib[$b]})
  printf '  %-44s %9s ms %7s MiB  %5s x floor  (target <= 3 ms: %s)\n' "$b --help" "$(ms "$h")" "$(mib "$hk")" \
    "$(ratio "$h" "$floor_us")" "$(met "$(ms "$h")" '<=' 3)"
  row "$b --help" "$(ms "$h")" ms "Python: argparse --help" "$(ms "$(median "${py_us[@]}")")" "<= 3"
  if [ -n "${skip_of[$b]:-}" ]; then
    # shellcheck disable=SC2086
    s=$(median ${skip_us[$b]}) sk=$(largest ${skip_kib[$b]})
    what="skipped run"; [ "${skip_of[$b]}" = locked_run ] && what="run, lock held (75)"
    printf '  %-44s %9s ms %7s MiB  %5s x floor  (targets <= 5 ms: %s, <= 5 MiB: %s)\n' "$b: $what" \
      "$(ms "$s")" "$(mib "$sk")" "$(ratio "$s" "$floor_us")" "$(met "$(ms "$s")" '<=' 5)" "$(met "$(mib "$sk")" '<=' 5)"
    row "$b: $what" "$(ms "$s")" ms "Python: import sqlite3, one query" "$(ms "$(median "${py_skip_us[@]}")")" "<= 5"
    row "$b: $what, peak RSS" "$(mib "$sk")" MiB "Python: import sqlite3, one query" \
      "$(mib "$(largest "${py_skip_kib[@]}")")" "<= 5"
  fi
done
