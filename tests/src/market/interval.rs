//! The candle intervals the server serves: every one Upstox's v3 candle API offers (1 to 300
//! minutes, 1 to 5 hours, a day, a week, a month) and Yahoo's chart intervals, by the names
//! both use, with each API's limits on what one request may ask for.
//!
//! Kept apart from `common::market::interval` on purpose: the server is the oracle the jobs are
//! tested against, so it does not share their reading of the providers.

use super::*;

/// A candle interval. An hour is 60 minutes: Upstox's `hours/1` and `minutes/60` and Yahoo's
/// `60m` and `1h` are the same bars, opening 09:15, 10:15, … 15:15 (the last one cut short by
/// the close).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Interval {
    /// N minutes, 1 ≤ N ≤ 300.
    Minutes(u32),
    /// One session; stamped 00:00 IST of its date by Upstox, at the session's open by Yahoo.
    Day,
    /// The sessions of a Monday-to-Sunday week; both providers stamp it 00:00 IST of the
    /// Monday, even when the week opens later.
    Week,
    /// The sessions of a calendar month; stamped 00:00 IST of the 1st, whatever day that is.
    Month,
}

/// Yahoo's chart intervals this server serves, as Yahoo lists them.
pub(super) const YAHOO_INTERVALS: &str = "[1m, 2m, 5m, 15m, 30m, 60m, 90m, 1h, 1d, 1wk, 1mo]";

impl Interval {
    /// The market's names (`1minute`, `30minute`, `1hour`, `day`, `week`, `month`) and Yahoo's
    /// (`1m`, `60m`, `1h`, `1d`, `1wk`, `1mo`…).
    pub(super) fn parse(s: &str) -> Option<Self> {
        if let Some(iv) = Self::from_yahoo(s) {
            return Some(iv);
        }
        let count = |n: &str| n.parse::<u32>().ok();
        match s {
            "day" => Some(Self::Day),
            "week" => Some(Self::Week),
            "month" => Some(Self::Month),
            _ => {
                if let Some(n) = s.strip_suffix("minute").and_then(count) {
                    Self::from_upstox("minutes", &n.to_string())
                } else {
                    let n = s.strip_suffix("hour").and_then(count)?;
                    Self::from_upstox("hours", &n.to_string())
                }
            }
        }
    }

    /// A Yahoo `interval=` value.
    pub(super) fn from_yahoo(s: &str) -> Option<Self> {
        match s {
            "1m" | "2m" | "5m" | "15m" | "30m" | "60m" | "90m" => {
                s.trim_end_matches('m').parse().ok().map(Self::Minutes)
            }
            "1h" => Some(Self::Minutes(60)),
            "1d" => Some(Self::Day),
            "1wk" => Some(Self::Week),
            "1mo" => Some(Self::Month),
            _ => None,
        }
    }

    /// Upstox v3's (unit, interval) path pair: `minutes` 1–300, `hours` 1–5, and 1 of `days`,
    /// `weeks` and `months`.
    pub(super) fn from_upstox(unit: &str, n: &str) -> Option<Self> {
        let n: u32 = n.parse().ok()?;
        match (unit, n) {
            ("minutes", 1..=300) => Some(Self::Minutes(n)),
            ("hours", 1..=5) => Some(Self::Minutes(60 * n)),
            ("days", 1) => Some(Self::Day),
            ("weeks", 1) => Some(Self::Week),
            ("months", 1) => Some(Self::Month),
            _ => None,
        }
    }

    /// The bar length in seconds of an intraday interval.
    pub(super) fn seconds(self) -> Option<i64> {
        match self {
            Self::Minutes(m) => Some(i64::from(m) * 60),
            Self::Day | Self::Week | Self::Month => None,
        }
    }

    /// Whether a bar spans more than one session.
    pub(super) fn is_period(self) -> bool {
        matches!(self, Self::Week | Self::Month)
    }

    /// The first calendar day of the week (Monday) or month holding `date`; `date` itself for
    /// the other intervals.
    pub(super) fn period_begin(self, date: NaiveDate) -> NaiveDate {
        match self {
            Self::Week => {
                date - chrono::Days::new(u64::from(date.weekday().num_days_from_monday()))
            }
            Self::Month => date.with_day(1).unwrap_or(date),
            Self::Minutes(_) | Self::Day => date,
        }
    }

    /// The last calendar day of the period beginning `begin`.
    pub(super) fn period_end(self, begin: NaiveDate) -> NaiveDate {
        match self {
            Self::Week => begin + chrono::Days::new(6),
            Self::Month => begin
                .checked_add_months(Months::new(1))
                .and_then(|d| d.pred_opt())
                .unwrap_or(NaiveDate::MAX),
            Self::Minutes(_) | Self::Day => begin,
        }
    }

    /// Normalises a bar start to the key holes and corrupt bars are kept by: the time itself
    /// for intraday bars, 00:00 IST of the date for a day (Yahoo stamps it 09:15), 00:00 IST
    /// of the Monday or the 1st for a week or a month (any time inside it names it).
    pub(super) fn key_ts(self, ts: i64) -> i64 {
        match self {
            Self::Minutes(_) => ts,
            _ => midnight(self.period_begin(ist_date(ts))),
        }
    }

    /// What one Upstox historical request may span, in months before its `to_date` (1 for
    /// 1–15 minutes, a quarter for longer minutes and hours, a decade for days), with the words
    /// of the refusal; `None` for weeks and months, which have no limit.
    pub(super) fn upstox_span(self) -> Option<(u32, &'static str)> {
        match self {
            Self::Minutes(m) if m <= 15 => Some((1, "1 month for 1 to 15 minute")),
            Self::Minutes(_) => Some((3, "1 quarter for longer minute and hour")),
            Self::Day => Some((120, "1 decade for day")),
            Self::Week | Self::Month => None,
        }
    }

    /// Yahoo's limits for intraday bars: the longest span one request may ask for, and how
    /// many days back Yahoo keeps them, in days.
    pub(super) fn yahoo_limits(self) -> Option<(Option<i64>, i64)> {
        match self {
            Self::Minutes(1) => Some((Some(7), 30)),
            Self::Minutes(60) => Some((None, 730)),
            Self::Minutes(_) => Some((None, 60)),
            Self::Day | Self::Week | Self::Month => None,
        }
    }

    pub(super) fn parse_or_panic(s: &str) -> Self {
        Self::parse(s).unwrap_or_else(|| {
            panic!("unknown interval {s:?}: use Nminute, Nhour, day, week, month or Yahoo's names")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_providers_names_parse_to_the_same_bars() {
        for (name, iv) in [
            ("1minute", Interval::Minutes(1)),
            ("30minute", Interval::Minutes(30)),
            ("1hour", Interval::Minutes(60)),
            ("60minute", Interval::Minutes(60)),
            ("5hour", Interval::Minutes(300)),
            ("1h", Interval::Minutes(60)),
            ("60m", Interval::Minutes(60)),
            ("90m", Interval::Minutes(90)),
            ("1wk", Interval::Week),
            ("week", Interval::Week),
            ("1mo", Interval::Month),
        ] {
            assert_eq!(Interval::parse(name), Some(iv), "{name}");
        }
        for bad in ["0minute", "301minute", "6hour", "10m", "3mo", "fortnight"] {
            assert_eq!(Interval::parse(bad), None, "{bad}");
        }
        assert_eq!(
            Interval::from_upstox("hours", "2"),
            Some(Interval::Minutes(120))
        );
        assert_eq!(Interval::from_upstox("weeks", "2"), None);
    }

    #[test]
    fn periods_begin_on_monday_and_the_first() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        assert_eq!(Interval::Week.period_begin(d(9, 17)), d(9, 14));
        assert_eq!(Interval::Week.period_end(d(9, 14)), d(9, 20));
        assert_eq!(Interval::Month.period_begin(d(11, 30)), d(11, 1));
        assert_eq!(Interval::Month.period_end(d(2, 1)), d(2, 28));
        assert_eq!(
            Interval::Month.key_ts(midnight(d(11, 20)) + 33_300),
            midnight(d(11, 1))
        );
    }
}
