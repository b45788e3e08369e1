//! `[jobs.market-sync]`: the universe, intervals and windows; the providers are `[providers]`.

use std::collections::BTreeMap;

use common::harness::Validate;
use common::market::source::SourceChoice;
use serde::Deserialize;

use common::market::instrument::MAIN_INDICES;
use common::market::interval::{self, Interval};

use crate::atm::AtmDistance;

/// `[jobs.market-sync]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobConfig {
    /// Which provider.
    pub source: SourceChoice,
    /// The index whose active members (from nse-index-update's table) are synced.
    pub members_of: String,
    /// NSE symbols synced besides the index members.
    pub watchlist: Vec<String>,
    /// Index instrument keys synced (their candles, and their quotes into `index_values`).
    pub indices: Vec<String>,
    /// The intervals a run keeps current.
    pub intervals: Vec<String>,
    /// Days fetched for an (instrument, interval) with nothing stored yet, per interval.
    pub initial_days: BTreeMap<String, i64>,
    /// How far back gaps are looked for, in days.
    pub gap_lookback_days: i64,
    /// Requests a run may spend backfilling gaps.
    pub gap_requests_per_run: u32,
    /// Empty answers after which a gap is given up as unfillable.
    pub unfillable_after: i64,
    /// Whether to store a quote snapshot of every instrument each run.
    pub quotes: bool,
    /// Underlyings whose option chains are stored (Upstox only).
    pub option_underlyings: Vec<String>,
    /// How many of the nearest expiries of each underlying.
    pub option_expiries: usize,
    /// How far from spot the strike the ATM IV is read at may lie.
    pub atm_max_distance: AtmDistance,
    /// A scheduled run this many minutes after the close still works (the after-close run).
    pub after_close_minutes: i64,
    /// The share of an answer's bars (or quotes) that may fail validation (0 to 1): more, or
    /// nothing valid at all, fails the answer's unit with 65 and stores none of it.
    pub max_invalid_share: f64,
}

impl Default for JobConfig {
    fn default() -> Self {
        JobConfig {
            source: SourceChoice::Auto,
            members_of: "NIFTY50".to_string(),
            watchlist: Vec::new(),
            indices: MAIN_INDICES.iter().map(|(k, _)| k.to_string()).collect(),
            intervals: interval::DEFAULTS.iter().map(|i| i.to_string()).collect(),
            initial_days: interval::DEFAULTS
                .iter()
                .map(|i| (i.to_string(), default_initial_days(*i)))
                .collect(),
            gap_lookback_days: 30,
            gap_requests_per_run: 20,
            unfillable_after: 3,
            quotes: true,
            option_underlyings: vec![
                "NSE_INDEX|Nifty 50".to_string(),
                "NSE_INDEX|Nifty Bank".to_string(),
            ],
            option_expiries: 2,
            atm_max_distance: AtmDistance::StrikeStep,
            after_close_minutes: 120,
            max_invalid_share: 0.5,
        }
    }
}

/// The fewest weekly or monthly bars gaps are looked for over, whatever `gap_lookback_days`.
pub const GAP_LOOKBACK_BARS: u16 = 12;

/// Days of history a first sync fetches: a week of 1-minute bars, more of the coarser ones
/// (about 400 bars of a day or longer).
pub fn default_initial_days(interval: Interval) -> i64 {
    match interval {
        Interval::Minutes(m) if m < 5 => 7,
        Interval::Minutes(m) if m < 15 => 30,
        Interval::Minutes(m) if m < 60 => 60,
        Interval::Minutes(_) => 180,
        Interval::Day => 400,
        Interval::Week => 5 * 365,
        Interval::Month => 10 * 365,
    }
}

impl JobConfig {
    /// The configured intervals, or the first bad one.
    pub fn intervals(&self) -> Result<Vec<Interval>, String> {
        let mut out = Vec::new();
        for name in &self.intervals {
            let interval: Interval = name
                .parse()
                .map_err(|e| format!("[jobs.market-sync] intervals: {e}"))?;
            if !out.contains(&interval) {
                out.push(interval);
            }
        }
        Ok(out)
    }

    /// How many days back gaps of `interval` are looked for: `gap_lookback_days`, but at least
    /// [`GAP_LOOKBACK_BARS`] weeks or months for those intervals, since 30 days hold no
    /// complete month's bar before the current one and a gap there would never be seen.
    pub fn gap_lookback(&self, interval: Interval) -> i64 {
        let periods = i64::from(GAP_LOOKBACK_BARS);
        let floor = match interval {
            Interval::Week => 7 * periods,
            Interval::Month => 31 * periods,
            Interval::Minutes(_) | Interval::Day => 0,
        };
        self.gap_lookback_days.max(floor)
    }

    /// Whether an answer with `valid` records kept and `rejected` refused is refused whole:
    /// nothing in it valid, or more than `max_invalid_share` of it invalid. A few bad bars in
    /// a good answer are normal; an answer mostly bad is not one to store any of.
    pub fn refuses(&self, valid: usize, rejected: usize) -> bool {
        rejected > 0
            && (valid == 0 || rejected as f64 / (valid + rejected) as f64 > self.max_invalid_share)
    }

    /// Days of history for a first sync of `interval`.
    pub fn initial_days(&self, interval: Interval) -> i64 {
        // Keys may be any spelling of the interval (`30m`, `30minute`).
        self.initial_days
            .iter()
            .find(|(name, _)| name.parse() == Ok(interval))
            .map_or_else(|| default_initial_days(interval), |(_, days)| *days)
    }
}

impl Validate for JobConfig {
    fn validate(&self) -> Result<(), String> {
        self.intervals()?;
        for (name, days) in &self.initial_days {
            name.parse::<Interval>()
                .map_err(|e| format!("[jobs.market-sync] initial_days: {e}"))?;
            if !(1..=3650 * 3).contains(days) {
                return Err(format!(
                    "[jobs.market-sync] initial_days.{name} = {days}: use 1 to 10950 days"
                ));
            }
        }
        if !(1..=3650).contains(&self.gap_lookback_days) {
            return Err(format!(
                "[jobs.market-sync] gap_lookback_days = {}: use 1 to 3650",
                self.gap_lookback_days
            ));
        }
        if !(1..=1000).contains(&self.unfillable_after) {
            return Err(format!(
                "[jobs.market-sync] unfillable_after = {}: use 1 to 1000",
                self.unfillable_after
            ));
        }
        if self.gap_requests_per_run > 10_000 {
            return Err(format!(
                "[jobs.market-sync] gap_requests_per_run = {}: use 0 to 10000",
                self.gap_requests_per_run
            ));
        }
        if self.option_expiries > 12 {
            return Err(format!(
                "[jobs.market-sync] option_expiries = {}: use 0 to 12",
                self.option_expiries
            ));
        }
        if !(0.0..=1.0).contains(&self.max_invalid_share) {
            return Err(format!(
                "[jobs.market-sync] max_invalid_share = {}: use a share from 0 (any invalid bar fails the answer) to 1 (only an answer with nothing valid fails), e.g. 0.5",
                self.max_invalid_share
            ));
        }
        if !(0..=24 * 60).contains(&self.after_close_minutes) {
            return Err(format!(
                "[jobs.market-sync] after_close_minutes = {}: use 0 to 1440",
                self.after_close_minutes
            ));
        }
        for key in self.indices.iter().chain(&self.option_underlyings) {
            common::market::instrument::InstrumentKey::parse(key)
                .map_err(|e| format!("[jobs.market-sync]: {e}"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_and_months_look_back_over_at_least_twelve_bars_for_gaps() {
        let config = JobConfig::default();
        assert_eq!(config.gap_lookback(Interval::Minutes(30)), 30);
        assert_eq!(config.gap_lookback(Interval::Day), 30);
        assert_eq!(config.gap_lookback(Interval::Week), 84);
        assert_eq!(config.gap_lookback(Interval::Month), 372);
        let long = JobConfig {
            gap_lookback_days: 1000,
            ..JobConfig::default()
        };
        assert_eq!(long.gap_lookback(Interval::Month), 1000);
    }

    #[test]
    fn an_answer_is_refused_when_nothing_or_too_much_of_it_is_valid() {
        let config = JobConfig::default();
        assert!(config.refuses(0, 30), "30 bars of 30 invalid");
        assert!(config.refuses(0, 1));
        assert!(config.refuses(9, 11));
        assert!(!config.refuses(10, 10), "half is not more than half");
        assert!(!config.refuses(29, 1));
        assert!(!config.refuses(0, 0), "an empty answer has nothing invalid");
        let strict = JobConfig {
            max_invalid_share: 0.0,
            ..JobConfig::default()
        };
        assert!(strict.refuses(99, 1));
        let lenient = JobConfig {
            max_invalid_share: 1.0,
            ..JobConfig::default()
        };
        assert!(!lenient.refuses(1, 99));
        assert!(lenient.refuses(0, 99));
    }

    #[test]
    fn the_invalid_share_must_be_between_0_and_1() {
        for share in [0.0, 0.5, 1.0] {
            let config = JobConfig {
                max_invalid_share: share,
                ..JobConfig::default()
            };
            assert_eq!(config.validate(), Ok(()), "{share}");
        }
        for share in [-0.1, 1.5, f64::NAN] {
            let config = JobConfig {
                max_invalid_share: share,
                ..JobConfig::default()
            };
            let err = config.validate().unwrap_err();
            assert!(err.contains("max_invalid_share"), "{err}");
        }
    }
}
