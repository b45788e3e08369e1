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
    assert_eq!(expected_bars(&cal, tuesday, Interval::Minute1).len(), 375);
    assert_eq!(expected_bars(&cal, tuesday, Interval::Minute5).len(), 75);
    assert_eq!(expected_bars(&cal, tuesday, Interval::Minute15).len(), 25);
    assert_eq!(expected_bars(&cal, tuesday, Interval::Day).len(), 1);
    let sunday = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    assert!(expected_bars(&cal, sunday, Interval::Minute1).is_empty());
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
    let checked = check(candles, Interval::Minute1, &cal, later());
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
    let checked = check(candles, Interval::Minute5, &cal, now);
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
