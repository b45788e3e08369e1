//! The at-the-money IV of a chain: which strike counts as at the money, how far from spot it
//! may lie (`atm_max_distance`), and why a chain has none.

use std::fmt;

use chrono::NaiveDate;
use serde::Deserialize;

use common::market::provider::OptionRow;

/// How far from spot the strike an ATM IV is read at may lie (`atm_max_distance`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum AtmDistance {
    /// One strike step of the expiry's chain: the smallest gap between adjacent strikes
    /// (NIFTY's 50 near the money, though its far strikes are 100 apart). A chain of one
    /// strike has no step: 1% of spot then. Spot between two listed strikes is never more
    /// than half a step from the nearer, so this only refuses a grid that misses the spot.
    #[default]
    StrikeStep,
    /// At most this many points (rupees) from spot.
    Points(f64),
    /// At most this percentage of spot.
    Percent(f64),
}

/// The percentage of spot used when a chain has no strike step.
const FALLBACK_PERCENT: f64 = 1.0;
/// The widest percentage accepted: a strike further than this from spot is no one's ATM.
const MAX_PERCENT: f64 = 20.0;

/// The narrowest distance in points: prices are quoted to the paisa.
const MIN_POINTS: f64 = 0.01;
/// The widest distance in points: twice the highest index level NSE quotes.
const MAX_POINTS: f64 = 200_000.0;

impl AtmDistance {
    /// Reads `"step"`, `"1%"` or a number of points given as text.
    fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let percent = text.strip_suffix('%');
        let value = match (text, percent) {
            ("step", _) => return Ok(AtmDistance::StrikeStep),
            (_, Some(p)) => p.trim().parse::<f64>().map(AtmDistance::Percent),
            (t, None) => t.parse::<f64>().map(AtmDistance::Points),
        };
        value
            .map_err(|_| format!("atm_max_distance = \"{text}\": {}", Self::EXPECTED))?
            .checked()
    }

    const EXPECTED: &str =
        "use \"step\" (one strike step), a percentage of spot (\"1%\") or a number of points (50)";

    /// `self`, or why it is out of range.
    fn checked(self) -> Result<Self, String> {
        match self {
            AtmDistance::Points(p) if !(MIN_POINTS..=MAX_POINTS).contains(&p) => Err(format!(
                "atm_max_distance = {p}: use a number of points from {MIN_POINTS} to {MAX_POINTS}"
            )),
            AtmDistance::Percent(p) if !(p > 0.0 && p <= MAX_PERCENT) => Err(format!(
                "atm_max_distance = \"{p}%\": use a percentage above 0 and at most {MAX_PERCENT}"
            )),
            ok => Ok(ok),
        }
    }

    /// The distance in points for a chain with these strikes around `spot`.
    fn limit(self, spot: f64, strikes: &[f64]) -> Limit {
        let step = strike_step(strikes);
        let points = match (self, step) {
            (AtmDistance::StrikeStep, Some(step)) => step,
            (AtmDistance::StrikeStep, None) => spot * FALLBACK_PERCENT / 100.0,
            (AtmDistance::Points(p), _) => p,
            (AtmDistance::Percent(p), _) => spot * p / 100.0,
        };
        Limit {
            points,
            rule: self,
            step,
        }
    }
}

impl fmt::Display for AtmDistance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AtmDistance::StrikeStep => f.write_str("step"),
            AtmDistance::Points(p) => write!(f, "{p}"),
            AtmDistance::Percent(p) => write!(f, "{p}%"),
        }
    }
}

impl<'de> Deserialize<'de> for AtmDistance {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = AtmDistance;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "atm_max_distance: {}", AtmDistance::EXPECTED)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<AtmDistance, E> {
                AtmDistance::parse(v).map_err(E::custom)
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<AtmDistance, E> {
                AtmDistance::Points(v).checked().map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<AtmDistance, E> {
                self.visit_f64(v as f64)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<AtmDistance, E> {
                self.visit_f64(v as f64)
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// The smallest gap between adjacent distinct strikes, if there are two.
fn strike_step(strikes: &[f64]) -> Option<f64> {
    let mut sorted: Vec<f64> = strikes.iter().copied().filter(|s| s.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    sorted.dedup();
    sorted
        .windows(2)
        .map(|w| w[1] - w[0])
        .min_by(f64::total_cmp)
}

/// The distance allowed for one chain, and where it came from (for the log).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    /// Points from spot.
    pub points: f64,
    /// The configured rule.
    pub rule: AtmDistance,
    /// The chain's strike step, if it has one.
    pub step: Option<f64>,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let points = self.points;
        match (self.rule, self.step) {
            (AtmDistance::StrikeStep, Some(_)) => write!(f, "{points} (one strike step)"),
            (AtmDistance::StrikeStep, None) => write!(
                f,
                "{points:.2} ({FALLBACK_PERCENT}% of spot: the chain has one strike)"
            ),
            (rule, _) => write!(f, "{points:.2} (atm_max_distance = {rule})"),
        }
    }
}

/// The at-the-money IV of a chain.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Atm {
    /// The nearest expiry, which it was read from.
    pub expiry: NaiveDate,
    /// The strike.
    pub strike: f64,
    /// The mean of the call's and put's IV there (either alone when the other has none), %.
    pub iv: f64,
}

/// Why a chain gives no ATM IV.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NoAtm {
    /// No option rows at all.
    NoChain,
    /// No contract of the nearest expiry has an IV (Upstox computed none).
    NoIv {
        /// The expiry.
        expiry: NaiveDate,
    },
    /// The nearest strike with an IV is farther from spot than allowed.
    TooFar {
        /// The expiry.
        expiry: NaiveDate,
        /// The underlying's spot.
        spot: f64,
        /// The nearest strike with an IV.
        strike: f64,
        /// The distance allowed.
        limit: Limit,
    },
}

impl fmt::Display for NoAtm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoAtm::NoChain => f.write_str("no option chain"),
            NoAtm::NoIv { expiry } => {
                write!(f, "no contract of the {expiry} expiry has an IV")
            }
            NoAtm::TooFar {
                expiry,
                spot,
                strike,
                limit,
            } => write!(
                f,
                "spot {spot}, nearest strike with an IV {strike} ({expiry} expiry) is {:.2} \
                 away, more than the {limit} allowed",
                (strike - spot).abs()
            ),
        }
    }
}

/// The at-the-money IV of the nearest expiry in `rows`: at the strike with an IV closest to
/// spot, when that is within `max` of it.
pub fn atm_iv(rows: &[OptionRow], max: AtmDistance) -> Result<Atm, NoAtm> {
    let expiry = rows.iter().map(|r| r.expiry).min().ok_or(NoAtm::NoChain)?;
    let chain: Vec<&OptionRow> = rows.iter().filter(|r| r.expiry == expiry).collect();
    let has_iv = |r: &&&OptionRow| r.iv.is_some_and(|iv| iv.is_finite() && iv > 0.0);
    let nearest = chain
        .iter()
        .filter(has_iv)
        .min_by(|a, b| {
            (a.strike - a.spot)
                .abs()
                .total_cmp(&(b.strike - b.spot).abs())
        })
        .ok_or(NoAtm::NoIv { expiry })?;
    let strikes: Vec<f64> = chain.iter().map(|r| r.strike).collect();
    let limit = max.limit(nearest.spot, &strikes);
    if (nearest.strike - nearest.spot).abs() > limit.points {
        return Err(NoAtm::TooFar {
            expiry,
            spot: nearest.spot,
            strike: nearest.strike,
            limit,
        });
    }
    let ivs: Vec<f64> = chain
        .iter()
        .filter(|r| r.strike == nearest.strike)
        .filter(has_iv)
        .filter_map(|r| r.iv)
        .collect();
    Ok(Atm {
        expiry,
        strike: nearest.strike,
        iv: ivs.iter().sum::<f64>() / ivs.len() as f64,
    })
}

#[cfg(test)]
mod tests;
