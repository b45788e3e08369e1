//! Candle intervals: every one Upstox's v3 candle API offers (1 to 300 minutes, 1 to 5 hours, a
//! day, a week, a month), the spellings a desk and the providers use, and the integer code the
//! `candles` table stores.

use std::fmt;
use std::str::FromStr;

/// A candle interval. An hour is 60 minutes: `1hour` and `60minute` are the same bars (both
/// open at 09:15, 10:15, … and the last of a session ends at its close).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Interval {
    /// N minutes, 1 ≤ N ≤ [`MAX_MINUTES`].
    Minutes(u16),
    /// One session.
    Day,
    /// The sessions of one Monday-to-Sunday week; the bar opens on its first trading day.
    Week,
    /// The sessions of one calendar month; the bar opens on its first trading day.
    Month,
}

/// The longest intraday bar Upstox offers: 300 minutes (5 hours).
pub const MAX_MINUTES: u16 = 300;

/// What a run keeps current unless configured otherwise.
pub const DEFAULTS: [Interval; 4] = [
    Interval::Minutes(1),
    Interval::Minutes(5),
    Interval::Minutes(15),
    Interval::Day,
];

/// The codes of [`Interval::Day`], [`Interval::Week`] and [`Interval::Month`] in
/// `candles.interval`: their nominal length in minutes, so codes sort like the intervals.
const DAY_CODE: i64 = 1440;
const WEEK_CODE: i64 = 7 * 1440;
const MONTH_CODE: i64 = 31 * 1440;

/// A spelling that names no interval.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown interval {0:?}: use N minute (1 to 300, e.g. 30minute), N hour (1 to 5, e.g. 1hour), day, week or month"
)]
pub struct UnknownInterval(pub String);

impl Interval {
    /// The intraday interval of `n` minutes, if Upstox offers it.
    pub fn minutes_of(n: u32) -> Option<Interval> {
        u16::try_from(n)
            .ok()
            .filter(|n| (1..=MAX_MINUTES).contains(n))
            .map(Interval::Minutes)
    }

    /// The bar length in minutes, for intraday intervals.
    pub fn minutes(self) -> Option<u32> {
        match self {
            Interval::Minutes(m) => Some(u32::from(m)),
            Interval::Day | Interval::Week | Interval::Month => None,
        }
    }

    /// Whether a bar lasts less than a session.
    pub fn is_intraday(self) -> bool {
        matches!(self, Interval::Minutes(_))
    }

    /// The integer stored in `candles.interval`: minutes for intraday bars, a day's, a week's
    /// and a month's nominal minutes otherwise.
    pub fn code(self) -> i64 {
        match self {
            Interval::Minutes(m) => i64::from(m),
            Interval::Day => DAY_CODE,
            Interval::Week => WEEK_CODE,
            Interval::Month => MONTH_CODE,
        }
    }

    /// The interval a stored code means.
    pub fn from_code(code: i64) -> Option<Interval> {
        match code {
            DAY_CODE => Some(Interval::Day),
            WEEK_CODE => Some(Interval::Week),
            MONTH_CODE => Some(Interval::Month),
            n => u32::try_from(n).ok().and_then(Interval::minutes_of),
        }
    }

    /// Upstox v3's `{unit}/{interval}` path segments: whole hours as `hours/N`.
    pub fn upstox_path(self) -> String {
        match self {
            Interval::Minutes(m) if m % 60 == 0 => format!("hours/{}", m / 60),
            Interval::Minutes(m) => format!("minutes/{m}"),
            Interval::Day => "days/1".to_string(),
            Interval::Week => "weeks/1".to_string(),
            Interval::Month => "months/1".to_string(),
        }
    }

    /// Yahoo's `interval=` value, for the intervals Yahoo's chart API has.
    pub fn yahoo(self) -> Option<&'static str> {
        Some(match self {
            Interval::Minutes(1) => "1m",
            Interval::Minutes(2) => "2m",
            Interval::Minutes(5) => "5m",
            Interval::Minutes(15) => "15m",
            Interval::Minutes(30) => "30m",
            Interval::Minutes(60) => "60m",
            Interval::Minutes(90) => "90m",
            Interval::Day => "1d",
            Interval::Week => "1wk",
            Interval::Month => "1mo",
            Interval::Minutes(_) => return None,
        })
    }
}

impl fmt::Display for Interval {
    /// The canonical name: `30minute`, `1hour`, `day`, `week`, `month`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Interval::Minutes(m) if m % 60 == 0 => write!(f, "{}hour", m / 60),
            Interval::Minutes(m) => write!(f, "{m}minute"),
            Interval::Day => f.write_str("day"),
            Interval::Week => f.write_str("week"),
            Interval::Month => f.write_str("month"),
        }
    }
}

impl FromStr for Interval {
    type Err = UnknownInterval;

    /// Takes the canonical names and what desks and the providers write: `30minute`,
    /// `30minutes`, `30min`, `30m`, `minutes/30`, `1hour`, `1h`, `hours/1`, `day`, `1d`,
    /// `daily`, `days/1`, `week`, `1wk`, `weekly`, `weeks/1`, `month`, `1mo`, `monthly`,
    /// `months/1`.
    fn from_str(s: &str) -> Result<Self, UnknownInterval> {
        let unknown = || UnknownInterval(s.to_string());
        let lower = s.trim().to_ascii_lowercase();
        // Upstox's `unit/n` order, turned into `n unit`.
        let (count, unit) = match lower.split_once('/') {
            Some((unit, n)) => (n.trim().to_string(), unit.trim().to_string()),
            None => {
                let digits = lower.bytes().take_while(u8::is_ascii_digit).count();
                (
                    lower[..digits].to_string(),
                    lower[digits..].trim().to_string(),
                )
            }
        };
        let n: u32 = if count.is_empty() {
            1
        } else {
            count.parse().map_err(|_| unknown())?
        };
        let unit = match unit.as_str() {
            "m" | "min" | "mins" | "minute" | "minutes" => Unit::Minute,
            "h" | "hr" | "hour" | "hours" => Unit::Hour,
            "d" | "day" | "days" | "daily" => Unit::Day,
            "w" | "wk" | "week" | "weeks" | "weekly" => Unit::Week,
            "mo" | "month" | "months" | "monthly" => Unit::Month,
            _ => return Err(unknown()),
        };
        match unit {
            Unit::Minute => Interval::minutes_of(n),
            Unit::Hour if (1..=5).contains(&n) => Interval::minutes_of(n * 60),
            Unit::Day if n == 1 => Some(Interval::Day),
            Unit::Week if n == 1 => Some(Interval::Week),
            Unit::Month if n == 1 => Some(Interval::Month),
            _ => None,
        }
        .ok_or_else(unknown)
    }
}

/// The unit of a spelled interval.
enum Unit {
    Minute,
    Hour,
    Day,
    Week,
    Month,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_upstox_interval_round_trips_by_name_and_by_code() {
        let all = (1..=MAX_MINUTES).map(Interval::Minutes).chain([
            Interval::Day,
            Interval::Week,
            Interval::Month,
        ]);
        for interval in all {
            let name = interval.to_string();
            assert_eq!(name.parse::<Interval>(), Ok(interval), "{name}");
            assert_eq!(Interval::from_code(interval.code()), Some(interval));
            assert_eq!(interval.upstox_path().parse::<Interval>(), Ok(interval));
        }
    }

    #[test]
    fn desks_and_providers_spellings_parse() {
        let cases = [
            ("30minute", Interval::Minutes(30)),
            ("30 minutes", Interval::Minutes(30)),
            ("30m", Interval::Minutes(30)),
            ("minutes/30", Interval::Minutes(30)),
            ("1hour", Interval::Minutes(60)),
            ("60minute", Interval::Minutes(60)),
            ("1h", Interval::Minutes(60)),
            ("hours/4", Interval::Minutes(240)),
            ("90m", Interval::Minutes(90)),
            ("Day", Interval::Day),
            ("1d", Interval::Day),
            ("days/1", Interval::Day),
            ("week", Interval::Week),
            ("1wk", Interval::Week),
            ("weekly", Interval::Week),
            ("month", Interval::Month),
            ("1mo", Interval::Month),
            ("months/1", Interval::Month),
        ];
        for (spelling, interval) in cases {
            assert_eq!(spelling.parse::<Interval>(), Ok(interval), "{spelling}");
        }
        assert_eq!(Interval::Minutes(120).to_string(), "2hour");
        assert_eq!(Interval::Minutes(90).to_string(), "90minute");
    }

    #[test]
    fn what_upstox_does_not_offer_is_refused_with_the_rule() {
        for bad in [
            "0minute",
            "301minute",
            "6hour",
            "2day",
            "2week",
            "fortnight",
            "",
            "m/x",
        ] {
            let err = bad.parse::<Interval>().unwrap_err().to_string();
            assert!(err.contains("use N minute (1 to 300"), "{bad}: {err}");
        }
    }
}
