//! Candle intervals: the four the `candles` table keeps, and how each provider spells them.

use std::fmt;
use std::str::FromStr;

/// A candle interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Interval {
    /// One minute.
    Minute1,
    /// Five minutes.
    Minute5,
    /// Fifteen minutes.
    Minute15,
    /// One session.
    Day,
}

/// Every interval, shortest first.
pub const ALL: [Interval; 4] = [
    Interval::Minute1,
    Interval::Minute5,
    Interval::Minute15,
    Interval::Day,
];

impl Interval {
    /// The name stored in `candles.interval` and taken by `--interval`.
    pub fn as_str(self) -> &'static str {
        match self {
            Interval::Minute1 => "1minute",
            Interval::Minute5 => "5minute",
            Interval::Minute15 => "15minute",
            Interval::Day => "day",
        }
    }

    /// The bar length in minutes, for intraday intervals.
    pub fn minutes(self) -> Option<u32> {
        match self {
            Interval::Minute1 => Some(1),
            Interval::Minute5 => Some(5),
            Interval::Minute15 => Some(15),
            Interval::Day => None,
        }
    }

    /// Upstox v3's `{unit}/{interval}` path segments.
    pub fn upstox_path(self) -> &'static str {
        match self {
            Interval::Minute1 => "minutes/1",
            Interval::Minute5 => "minutes/5",
            Interval::Minute15 => "minutes/15",
            Interval::Day => "days/1",
        }
    }

    /// Yahoo's `interval=` value.
    pub fn yahoo(self) -> &'static str {
        match self {
            Interval::Minute1 => "1m",
            Interval::Minute5 => "5m",
            Interval::Minute15 => "15m",
            Interval::Day => "1d",
        }
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Interval {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "1minute" | "1m" | "1min" => Ok(Interval::Minute1),
            "5minute" | "5m" | "5min" => Ok(Interval::Minute5),
            "15minute" | "15m" | "15min" => Ok(Interval::Minute15),
            "day" | "1d" | "daily" => Ok(Interval::Day),
            other => Err(format!(
                "unknown interval {other:?}: use 1minute, 5minute, 15minute or day"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_aliases_parse() {
        for interval in ALL {
            assert_eq!(interval.as_str().parse::<Interval>(), Ok(interval));
        }
        assert_eq!("5m".parse::<Interval>(), Ok(Interval::Minute5));
        let err = "30minute".parse::<Interval>().unwrap_err();
        assert!(
            err.contains("use 1minute, 5minute, 15minute or day"),
            "{err}"
        );
    }
}
