#!/usr/bin/env bash
# Runs every fuzz target (fuzz/parsers/src/targets.rs lists them) for SECONDS each, JOBS at a
# time, then prints one table (target, executions, libFuzzer's final cov: and ft:, corpus
# inputs, crashes) and writes it to target/fuzz-report.txt. Each target starts from its
# committed corpus (fuzz/corpus/<target>) plus its seed directories; what it learns goes to
# target/fuzz/corpus/<target>, crashing or slow inputs to target/fuzz/artifacts/<target>/.
#
#   fuzz/run.sh SECONDS [JOBS]      run (ONLY="a b" for some targets)
#   fuzz/run.sh --cmin              minimise what the last run learnt into fuzz/corpus/
#                                   (the 70 smallest inputs per target, each <= 4 KiB)
#
# Needs the nightly toolchain and cargo-fuzz (cargo install cargo-fuzz --locked).
set -euo pipefail
cd "$(dirname "$0")/.."

# Bounds every run: memory, allocation size and time per input (a slow unit is a finding).
LIMITS=(-rss_limit_mb=1024 -malloc_limit_mb=512 -timeout=10)
WORK=target/fuzz

# Every target, or those named in ONLY (space-separated).
targets() {
    cargo run --quiet -p upstox-jobs-parsers --bin fuzz-targets |
        while read -r name rest; do
            if [ -z "${ONLY:-}" ] || [[ " $ONLY " == *" $name "* ]]; then echo "$name $rest"; fi
        done
}

run_one() {
    local seconds=$1 name=$2 max_len=$3 dict=$4
    shift 4
    local corpus=$WORK/corpus/$name artifacts=$WORK/artifacts/$name log=$WORK/logs/$name.log
    mkdir -p "$corpus" "$artifacts" "$WORK/logs"
    cp -n fuzz/corpus/"$name"/* "$corpus"/ 2>/dev/null || true
    local seeds=()
    for dir in "$@"; do [ -d "$dir" ] && seeds+=("$dir"); done
    local opts=("${LIMITS[@]}" -max_len="$max_len" -max_total_time="$seconds"
        -artifact_prefix="$artifacts/" -print_final_stats=1)
    [ "$dict" != - ] && opts+=(-dict=fuzz/dicts/"$dict".dict)
    cargo +nightly fuzz run --fuzz-dir fuzz/targets -O "$name" "$corpus" "${seeds[@]}" -- "${opts[@]}" \
        >"$log" 2>&1 || true
    local last execs cov ft inputs crashes
    last=$(grep -E '^#[0-9]+' "$log" | grep 'cov:' | tail -1 || true)
    execs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$log" | grep -oE '[0-9]+$' || true)
    [ -z "$execs" ] && execs=$(sed -E 's/^#([0-9]+).*/\1/' <<<"$last")
    cov=$(grep -oE 'cov: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || echo '?')
    ft=$(grep -oE 'ft: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || echo '?')
    inputs=$(find "$corpus" -type f | wc -l)
    crashes=$(find "$artifacts" -type f | wc -l)
    printf '%-22s %12s %7s %7s %8s %8s\n' "$name" "${execs:-?}" "$cov" "$ft" "$inputs" "$crashes" \
        >"$WORK/rows/$name"
}

if [ "${1:-}" = --cmin ]; then
    targets | while read -r name _; do
        [ -d "$WORK/corpus/$name" ] || continue
        cargo +nightly fuzz cmin --fuzz-dir fuzz/targets -O "$name" "$WORK/corpus/$name" -- "${LIMITS[@]}" \
            >"$WORK/logs/$name.cmin.log" 2>&1
        # The committed corpus stays small (the repository carries 24 of them): the 70 smallest
        # minimised inputs of at most 4 KiB; the fixtures seed every run anyway.
        rm -rf fuzz/corpus/"$name" && mkdir -p fuzz/corpus/"$name"
        find "$WORK/corpus/$name" -type f -size -4097c -printf '%s %p\n' | sort -n | awk 'NR <= 70' |
            cut -d' ' -f2- | xargs -r cp -t fuzz/corpus/"$name"
        echo "$name: $(find fuzz/corpus/"$name" -type f | wc -l) inputs"
    done
    exit 0
fi

SECONDS_EACH=${1:-60}
JOBS=${2:-1}
cargo +nightly fuzz build --fuzz-dir fuzz/targets -O
rm -rf "$WORK/rows" && mkdir -p "$WORK/rows"
export WORK
export -f run_one
export LIMITS_STR="${LIMITS[*]}"
targets | xargs -P "$JOBS" -L 1 bash -c 'LIMITS=($LIMITS_STR); run_one '"$SECONDS_EACH"' "$@"' _
{
    printf '%-22s %12s %7s %7s %8s %8s\n' target executions cov ft corpus crashes
    for name in $(targets | cut -d' ' -f1); do cat "$WORK/rows/$name"; done
    total=$(find "$WORK/artifacts" -type f | wc -l)
    echo "${SECONDS_EACH}s per target; crashing or slow inputs: $total (target/fuzz/artifacts/)"
} | tee target/fuzz-report.txt
