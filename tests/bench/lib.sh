# The measuring helpers of tests/bench.sh (sourced; needs $work). Wall times are read off
# bash's own clock, $EPOCHREALTIME (microseconds; reading it starts no process, where
# `date +%s%N` would fork one inside the interval), and kept as integer microseconds. Peak RSS
# is GNU time's %M (KiB), taken in separate runs so that time's own fork and exec stay out of
# the wall times. Medians are of the runs given, the middle one (the lower of two middles).

# timed ARRAY CMD...: runs CMD and appends its wall time (µs) to ARRAY; CMD must exit 0.
timed() {
  local -n _timed_into=$1; shift
  local t0=$EPOCHREALTIME
  "$@" || { echo "bench: failed ($?): $*" >&2; exit 1; }
  local t1=$EPOCHREALTIME
  _timed_into+=($((${t1/./} - ${t0/./})))
}

# peak ARRAY CMD...: runs CMD under GNU time and appends its peak RSS (KiB) to ARRAY. CMD may
# be a shell function that starts its binary as "${wrap[@]}" BINARY ARGS: the binary itself is
# measured, not a shell around it.
wrap=()
peak() {
  local -n _peak_into=$1; shift
  if declare -F "$1" >/dev/null; then
    wrap=(/usr/bin/time -f %M -o "$work/rss")
    "$@" || { echo "bench: failed ($?): $*" >&2; exit 1; }
    wrap=()
  else
    /usr/bin/time -f %M -o "$work/rss" "$@" || { echo "bench: failed ($?): $*" >&2; exit 1; }
  fi
  _peak_into+=("$(tail -1 "$work/rss")")
}

# exits CODE CMD...: runs CMD, which must exit CODE (a run that finds its lock held: 75).
exits() {
  local code=$1; shift
  local got=0
  "$@" || got=$?
  [ "$got" -eq "$code" ] || { echo "bench: exit $got, expected $code: $*" >&2; exit 1; }
}

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
largest() { printf '%s\n' "$@" | sort -n | tail -1; }
ms() { printf '%.2f' "$(echo "scale=4; $1 / 1000" | bc)"; }     # µs → ms
mib() { printf '%.1f' "$(echo "scale=3; $1 / 1024" | bc)"; }    # KiB → MiB
ratio() { printf '%.2f' "$(echo "scale=4; $1 / $2" | bc)"; }    # a / b
# met VALUE OP TARGET: "met" or "NOT met", OP one of <= >=.
met() { awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN { ok = (op == "<=") ? v <= t : v >= t; print ok ? "met" : "NOT met" }'; }
load() { uptime | sed 's/.*load average: /load average /'; }

# row CASE OURS UNIT ALTERNATIVE THEIRS [TARGET]: a line of the one table tests/bench.sh ends
# with: our figure beside the nearest alternative a user would pick, measured in the same run
# ("-" where there is none), their ratio, and the issue's target, if any: "<= 50" on OURS, or
# "ratio >= 0.85" on OURS / THEIRS. Values are plain numbers in UNIT.
row() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "${6:-}" >> "$work/table"; }

# table: prints the rows, each with its ratio and whether its target was met.
table() {
  awk -F'\t' '
    function met(v, op, t) { return (op == "<=" ? v <= t : v >= t) ? "met" : "NOT met" }
    {
      ratio = ($5 == "-" || $5 + 0 == 0) ? "-" : sprintf("%.2f", $2 / $5)
      target = ""
      n = split($6, t, " ")
      if (n == 2) target = $6 " " $3 ": " met($2, t[1], t[2])
      if (n == 3 && ratio != "-") target = $6 ": " met(ratio, t[2], t[3])
      printf "%-58s %10s %-9s %-46s %10s %7s  %s\n", $1, $2, $3, $4, $5, ratio, target
    }' "$work/table"
}
