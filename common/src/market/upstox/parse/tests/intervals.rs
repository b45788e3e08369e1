//! Upstox v3 candle answers for the intervals beyond 1/5/15 minutes and a day: this crate's
//! fixtures in the real shape and the real 30-minute sample, read and then checked for their
//! interval.

use super::*;

/// Candles of one of this crate's own v3 fixtures (the real shape, the new intervals), read by
/// [`candles`] and then through [`check`](crate::market::candle::check) for `interval` at `now`
/// (IST).
fn landed(fixture: &str, interval: &str, now: &str) -> crate::market::candle::Checked {
    let path = format!(
        "{}/src/market/upstox/testdata/{fixture}",
        env!("CARGO_MANIFEST_DIR")
    );
    let body = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let bars = candles(&body).unwrap();
    let now = chrono::NaiveDateTime::parse_from_str(now, "%Y-%m-%d %H:%M").unwrap();
    let now = now
        .and_local_timezone(crate::calendar::IST)
        .unwrap()
        .to_utc();
    let calendar = crate::calendar::TradingCalendar::embedded();
    crate::market::candle::check(bars, interval.parse().unwrap(), &calendar, now)
}

/// `YYYY-MM-DD HH:MM` IST as UTC epoch seconds.
fn ist(text: &str) -> i64 {
    let t = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap();
    t.and_local_timezone(crate::calendar::IST)
        .unwrap()
        .timestamp()
}

/// (open time, open, high, low, close, volume) of stored bars.
fn rows(checked: &crate::market::candle::Checked) -> Vec<(i64, f64, f64, f64, f64, i64)> {
    checked
        .candles
        .iter()
        .map(|c| (c.ts, c.open, c.high, c.low, c.close, c.volume))
        .collect()
}

#[test]
fn the_real_30_minute_sample_lands_on_the_30_minute_grid_only() {
    let calendar = crate::calendar::TradingCalendar::embedded();
    let check = |interval: &str| {
        let bars = candles(&real("intraday_candle_30m_v2.json")).unwrap();
        let now = crate::market::candle::utc(ist("2023-10-19 16:00"));
        crate::market::candle::check(bars, interval.parse().unwrap(), &calendar, now)
    };
    let thirty = check("30minute");
    assert_eq!(
        rows(&thirty),
        [
            (
                ist("2023-10-19 14:45"),
                2309.1,
                2310.75,
                2305.25,
                2305.3,
                740_124
            ),
            (
                ist("2023-10-19 15:15"),
                2305.3,
                2307.05,
                2301.0,
                2304.65,
                559_982
            ),
        ]
    );
    // 14:45 is not on the hourly grid (09:15, 10:15 … 15:15).
    let hourly = check("1hour");
    assert_eq!(hourly.candles.len(), 1);
    assert_eq!(
        (hourly.rejected[0].candle.ts, hourly.rejected[0].problem),
        (
            ist("2023-10-19 14:45"),
            crate::market::candle::Problem::Misaligned
        )
    );
}

#[test]
fn thirty_minute_bars_of_a_session_land_on_the_grid_up_to_the_short_last_one() {
    // `minutes/30/2026-11-20/2026-11-20`: 13 bars, 09:15 … 15:15, newest first.
    let checked = landed("candles_30minute.json", "30minute", "2026-11-20 16:00");
    assert_eq!((checked.rejected.len(), checked.forming), (0, 0));
    let got = rows(&checked);
    assert_eq!(got.len(), 13);
    let starts: Vec<i64> = (0..13)
        .map(|k| ist("2026-11-20 09:15") + k * 1800)
        .collect();
    assert_eq!(got.iter().map(|r| r.0).collect::<Vec<_>>(), starts);
    assert_eq!(
        got[0],
        (starts[0], 1523.4, 1524.8, 1522.25, 1523.95, 635_488)
    );
    assert_eq!(
        got[12],
        (
            ist("2026-11-20 15:15"),
            1526.65,
            1529.8,
            1525.5,
            1529.5,
            786_757
        )
    );
    // Oldest first, the 14:15 bar is the third from the end.
    assert_eq!(
        got[10],
        (
            ist("2026-11-20 14:15"),
            1529.45,
            1529.9,
            1525.85,
            1526.7,
            483_232
        )
    );
    // Before 15:30 the 15:15 bar is still forming; the others are complete.
    let early = landed("candles_30minute.json", "30minute", "2026-11-20 15:29");
    assert_eq!((early.candles.len(), early.forming), (12, 1));
}

#[test]
fn hourly_bars_open_at_a_quarter_past_and_the_last_is_cut_by_the_close() {
    // `hours/1/2026-11-20/2026-11-20`: 09:15 … 15:15, the last one 15 minutes long.
    let checked = landed("candles_1hour.json", "1hour", "2026-11-20 15:30");
    assert_eq!((checked.rejected.len(), checked.forming), (0, 0));
    let got = rows(&checked);
    let starts: Vec<i64> = (0..7).map(|k| ist("2026-11-20 09:15") + k * 3600).collect();
    assert_eq!(got.iter().map(|r| r.0).collect::<Vec<_>>(), starts);
    assert_eq!(
        got[0],
        (starts[0], 1523.4, 1524.95, 1521.05, 1524.6, 1_073_890)
    );
    assert_eq!(
        got[6],
        (
            ist("2026-11-20 15:15"),
            1515.65,
            1516.6,
            1513.4,
            1513.65,
            1_706_500
        )
    );
    // Checked as 2-hour bars, those opening at 10:15, 12:15 and 14:15 are off the grid.
    let two = landed("candles_1hour.json", "2hour", "2026-11-20 15:30");
    assert_eq!(two.candles.len(), 4);
    assert!(
        two.rejected
            .iter()
            .all(|r| r.problem == crate::market::candle::Problem::Misaligned)
    );
    assert_eq!(two.rejected.len(), 3);

    // `intraday/…/hours/1` at 13:40: four complete bars and the forming 13:15 one.
    let today = landed("candles_1hour_intraday.json", "1hour", "2026-11-23 13:40");
    assert_eq!((today.candles.len(), today.forming), (4, 1));
    assert_eq!(
        rows(&today)[3],
        (
            ist("2026-11-23 12:15"),
            1530.15,
            1531.4,
            1527.2,
            1528.95,
            1_869_600
        )
    );
}

#[test]
fn weekly_bars_stamped_on_monday_land_on_the_weeks_first_trading_day() {
    // `weeks/1/2026-09-30/2026-08-31`: Upstox stamps each week 00:00 of its Monday, also
    // 2026-09-14, Ganesh Chaturthi, when the week opened on Tuesday.
    let checked = landed("candles_week.json", "week", "2026-10-05 09:00");
    assert_eq!((checked.rejected.len(), checked.forming), (0, 0));
    let got = rows(&checked);
    assert_eq!(
        got.iter().map(|r| r.0).collect::<Vec<_>>(),
        [
            ist("2026-08-31 00:00"),
            ist("2026-09-07 00:00"),
            ist("2026-09-15 00:00"),
            ist("2026-09-21 00:00"),
            ist("2026-09-28 00:00"),
        ]
    );
    assert_eq!(
        got[2],
        (
            ist("2026-09-15 00:00"),
            1447.95,
            1484.8,
            1441.05,
            1477.5,
            37_460_432
        )
    );
    // The week of 28 September ends with Thursday's close (Friday is Gandhi Jayanti).
    let thursday = landed("candles_week.json", "week", "2026-10-01 15:29");
    assert_eq!((thursday.candles.len(), thursday.forming), (4, 1));
}

#[test]
fn monthly_bars_stamped_on_the_first_land_on_the_months_first_trading_day() {
    // `months/1/2026-11-25/2026-04-01`: stamped 00:00 of the 1st, even on 1 May (Maharashtra
    // Day), 1 August (a Saturday) and 1 November (a Sunday); November is still forming.
    let checked = landed("candles_month.json", "month", "2026-11-25 12:00");
    assert_eq!((checked.rejected.len(), checked.forming), (0, 1));
    let got = rows(&checked);
    assert_eq!(
        got.iter().map(|r| r.0).collect::<Vec<_>>(),
        [
            ist("2026-04-01 00:00"),
            ist("2026-05-04 00:00"),
            ist("2026-06-01 00:00"),
            ist("2026-07-01 00:00"),
            ist("2026-08-03 00:00"),
            ist("2026-09-01 00:00"),
            ist("2026-10-01 00:00"),
        ]
    );
    assert_eq!(
        got[4],
        (
            ist("2026-08-03 00:00"),
            1428.65,
            1489.5,
            1399.2,
            1460.65,
            125_677_716
        )
    );
    assert_eq!(
        got[0],
        (
            ist("2026-04-01 00:00"),
            1390.0,
            1397.1,
            1329.9,
            1348.45,
            189_923_191
        )
    );
}
