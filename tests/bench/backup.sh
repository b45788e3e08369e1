# upstox-db-backup on a candle database (BENCH_BACKUP_MIB, default 1024) that db-writer commits
# to every 10 ms, beside the floor measured in the same runs: sqlite3's VACUUM INTO then
# `zstd -3`; and its restore beside `zstd -d` plus a rename. Targets (issue 13): within 1.3x of
# the floor, the writer's longest commit 50 ms or less, peak RSS 64 MiB or less.
# (Sourced by tests/bench.sh: needs $work, $bin, $runs and lib.sh.)
command -v zstd >/dev/null || { echo "bench: needs zstd" >&2; exit 1; }
backup_mib=${BENCH_BACKUP_MIB:-1024}
bdir=$work/backup
mkdir -p "$bdir/data"
# About 75 bytes a candle in a WITHOUT ROWID table keyed as market-sync keys it.
sqlite3 -cmd ".parameter set :rows $((backup_mib * 13900))" "$bdir/data/desk.db" >/dev/null <<'SQL'
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
CREATE TABLE candles (instrument TEXT NOT NULL, interval INTEGER NOT NULL, ts INTEGER NOT NULL,
  open REAL, high REAL, low REAL, close REAL, volume INTEGER,
  PRIMARY KEY (instrument, interval, ts)) WITHOUT ROWID;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < :rows - 1)
INSERT INTO candles SELECT 'NSE_EQ|INE' || printf('%06d', i % 500) || '01', 1,
  1700000000 + (i / 500) * 60, 100 + (i % 977) * 0.05, 101 + (i % 977) * 0.05,
  99 + (i % 977) * 0.05, 100.5 + (abs(random()) % 1000) * 0.01, abs(random()) % 100000 FROM n;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
# The drill restores and checks a whole copy: a separate cost, kept out of these runs.
mkdir -p "$bdir/data/backups"
printf '{"desk": "%s"}\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$bdir/data/backups/drills.json"
printf '[jobs.db-backup]\ndatabases = ["desk.db"]\nkeep_daily = 1\nkeep_weekly = 0\nkeep_monthly = 0\n' > "$bdir/c.toml"
writer_start() { "$bin/db-writer" "$bdir/data/desk.db" --every-ms 10 > "$bdir/writer.json" & writer=$!; sleep 1; }
# writer_stop ARRAY: stops the writer and appends its longest commit (ms) to ARRAY.
writer_stop() {
  local -n _stall_into=$1
  kill "$writer"; wait "$writer" || true
  _stall_into+=("$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["longest_commit_ms"])' "$bdir/writer.json")")
}
backup() { "${wrap[@]}" "$bin/upstox-db-backup" -q --log-format text --config "$bdir/c.toml" --data-dir "$bdir/data" 2>/dev/null; }
floor() { rm -f "$bdir/c.db" "$bdir/c.db.zst"; sqlite3 "$bdir/data/desk.db" "VACUUM INTO '$bdir/c.db'" && zstd -3 -q "$bdir/c.db" -o "$bdir/c.db.zst"; }
restore() { rm -f "$bdir/r.db"; "${wrap[@]}" "$bin/upstox-db-backup" -q --config "$bdir/c.toml" --data-dir "$bdir/data" restore "$(ls "$bdir"/data/backups/desk-*.db.zst | tail -1)" --to "$bdir/r.db" >/dev/null; }
unzstd() { rm -f "$bdir/r2.db" "$bdir/r3.db"; zstd -d -q "$bdir/c.db.zst" -o "$bdir/r2.db" && mv "$bdir/r2.db" "$bdir/r3.db"; }
# The floor the target names leaves the file in the page cache; a restore must not rename a
# file the disk may not have (a crash would leave a hole under the database's name), so the
# same with the file synced (coreutils' `sync FILE`: fsync) is given beside it.
unzstd_synced() { rm -f "$bdir/r4.db" "$bdir/r5.db"; zstd -d -q "$bdir/c.db.zst" -o "$bdir/r4.db" && sync "$bdir/r4.db" && mv "$bdir/r4.db" "$bdir/r5.db"; }
ours=() base=() stall=() base_stall=() alone_stall=() back_kib=() rest=() rest_base=() rest_synced=() rest_kib=()
for i in $(seq "$runs"); do
  # The writer alone for as long as a backup takes: what the disk's own fsyncs cost it.
  writer_start; sleep 5; writer_stop alone_stall
  writer_start; timed ours backup; writer_stop stall
  writer_start; timed base floor; writer_stop base_stall
  timed rest restore
  timed rest_base unzstd
  timed rest_synced unzstd_synced
done
writer_start; peak back_kib backup; writer_stop stall
peak rest_kib restore
size=$(stat -c %s "$bdir/data/desk.db")
echo
echo "upstox-db-backup, $((size >> 20)) MiB database, a commit every 10 ms, $runs runs each (medians)"
b=$(median "${ours[@]}") f=$(median "${base[@]}") r=$(median "${rest[@]}") rf=$(median "${rest_base[@]}")
rs=$(median "${rest_synced[@]}")
printf '  %-52s %9s ms\n' "backup (copy, check, zstd -3, SHA-256, manifest)" "$(ms "$b")" \
  "floor: sqlite3 VACUUM INTO, then zstd -3" "$(ms "$f")" \
  "restore (zstd -d, SHA-256, fsync, rename)" "$(ms "$r")" \
  "floor: zstd -d, then mv" "$(ms "$rf")" \
  "floor kept on disk: zstd -d, sync FILE, then mv" "$(ms "$rs")"
printf '  %-52s %9s   (target 1.3)\n' "backup / floor" "$(echo "scale=2; $b / $f" | bc)" \
  "restore / floor" "$(echo "scale=2; $r / $rf" | bc)" \
  "restore / floor kept on disk" "$(echo "scale=2; $r / $rs" | bc)"
printf '  %-52s %9s ms (target 50; floor %s ms; alone %s ms)\n' "writer's longest commit during the backup" \
  "$(printf '%s\n' "${stall[@]}" | sort -g | tail -1)" "$(printf '%s\n' "${base_stall[@]}" | sort -g | tail -1)" \
  "$(printf '%s\n' "${alone_stall[@]}" | sort -g | tail -1)"
printf '  %-52s %9s MiB (target 64)\n' "peak RSS, backup" "$(mib "$(largest "${back_kib[@]}")")" \
  "peak RSS, restore" "$(mib "$(largest "${rest_kib[@]}")")"
row "db-backup: backup of $((size >> 20)) MiB" "$(ms "$b")" ms "sqlite3 VACUUM INTO, then zstd -3" "$(ms "$f")" \
  "ratio <= 1.3"
row "db-backup: restore" "$(ms "$r")" ms "zstd -d, sync FILE, then mv" "$(ms "$rs")"
row "db-backup: peak RSS of the backup" "$(mib "$(largest "${back_kib[@]}")")" MiB "-" "-" "<= 64"
rm -rf "$bdir"
