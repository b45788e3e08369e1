# tests/bench.sh, alert-scan: one scan with --force of 2,000 rules (4 a symbol, the kinds in
# turn: price levels, RSI, MACD crosses, volume spikes, support and resistance breaks; all on
# day candles) on 500 symbols, with 250 and with 400 (history_bars, what a scan reads) day
# candles each, which alert-bench writes straight into market_data.db; the 500 latest prices
# come from the synthetic market server on loopback in one request. In turn, each run: A a
# scan of a fresh copy of the prepared directory (2,000 states written, and the firings);
# the next minute's scan of the same copy (states known); B the floor, a run that finds no
# rule (start-up, configuration, lock, database, job_runs) and stops before asking for
# prices; C a Python desk doing the scan with pandas and TA-Lib on another fresh copy.
alert_symbols=500 alert_rules=2000
forming=$("$bin/alert-bench" "$work/alerts250" --symbols $alert_symbols --bars 250)
"$bin/alert-bench" "$work/alerts400" --symbols $alert_symbols --bars 400 > /dev/null
forming_ts=$(TZ=Asia/Kolkata date -d "$forming 00:00" +%s)
"$bin/market-server" --symbols $alert_symbols --from "$(date -d "$forming - 60 days" +%F)" --to "$forming" \
  > "$work/alert-market.url" &
pids+=($!)
for _ in $(seq 50); do [ -s "$work/alert-market.url" ] && break; sleep 0.1; done
aurl=$(head -1 "$work/alert-market.url")
cat > "$work/alerts.toml" <<TOML
[http]
requests_per_second = 100000
[credentials]
upstox_token = "$work/token"
[providers.upstox]
base_url = "$aurl"
limits = [{ requests = 100000, per_secs = 1.0 }]
TOML
scan() { # data-dir
  "${wrap[@]}" "$bin/upstox-alert-scan" -q --log-format text --force --data-dir "$1" --config "$work/alerts.toml" \
    2>"$work/err" || { cat "$work/err" >&2; return 1; }
}
evaluated() { # data-dir → fails unless every rule has its state
  local n; n=$(sqlite3 "$1/market_data.db" "SELECT count(*) FROM alert_state")
  [ "$n" -eq "$alert_rules" ] || { echo "bench: $n rules evaluated in $1, expected $alert_rules" >&2; exit 1; }
}
fired() { sqlite3 "$1/market_data.db" "SELECT count(*) FROM alert_events"; }
mkdir "$work/alerts-empty"
scan "$work/alerts-empty" # creates its database, so the floor's runs open an existing one
alert_case() { # bars, targets: scan ms, scan MiB, floor ms
  local bars=$1 scan_target=$2 mib_target=$3 floor_target=$4 dir=$work/alerts$1 i r
  "$bin/upstox-alert-scan" -q --data-dir "$dir" --config "$work/alerts.toml" rules import "$dir/rules.csv" >/dev/null
  local fresh=() fresh_kib=() next=() next_kib=() floor=() floor_kib=() desk=()
  for i in $(seq "$runs"); do
    r=$work/alerts$bars-run$i
    cp -r "$dir" "$r"; cp -r "$dir" "$r-rss"; cp -r "$dir" "$r-desk"
    timed fresh scan "$r"
    evaluated "$r"
    peak fresh_kib scan "$r-rss"
    timed next scan "$r"
    peak next_kib scan "$r-rss"
    timed floor scan "$work/alerts-empty"
    peak floor_kib scan "$work/alerts-empty"
    timed desk "$venv/bin/python" "$top/tests/bench/desk_alerts.py" "$r-desk/market_data.db" "$aurl" secret \
      "$forming_ts" 400 > "$work/desk"
    [ "$(fired "$r-desk")" -eq "$(fired "$r-rss")" ] \
      || { echo "bench: the desk fired $(fired "$r-desk"), alert-scan $(fired "$r-rss")" >&2; exit 1; }
  done
  local scan_ms floor_ms scan_mib
  scan_ms=$(ms "$(median "${fresh[@]}")") floor_ms=$(ms "$(median "${floor[@]}")")
  scan_mib=$(mib "$(largest "${fresh_kib[@]}" "${next_kib[@]}")")
  echo
  echo "upstox-alert-scan --force: $alert_rules rules, $alert_symbols symbols x $bars day bars, $runs runs each ($(load))"
  printf '  %-44s %9s ms %7s MiB  (targets <= %s ms: %s, <= %s MiB: %s)\n' \
    "A first scan of a fresh copy ($(fired "$work/alerts$bars-run1") fired)" "$scan_ms" \
    "$(mib "$(largest "${fresh_kib[@]}")")" "$scan_target" "$(met "$scan_ms" '<=' "$scan_target")" \
    "$mib_target" "$(met "$scan_mib" '<=' "$mib_target")"
  printf '  %-44s %9s ms %7s MiB\n' "A the next minute's scan (states known)" \
    "$(ms "$(median "${next[@]}")")" "$(mib "$(largest "${next_kib[@]}")")"
  printf '  %-44s %9s ms %7s MiB  (target <= %s ms: %s)\n' "B floor: a run with no rules" "$floor_ms" \
    "$(mib "$(largest "${floor_kib[@]}")")" "$floor_target" "$(met "$floor_ms" '<=' "$floor_target")"
  printf '  %-44s %9s ms             (same firings)\n' "C Python desk: pandas + TA-Lib" "$(ms "$(median "${desk[@]}")")"
  row "alert-scan: first scan, $alert_rules rules x $bars bars" "$scan_ms" ms "Python desk: pandas + TA-Lib" \
    "$(ms "$(median "${desk[@]}")")" "<= $scan_target"
  row "alert-scan: peak RSS of a scan, $bars bars" "$scan_mib" MiB "-" "-" "<= $mib_target"
  printf '  %-44s %9s\n' "first scan / floor" "$(ratio "$(median "${fresh[@]}")" "$(median "${floor[@]}")")" \
    "Python desk / first scan" "$(ratio "$(median "${desk[@]}")" "$(median "${fresh[@]}")")"
}
alert_case 250 100 30 5
alert_case 400 40 10 5
