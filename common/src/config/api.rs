//! `[api]`: the socket-activated HTTP API and status page (`upstox-jobs api`).

use serde::Deserialize;

use super::http::check;

/// `[api]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    /// Seconds without a request after which the service exits; the socket unit starts it
    /// again on the next connection.
    pub idle_secs: f64,
    /// Largest request body accepted, in bytes; a larger one is refused with 413 unread.
    pub max_body_bytes: u64,
    /// Connections served at once, each by its own thread; more wait in the socket's backlog.
    pub max_connections: u32,
    /// Seconds a client has to send its whole request: a slow one is cut off.
    pub read_timeout_secs: f64,
    /// Whether `GET /metrics` needs no token (Prometheus usually scrapes without one).
    pub public_metrics: bool,
    /// Whether the status page at `GET /` needs no token (a browser sends none).
    pub public_page: bool,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            idle_secs: 300.0,
            max_body_bytes: 64 * 1024,
            max_connections: 16,
            read_timeout_secs: 10.0,
            public_metrics: true,
            public_page: true,
        }
    }
}

impl ApiConfig {
    pub(super) fn validate(&self) -> Result<(), String> {
        check("[api] idle_secs", self.idle_secs, 0.1, 86_400.0)?;
        check(
            "[api] read_timeout_secs",
            self.read_timeout_secs,
            0.1,
            3600.0,
        )?;
        check(
            "[api] max_body_bytes",
            self.max_body_bytes as f64,
            1.0,
            (64 * 1024 * 1024) as f64,
        )?;
        check(
            "[api] max_connections",
            self.max_connections.into(),
            1.0,
            1024.0,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_pass_and_zero_is_refused_naming_the_key() {
        assert!(ApiConfig::default().validate().is_ok());
        let none = ApiConfig {
            max_connections: 0,
            ..ApiConfig::default()
        };
        let e = none.validate().unwrap_err();
        assert!(e.starts_with("[api] max_connections = 0"), "{e}");
        let forever = ApiConfig {
            idle_secs: f64::INFINITY,
            ..ApiConfig::default()
        };
        assert!(
            forever
                .validate()
                .unwrap_err()
                .starts_with("[api] idle_secs")
        );
    }
}
