use super::*;
use chrono::{NaiveDate, NaiveTime, TimeZone};
use common::calendar::IST;

fn ist(d: u32, h: u32, m: u32) -> DateTime<Utc> {
    IST.with_ymd_and_hms(2026, 11, d, h, m, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn at(d: u32, h: u32, m: u32) -> i64 {
    ist(d, h, m).timestamp()
}

fn day(d: u32) -> i64 {
    ist_epoch(
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap(),
        NaiveTime::MIN,
    )
}

#[test]
fn the_forming_bar_and_the_one_before_follow_the_nse_calendar() {
    let cal = TradingCalendar::embedded();
    let p = position(&cal, Interval::Minutes(15), ist(20, 10, 7)).unwrap();
    assert_eq!(
        p,
        Position {
            current: at(20, 10, 0),
            previous: at(20, 9, 45),
            earlier_today: 3,
            session: day(20),
        }
    );
    // Monday's first bar follows Friday's last.
    let p = position(&cal, Interval::Minutes(15), ist(23, 9, 15)).unwrap();
    assert_eq!((p.current, p.previous), (at(23, 9, 15), at(20, 15, 15)));
    // Before Monday's open the day bar forming is still Friday's.
    let p = position(&cal, Interval::Day, ist(23, 8, 0)).unwrap();
    assert_eq!((p.current, p.previous), (day(20), day(19)));
    // Tuesday 2026-11-24 is a holiday: Wednesday's day bar follows Monday's.
    let p = position(&cal, Interval::Day, ist(25, 10, 0)).unwrap();
    assert_eq!((p.current, p.previous), (day(25), day(23)));
}

fn bar(ts: i64, volume: i64) -> Bar {
    Bar {
        ts,
        high: 101.0,
        low: 99.0,
        close: 100.0,
        volume: Some(volume),
    }
}

fn quote(ltp: f64, volume: i64) -> Quote {
    Quote {
        instrument: InstrumentKey::parse("NSE_EQ|INE002A01018").unwrap(),
        ts: 0,
        ltp,
        open: Some(100.0),
        high: Some(110.0),
        low: Some(95.0),
        prev_close: Some(100.0),
        volume: Some(volume),
        oi: None,
        bid: None,
        ask: None,
    }
}

#[test]
fn the_forming_intraday_bar_has_the_day_volume_less_todays_stored_bars() {
    let cal = TradingCalendar::embedded();
    let p = position(&cal, Interval::Minutes(15), ist(20, 10, 7)).unwrap();
    let stored = vec![
        bar(at(19, 15, 15), 7),
        bar(at(20, 9, 15), 100),
        bar(at(20, 9, 30), 200),
        bar(at(20, 9, 45), 300),
    ];
    let bars = series(stored, &quote(105.0, 1000), Interval::Minutes(15), p, &[]).unwrap();
    let forming = bars.last().unwrap();
    assert_eq!(forming.ts, at(20, 10, 0));
    assert_eq!(forming.close, 105.0);
    assert_eq!(forming.volume, Some(400));
    // Without the 09:30 bar the day's earlier volume is not known.
    let holed = vec![bar(at(20, 9, 15), 100), bar(at(20, 9, 45), 300)];
    let p2 = Position {
        earlier_today: 3,
        ..p
    };
    let bars = series(holed, &quote(105.0, 1000), Interval::Minutes(15), p2, &[]).unwrap();
    assert_eq!(bars.last().unwrap().volume, None);
}

#[test]
fn fetched_bars_fill_in_after_the_stored_ones() {
    let candle = |ts: i64, volume: i64| Candle {
        ts,
        open: 100.0,
        high: 101.0,
        low: 99.0,
        close: 100.5,
        volume,
        oi: None,
    };
    let stored = vec![bar(at(19, 15, 15), 7), bar(at(20, 9, 15), 100)];
    let fetched = [
        candle(at(20, 9, 15), 999),
        candle(at(20, 9, 30), 200),
        candle(at(20, 9, 45), 300),
        candle(at(20, 10, 0), 50),
    ];
    let bars = merge(stored, &fetched, at(20, 10, 0), 3);
    let seen: Vec<(i64, Option<i64>)> = bars.iter().map(|b| (b.ts, b.volume)).collect();
    // The stored 09:15 bar wins, the forming 10:00 bar is left out, the oldest is dropped.
    assert_eq!(
        seen,
        vec![
            (at(20, 9, 15), Some(100)),
            (at(20, 9, 30), Some(200)),
            (at(20, 9, 45), Some(300))
        ]
    );
}

#[test]
fn two_connections_read_what_one_reads_in_the_same_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("market_data.db");
    let busy = std::time::Duration::from_secs(1);
    let mut conn = common::db::open(&path, busy, &[common::market::store::SCHEMA]).unwrap();
    let keys: Vec<InstrumentKey> = (0..5)
        .map(|n| InstrumentKey::parse(&format!("NSE_EQ|INE00{n}A01018")).unwrap())
        .collect();
    let tx = conn.transaction().unwrap();
    for (n, key) in keys.iter().enumerate() {
        let candles: Vec<Candle> = (1..=20 + n as u32)
            .map(|d| Candle {
                ts: i64::from(d) * 86_400,
                open: 100.0,
                high: 101.0 + f64::from(d),
                low: 99.0,
                close: 100.0 + f64::from(d),
                volume: i64::from(d),
                oi: None,
            })
            .collect();
        common::market::store::upsert_candles(
            &tx,
            key,
            Interval::Day,
            &candles,
            common::market::provider::Source::Upstox,
        )
        .unwrap();
    }
    tx.commit().unwrap();
    let wanted: Vec<Wanted> = keys
        .iter()
        .map(|key| Wanted {
            key: key.clone(),
            reads: vec![(Interval::Day, i64::MAX), (Interval::Minutes(15), i64::MAX)],
        })
        .collect();
    let one = stored_many(&conn, None, &wanted, 12);
    let mut second = common::db::open_read_only(&path, busy, &[])
        .unwrap()
        .unwrap();
    let two = stored_many(&conn, Some(&mut second), &wanted, 12);
    let bars = |all: &[StoredByInterval]| -> Vec<Vec<(Interval, Vec<Bar>)>> {
        all.iter()
            .map(|by| {
                by.iter()
                    .map(|(i, r)| (*i, r.as_ref().unwrap().clone()))
                    .collect()
            })
            .collect()
    };
    assert_eq!(bars(&two), bars(&one));
    for (n, (key, by)) in keys.iter().zip(&one).enumerate() {
        let day = by[&Interval::Day].as_ref().unwrap();
        assert_eq!(
            *day,
            stored(&conn, key, Interval::Day, i64::MAX, 12).unwrap(),
            "{key:?}"
        );
        assert_eq!(day.last().unwrap().volume, Some(20 + n as i64), "{key:?}");
        assert!(by[&Interval::Minutes(15)].as_ref().unwrap().is_empty());
    }
}

#[test]
fn stored_bars_that_stop_early_are_stale() {
    let cal = TradingCalendar::embedded();
    let p = position(&cal, Interval::Day, ist(20, 11, 0)).unwrap();
    let err = series(
        vec![bar(day(18), 5)],
        &quote(105.0, 1000),
        Interval::Day,
        p,
        &[],
    )
    .unwrap_err();
    assert_eq!(
        err,
        Stale {
            last: Some(day(18)),
            expected: day(19)
        }
    );
    let bars = series(
        vec![bar(day(19), 5)],
        &quote(105.0, 1000),
        Interval::Day,
        p,
        &[],
    )
    .unwrap();
    let forming = bars.last().unwrap();
    assert_eq!(
        (forming.high, forming.low, forming.volume),
        (110.0, 95.0, Some(1000))
    );
}
