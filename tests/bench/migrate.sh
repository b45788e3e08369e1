# tests/bench.sh, the candles v2 migration at size: a market_data.db of BENCH_MIGRATE_MIB
# (default 1024) MiB at `market` version 1 (the text-coded candles table, made by the project's
# first migration; `migrate-bench make`, cached under target/bench-cache by the generator's
# hash), copied fresh for every run and opened as every job opens it (`migrate-bench open`:
# `db::open`, which rebuilds `candles` in one transaction). Measured: the time, the peak disk
# the process held (every regular file it had open, WAL and SQLite's unlinked temporary files
# included, sampled every 10 ms from /proc), and the file after. Then BENCH_MIGRATE_KILLS
# (default 5) runs are killed with SIGKILL at points spread over the migration's median time:
# each must leave version 1 with the old table whole or version 2 with the new one complete
# (same row count, quick_check ok), and the next open must finish the job.
mig_mib=${BENCH_MIGRATE_MIB:-1024}
mig_kills=${BENCH_MIGRATE_KILLS:-5}
mig_runs=${BENCH_MIGRATE_RUNS:-3}
cache_dir=$top/target/bench-cache
mig_cache=$cache_dir/market-v1-${mig_mib}MiB-$(sha1sum "$top/tests/src/bin/migrate-bench.rs" | cut -c1-10).db
if [ ! -s "$mig_cache" ]; then
  mkdir -p "$cache_dir"
  rm -f "$cache_dir"/market-v1-"${mig_mib}"MiB-*
  echo
  echo "making a ${mig_mib} MiB version-1 market_data.db (once; cached in target/bench-cache)"
  "$bin/migrate-bench" make "$mig_cache.part" --mib "$mig_mib" > /dev/null
  mv "$mig_cache.part" "$mig_cache"
fi
mig_rows=$(sqlite3 "$mig_cache" "SELECT count(*) FROM candles")

# held PID OUT: until PID exits, the largest total of allocated bytes of the regular files PID
# has open, written to OUT.
held() {
  local pid=$1 out=$2 most=0 now
  while kill -0 "$pid" 2>/dev/null; do
    # Files come and go between the listing and the stat: what is gone counts nothing.
    now=$( (stat -L -c '%b %B' /proc/"$pid"/fd/* 2>/dev/null || true) | awk '{ s += $1 * $2 } END { printf "%.0f\n", s }')
    [ "$now" -gt "$most" ] && most=$now
    sleep 0.01
  done
  echo "$most" > "$out"
}

# v1 or v2, with the row count and quick_check, of a database after a run: "v2 10500000 ok".
mig_state() {
  sqlite3 "$1" "SELECT 'v' || max(version) FROM schema_migrations WHERE component = 'market';
                SELECT count(*) FROM candles; PRAGMA quick_check;" | paste -sd' '
}
# the same, failing unless the candles are all there in the shape the version says.
mig_check() { # database, expected version
  local state; state=$(mig_state "$1")
  local shape; shape=$(sqlite3 "$1" "SELECT typeof(interval) || typeof(source) FROM candles LIMIT 1")
  local want=texttext; [ "$2" = v2 ] && want=integerinteger
  [ "$state" = "$2 $mig_rows ok" ] && [ "$shape" = "$want" ] \
    || { echo "bench: $1: found '$state' ($shape), expected '$2 $mig_rows ok' ($want)" >&2; exit 1; }
}

echo
echo "candles v2 migration of a $(mib $(($(stat -c %s "$mig_cache") / 1024))) MiB market_data.db" \
  "($mig_rows candles, 4 intervals, 2 sources), $mig_runs runs ($(load))"
mig_us=() mig_peak=() mig_copy_us=()
mig_db=$work/migrate.db
for i in $(seq "$mig_runs"); do
  rm -f "$mig_db" "$mig_db-wal" "$mig_db-shm"
  timed mig_copy_us cp "$mig_cache" "$mig_db"
  sync
  t0=$EPOCHREALTIME
  SQLITE_TMPDIR=$work "$bin/migrate-bench" open "$mig_db" > /dev/null &
  pid=$!
  held "$pid" "$work/held" &
  sampler=$!
  wait "$pid" || { echo "bench: migrate-bench open failed" >&2; exit 1; }
  t1=$EPOCHREALTIME
  wait "$sampler"
  mig_us+=($((${t1/./} - ${t0/./})))
  mig_peak+=("$(cat "$work/held")")
  # Before anything else opens the file: the last connection to close checkpoints the WAL
  # and deletes it, which the jobs' connections no longer do.
  mig_wal=$(stat -c %s "$mig_db-wal" 2>/dev/null || echo 0)
  mig_check "$mig_db" v2
done
mig_median=$(median "${mig_us[@]}")
mig_before=$(stat -c %s "$mig_cache") mig_after=$(stat -c %s "$mig_db")
printf '  %-44s %9s ms %9s candles/s\n' "migration (db::open, whole process)" \
  "$(ms "$mig_median")" "$(echo "$mig_rows * 1000000 / $mig_median" | bc)"
printf '  %-44s %9s ms\n' "  floor: copying the file (cp)" "$(ms "$(median "${mig_copy_us[@]}")")"
row "candles v2 migration of $(mib $((mig_before / 1024))) MiB" "$(ms "$mig_median")" ms "floor: copying the file (cp)" \
  "$(ms "$(median "${mig_copy_us[@]}")")"
printf '  %-44s %9s MiB  (%s× the file before)\n' "peak disk held by the process" \
  "$(mib $(($(largest "${mig_peak[@]}") / 1024)))" "$(ratio "$(largest "${mig_peak[@]}")" "$mig_before")"
printf '  %-44s %9s MiB  (the old table'"'"'s pages are free pages until a VACUUM)\n' \
  "market_data.db after" "$(mib $((mig_after / 1024)))"
free_pages=$(sqlite3 "$mig_db" "PRAGMA freelist_count")
page_size=$(sqlite3 "$mig_db" "PRAGMA page_size")
printf '  %-44s %9s MiB\n' "  of which free" "$(mib $((free_pages * page_size / 1024)))"
printf '  %-44s %9s MiB  (db::open folds a migration'"'"'s WAL into the file)\n' \
  "-wal the migration leaves beside it" "$(mib $((mig_wal / 1024)))"

echo "  kill -9 during the migration, $mig_kills runs at points spread over its $(ms "$mig_median") ms:"
for k in $(seq "$mig_kills"); do
  rm -f "$mig_db" "$mig_db-wal" "$mig_db-shm"
  cp "$mig_cache" "$mig_db"
  at=$((mig_median * k / (mig_kills + 1)))
  SQLITE_TMPDIR=$work "$bin/migrate-bench" open "$mig_db" > /dev/null 2>&1 &
  pid=$!
  sleep "$(echo "scale=6; $at / 1000000" | bc)"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  found=$(mig_state "$mig_db")
  case $found in
    "v1 $mig_rows ok") mig_check "$mig_db" v1 ;;
    "v2 $mig_rows ok") mig_check "$mig_db" v2 ;;
    *) echo "bench: killed at ${at} µs, the database is '$found'" >&2; exit 1 ;;
  esac
  "$bin/migrate-bench" open "$mig_db" > /dev/null
  mig_check "$mig_db" v2
  printf '    killed at %5s ms: %s; reopened: migrated, %s candles\n' "$(ms "$at")" \
    "$(case $found in v1*) echo "old table whole (v1)" ;; *) echo "new table complete (v2)" ;; esac)" "$mig_rows"
done
rm -f "$mig_db" "$mig_db-wal" "$mig_db-shm"
