//! A provider's request budget, shared by every process on the machine.
//!
//! Providers limit requests per account, not per process: Upstox allows 50 a second, 500 a
//! minute and 2,000 in 30 minutes for its standard APIs, and market-sync and alert-scan spend
//! the same allowance. Each admitted request is logged in `api_requests` in `market_data.db`;
//! a request is admitted only when every sliding window has room, inside an immediate
//! transaction, so two processes can never both take the last slot.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::Deserialize;

use crate::http::{Admission, HttpError};
use crate::shutdown::Shutdown;

/// The migration that creates the request log (part of common's schema).
pub const MIGRATION: &str = "CREATE TABLE api_requests (
    provider TEXT NOT NULL,
    at_ms INTEGER NOT NULL
);
CREATE INDEX api_requests_by_provider ON api_requests (provider, at_ms);";

/// Network jitter allowance: a window is treated as this much longer than configured, so that
/// two requests admitted exactly one window apart cannot arrive inside one window.
const GUARD_MS: i64 = 100;

/// At most `requests` in any `per_secs` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    /// Requests allowed in the window.
    pub requests: u32,
    /// The window, in seconds.
    pub per_secs: f64,
}

impl Limit {
    fn window_ms(&self) -> i64 {
        (self.per_secs * 1000.0).round() as i64 + GUARD_MS
    }
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

/// Checks a configured list of limits; the error names the key.
pub fn validate(key: &str, limits: &[Limit]) -> Result<(), String> {
    for limit in limits {
        if limit.requests == 0 || !(limit.per_secs.is_finite() && limit.per_secs > 0.0) {
            return Err(format!(
                "{key}: {{ requests = {}, per_secs = {} }} allows nothing: requests must be at least 1 and per_secs above 0",
                limit.requests, limit.per_secs
            ));
        }
        if limit.per_secs > 86_400.0 {
            return Err(format!(
                "{key}: per_secs = {} is longer than a day; the request log keeps one day",
                limit.per_secs
            ));
        }
    }
    Ok(())
}

/// Why the budget could not be kept.
#[derive(Debug, thiserror::Error)]
pub enum BudgetError {
    /// The request log could not be read or written.
    #[error("request budget in {path}: {error}")]
    Sqlite {
        /// The database.
        path: String,
        /// The SQLite error.
        error: rusqlite::Error,
    },
}

/// One provider's budget.
pub struct RequestBudget {
    conn: Connection,
    path: String,
    provider: String,
    limits: Vec<Limit>,
    shutdown: Shutdown,
}

impl RequestBudget {
    /// The budget of `provider` kept in the database at `path` (whose common migrations have
    /// run), or, when `path` is `None` (a dry run with no database), in this process only.
    pub fn open(
        path: Option<&Path>,
        provider: &str,
        limits: Vec<Limit>,
        busy_timeout: Duration,
        shutdown: Shutdown,
    ) -> Result<Self, BudgetError> {
        let name = path.map_or(":memory:".to_string(), |p| p.display().to_string());
        let fail = |error| BudgetError::Sqlite {
            path: name.clone(),
            error,
        };
        let conn = match path {
            Some(p) => Connection::open(p).map_err(fail)?,
            None => {
                let conn = Connection::open_in_memory().map_err(fail)?;
                conn.execute_batch(MIGRATION).map_err(fail)?;
                conn
            }
        };
        conn.busy_timeout(busy_timeout).map_err(fail)?;
        Ok(RequestBudget {
            conn,
            path: name.clone(),
            provider: provider.to_string(),
            limits,
            shutdown,
        })
    }

    /// Takes a slot now, or says how long to wait for one.
    fn try_take(&mut self, now_ms: i64) -> rusqlite::Result<Option<Duration>> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut wait_ms = 0;
        for limit in &self.limits {
            // The request that must leave the window before another may enter it.
            let blocking: Option<i64> = tx
                .query_row(
                    "SELECT at_ms FROM api_requests WHERE provider = ?1 AND at_ms > ?2
                     ORDER BY at_ms DESC LIMIT 1 OFFSET ?3",
                    params![
                        self.provider,
                        now_ms - limit.window_ms(),
                        i64::from(limit.requests) - 1
                    ],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(at) = blocking {
                wait_ms = wait_ms.max(at + limit.window_ms() - now_ms + 1);
            }
        }
        if wait_ms > 0 {
            return Ok(Some(Duration::from_millis(wait_ms as u64)));
        }
        let keep_ms = self.limits.iter().map(Limit::window_ms).max().unwrap_or(0);
        tx.execute(
            "DELETE FROM api_requests WHERE provider = ?1 AND at_ms < ?2",
            params![self.provider, now_ms - keep_ms],
        )?;
        tx.execute(
            "INSERT INTO api_requests (provider, at_ms) VALUES (?1, ?2)",
            params![self.provider, now_ms],
        )?;
        tx.commit()?;
        Ok(None)
    }

    /// Waits until every window has room, then records the request.
    pub fn take(&mut self) -> Result<(), BudgetError> {
        loop {
            let now_ms = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64);
            match self.try_take(now_ms) {
                Ok(None) => return Ok(()),
                Ok(Some(wait)) => {
                    tracing::debug!(
                        provider = self.provider,
                        "request budget full; waiting {} ms",
                        wait.as_millis()
                    );
                    if !self.shutdown.sleep(wait) {
                        return Ok(());
                    }
                }
                Err(error) => {
                    return Err(BudgetError::Sqlite {
                        path: self.path.clone(),
                        error,
                    });
                }
            }
        }
    }
}

/// A [`RequestBudget`] behind a lock, to hand to [`crate::http::HttpClient::get_admitted`].
pub struct SharedBudget(pub std::sync::Mutex<RequestBudget>);

impl Admission for SharedBudget {
    fn admit(&self, url: &str) -> Result<(), HttpError> {
        let mut budget = self.0.lock().unwrap_or_else(|p| p.into_inner());
        budget.take().map_err(|e| HttpError::Connection {
            url: url.to_string(),
            detail: e.to_string(),
            connect: true,
        })?;
        if budget.shutdown.requested() {
            return Err(HttpError::Interrupted {
                url: url.to_string(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(conn_path: Option<&Path>, limits: Vec<Limit>) -> RequestBudget {
        RequestBudget::open(
            conn_path,
            "upstox",
            limits,
            Duration::from_secs(5),
            Shutdown::default(),
        )
        .unwrap()
    }

    #[test]
    fn a_full_window_says_how_long_to_wait() {
        let mut b = budget(
            None,
            vec![Limit {
                requests: 2,
                per_secs: 1.0,
            }],
        );
        assert_eq!(b.try_take(10_000).unwrap(), None);
        assert_eq!(b.try_take(10_400).unwrap(), None);
        let wait = b.try_take(10_500).unwrap().expect("full");
        // The first request leaves the (guarded) window at 10_000 + 1_100.
        assert_eq!(wait, Duration::from_millis(601));
        assert_eq!(b.try_take(11_101).unwrap(), None);
    }

    #[test]
    fn every_window_is_kept_and_old_entries_are_pruned() {
        let mut b = budget(
            None,
            vec![
                Limit {
                    requests: 3,
                    per_secs: 1.0,
                },
                Limit {
                    requests: 4,
                    per_secs: 10.0,
                },
            ],
        );
        for t in [0, 10, 20] {
            assert_eq!(b.try_take(t).unwrap(), None);
        }
        assert!(b.try_take(30).unwrap().is_some(), "3 per second");
        assert_eq!(b.try_take(2_000).unwrap(), None);
        let wait = b.try_take(3_000).unwrap().expect("4 per 10 s");
        assert_eq!(wait, Duration::from_millis(10_100 - 3_000 + 1));
        assert_eq!(b.try_take(20_000).unwrap(), None);
        let rows: i64 = b
            .conn
            .query_row("SELECT count(*) FROM api_requests", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 1, "entries older than the longest window are pruned");
    }

    #[test]
    fn two_processes_share_one_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        Connection::open(&path)
            .unwrap()
            .execute_batch(MIGRATION)
            .unwrap();
        let limits = vec![Limit {
            requests: 1,
            per_secs: 60.0,
        }];
        let mut a = budget(Some(&path), limits.clone());
        let mut b = budget(Some(&path), limits);
        assert_eq!(a.try_take(1_000).unwrap(), None);
        assert!(b.try_take(1_001).unwrap().is_some());
    }

    #[test]
    fn limits_that_allow_nothing_are_refused() {
        let err = validate(
            "[jobs.market-sync] upstox_limits",
            &[Limit {
                requests: 0,
                per_secs: 1.0,
            }],
        )
        .unwrap_err();
        assert!(err.contains("requests must be at least 1"), "{err}");
        assert!(validate("k", &upstox_standard()).is_ok());
    }
}
