//! `[providers.upstox]` and `[providers.yahoo]`: where each market-data provider is and the
//! request limits of the account, configured once for every job that calls it (the limits are
//! one allowance, spent through one budget in the database).

use serde::Deserialize;

use crate::budget::{self, Limit};

/// Which provider serves a run (each job's `source` key and `--source` flag).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SourceChoice {
    /// Upstox when its access token is configured, else Yahoo Finance.
    Auto,
    /// Upstox (needs the `upstox_token` credential).
    Upstox,
    /// Yahoo Finance's chart API (no key; no option chains).
    Yahoo,
}

/// `[providers]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProvidersConfig {
    /// `[providers.upstox]`.
    pub upstox: UpstoxConfig,
    /// `[providers.yahoo]`.
    pub yahoo: YahooConfig,
}

/// `[providers.upstox]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UpstoxConfig {
    /// The API host.
    pub base_url: String,
    /// The daily instrument master (gzipped JSON).
    pub instruments_url: String,
    /// Request limits of the account, shared by every job that calls Upstox.
    pub limits: Vec<Limit>,
}

/// `[providers.yahoo]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct YahooConfig {
    /// The chart API host.
    pub base_url: String,
    /// Request limits (Yahoo publishes none; it answers 429 to bursts).
    pub limits: Vec<Limit>,
}

impl Default for UpstoxConfig {
    fn default() -> Self {
        UpstoxConfig {
            base_url: "https://api.upstox.com".to_string(),
            instruments_url:
                "https://assets.upstox.com/market-quote/instruments/exchange/NSE.json.gz"
                    .to_string(),
            limits: budget::upstox_standard(),
        }
    }
}

impl Default for YahooConfig {
    fn default() -> Self {
        YahooConfig {
            base_url: "https://query1.finance.yahoo.com".to_string(),
            limits: vec![
                Limit {
                    requests: 2,
                    per_secs: 1.0,
                },
                Limit {
                    requests: 60,
                    per_secs: 60.0,
                },
            ],
        }
    }
}

impl ProvidersConfig {
    /// Checks what serde cannot; the error names the key.
    pub fn validate(&self) -> Result<(), String> {
        for (key, url) in [
            ("[providers.upstox] base_url", &self.upstox.base_url),
            (
                "[providers.upstox] instruments_url",
                &self.upstox.instruments_url,
            ),
            ("[providers.yahoo] base_url", &self.yahoo.base_url),
        ] {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(format!("{key} = \"{url}\" is not an http(s) URL"));
            }
        }
        budget::validate("[providers.upstox] limits", &self.upstox.limits)?;
        budget::validate("[providers.yahoo] limits", &self.yahoo.limits)
    }
}
