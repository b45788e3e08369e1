//! The checks every quote passes before it is stored or a rule reads it: the same scrutiny as
//! [`crate::market::candle::check`] gives bars.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::calendar::IST;
use crate::market::candle;
use crate::market::provider::Quote;
use crate::market::upstox::parse::NO_TIME;

/// How far ahead of this machine's clock a quote's time may be: the provider's clock and ours
/// differ by a few seconds; a quote minutes in the future is wrong.
const CLOCK_SKEW_SECS: i64 = 300;

/// Why a quote was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Problem {
    /// The last price, or a given open, high, low, previous close, bid or ask, is negative,
    /// NaN or infinite; or the last price is zero.
    BadPrice,
    /// The day's high below its low, open or the last price.
    HighTooLow,
    /// The day's low above its open or the last price.
    LowTooHigh,
    /// Negative volume or open interest.
    NegativeVolume,
    /// Stamped after now (beyond a few minutes of clock skew) or before 1970.
    BadTime,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Problem::BadPrice => "price not a positive number",
            Problem::HighTooLow => "day high below its low, open or last price",
            Problem::LowTooHigh => "day low above its open or last price",
            Problem::NegativeVolume => "negative volume",
            Problem::BadTime => "time in the future or before 1970",
        })
    }
}

/// A refused quote: which and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    /// The quote as received (its time stamped with now when it had none).
    pub quote: Quote,
    /// The first problem found.
    pub problem: Problem,
}

impl fmt::Display for Rejection {
    /// "NSE_EQ|INE002A01018 quote at 2026-11-20 11:00 IST: refused, price not a positive
    /// number (last -5, o 100 h 101 l -5, v 1200)".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let q = &self.quote;
        let shown = |v: Option<f64>| v.map_or("-".to_string(), |v| v.to_string());
        write!(
            f,
            "{} quote at {}: refused, {} (last {}, o {} h {} l {}, v {})",
            q.instrument.as_str(),
            candle::utc(q.ts)
                .with_timezone(&IST)
                .format("%Y-%m-%d %H:%M IST"),
            self.problem,
            q.ltp,
            shown(q.open),
            shown(q.high),
            shown(q.low),
            q.volume.map_or("-".to_string(), |v| v.to_string()),
        )
    }
}

/// The outcome of [`check`]: the quotes that may be stored and read, and those that may not.
#[derive(Debug, Default)]
pub struct Checked {
    /// Valid quotes, in the order received.
    pub quotes: Vec<Quote>,
    /// Refused quotes.
    pub rejected: Vec<Rejection>,
}

/// Whether `a` is below `b` by more than float32 rounding: Upstox sends last prices as
/// float32 values widened (25000.35 arrives as 25000.349609375), its day values exact.
fn below(a: f64, b: f64) -> bool {
    a < b - b.abs() * 1e-6
}

fn problem(q: &Quote, now: i64) -> Option<Problem> {
    let given = [q.open, q.high, q.low, q.prev_close, q.bid, q.ask];
    let bad = |p: f64| !p.is_finite() || p < 0.0;
    if !q.ltp.is_finite() || q.ltp <= 0.0 || given.into_iter().flatten().any(bad) {
        return Some(Problem::BadPrice);
    }
    let (high, low) = (q.high.unwrap_or(f64::INFINITY), q.low.unwrap_or(0.0));
    let open = q.open.unwrap_or(q.ltp);
    if below(high, low) || below(high, open) || below(high, q.ltp) {
        Some(Problem::HighTooLow)
    } else if below(open, low) || below(q.ltp, low) {
        Some(Problem::LowTooHigh)
    } else if q.volume.is_some_and(|v| v < 0) || q.oi.is_some_and(|oi| oi < 0) {
        Some(Problem::NegativeVolume)
    } else if q.ts < 0 || q.ts > now + CLOCK_SKEW_SECS {
        Some(Problem::BadTime)
    } else {
        None
    }
}

/// Checks `quotes` at `now`: a positive, finite last price; open, high, low, previous close,
/// bid and ask, where given, finite and not negative, and consistent (the day's low ≤ open and
/// last price ≤ its high); volume and open interest not negative; a time not after `now`.
/// A quote without a time ([`NO_TIME`]) is stamped with `now` first. A day value of exactly 0
/// is taken as not given: Upstox fills what it lacks with 0 (as in its empty depth levels),
/// and a low of 0 would make a bar reaching down to nothing.
pub fn check(quotes: Vec<Quote>, now: DateTime<Utc>) -> Checked {
    let now = now.timestamp();
    let mut out = Checked::default();
    for mut quote in quotes {
        if quote.ts == NO_TIME {
            quote.ts = now;
        }
        for day in [&mut quote.open, &mut quote.high, &mut quote.low] {
            if *day == Some(0.0) {
                *day = None;
            }
        }
        match problem(&quote, now) {
            None => out.quotes.push(quote),
            Some(problem) => out.rejected.push(Rejection { quote, problem }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::instrument::InstrumentKey;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 5, 30, 0).unwrap()
    }

    fn quote(ltp: f64) -> Quote {
        Quote {
            instrument: InstrumentKey::parse("NSE_EQ|INE002A01018").unwrap(),
            ts: now().timestamp() - 60,
            ltp,
            open: Some(100.0),
            high: Some(110.0),
            low: Some(95.0),
            prev_close: Some(99.0),
            volume: Some(1000),
            oi: None,
            bid: Some(104.95),
            ask: Some(105.05),
        }
    }

    fn verdict(q: Quote) -> Option<Problem> {
        let checked = check(vec![q], now());
        checked.rejected.first().map(|r| r.problem)
    }

    #[test]
    fn a_sound_quote_passes_and_one_without_a_time_is_stamped_now() {
        assert_eq!(verdict(quote(105.0)), None);
        let checked = check(
            vec![Quote {
                ts: NO_TIME,
                ..quote(105.0)
            }],
            now(),
        );
        assert_eq!(checked.quotes[0].ts, now().timestamp());
    }

    #[test]
    fn a_last_price_of_zero_or_below_or_not_a_number_is_refused() {
        for ltp in [-5.0, 0.0, f64::NAN, f64::INFINITY] {
            let q = Quote {
                low: None,
                ..quote(ltp)
            };
            assert_eq!(verdict(q), Some(Problem::BadPrice), "{ltp}");
        }
        let negative_bid = Quote {
            bid: Some(-1.0),
            ..quote(105.0)
        };
        assert_eq!(verdict(negative_bid), Some(Problem::BadPrice));
    }

    #[test]
    fn day_values_must_hold_the_open_and_the_last_price() {
        let inverted = Quote {
            high: Some(90.0),
            low: Some(95.0),
            ..quote(92.0)
        };
        assert_eq!(verdict(inverted), Some(Problem::HighTooLow));
        assert_eq!(verdict(quote(111.0)), Some(Problem::HighTooLow));
        assert_eq!(verdict(quote(94.0)), Some(Problem::LowTooHigh));
        // Only what is given is compared: Yahoo's quotes have no open.
        let no_day = Quote {
            open: None,
            high: None,
            low: None,
            ..quote(500.0)
        };
        assert_eq!(verdict(no_day), None);
        // A float32 last price at the day's low is the low.
        let at_low = Quote {
            open: Some(25010.0),
            high: Some(25020.0),
            low: Some(25000.35),
            ..quote(f64::from(25000.35_f32))
        };
        assert_eq!(verdict(at_low), None);
    }

    #[test]
    fn a_zero_day_value_is_not_given_not_a_low_of_nothing() {
        let checked = check(
            vec![Quote {
                low: Some(0.0),
                ..quote(105.0)
            }],
            now(),
        );
        assert_eq!(checked.quotes[0].low, None);
    }

    #[test]
    fn negative_volume_and_a_time_in_the_future_are_refused() {
        let negative = Quote {
            volume: Some(-1),
            ..quote(105.0)
        };
        assert_eq!(verdict(negative), Some(Problem::NegativeVolume));
        let skewed = Quote {
            ts: now().timestamp() + CLOCK_SKEW_SECS,
            ..quote(105.0)
        };
        assert_eq!(verdict(skewed), None);
        let future = Quote {
            ts: now().timestamp() + 3600,
            ..quote(105.0)
        };
        assert_eq!(verdict(future), Some(Problem::BadTime));
    }

    #[test]
    fn a_refusal_says_which_quote_and_why() {
        let checked = check(vec![quote(105.0), quote(-5.0), quote(0.0)], now());
        assert_eq!((checked.quotes.len(), checked.rejected.len()), (1, 2));
        let shown = checked.rejected[0].to_string();
        assert!(
            shown.starts_with("NSE_EQ|INE002A01018 quote at 2026-11-20 10:59 IST: refused, price not a positive number (last -5"),
            "{shown}"
        );
    }
}
