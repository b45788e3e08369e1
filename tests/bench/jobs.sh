# tests/bench.sh, the jobs the sections above do not time, each run as its timer runs it, and the
# package itself:
# - corporate-announcements: the six NSE and BSE answers in tests/fixtures/corporate, imported
#   with --from-file (parsed, typed, stored); beside it, Python's json.load of the same files
#   into sqlite3, rows kept as JSON text.
# - db-maintenance: the market-sync ingest's database (a copy per run); beside it, what a desk's
#   cron would run: sqlite3's integrity_check, ANALYZE and a WAL checkpoint.
# - the .deb's Installed-Size beside the Python desk's virtual environment (pandas and TA-Lib,
#   what this bench's desk scripts need; Python itself not counted).
corporate_args=()
for source in nse-actions nse-announcements nse-board-meetings bse-actions bse-results bse-announcements; do
  corporate_args+=(--from-file "$source=$top/tests/fixtures/corporate/$source.json")
done
corporate() { # data-dir
  "${wrap[@]}" "$bin/upstox-corporate-announcements" -q --log-format text --data-dir "$1" "${corporate_args[@]}" \
    2>"$work/err" || { cat "$work/err" >&2; return 1; }
}
desk_corporate() { # db
  "${wrap[@]}" python3 - "$1" "$top"/tests/fixtures/corporate/{nse,bse}-*.json <<'PY'
import json, sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
conn.execute("CREATE TABLE IF NOT EXISTS answers (source TEXT, body TEXT)")
with conn:
    for path in sys.argv[2:]:
        doc = json.load(open(path, encoding="utf-8"))
        rows = doc if isinstance(doc, list) else doc.get("data") or doc.get("Table") or [doc]
        conn.executemany("INSERT INTO answers VALUES (?, ?)", [(path, json.dumps(r)) for r in rows])
PY
}
maintenance() { # data-dir
  "${wrap[@]}" "$bin/upstox-db-maintenance" -q --log-format text --data-dir "$1" 2>"$work/err" \
    || { cat "$work/err" >&2; return 1; }
}
desk_maintenance() { # data-dir
  "${wrap[@]}" sqlite3 "$1/market_data.db" "PRAGMA integrity_check; ANALYZE; PRAGMA wal_checkpoint(TRUNCATE);" > /dev/null
}
fresh_copy() { # to
  rm -rf "$1"; mkdir -p "$1"; cp "$work/market1/market_data.db" "$1/"
}
corp_us=() corp_kib=() dcorp_us=() dcorp_kib=() maint_us=() maint_kib=() dmaint_us=() dmaint_kib=()
for i in $(seq "$runs"); do
  timed corp_us corporate "$work/corp$i"
  timed dcorp_us desk_corporate "$work/desk-corp$i.db"
  peak corp_kib corporate "$work/corp-rss$i"
  peak dcorp_kib desk_corporate "$work/desk-corp-rss$i.db"
  fresh_copy "$work/maint"; timed maint_us maintenance "$work/maint"
  fresh_copy "$work/maint"; timed dmaint_us desk_maintenance "$work/maint"
  fresh_copy "$work/maint"; peak maint_kib maintenance "$work/maint"
  fresh_copy "$work/maint"; peak dmaint_kib desk_maintenance "$work/maint"
done
maint_mib=$(mib $(($(stat -c %s "$work/market1/market_data.db") / 1024)))
echo
echo "the other jobs' runs, $runs runs each, alternating with their alternatives ($(load))"
row "corporate-announcements: six answers imported" "$(ms "$(median "${corp_us[@]}")")" ms \
  "Python desk: json.load into sqlite3" "$(ms "$(median "${dcorp_us[@]}")")"
row "corporate-announcements: peak RSS of the run" "$(mib "$(largest "${corp_kib[@]}")")" MiB \
  "Python desk: json.load into sqlite3" "$(mib "$(largest "${dcorp_kib[@]}")")"
row "db-maintenance: run on a $maint_mib MiB database" "$(ms "$(median "${maint_us[@]}")")" ms \
  "sqlite3: integrity_check, ANALYZE, checkpoint" "$(ms "$(median "${dmaint_us[@]}")")"
row "db-maintenance: peak RSS of the run" "$(mib "$(largest "${maint_kib[@]}")")" MiB \
  "sqlite3: integrity_check, ANALYZE, checkpoint" "$(mib "$(largest "${dmaint_kib[@]}")")"
deb=$(ls "$top"/target/debian/upstox-jobs_*.deb 2>/dev/null | head -n1)
if [ -n "$deb" ]; then
  installed_kib=$(dpkg-deb -f "$deb" Installed-Size)
  venv_kib=$(du -sk "$venv" | cut -f1)
  row "upstox-jobs .deb, installed size" "$(mib "$installed_kib")" MiB \
    "the Python desk's venv (pandas, TA-Lib)" "$(mib "$venv_kib")"
else
  echo "the .deb's installed size: SKIPPED (no target/debian/upstox-jobs_*.deb; run make deb)"
fi
