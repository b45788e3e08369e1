# tests/bench.sh, market-sync's ingest: 50 symbols × 30 sessions of 1-minute candles
# (562,500 candles, 100 requests of up to 28 days) from the synthetic market server on
# loopback, fetched, parsed, checked and upserted, with the request budget and pacing opened
# up (in production Upstox's 2,000 requests per 30 minutes dominate). In turn, each run:
# A the job, end to end (whole process; it fetches on a second thread while it writes, so
# it needs both cores, and other load on the machine shows in A more than in B, which uses
# one: read the ratio at a quiet load); B the floor, insert-bench: the same rows built in
# memory, upserted by the job's own statement into the table made by the project's schema
# (its upsert and commit time only); C a Python desk doing the same ingest with urllib, json
# and sqlite3's executemany (whole process).
symbols=50 from=2026-07-01 to=2026-08-11
bars=$((symbols * 30 * 375))
"$bin/market-server" --symbols $symbols --from $from --to $to > "$work/market.url" &
pids+=($!)
for _ in $(seq 50); do [ -s "$work/market.url" ] && break; sleep 0.1; done
murl=$(head -1 "$work/market.url")
keys=$("$bin/market-server" --symbols $symbols --from $from --to $to --list | paste -sd, -)
echo secret > "$work/token"
cat > "$work/market.toml" <<TOML
[http]
requests_per_second = 100000
[credentials]
upstox_token = "$work/token"
[providers.upstox]
base_url = "$murl"
instruments_url = "$murl/instruments/NSE.json.gz"
limits = [{ requests = 100000, per_secs = 1.0 }]
TOML
sync_job() {
  "${wrap[@]}" "$bin/upstox-market-sync" -q --log-format text --data-dir "$1" --config "$work/market.toml" \
    --symbols "$keys" --interval 1minute --from $from --to $to --no-quotes --no-options 2>"$work/err" \
    || { cat "$work/err" >&2; return 1; }
}
stored() { # database → fails unless it holds every candle
  local n; n=$(sqlite3 "$1" "SELECT count(*) FROM candles")
  [ "$n" -eq "$bars" ] || { echo "bench: $1 holds $n candles, expected $bars" >&2; exit 1; }
}
echo
echo "upstox-market-sync ingest, $bars 1-minute candles from loopback, $runs runs each ($(load))"
sync_us=() sync_kib=() floor_us=() floor_kib=() desk_us=()
for i in $(seq "$runs"); do
  timed sync_us sync_job "$work/market$i"
  stored "$work/market$i/market_data.db"
  peak sync_kib sync_job "$work/market-rss$i"
  peak floor_kib "$bin/insert-bench" "$work/floor$i.db" --symbols $symbols --from $from --to $to > "$work/floor"
  stored "$work/floor$i.db"
  floor_us+=("$(awk '{ printf "%d", $2 * 1000000 }' "$work/floor")")
  [ -s "$work/candles.sql" ] || sqlite3 "$work/market1/market_data.db" ".schema candles" > "$work/candles.sql"
  timed desk_us python3 "$top/tests/bench/desk_ingest.py" "$murl" secret "$work/desk$i.db" \
    "$work/candles.sql" $from $to "$keys" > /dev/null
  stored "$work/desk$i.db"
done
sync=$(median "${sync_us[@]}") floor=$(median "${floor_us[@]}") desk=$(median "${desk_us[@]}")
rate() { echo "$bars * 1000000 / $1" | bc; }
row "market-sync: ingest of $bars 1-minute candles" "$(rate "$sync")" candles/s \
  "Python desk: urllib, json, executemany" "$(rate "$desk")" ">= 700000"
row "market-sync: ingest, beside its upsert alone" "$(rate "$sync")" candles/s \
  "floor: the same upsert alone (insert-bench)" "$(rate "$floor")" "ratio >= 0.85"
row "market-sync: peak RSS of the ingest" "$(mib "$(largest "${sync_kib[@]}")")" MiB \
  "floor: the same upsert alone (insert-bench)" "$(mib "$(largest "${floor_kib[@]}")")" "<= 20"
printf '  %-44s %9s ms %9s candles/s  (target >= 700000: %s)\n' "A upstox-market-sync, end to end" \
  "$(ms "$sync")" "$(rate "$sync")" "$(met "$(rate "$sync")" '>=' 700000)"
printf '  %-44s %9s ms %9s rows/s\n' "B floor: the job's upsert alone (insert-bench)" \
  "$(ms "$floor")" "$(rate "$floor")"
printf '  %-44s %9s ms %9s candles/s\n' "C Python desk: urllib, json, executemany" \
  "$(ms "$desk")" "$(rate "$desk")"
printf '  %-44s %9s      (target >= 0.85: %s)\n' "job / floor (rates)" \
  "$(ratio "$floor" "$sync")" "$(met "$(ratio "$floor" "$sync")" '>=' 0.85)"
printf '  %-44s %9s\n' "job / Python desk (rates)" "$(ratio "$desk" "$sync")"
printf '  %-44s %9s MiB  (target <= 20: %s)\n' "peak RSS of the job" \
  "$(mib "$(largest "${sync_kib[@]}")")" "$(met "$(mib "$(largest "${sync_kib[@]}")")" '<=' 20)"
printf '  %-44s %9s MiB\n' "peak RSS of the floor (rows built in memory)" "$(mib "$(largest "${floor_kib[@]}")")"
printf '  %-44s %9s MiB\n' "market_data.db after the sync" \
  "$(mib $(($(stat -c %s "$work/market1/market_data.db") / 1024)))" \
  "  the floor's database" "$(mib $(($(stat -c %s "$work/floor1.db") / 1024)))"
