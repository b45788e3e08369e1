//! `[jobs.alert-scan]`: the provider of the latest prices, and how much history a rule sees.

use common::budget::{self, Limit};
use market_sync::config::{SourceChoice, UpstoxConfig, YahooConfig};
use market_sync::source::Api;
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
    /// `[jobs.alert-scan.upstox]`: keep its limits the same as market-sync's, since the account's
    /// allowance is shared (both jobs spend one budget kept in the database).
    pub upstox: UpstoxApi,
    /// `[jobs.alert-scan.yahoo]`.
    pub yahoo: YahooApi,
}

/// `[jobs.alert-scan.upstox]`: by default the host and limits market-sync uses.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UpstoxApi {
    /// The API host.
    pub base_url: String,
    /// The account's request limits.
    pub limits: Vec<Limit>,
}

impl Default for UpstoxApi {
    fn default() -> Self {
        let d = UpstoxConfig::default();
        UpstoxApi {
            base_url: d.base_url,
            limits: d.limits,
        }
    }
}

/// `[jobs.alert-scan.yahoo]`: by default the host and limits market-sync uses.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct YahooApi {
    /// The chart API host.
    pub base_url: String,
    /// Request limits.
    pub limits: Vec<Limit>,
}

impl Default for YahooApi {
    fn default() -> Self {
        let d = YahooConfig::default();
        YahooApi {
            base_url: d.base_url,
            limits: d.limits,
        }
    }
}

impl Default for JobConfig {
    fn default() -> Self {
        JobConfig {
            source: SourceChoice::Auto,
            history_bars: 400,
            fetch_missing_bars: true,
            upstox: UpstoxApi::default(),
            yahoo: YahooApi::default(),
        }
    }
}

impl JobConfig {
    /// Checks what serde cannot; the error names the key.
    pub fn validate(&self) -> Result<(), String> {
        if !(50..=5000).contains(&self.history_bars) {
            return Err(format!(
                "[jobs.alert-scan] history_bars = {}: use 50 to 5000",
                self.history_bars
            ));
        }
        budget::validate("[jobs.alert-scan.upstox] limits", &self.upstox.limits)?;
        budget::validate("[jobs.alert-scan.yahoo] limits", &self.yahoo.limits)
    }

    /// The two providers, as market-sync's source takes them.
    pub fn apis(&self) -> (Api<'_>, Api<'_>) {
        (
            Api {
                base_url: &self.upstox.base_url,
                limits: &self.upstox.limits,
            },
            Api {
                base_url: &self.yahoo.base_url,
                limits: &self.yahoo.limits,
            },
        )
    }
}
