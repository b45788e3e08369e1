use crate::calendar::TradingCalendar;
use chrono::NaiveDate;

use super::*;

fn bar(date: (i32, u32, u32), hm: (u32, u32), ohlc: [f64; 4], volume: i64) -> Candle {
    let date = NaiveDate::from_ymd_opt(date.0, date.1, date.2).unwrap();
    let ts = ist_epoch(date, NaiveTime::from_hms_opt(hm.0, hm.1, 0).unwrap());
    Candle {
        ts,
        open: ohlc[0],
        high: ohlc[1],
        low: ohlc[2],
        close: ohlc[3],
        volume,
        oi: None,
    }
}

fn later() -> DateTime<Utc> {
    utc(ist_epoch(
        NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
        NaiveTime::MIN,
    ))
}

#[test]
fn a_regular_session_has_375_one_minute_bars_and_25_fifteen_minute_bars() {
    let cal = TradingCalendar::embedded();
    let tuesday = NaiveDate::from_ymd_opt(2026, 11, 17).unwrap();
    assert_eq!(
        expected_bars(&cal, tuesday, Interval::Minutes(1)).len(),
        375
    );
    assert_eq!(expected_bars(&cal, tuesday, Interval::Minutes(5)).len(), 75);
    assert_eq!(
        expected_bars(&cal, tuesday, Interval::Minutes(15)).len(),
        25
    );
    assert_eq!(expected_bars(&cal, tuesday, Interval::Day).len(), 1);
    let sunday = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    assert!(expected_bars(&cal, sunday, Interval::Minutes(1)).is_empty());
    // Guru Nanak Jayanti, an NSE holiday in 2026 (from the embedded list).
    let holiday = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    assert!(
        expected_bars(&cal, holiday, Interval::Day).is_empty(),
        "{:?}",
        cal.day(holiday)
    );
}

#[test]
fn inconsistent_bars_are_rejected_with_their_reason() {
    let cal = TradingCalendar::embedded();
    let d = (2026, 11, 17);
    let candles = vec![
        bar(d, (9, 15), [100.0, 101.0, 99.0, 100.5], 10),
        bar(d, (9, 16), [100.0, 99.0, 101.0, 100.5], 10),
        bar(d, (9, 17), [100.0, 100.2, 100.1, 100.0], 10),
        bar(d, (9, 18), [100.0, 101.0, 99.0, 100.5], -1),
        bar(d, (9, 19), [0.0, 101.0, 99.0, 100.5], 1),
        bar(d, (9, 20), [f64::NAN, 101.0, 99.0, 100.5], 1),
        bar(d, (15, 30), [100.0, 101.0, 99.0, 100.5], 1),
        bar(d, (9, 0), [100.0, 101.0, 99.0, 100.5], 1),
        bar((2026, 11, 22), (10, 0), [100.0, 101.0, 99.0, 100.5], 1),
        bar(d, (9, 15), [100.0, 101.0, 99.0, 100.5], 10),
    ];
    let checked = check(candles, Interval::Minutes(1), &cal, later());
    assert_eq!(checked.candles.len(), 1);
    let mut problems: Vec<Problem> = checked.rejected.iter().map(|r| r.problem).collect();
    problems.sort();
    assert_eq!(
        problems,
        vec![
            Problem::BadPrice,
            Problem::BadPrice,
            Problem::HighTooLow,
            Problem::LowTooHigh,
            Problem::NegativeVolume,
            Problem::OutsideSession,
            Problem::OutsideSession,
            Problem::OutsideSession,
            Problem::Duplicate,
        ]
    );
}

#[test]
fn misaligned_bars_are_refused_and_forming_bars_wait() {
    let cal = TradingCalendar::embedded();
    let d = (2026, 11, 17);
    let candles = vec![
        bar(d, (9, 15), [100.0, 101.0, 99.0, 100.5], 10),
        bar(d, (9, 20), [100.0, 101.0, 99.0, 100.5], 10),
        bar(d, (9, 17), [100.0, 101.0, 99.0, 100.5], 10),
    ];
    let now = utc(bar(d, (9, 22), [1.0; 4], 0).ts);
    let checked = check(candles, Interval::Minutes(5), &cal, now);
    assert_eq!(checked.candles.len(), 1);
    assert_eq!(checked.forming, 1);
    assert_eq!(checked.rejected[0].problem, Problem::Misaligned);
}

#[test]
fn day_bars_move_to_midnight_ist_and_are_complete_after_the_close() {
    let cal = TradingCalendar::embedded();
    let d = (2026, 11, 17);
    let yahoo_style = bar(d, (9, 15), [100.0, 101.0, 99.0, 100.5], 10);
    let after_close = utc(bar(d, (15, 31), [1.0; 4], 0).ts);
    let checked = check(vec![yahoo_style], Interval::Day, &cal, after_close);
    assert_eq!(checked.candles[0].ts, bar(d, (0, 0), [1.0; 4], 0).ts);
    let midday = utc(bar(d, (12, 0), [1.0; 4], 0).ts);
    let checked = check(vec![yahoo_style], Interval::Day, &cal, midday);
    assert_eq!((checked.candles.len(), checked.forming), (0, 1));
}

/// The embedded calendar plus: 2026-12-01 (a Tuesday, the month's first weekday) and Monday
/// 2026-12-07 closed; a half day on Thursday 2026-12-03 (09:15–13:00); Muhurat trading on
/// Sunday 2026-11-08 (18:00–19:00).
fn desk_calendar() -> TradingCalendar {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    conn.execute_batch(
        "CREATE TABLE market_holidays (date TEXT, description TEXT, kind TEXT,
                                       open_time TEXT, close_time TEXT, source TEXT);
         INSERT INTO market_holidays VALUES
             ('2026-12-01', 'Closure', 'holiday', NULL, NULL, 'test'),
             ('2026-12-07', 'Closure', 'holiday', NULL, NULL, 'test'),
             ('2026-12-03', 'Half day', 'special_session', '09:15', '13:00', 'test'),
             ('2026-11-08', 'Muhurat Trading', 'special_session', '18:00', '19:00', 'test');",
    )
    .unwrap();
    TradingCalendar::embedded().with_table(&conn).unwrap()
}

fn ist_at(date: (i32, u32, u32), hm: (u32, u32)) -> i64 {
    bar(date, hm, [1.0; 4], 0).ts
}

fn hm_of(bars: &[i64]) -> Vec<String> {
    bars.iter()
        .map(|&ts| utc(ts).with_timezone(&IST).format("%H:%M").to_string())
        .collect()
}

#[test]
fn hourly_and_half_hourly_bars_open_on_the_sessions_grid_and_the_last_is_cut_short() {
    let cal = desk_calendar();
    let d = |day| NaiveDate::from_ymd_opt(2026, 11, day).unwrap();
    let hourly = expected_bars(&cal, d(17), Interval::Minutes(60));
    assert_eq!(
        hm_of(&hourly),
        [
            "09:15", "10:15", "11:15", "12:15", "13:15", "14:15", "15:15"
        ]
    );
    assert_eq!(expected_bars(&cal, d(17), Interval::Minutes(30)).len(), 13);
    // The 15:15 hourly bar ends at the 15:30 close, not at 16:15.
    let last = *hourly.last().unwrap();
    assert_eq!(
        bar_end(&cal, last, Interval::Minutes(60)),
        Some(ist_at((2026, 11, 17), (15, 30)))
    );
    let at = |hm| bar((2026, 11, 17), hm, [100.0, 101.0, 99.0, 100.5], 10);
    let just_after_close = utc(ist_at((2026, 11, 17), (15, 30)));
    let checked = check(
        vec![at((15, 15)), at((14, 15)), at((10, 0)), at((15, 45))],
        Interval::Minutes(60),
        &cal,
        just_after_close,
    );
    assert_eq!(
        hm_of(&checked.candles.iter().map(|c| c.ts).collect::<Vec<_>>()),
        ["14:15", "15:15"]
    );
    let problems: Vec<Problem> = checked.rejected.iter().map(|r| r.problem).collect();
    assert_eq!(problems, [Problem::Misaligned, Problem::OutsideSession]);
    // A minute earlier the 15:15 bar is still forming.
    let checked = check(
        vec![at((15, 15))],
        Interval::Minutes(60),
        &cal,
        utc(ist_at((2026, 11, 17), (15, 29))),
    );
    assert_eq!((checked.candles.len(), checked.forming), (0, 1));
}

#[test]
fn a_half_day_and_a_special_session_have_their_own_grids() {
    let cal = desk_calendar();
    let half = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
    assert_eq!(
        hm_of(&expected_bars(&cal, half, Interval::Minutes(60))),
        ["09:15", "10:15", "11:15", "12:15"]
    );
    assert_eq!(
        bar_end(&cal, ist_at((2026, 12, 3), (12, 15)), Interval::Minutes(60)),
        Some(ist_at((2026, 12, 3), (13, 0)))
    );
    assert_eq!(expected_bars(&cal, half, Interval::Minutes(30)).len(), 8);
    let muhurat = NaiveDate::from_ymd_opt(2026, 11, 8).unwrap();
    assert_eq!(
        hm_of(&expected_bars(&cal, muhurat, Interval::Minutes(30))),
        ["18:00", "18:30"]
    );
    assert_eq!(
        hm_of(&expected_bars(&cal, muhurat, Interval::Minutes(60))),
        ["18:00"]
    );
    // A bar after the half day's close is outside the session.
    let late = bar((2026, 12, 3), (13, 15), [100.0, 101.0, 99.0, 100.5], 1);
    let checked = check(vec![late], Interval::Minutes(60), &cal, later());
    assert_eq!(checked.rejected[0].problem, Problem::OutsideSession);
}

#[test]
fn a_weeks_bar_opens_on_its_first_trading_day_and_closes_with_its_last() {
    let cal = desk_calendar();
    let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
    // Monday 2026-12-07 is closed: that week's bar opens on Tuesday.
    let week: Vec<i64> = d(12, 7)
        .iter_days()
        .take(7)
        .flat_map(|day| expected_bars(&cal, day, Interval::Week))
        .collect();
    assert_eq!(week, [ist_at((2026, 12, 8), (0, 0))]);
    // The week of the Muhurat Sunday ends with that session, at 19:00 on Sunday.
    assert_eq!(
        bar_end(&cal, ist_at((2026, 11, 2), (0, 0)), Interval::Week),
        Some(ist_at((2026, 11, 8), (19, 0)))
    );
    // Providers date the week by its Monday: the bar is stored on Tuesday, and forms until
    // Friday's close.
    let provider = bar((2026, 12, 7), (0, 0), [100.0, 110.0, 95.0, 105.0], 1000);
    let friday_noon = utc(ist_at((2026, 12, 11), (12, 0)));
    let checked = check(vec![provider], Interval::Week, &cal, friday_noon);
    assert_eq!((checked.candles.len(), checked.forming), (0, 1));
    let checked = check(vec![provider], Interval::Week, &cal, later());
    assert_eq!(checked.candles[0].ts, ist_at((2026, 12, 8), (0, 0)));
    // Yahoo's stamp (09:15 IST of the Monday) lands on the same bar.
    let yahoo = bar((2026, 12, 7), (9, 15), [100.0, 110.0, 95.0, 105.0], 1000);
    let checked = check(vec![provider, yahoo], Interval::Week, &cal, later());
    assert_eq!(checked.candles.len(), 1);
    assert_eq!(checked.rejected[0].problem, Problem::Duplicate);
}

#[test]
fn a_months_bar_opens_on_the_first_trading_day_even_when_the_first_is_a_holiday() {
    let cal = desk_calendar();
    let december: Vec<i64> = NaiveDate::from_ymd_opt(2026, 12, 1)
        .unwrap()
        .iter_days()
        .take(31)
        .flat_map(|day| expected_bars(&cal, day, Interval::Month))
        .collect();
    assert_eq!(december, [ist_at((2026, 12, 2), (0, 0))]);
    // November 2026 starts on a Sunday: Monday the 2nd.
    let first = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
    assert_eq!(
        period_open(&cal, first, Interval::Month),
        NaiveDate::from_ymd_opt(2026, 11, 2)
    );
    let upstox = bar((2026, 12, 1), (0, 0), [100.0, 110.0, 95.0, 105.0], 1000);
    let checked = check(vec![upstox], Interval::Month, &cal, later());
    assert_eq!(checked.candles[0].ts, ist_at((2026, 12, 2), (0, 0)));
    // December's bar closes with the last session of the month.
    let end = bar_end(&cal, checked.candles[0].ts, Interval::Month).unwrap();
    assert_eq!(
        ist_date(end),
        NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()
    );
    // Any stamp inside the month names that month's bar.
    let mid = bar((2026, 12, 15), (0, 0), [100.0, 110.0, 95.0, 105.0], 1000);
    let checked = check(vec![mid], Interval::Month, &cal, later());
    assert_eq!(checked.candles[0].ts, ist_at((2026, 12, 2), (0, 0)));
}
