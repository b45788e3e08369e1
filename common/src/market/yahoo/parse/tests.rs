use super::*;

/// The real Yahoo sample shared by the whole project (see shared/fixtures/real/SOURCES.md).
const REAL_5M: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/real/yahoo/chart_5m.json"
);

fn detail(body: &[u8]) -> String {
    let error = chart(body).unwrap_err();
    assert_eq!(error.what, "Yahoo chart");
    assert!(!error.detail.contains('\n'), "{error}");
    error.detail
}

#[test]
fn real_5m_chart_of_a_us_index() {
    let body = std::fs::read(REAL_5M).unwrap_or_else(|e| panic!("{REAL_5M}: {e}"));
    let chart = chart(&body).unwrap();
    assert_eq!(
        chart.meta,
        Meta {
            symbol: "^TNX".to_string(),
            gmtoffset: -21600,
            timezone: Some("CST".to_string()),
            regular_market_price: Some(4.275),
            regular_market_time: Some(1_770_062_392),
            previous_close: Some(4.227),
            day_high: Some(4.261),
            day_low: Some(4.237),
            volume: Some(0),
        }
    );
    assert_eq!((chart.candles.len(), chart.nulls), (15, 0));
    assert_eq!(
        chart.candles[0],
        Candle {
            ts: 1_770_057_900,
            open: 4.27,  // 4.270999908447266
            high: 4.27,  // 4.2729997634887695
            low: 4.27,   // 4.270999908447266
            close: 4.27, // 4.270999908447266
            volume: 0,
            oi: None,
        }
    );
    let last = chart.candles[14];
    assert_eq!(last.ts, 1_770_062_100);
    assert_eq!(
        (last.open, last.high, last.low, last.close),
        (4.27, 4.28, 4.27, 4.28)
    );
    assert!(chart.candles.windows(2).all(|w| w[1].ts - w[0].ts == 300));
}

#[test]
fn nse_1m_chart_drops_null_bars_and_zeroes_null_volume() {
    let chart = chart(include_bytes!("../testdata/reliance_1m.json")).unwrap();
    assert_eq!(
        chart.meta,
        Meta {
            symbol: "RELIANCE.NS".to_string(),
            gmtoffset: 19800,
            timezone: Some("IST".to_string()),
            regular_market_price: Some(1519.3),
            regular_market_time: Some(1_794_887_490),
            previous_close: Some(1516.2),
            day_high: Some(1522.1),
            day_low: Some(1517.75),
            volume: Some(778_010),
        }
    );
    assert_eq!((chart.candles.len(), chart.nulls), (6, 1));
    assert_eq!(
        chart.candles[0],
        Candle {
            ts: 1_794_887_100, // 2026-11-17 09:15 IST
            open: 1519.6,
            high: 1522.1,
            low: 1517.75,
            close: 1521.4,
            volume: 412_873,
            oi: None,
        }
    );
    // 09:18 had no trades: the next bar kept is 09:19.
    assert_eq!(chart.candles[3].ts, 1_794_887_100 + 4 * 60);
    assert_eq!(chart.candles[3].close, 1520.0);
    let last = chart.candles[5];
    assert_eq!(last.ts, 1_794_887_100 + 6 * 60);
    assert_eq!((last.close, last.volume), (1519.3, 0));
}

#[test]
fn a_chart_without_bars_is_empty_and_uses_chart_previous_close() {
    let body = br#"{"chart":{"result":[{"meta":{"currency":"INR","symbol":"^NSEI","exchangeName":"NSI",
        "gmtoffset":19800,"timezone":"IST","regularMarketPrice":25990.5,"chartPreviousClose":25900.15,
        "dataGranularity":"1m","range":"1d"},"indicators":{"quote":[{}]}}],"error":null}}"#;
    let chart = chart(body).unwrap();
    assert_eq!((chart.candles.len(), chart.nulls), (0, 0));
    assert_eq!(chart.meta.previous_close, Some(25900.15));
    assert_eq!((chart.meta.volume, chart.meta.day_high), (None, None));
}

#[test]
fn a_bar_missing_any_price_is_dropped() {
    let body = br#"{"chart":{"result":[{"meta":{"symbol":"^NSEI","gmtoffset":19800},
        "timestamp":[1794887100,1794887160,1794887220],"indicators":{"quote":[{
        "open":[25990.05078125,null,25991],"high":[25995.5,25993,25992.19921875],
        "low":[25988.349609375,25990,25990.5],"close":[25991,25992,null],"volume":[0,0,0]}]}}],
        "error":null}}"#;
    let chart = chart(body).unwrap();
    assert_eq!((chart.candles.len(), chart.nulls), (1, 2));
    assert_eq!(
        chart.candles[0],
        Candle {
            ts: 1_794_887_100,
            open: 25990.05,
            high: 25995.5,
            low: 25988.35,
            close: 25991.0,
            volume: 0,
            oi: None,
        }
    );
}

#[test]
fn yahoo_errors_and_broken_bodies_are_refused() {
    let missing = br#"{"chart":{"result":null,"error":{"code":"Not Found","description":"No data found, symbol may be delisted"}}}"#;
    assert_eq!(
        detail(missing),
        "Yahoo answered `Not Found`: No data found, symbol may be delisted"
    );
    assert_eq!(
        detail(br#"{"chart":{"result":[],"error":null}}"#),
        "no result and no error"
    );
    let ragged = br#"{"chart":{"result":[{"meta":{"symbol":"X.NS","gmtoffset":19800},
        "timestamp":[1,2],"indicators":{"quote":[{"open":[1,1],"high":[1,1],"low":[1,1],
        "close":[1],"volume":[0,0]}]}}],"error":null}}"#;
    assert_eq!(
        detail(ragged),
        "X.NS: timestamp has 2 entries but close has 1"
    );
    assert_eq!(
        detail(b"Too Many Requests\r\n"),
        "not JSON: starts with `Too Many Requests`"
    );
    assert!(detail(br#"{"finance":{"result":null}}"#).contains("missing field `chart`"));
}

/// One of this crate's NSE chart fixtures for the new intervals, read by [`chart`] and then
/// through [`check`](crate::market::candle::check) for `interval` at `now` (IST).
fn landed(fixture: &str, interval: &str, now: &str) -> (Chart, crate::market::candle::Checked) {
    let path = format!(
        "{}/src/market/yahoo/testdata/{fixture}",
        env!("CARGO_MANIFEST_DIR")
    );
    let body = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let chart = chart(&body).unwrap();
    assert_eq!(
        (chart.meta.symbol.as_str(), chart.meta.gmtoffset),
        ("RELIANCE.NS", 19_800)
    );
    assert_eq!(chart.meta.timezone.as_deref(), Some("IST"));
    let calendar = crate::calendar::TradingCalendar::embedded();
    let now = utc(ist(now));
    let checked = crate::market::candle::check(
        chart.candles.clone(),
        interval.parse().unwrap(),
        &calendar,
        now,
    );
    (chart, checked)
}

/// `YYYY-MM-DD HH:MM` IST as UTC epoch seconds.
fn ist(text: &str) -> i64 {
    let t = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap();
    t.and_local_timezone(crate::calendar::IST)
        .unwrap()
        .timestamp()
}

fn utc(ts: i64) -> chrono::DateTime<chrono::Utc> {
    crate::market::candle::utc(ts)
}

/// Open times of the bars that landed.
fn starts(checked: &crate::market::candle::Checked) -> Vec<i64> {
    checked.candles.iter().map(|c| c.ts).collect()
}

#[test]
fn nse_30m_chart_lands_on_the_grid_without_its_null_bar() {
    // interval=30m for 2026-11-20: 13 stamps, the 12:45 bar null (no trades in Yahoo's data).
    let (chart, checked) = landed("reliance_30m.json", "30minute", "2026-11-20 16:00");
    assert_eq!((chart.candles.len(), chart.nulls), (12, 1));
    assert_eq!((checked.rejected.len(), checked.forming), (0, 0));
    let want: Vec<i64> = (0..13)
        .filter(|k| *k != 7)
        .map(|k| ist("2026-11-20 09:15") + k * 1800)
        .collect();
    assert_eq!(starts(&checked), want);
    assert_eq!(
        checked.candles[0],
        Candle {
            ts: ist("2026-11-20 09:15"),
            open: 1523.4,  // 1523.4000244140625
            high: 1524.9,  // 1524.9000244140625
            low: 1521.7,   // 1521.699951171875
            close: 1523.1, // 1523.0999755859375
            volume: 920_209,
            oi: None,
        }
    );
    let last = checked.candles[11];
    assert_eq!(last.ts, ist("2026-11-20 15:15"));
    assert_eq!(
        (last.open, last.high, last.low, last.close, last.volume),
        (1513.45, 1514.1, 1510.55, 1512.05, 999_275)
    );
}

#[test]
fn nse_60m_chart_opens_at_a_quarter_past_and_leaves_the_forming_hour_out() {
    // interval=60m over Friday 2026-11-20 and Monday 2026-11-23 until 13:40.
    let (chart, checked) = landed("reliance_60m.json", "1hour", "2026-11-23 13:40");
    assert_eq!((chart.candles.len(), chart.nulls), (12, 0));
    assert_eq!((checked.rejected.len(), checked.forming), (0, 1));
    let friday = (0..7).map(|k| ist("2026-11-20 09:15") + k * 3600);
    let monday = (0..4).map(|k| ist("2026-11-23 09:15") + k * 3600);
    assert_eq!(starts(&checked), friday.chain(monday).collect::<Vec<_>>());
    // Friday's 15:15 bar, 15 minutes long.
    let short = checked.candles[6];
    assert_eq!(short.ts, ist("2026-11-20 15:15"));
    assert_eq!(
        (short.open, short.high, short.low, short.close, short.volume),
        (1542.75, 1545.2, 1541.05, 1545.05, 2_447_525)
    );
    // The bar Yahoo is still forming, 13:15, is not stored before 14:15.
    assert_eq!(chart.candles[11].ts, ist("2026-11-23 13:15"));
    assert!(!starts(&checked).contains(&ist("2026-11-23 13:15")));
}

#[test]
fn nse_1wk_chart_stamped_on_mondays_with_the_live_row_leaves_the_current_week_out() {
    // interval=1wk asked on Wednesday 2026-11-25 at 11:00: weeks stamped 00:00 IST of their
    // Monday, the current week's bar, and today's live row stamped with the last trade.
    let (chart, checked) = landed("reliance_1wk.json", "week", "2026-11-25 11:00");
    assert_eq!(chart.candles.len(), 6);
    assert_eq!(chart.candles[5].ts, ist("2026-11-25 10:59") + 41);
    assert_eq!(checked.rejected.len(), 0);
    // Both the week's bar and the live row belong to the forming week.
    assert_eq!(checked.forming, 2);
    assert_eq!(
        starts(&checked),
        [
            ist("2026-10-26 00:00"),
            ist("2026-11-02 00:00"),
            ist("2026-11-09 00:00"),
            ist("2026-11-16 00:00"),
        ]
    );
    let diwali = checked.candles[2];
    assert_eq!(
        (
            diwali.open,
            diwali.high,
            diwali.low,
            diwali.close,
            diwali.volume
        ),
        (1464.05, 1478.05, 1440.4, 1443.2, 45_355_258)
    );
}

#[test]
fn nse_1mo_chart_stamped_on_the_first_lands_on_the_first_trading_day() {
    // interval=1mo asked on 2026-11-25: 1 August is a Saturday and 1 November a Sunday.
    let (chart, checked) = landed("reliance_1mo.json", "month", "2026-11-25 11:00");
    assert_eq!(chart.candles[1].ts, ist("2026-08-01 00:00"));
    assert_eq!((checked.rejected.len(), checked.forming), (0, 1));
    assert_eq!(
        starts(&checked),
        [
            ist("2026-07-01 00:00"),
            ist("2026-08-03 00:00"),
            ist("2026-09-01 00:00"),
            ist("2026-10-01 00:00"),
        ]
    );
    let august = checked.candles[1];
    assert_eq!(
        (
            august.open,
            august.high,
            august.low,
            august.close,
            august.volume
        ),
        (1474.0, 1479.55, 1428.85, 1457.25, 86_843_095)
    );
}
