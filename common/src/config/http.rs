//! `[http]`, and the range check every numeric key passes.

use std::collections::BTreeMap;

use serde::Deserialize;

/// `[http]`: how every job talks to the outside.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Seconds to wait for a TCP/TLS connection.
    pub connect_timeout_secs: f64,
    /// Seconds one whole request may take, body included.
    pub timeout_secs: f64,
    /// How many times a timeout, a reset, a 429 or a 5xx is retried.
    pub retries: u32,
    /// First back-off delay in milliseconds; it doubles each retry, with jitter.
    pub backoff_initial_ms: u64,
    /// Longest single back-off delay in seconds.
    pub backoff_max_secs: f64,
    /// A `Retry-After` longer than this is not waited for: the run fails as rate-limited (75).
    pub max_retry_after_secs: f64,
    /// Largest response body accepted, in MiB.
    pub max_body_mib: u64,
    /// The User-Agent sent; NSE and Yahoo refuse obvious robots.
    pub user_agent: String,
    /// Requests per second to any one host, unless `[http.hosts."<host>"]` says otherwise.
    pub requests_per_second: f64,
    /// Per-host overrides.
    pub hosts: BTreeMap<String, HostConfig>,
}

/// `[http.hosts."<host>"]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostConfig {
    /// Requests per second to this host.
    pub requests_per_second: f64,
}

/// The shortest timeout or delay accepted, in seconds: anything shorter fails every request.
const MIN_SECS: f64 = 0.001;

/// The slowest request rate accepted: one request in 1,000 s. A rate only just above zero
/// spaced requests further apart than a `Duration` holds, and the run panicked.
const MIN_RATE: f64 = 0.001;

/// `value` must be a finite number from `low` to `high`, else an error naming `key`.
pub(super) fn check(key: &str, value: f64, low: f64, high: f64) -> Result<(), String> {
    if value.is_finite() && value >= low && value <= high {
        Ok(())
    } else {
        // `{:?}` keeps 1e-300 short; `{}` writes out its 300 zeros.
        Err(format!(
            "{key} = {value:?} is out of range: use a number from {low} to {high}"
        ))
    }
}

impl HttpConfig {
    pub(super) fn validate(&self) -> Result<(), String> {
        check(
            "[http] connect_timeout_secs",
            self.connect_timeout_secs,
            MIN_SECS,
            600.0,
        )?;
        check("[http] timeout_secs", self.timeout_secs, MIN_SECS, 3600.0)?;
        check("[http] retries", self.retries as f64, 0.0, 100.0)?;
        check(
            "[http] backoff_initial_ms",
            self.backoff_initial_ms as f64,
            0.0,
            3_600_000.0,
        )?;
        check(
            "[http] backoff_max_secs",
            self.backoff_max_secs,
            MIN_SECS,
            3600.0,
        )?;
        check(
            "[http] max_retry_after_secs",
            self.max_retry_after_secs,
            0.0,
            86_400.0,
        )?;
        check("[http] max_body_mib", self.max_body_mib as f64, 1.0, 4096.0)?;
        check(
            "[http] requests_per_second",
            self.requests_per_second,
            MIN_RATE,
            1e6,
        )?;
        for (host, limit) in &self.hosts {
            check(
                &format!("[http.hosts.\"{host}\"] requests_per_second"),
                limit.requests_per_second,
                MIN_RATE,
                1e6,
            )?;
        }
        Ok(())
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            connect_timeout_secs: 10.0,
            timeout_secs: 30.0,
            retries: 4,
            backoff_initial_ms: 1000,
            backoff_max_secs: 60.0,
            max_retry_after_secs: 300.0,
            max_body_mib: 64,
            user_agent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                         Chrome/124.0 Safari/537.36"
                .to_string(),
            requests_per_second: 2.0,
            hosts: BTreeMap::new(),
        }
    }
}
