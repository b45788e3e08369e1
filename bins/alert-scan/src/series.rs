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
mod tests;
