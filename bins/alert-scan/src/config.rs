//! `[jobs.alert-scan]`: the provider of the latest prices, and how much history a rule sees.
//! Where the providers are, and the account's limits, are `[providers]`, shared with market-sync.

use common::harness::Validate;
use common::market::source::SourceChoice;
use serde::Deserialize;

/// `[jobs.alert-scan]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobConfig {
    /// Which provider gives the latest prices.
    pub source: SourceChoice,
    /// Stored bars read per symbol and interval. EMAs (so MACD) and Wilder's RSI are seeded at
    /// the first bar read, so a fixed length keeps their values stable from run to run; 400
    /// bars is enough for any default period to settle.
    pub history_bars: usize,
    /// Whether to fetch today's intraday bars from the provider (one request per symbol and
    /// interval, not stored) when market-sync, which runs hourly, has not stored them yet.
    /// Without them an intraday rule is evaluated only in the minutes after each sync.
    pub fetch_missing_bars: bool,
}

impl Default for JobConfig {
    fn default() -> Self {
        JobConfig {
            source: SourceChoice::Auto,
            history_bars: 400,
            fetch_missing_bars: true,
        }
    }
}

impl Validate for JobConfig {
    fn validate(&self) -> Result<(), String> {
        if !(50..=5000).contains(&self.history_bars) {
            return Err(format!(
                "[jobs.alert-scan] history_bars = {}: use 50 to 5000",
                self.history_bars
            ));
        }
        Ok(())
    }
}
