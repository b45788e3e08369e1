//! How far the forming bar of a day, a week or a month is through its trading time. Its
//! volume so far is compared with the average of full bars pro-rated by that share: a day's
//! volume at 12:22 IST is half a day's, not a whole one (see [`crate::evaluate`]).

use chrono::{DateTime, Utc};
use common::calendar::TradingCalendar;
use common::market::candle::{ist_date, ist_epoch, period_begin};
use common::market::interval::Interval;

use crate::series::Position;

/// Trading seconds of the forming bar's sessions: those gone by at the scan, and all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Trading seconds gone by.
    pub elapsed: i64,
    /// Trading seconds in the whole bar.
    pub total: i64,
}

/// How long into a bar its volume is too young to pro-rate: the opening auction's volume
/// lands in the first minute, and trading is heaviest just after the open, so a pro-rated
/// average would be crossed every morning.
pub const SETTLING_SECS: i64 = 15 * 60;

impl Progress {
    /// The share of the bar's trading time gone by, 0 to 1.
    pub fn share(self) -> f64 {
        if self.total <= 0 {
            1.0
        } else {
            (self.elapsed as f64 / self.total as f64).clamp(0.0, 1.0)
        }
    }

    /// Whether the bar is still in its first [`SETTLING_SECS`] of trading.
    pub fn settling(self) -> bool {
        self.elapsed < SETTLING_SECS.min(self.total)
    }
}

/// The progress at `now` of the forming bar at `at`, for bars of a day, a week or a month
/// (each session of the bar counted from its open to its close, by the NSE calendar); `None`
/// for intraday bars, whose forming volume is compared as it is.
pub fn progress(
    calendar: &TradingCalendar,
    interval: Interval,
    at: Position,
    now: DateTime<Utc>,
) -> Option<Progress> {
    if interval.is_intraday() {
        return None;
    }
    let first = ist_date(at.current);
    let begin = period_begin(first, interval);
    let now = now.timestamp();
    let mut progress = Progress {
        elapsed: 0,
        total: 0,
    };
    for day in first
        .iter_days()
        .take_while(|d| period_begin(*d, interval) == begin)
    {
        if let Some(session) = calendar.session(day) {
            let (open, close) = (ist_epoch(day, session.open), ist_epoch(day, session.close));
            progress.total += close - open;
            progress.elapsed += now.clamp(open, close) - open;
        }
    }
    Some(progress)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::series::position;
    use chrono::TimeZone;
    use common::calendar::IST;

    fn ist(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        IST.with_ymd_and_hms(2026, 11, d, h, m, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn at(interval: Interval, now: DateTime<Utc>) -> Option<Progress> {
        let cal = TradingCalendar::embedded();
        progress(&cal, interval, position(&cal, interval, now)?, now)
    }

    #[test]
    fn a_day_bar_is_as_far_through_as_its_session() {
        // 09:15 to 15:30 is 375 minutes; 12:22:30 would be half of them.
        let p = at(Interval::Day, ist(20, 11, 45)).unwrap();
        assert_eq!(
            p,
            Progress {
                elapsed: 150 * 60,
                total: 375 * 60
            }
        );
        assert!((p.share() - 0.4).abs() < 1e-12);
        assert!(!p.settling());
        let early = at(Interval::Day, ist(20, 9, 20)).unwrap();
        assert!(early.settling());
        // After the close, and before the next open, the bar is complete.
        assert_eq!(at(Interval::Day, ist(20, 16, 0)).unwrap().share(), 1.0);
        assert_eq!(at(Interval::Day, ist(23, 8, 0)).unwrap().share(), 1.0);
    }

    #[test]
    fn a_week_bar_counts_its_sessions_by_the_calendar() {
        // The week of Monday 2026-11-23 has Tuesday the 24th off: four sessions. On
        // Wednesday at 09:15 one of them has gone by.
        let p = at(Interval::Week, ist(25, 9, 15)).unwrap();
        assert_eq!(p.total, 4 * 375 * 60);
        assert_eq!(p.elapsed, 375 * 60);
        assert!(!p.settling(), "only the bar's first minutes settle");
    }

    #[test]
    fn intraday_bars_have_no_progress() {
        assert_eq!(at(Interval::Minutes(15), ist(20, 11, 45)), None);
    }
}
