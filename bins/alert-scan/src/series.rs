//! The bars a rule is computed on: the stored candles of its interval, oldest first, then the
//! forming bar made from the latest quote.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveTime, Utc};
use common::calendar::{self, TradingCalendar};
use common::market::candle::{Candle, expected_bars, ist_epoch, period_open, previous_period};
use common::market::instrument::InstrumentKey;
use common::market::interval::Interval;
use common::market::provider::Quote;
use rusqlite::{Connection, params};

/// One bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bar {
    /// Its start, UTC epoch seconds (00:00 IST for day bars).
    pub ts: i64,
    /// High.
    pub high: f64,
    /// Low.
    pub low: f64,
    /// Close (for the forming bar: the last price).
    pub close: f64,
    /// Volume; `None` when the forming bar's cannot be known.
    pub volume: Option<i64>,
}

/// Where a quote at `now` falls: the bar it belongs to and the one before it, by the NSE
/// calendar. `None` before the first session the calendar knows of (it looks back 15 days).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// The forming bar's start.
    pub current: i64,
    /// The start of the bar before it (in an earlier session when `current` is the first).
    pub previous: i64,
    /// How many bars of `current`'s session come before it; for a week's or a month's bar,
    /// how many of its sessions come before today's.
    pub earlier_today: usize,
    /// 00:00 IST of the session the quote belongs to (the latest that has opened).
    pub session: i64,
}

/// The bar `now` is in, for `interval`: the latest bar that has started, in the latest
/// session that has opened.
pub fn position(
    calendar: &TradingCalendar,
    interval: Interval,
    now: DateTime<Utc>,
) -> Option<Position> {
    if interval.is_intraday() {
        intraday_position(calendar, interval, now)
    } else {
        period_position(calendar, interval, now)
    }
}

/// [`position`] for intraday bars. `None` before the first session the calendar knows of (it
/// looks back 15 days).
fn intraday_position(
    calendar: &TradingCalendar,
    interval: Interval,
    now: DateTime<Utc>,
) -> Option<Position> {
    let now = now.timestamp();
    let mut date = calendar::today(chrono::DateTime::from_timestamp(now, 0)?);
    let mut found: Option<(i64, i64)> = None;
    for _ in 0..15 {
        let bars = expected_bars(calendar, date, interval);
        if let Some(session) = calendar.session(date) {
            match found {
                None if ist_epoch(date, session.open) <= now => {
                    let at = bars.iter().rposition(|&b| b <= now)?;
                    let session = ist_epoch(date, NaiveTime::MIN);
                    if at > 0 {
                        return Some(Position {
                            current: bars[at],
                            previous: bars[at - 1],
                            earlier_today: at,
                            session,
                        });
                    }
                    found = Some((bars[at], session));
                }
                Some((current, session)) => {
                    return Some(Position {
                        current,
                        previous: *bars.last()?,
                        earlier_today: 0,
                        session,
                    });
                }
                None => {}
            }
        }
        date = date.checked_sub_days(Days::new(1))?;
    }
    None
}

/// [`position`] for bars of a day, a week or a month: each starts at 00:00 IST of its first
/// trading day but trades from that session's open, and the quote belongs to the latest
/// session that has opened. `None` when the calendar has no such session in the 15 days
/// before, or no earlier one in the 24 periods before.
fn period_position(
    calendar: &TradingCalendar,
    interval: Interval,
    now: DateTime<Utc>,
) -> Option<Position> {
    let today = calendar::today(now);
    let latest = (0..15)
        .filter_map(|back| today.checked_sub_days(Days::new(back)))
        .find(|d| {
            calendar
                .session(*d)
                .is_some_and(|s| ist_epoch(*d, s.open) <= now.timestamp())
        })?;
    let first = period_open(calendar, latest, interval)?;
    let earlier_today = first
        .iter_days()
        .take_while(|d| *d < latest)
        .filter(|d| calendar.session(*d).is_some())
        .count();
    let mut date = latest;
    for _ in 0..24 {
        date = previous_period(date, interval)?;
        if let Some(before) = period_open(calendar, date, interval) {
            return Some(Position {
                current: ist_epoch(first, NaiveTime::MIN),
                previous: ist_epoch(before, NaiveTime::MIN),
                earlier_today,
                session: ist_epoch(latest, NaiveTime::MIN),
            });
        }
    }
    None
}

/// Up to `limit` stored bars of `key` and `interval` that start before `before`, oldest first.
pub fn stored(
    conn: &Connection,
    key: &InstrumentKey,
    interval: Interval,
    before: i64,
    limit: usize,
) -> rusqlite::Result<Vec<Bar>> {
    let mut stmt = conn.prepare_cached(
        "SELECT ts, high, low, close, volume FROM candles
         WHERE instrument = ?1 AND interval = ?2 AND ts < ?3 ORDER BY ts DESC LIMIT ?4",
    )?;
    let mut bars = stmt
        .query_map(
            params![key.as_str(), interval.code(), before, limit as i64],
            |r| {
                Ok(Bar {
                    ts: r.get(0)?,
                    high: r.get(1)?,
                    low: r.get(2)?,
                    close: r.get(3)?,
                    volume: r.get(4)?,
                })
            },
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    bars.reverse();
    Ok(bars)
}

/// What one symbol's scan reads: its key, and per interval the forming bar's start.
pub struct Wanted {
    /// The instrument.
    pub key: InstrumentKey,
    /// Each interval its rules use, with the start of its forming bar.
    pub reads: Vec<(Interval, i64)>,
}

/// One symbol's stored bars per interval, each as [`stored`] returned it.
pub type StoredByInterval = BTreeMap<Interval, rusqlite::Result<Vec<Bar>>>;

/// [`stored`] for every one of `wanted`, in order, up to `limit` bars each. Reading rows is
/// most of a scan, so with a second connection the second half is read on a thread of its
/// own while this one reads the first.
pub fn stored_many(
    conn: &Connection,
    second: Option<&mut Connection>,
    wanted: &[Wanted],
    limit: usize,
) -> Vec<StoredByInterval> {
    let read = |conn: &Connection, part: &[Wanted]| -> Vec<StoredByInterval> {
        part.iter()
            .map(|w| {
                w.reads
                    .iter()
                    .map(|&(interval, before)| {
                        (interval, stored(conn, &w.key, interval, before, limit))
                    })
                    .collect()
            })
            .collect()
    };
    match second {
        Some(second) if wanted.len() > 1 => {
            let (first, rest) = wanted.split_at(wanted.len() / 2);
            std::thread::scope(|scope| {
                let other = scope.spawn(move || read(second, rest));
                let mut all = read(conn, first);
                all.extend(
                    other
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                );
                all
            })
        }
        _ => read(conn, wanted),
    }
}

/// The stored day bars of a week's or a month's bar at `at` that come before its session
/// today: what its forming bar adds to the quote. Empty for shorter intervals.
pub fn period_sessions(
    conn: &Connection,
    key: &InstrumentKey,
    interval: Interval,
    at: Position,
) -> rusqlite::Result<Vec<Bar>> {
    if matches!(interval, Interval::Week | Interval::Month) {
        let mut bars = stored(conn, key, Interval::Day, at.session, at.earlier_today)?;
        bars.retain(|b| b.ts >= at.current);
        Ok(bars)
    } else {
        Ok(Vec::new())
    }
}

/// Adds `fetched` bars (checked, complete) that start before `before` and are not stored, and
/// keeps the newest `limit`: today's bars from the provider when market-sync has not stored
/// them yet.
pub fn merge(stored: Vec<Bar>, fetched: &[Candle], before: i64, limit: usize) -> Vec<Bar> {
    let mut bars = stored;
    let known: std::collections::HashSet<i64> = bars.iter().map(|b| b.ts).collect();
    bars.extend(
        fetched
            .iter()
            .filter(|c| c.ts < before && !known.contains(&c.ts))
            .map(|c| Bar {
                ts: c.ts,
                high: c.high,
                low: c.low,
                close: c.close,
                volume: Some(c.volume),
            }),
    );
    bars.sort_by_key(|b| b.ts);
    let extra = bars.len().saturating_sub(limit);
    bars.drain(..extra);
    bars
}

/// Whether `stored` reaches the bar before the forming one.
pub fn is_current(stored: &[Bar], at: Position) -> bool {
    stored.last().map(|b| b.ts) == Some(at.previous)
}

/// Why the stored bars cannot be extended with the forming bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    /// The last stored bar's start, if any.
    pub last: Option<i64>,
    /// The bar that should be the last stored one.
    pub expected: i64,
}

/// The series for one (instrument, interval): `stored` (closed bars, oldest first) then the
/// forming bar from `quote`. Refused when the stored bars stop before the bar preceding the
/// forming one: an indicator computed across a hole would be wrong.
pub fn series(
    stored: Vec<Bar>,
    quote: &Quote,
    interval: Interval,
    at: Position,
    sessions: &[Bar],
) -> Result<Vec<Bar>, Stale> {
    if !is_current(&stored, at) {
        return Err(Stale {
            last: stored.last().map(|b| b.ts),
            expected: at.previous,
        });
    }
    let price = quote.ltp;
    let forming = match interval.minutes() {
        // The quote's volume, high and low are the day's so far: the day bar's own; a week's
        // or a month's adds its earlier sessions' day bars, and knows its volume only when
        // every one of them is stored.
        None => {
            let earlier = &sessions[..sessions.len().min(at.earlier_today)];
            let complete = interval == Interval::Day || earlier.len() == at.earlier_today;
            let volume = match (quote.volume, complete) {
                (Some(today), true) => {
                    Some(today + earlier.iter().filter_map(|b| b.volume).sum::<i64>())
                }
                _ => None,
            };
            Bar {
                ts: at.current,
                high: earlier
                    .iter()
                    .map(|b| b.high)
                    .fold(quote.high.unwrap_or(price).max(price), f64::max),
                low: earlier
                    .iter()
                    .map(|b| b.low)
                    .fold(quote.low.unwrap_or(price).min(price), f64::min),
                close: price,
                volume,
            }
        }
        // The forming bar's volume is the day's less that of today's bars, when all of them
        // are stored: the last `earlier_today` bars, the first at the open. Being distinct
        // bars on the grid between the open and the previous bar, they are all of them.
        Some(minutes) => {
            let today = &stored[stored.len().saturating_sub(at.earlier_today)..];
            let open = at.current - at.earlier_today as i64 * i64::from(minutes) * 60;
            let complete =
                today.len() == at.earlier_today && today.first().is_none_or(|b| b.ts == open);
            let volume = match (quote.volume, complete) {
                (Some(day), true) => {
                    let before: i64 = today.iter().filter_map(|b| b.volume).sum();
                    Some((day - before).max(0))
                }
                _ => None,
            };
            Bar {
                ts: at.current,
                high: price,
                low: price,
                close: price,
                volume,
            }
        }
    };
    let mut bars = stored;
    bars.push(forming);
    Ok(bars)
}

/// A symbol's series per interval, or why there is none.
pub type SeriesByInterval = BTreeMap<Interval, Result<Vec<Bar>, Stale>>;

#[cfg(test)]
mod tests {
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
}
