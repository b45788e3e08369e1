//! Candles, and the checks every candle passes before it is stored.

use std::fmt;

use crate::calendar::{IST, TradingCalendar};
use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};

use crate::market::interval::Interval;

/// One OHLCV bar. `ts` is the bar's start in UTC epoch seconds; a day bar starts at 00:00 IST
/// of its session's date (Upstox's convention, which Yahoo's day bars are converted to).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candle {
    /// Bar start, UTC epoch seconds.
    pub ts: i64,
    /// Open.
    pub open: f64,
    /// High.
    pub high: f64,
    /// Low.
    pub low: f64,
    /// Close.
    pub close: f64,
    /// Traded volume (0 for indices).
    pub volume: i64,
    /// Open interest, for derivatives; `None` when the provider does not give it.
    pub oi: Option<i64>,
}

/// Why a candle was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Problem {
    /// A price is zero, negative, NaN or infinite.
    BadPrice,
    /// high < max(open, close) or high < low.
    HighTooLow,
    /// low > min(open, close).
    LowTooHigh,
    /// Negative volume or open interest.
    NegativeVolume,
    /// Not inside a trading session of the NSE calendar.
    OutsideSession,
    /// Inside a session but not on the interval's grid (09:15 + k × interval).
    Misaligned,
    /// The same bar twice in one response.
    Duplicate,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Problem::BadPrice => "price not a positive number",
            Problem::HighTooLow => "high below open, close or low",
            Problem::LowTooHigh => "low above open or close",
            Problem::NegativeVolume => "negative volume",
            Problem::OutsideSession => "outside a trading session",
            Problem::Misaligned => "not aligned to the interval",
            Problem::Duplicate => "duplicate bar",
        })
    }
}

/// A refused candle: which and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    /// The candle as received.
    pub candle: Candle,
    /// The first problem found.
    pub problem: Problem,
}

/// The outcome of [`check`]: what may be stored, oldest first, and what may not.
#[derive(Debug, Default)]
pub struct Checked {
    /// Valid, complete bars, oldest first, one per timestamp.
    pub candles: Vec<Candle>,
    /// Refused bars.
    pub rejected: Vec<Rejection>,
    /// Bars still forming at `now` (valid, but not stored until complete).
    pub forming: usize,
}

/// The IST date of a UTC epoch second.
pub fn ist_date(ts: i64) -> NaiveDate {
    utc(ts).with_timezone(&IST).date_naive()
}

/// A UTC epoch second as a time.
pub fn utc(ts: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(ts, 0).unwrap_or_default()
}

/// The epoch second of `time` IST on `date`.
pub fn ist_epoch(date: NaiveDate, time: NaiveTime) -> i64 {
    IST.from_local_datetime(&date.and_time(time))
        .single()
        .map_or(0, |t| t.timestamp())
}

/// 00:00 IST of `ts`'s IST date: where day bars are stored.
pub fn day_start(ts: i64) -> i64 {
    ist_epoch(ist_date(ts), NaiveTime::MIN)
}

/// The first calendar day of the week (Monday) or month holding `date`; `date` itself for the
/// other intervals. Upstox and Yahoo stamp a week's or a month's bar there, and answer a
/// request with the bars stamped inside its range, so a request for that bar starts there.
pub fn period_begin(date: NaiveDate, interval: Interval) -> NaiveDate {
    match interval {
        Interval::Week => date - Days::new(u64::from(date.weekday().num_days_from_monday())),
        Interval::Month => date.with_day(1).unwrap_or(date),
        Interval::Minutes(_) | Interval::Day => date,
    }
}

/// The calendar days of the period (one day, week or month) holding `date`, in order.
fn period_days(date: NaiveDate, interval: Interval) -> impl Iterator<Item = NaiveDate> {
    let begin = period_begin(date, interval);
    begin.iter_days().take_while(move |d| match interval {
        Interval::Week => *d < begin + Days::new(7),
        Interval::Month => d.month() == begin.month(),
        Interval::Minutes(_) | Interval::Day => *d == begin,
    })
}

/// The first trading day of the day, week or month holding `date` (where that bar opens), if
/// the market opens in it at all.
pub fn period_open(
    calendar: &TradingCalendar,
    date: NaiveDate,
    interval: Interval,
) -> Option<NaiveDate> {
    period_days(date, interval).find(|d| calendar.session(*d).is_some())
}

/// The last trading day of the day, week or month holding `date` (where that bar closes).
fn period_close(
    calendar: &TradingCalendar,
    date: NaiveDate,
    interval: Interval,
) -> Option<NaiveDate> {
    period_days(date, interval)
        .filter(|d| calendar.session(*d).is_some())
        .last()
}

/// A date in the period before the one holding `date`.
pub fn previous_period(date: NaiveDate, interval: Interval) -> Option<NaiveDate> {
    period_begin(date, interval).checked_sub_days(Days::new(1))
}

/// The bar starts the calendar expects to open on `date` for `interval`: nothing on a closed
/// day; `open + k × interval` while before the close for intraday bars (the last one is cut
/// short by the close: an hourly bar opens at 15:15 and lasts 15 minutes); 00:00 IST for a
/// day bar, and for a week's or a month's on its first trading day only.
pub fn expected_bars(calendar: &TradingCalendar, date: NaiveDate, interval: Interval) -> Vec<i64> {
    let Some(session) = calendar.session(date) else {
        return Vec::new();
    };
    match interval.minutes() {
        None if period_open(calendar, date, interval) == Some(date) => {
            vec![ist_epoch(date, NaiveTime::MIN)]
        }
        None => Vec::new(),
        Some(m) => {
            let (open, close) = (
                ist_epoch(date, session.open),
                ist_epoch(date, session.close),
            );
            (open..close).step_by(m as usize * 60).collect()
        }
    }
}

/// When the bar starting at `ts` ends: `ts + interval` or the session's close if sooner, the
/// close of a day bar's session, the close of the last session of a week's or month's bar.
/// `None` when the calendar has no session for it.
pub fn bar_end(calendar: &TradingCalendar, ts: i64, interval: Interval) -> Option<i64> {
    let date = ist_date(ts);
    let last = period_close(calendar, date, interval)?;
    let close = ist_epoch(last, calendar.session(last)?.close);
    Some(match interval.minutes() {
        Some(m) => (ts + i64::from(m) * 60).min(close),
        None => close,
    })
}

fn problem(c: &Candle) -> Option<Problem> {
    let prices = [c.open, c.high, c.low, c.close];
    if prices.iter().any(|p| !p.is_finite() || *p <= 0.0) {
        Some(Problem::BadPrice)
    } else if c.high < c.open.max(c.close) || c.high < c.low {
        Some(Problem::HighTooLow)
    } else if c.low > c.open.min(c.close) {
        Some(Problem::LowTooHigh)
    } else if c.volume < 0 || c.oi.is_some_and(|oi| oi < 0) {
        Some(Problem::NegativeVolume)
    } else {
        None
    }
}

/// Where a bar is stored: intraday bars where they start, a day bar at 00:00 IST of its date,
/// a week's or a month's at 00:00 IST of its first trading day (providers differ: Upstox and
/// Yahoo date a week by its Monday even when Monday is a holiday).
fn stored_start(calendar: &TradingCalendar, ts: i64, interval: Interval) -> i64 {
    match interval {
        Interval::Minutes(_) => ts,
        Interval::Day => day_start(ts),
        Interval::Week | Interval::Month => period_open(calendar, ist_date(ts), interval)
            .map_or(ts, |d| ist_epoch(d, NaiveTime::MIN)),
    }
}

/// Where the bar at `ts` falls for `interval`: when it ends, or why it has no place.
fn placement(ts: i64, interval: Interval, calendar: &TradingCalendar) -> Result<i64, Problem> {
    let local = utc(ts).with_timezone(&IST);
    let date = local.date_naive();
    let session = calendar.session(date).ok_or(Problem::OutsideSession)?;
    if let Some(m) = interval.minutes() {
        let t = local.time();
        if t < session.open || t >= session.close {
            return Err(Problem::OutsideSession);
        }
        let since_open = (t - session.open).num_seconds();
        if t.nanosecond() != 0 || since_open % (i64::from(m) * 60) != 0 {
            return Err(Problem::Misaligned);
        }
    } else if local.time() != NaiveTime::MIN {
        return Err(Problem::Misaligned);
    }
    bar_end(calendar, ts, interval).ok_or(Problem::OutsideSession)
}

/// Checks `candles` (any order) for `interval`: OHLC consistency, volume, a session of the
/// calendar, the interval's grid; bars of a day or longer are moved to where they are stored
/// (00:00 IST of their first trading day). Bars that end after `now`
/// are counted as forming and left out.
pub fn check(
    candles: Vec<Candle>,
    interval: Interval,
    calendar: &TradingCalendar,
    now: DateTime<Utc>,
) -> Checked {
    let mut out = Checked::default();
    let mut candles = candles;
    for c in &mut candles {
        c.ts = stored_start(calendar, c.ts, interval);
    }
    candles.sort_by_key(|c| c.ts);
    // What is kept is moved down in place: a second vector would double the memory of the
    // largest batches.
    let mut kept = 0;
    let mut last_ts = None;
    for i in 0..candles.len() {
        let candle = candles[i];
        let verdict = problem(&candle)
            .map_or_else(|| placement(candle.ts, interval, calendar), Err)
            .and_then(|end| {
                if last_ts == Some(candle.ts) {
                    Err(Problem::Duplicate)
                } else {
                    Ok(end)
                }
            });
        match verdict {
            Ok(end) if end > now.timestamp() => {
                out.forming += 1;
            }
            Ok(_) => {
                last_ts = Some(candle.ts);
                candles[kept] = candle;
                kept += 1;
            }
            Err(problem) => out.rejected.push(Rejection { candle, problem }),
        }
    }
    candles.truncate(kept);
    out.candles = candles;
    out
}

#[cfg(test)]
mod tests;
