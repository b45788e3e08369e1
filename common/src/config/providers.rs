//! `[providers.upstox]` and `[providers.yahoo]`: where each market-data provider is and the
//! request limits of the account, configured once for every job that calls it (the limits are
//! one allowance, spent through one budget in the database: see `crate::budget`).

use serde::Deserialize;

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
    /// Largest instrument master accepted once inflated, in MiB: a small download can inflate
    /// to gigabytes, and the whole file is held in memory to be read.
    pub instruments_max_mib: u64,
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
            // The NSE master inflates to about 30 MB: room to grow fourfold.
            instruments_max_mib: 128,
            limits: upstox_standard(),
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
                return Err(format!(
                    "{key} = \"{url}\" is not an http(s) URL: write it as https://HOST/PATH"
                ));
            }
        }
        if !(1..=4096).contains(&self.upstox.instruments_max_mib) {
            return Err(format!(
                "[providers.upstox] instruments_max_mib = {} is out of range: it must be at least 1 and at most 4096",
                self.upstox.instruments_max_mib
            ));
        }
        validate_limits("[providers.upstox] limits", &self.upstox.limits)?;
        validate_limits("[providers.yahoo] limits", &self.yahoo.limits)
    }
}

/// At most `requests` in any `per_secs` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    /// Requests allowed in the window.
    pub requests: u32,
    /// The window, in seconds.
    pub per_secs: f64,
}

/// Upstox's published limits for standard APIs: 50/s, 500/min, 2,000/30 min.
pub fn upstox_standard() -> Vec<Limit> {
    vec![
        Limit {
            requests: 50,
            per_secs: 1.0,
        },
        Limit {
            requests: 500,
            per_secs: 60.0,
        },
        Limit {
            requests: 2000,
            per_secs: 1800.0,
        },
    ]
}

/// The shortest window accepted: the request log counts milliseconds.
const MIN_WINDOW_SECS: f64 = 0.001;

/// Checks a configured list of limits; the error names the key.
pub fn validate_limits(key: &str, limits: &[Limit]) -> Result<(), String> {
    for limit in limits {
        if limit.requests == 0 {
            return Err(format!(
                "{key}: {{ requests = 0, per_secs = {:?} }} allows nothing: requests must be at least 1",
                limit.per_secs
            ));
        }
        // `{:?}` keeps 1e-300 short; `{}` writes out its 300 zeros.
        if !(limit.per_secs.is_finite() && limit.per_secs >= MIN_WINDOW_SECS) {
            return Err(format!(
                "{key}: per_secs = {:?} is out of range: use {MIN_WINDOW_SECS} to 86400 seconds",
                limit.per_secs
            ));
        }
        if limit.per_secs > 86_400.0 {
            return Err(format!(
                "{key}: per_secs = {:?} is longer than a day, all the request log keeps: use at most 86400",
                limit.per_secs
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_that_allow_nothing_are_refused() {
        let err = validate_limits(
            "[providers.upstox] limits",
            &[Limit {
                requests: 0,
                per_secs: 1.0,
            }],
        )
        .unwrap_err();
        assert!(err.contains("requests must be at least 1"), "{err}");
        assert!(validate_limits("k", &upstox_standard()).is_ok());
    }
}
