//! A provider's request budget, shared by every process on the machine.
//!
//! Providers limit requests per account, not per process: Upstox allows 50 a second, 500 a
//! minute and 2,000 in 30 minutes for its standard APIs, and market-sync and alert-scan spend
//! the same allowance. Each admitted request is logged in `api_requests` in `market_data.db`;
//! a request is admitted only when every sliding window has room, inside an immediate
//! transaction, so two processes can never both take the last slot.
//!
//! A request counts in a window until its answer has arrived, not from when it was sent: the
//! provider counts it when it arrives, which is somewhere in between, and network delays vary.
//! Counting from the answer means that any requests the provider sees inside one window were
//! all still counted here when the last of them was admitted, however late each arrived.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, named_params, params};

use crate::config::Limit;
use crate::db::{Adopted, Schema};
use crate::http::{Admission, Halt, HttpError, Ticket};
use crate::shutdown::Shutdown;

mod prepaid;

pub use prepaid::Prepaid;

/// The request log. `IF NOT EXISTS` because a database from before the bookkeeping tables
/// were split by owner has it from the `common` component.
pub const SCHEMA: Schema = Schema {
    component: "budget",
    migrations: &["CREATE TABLE IF NOT EXISTS api_requests (
    provider TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    -- When the answer (or the failure) came; NULL while the request is in flight.
    done_ms INTEGER
);
CREATE INDEX IF NOT EXISTS api_requests_by_provider ON api_requests (provider, at_ms);"],
    adopted: Some(Adopted {
        from: "common",
        version: 3,
    }),
};

/// Clock granularity allowance: a window is treated as this much longer than configured.
const GUARD_MS: i64 = 10;

/// When a request stops counting: when its answer came, or, for one a crashed process left in
/// flight, when it would have timed out.
const SETTLED: &str = "coalesce(done_ms, at_ms + :flight)";

impl Limit {
    fn window_ms(&self) -> i64 {
        (self.per_secs * 1000.0).round() as i64 + GUARD_MS
    }
}

/// Why the budget could not be kept.
#[derive(Debug, thiserror::Error)]
pub enum BudgetError {
    /// The request log could not be read or written.
    #[error("request budget in {path}: {error}{}", crate::db::advice(error))]
    Sqlite {
        /// The database.
        path: String,
        /// The SQLite error.
        error: rusqlite::Error,
    },
    /// The budget has no room before the run's deadline.
    #[error(
        "the request budget has no room before the run's {}s deadline; the next run goes on",
        .budget.as_secs()
    )]
    OutOfTime {
        /// The run's time budget.
        budget: Duration,
    },
}

impl BudgetError {
    /// Whether another process holding the database is the cause, so trying later may work.
    pub fn is_busy(&self) -> bool {
        matches!(self, BudgetError::Sqlite { error, .. } if crate::db::is_busy(error))
    }

    /// The exit code, as for any SQLite error (75 when busy).
    pub fn exit(&self) -> crate::exit::Exit {
        match self {
            BudgetError::Sqlite { error, .. } => crate::db::sqlite_exit(error),
            BudgetError::OutOfTime { .. } => crate::exit::Exit::Unavailable,
        }
    }
}

/// One provider's budget.
pub struct RequestBudget {
    conn: Connection,
    path: String,
    provider: String,
    limits: Vec<Limit>,
    longest_flight: Duration,
    shutdown: Shutdown,
    /// When the run's time is up, and its budget ([`RequestBudget::until`]).
    deadline: Option<(Instant, Duration)>,
}

/// A request the budget admitted; hand it back with [`RequestBudget::settle`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot(i64);

impl RequestBudget {
    /// The budget of `provider` kept in the database at `path` (whose common migrations have
    /// run), or, when `path` is `None` (a dry run with no database), in this process only.
    /// `longest_flight` is the most a request can take (the HTTP timeouts): a request that a
    /// killed process left in flight stops counting after it.
    pub fn open(
        path: Option<&Path>,
        provider: &str,
        limits: Vec<Limit>,
        busy_timeout: Duration,
        longest_flight: Duration,
        shutdown: Shutdown,
    ) -> Result<Self, BudgetError> {
        let name = path.map_or(":memory:".to_string(), |p| p.display().to_string());
        let fail = |error| BudgetError::Sqlite {
            path: name.clone(),
            error,
        };
        // Set up as `db::open`'s connection is: with SQLite's default synchronous=FULL, each
        // of the two commits a request costs waited for the disk (6 ms here), more than the
        // request itself.
        let conn = match path {
            Some(p) => crate::db::open_writer(p, busy_timeout).map_err(fail)?,
            None => {
                let conn = Connection::open_in_memory().map_err(fail)?;
                conn.execute_batch(SCHEMA.migrations[0]).map_err(fail)?;
                conn
            }
        };
        Ok(RequestBudget {
            conn,
            path: name.clone(),
            provider: provider.to_string(),
            limits,
            longest_flight,
            shutdown,
            deadline: None,
        })
    }

    /// Takes a slot now, or says how long to wait for one.
    fn try_take(&mut self, now_ms: i64) -> rusqlite::Result<Result<Slot, Duration>> {
        let flight_ms = self.longest_flight.as_millis() as i64;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut wait_ms = 0;
        for limit in &self.limits {
            // The request that must leave the window before another may enter it.
            let blocking: Option<(i64, bool)> = tx
                .query_row(
                    &format!(
                        "SELECT {SETTLED} AS settled, done_ms IS NULL FROM api_requests
                         WHERE provider = :provider AND settled > :since
                         ORDER BY settled DESC LIMIT 1 OFFSET :newer"
                    ),
                    named_params! {
                        ":provider": self.provider,
                        ":since": now_ms - limit.window_ms(),
                        ":newer": i64::from(limit.requests) - 1,
                        ":flight": flight_ms,
                    },
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if let Some((settled, in_flight)) = blocking {
                let until = settled + limit.window_ms() - now_ms + 1;
                // A request in flight may be answered any moment: look again soon.
                wait_ms = wait_ms.max(if in_flight {
                    until.min(IN_FLIGHT_POLL_MS)
                } else {
                    until
                });
            }
        }
        if wait_ms > 0 {
            return Ok(Err(Duration::from_millis(wait_ms as u64)));
        }
        let keep_ms = self.limits.iter().map(Limit::window_ms).max().unwrap_or(0);
        tx.execute(
            &format!("DELETE FROM api_requests WHERE provider = :provider AND {SETTLED} < :before"),
            named_params! {
                ":provider": self.provider,
                ":before": now_ms - keep_ms,
                ":flight": flight_ms,
            },
        )?;
        tx.execute(
            "INSERT INTO api_requests (provider, at_ms) VALUES (?1, ?2)",
            params![self.provider, now_ms],
        )?;
        let slot = Slot(tx.last_insert_rowid());
        tx.commit()?;
        Ok(Ok(slot))
    }

    /// The same budget, refusing to wait past `deadline` (when, and the run's budget): a
    /// window full for half an hour must not hold a run past its unit's `TimeoutStartSec`.
    pub fn until(mut self, deadline: Option<(Instant, Duration)>) -> Self {
        self.deadline = deadline;
        self
    }

    /// Waits until every window has room, then records the request as in flight; `None` if
    /// the run was asked to stop while waiting.
    pub fn take(&mut self) -> Result<Option<Slot>, BudgetError> {
        loop {
            match self.try_take(now_ms()) {
                Ok(Ok(slot)) => return Ok(Some(slot)),
                Ok(Err(wait)) => {
                    if let Some((at, budget)) = self.deadline
                        && Instant::now() + wait >= at
                    {
                        return Err(BudgetError::OutOfTime { budget });
                    }
                    tracing::debug!(
                        provider = self.provider,
                        "request budget full; waiting {} ms",
                        wait.as_millis()
                    );
                    if !self.shutdown.sleep(wait) {
                        return Ok(None);
                    }
                }
                Err(error) => return Err(self.error(error)),
            }
        }
    }

    /// Takes a slot if every window has room now; `None` if it would have to wait.
    pub fn take_now(&mut self) -> Result<Option<Slot>, BudgetError> {
        match self.try_take(now_ms()) {
            Ok(taken) => Ok(taken.ok()),
            Err(error) => Err(self.error(error)),
        }
    }

    /// Records that the request in `slot` has had its answer (or failed), so that it counts
    /// in the windows that hold this moment rather than until it would have timed out.
    pub fn settle(&mut self, slot: Slot) -> Result<(), BudgetError> {
        self.settle_at(slot, now_ms())
            .map_err(|error| self.error(error))
    }

    fn settle_at(&mut self, slot: Slot, now_ms: i64) -> rusqlite::Result<()> {
        self.conn.execute(
            "UPDATE api_requests SET done_ms = ?1 WHERE rowid = ?2",
            params![now_ms, slot.0],
        )?;
        Ok(())
    }

    fn error(&self, error: rusqlite::Error) -> BudgetError {
        BudgetError::Sqlite {
            path: self.path.clone(),
            error,
        }
    }
}

/// How often to look again while the window is held by requests still in flight.
const IN_FLIGHT_POLL_MS: i64 = 20;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A [`RequestBudget`] behind a lock, to hand to [`crate::http::HttpClient::get_admitted`].
pub struct SharedBudget(pub std::sync::Mutex<RequestBudget>);

impl SharedBudget {
    /// A slot for `url` if the budget has room now, without waiting.
    pub fn admit_now(&self, url: &str) -> Result<Option<Ticket>, HttpError> {
        let slot = self.lock().take_now().map_err(|e| not_admitted(url, e))?;
        Ok(slot.map(|s| Ticket(s.0)))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, RequestBudget> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A run's budget for `provider` in `market_data.db`, shared with every other process; a dry
/// run without a writable database, or on a file older than the binary (whose tables a dry run
/// must not touch), keeps it in memory. Refusals and waits end at the run's deadline.
pub fn for_run<C>(
    ctx: &crate::harness::Context<C>,
    provider: &str,
    limits: Vec<Limit>,
) -> anyhow::Result<SharedBudget> {
    let busy = Duration::from_secs_f64(ctx.config.database.busy_timeout_secs);
    let path = ctx.data_dir.join(crate::db::MARKET_DATA_DB);
    let shared =
        (!ctx.dry_run || (ctx.db_is_the_file() && writable(&path))).then_some(path.as_path());
    let http = &ctx.config.http;
    let flight = Duration::from_secs_f64(http.connect_timeout_secs + http.timeout_secs);
    let budget = RequestBudget::open(shared, provider, limits, busy, flight, ctx.shutdown.clone())
        .map_err(|e| crate::harness::Fatal::new(e.exit(), e.to_string()))?
        .until(ctx.http.deadline());
    Ok(SharedBudget(std::sync::Mutex::new(budget)))
}

/// Whether this process may write the database (a desk user running a dry run may not).
/// A write lock another run holds answers yes: SQLite refuses a read-only connection before
/// it looks at the lock. Waiting for the lock instead would give up after the probe's busy
/// timeout while market-sync's writer held it, and a dry run beside that run would keep a
/// budget of its own: the two together went over the provider's limits.
fn writable(path: &Path) -> bool {
    let probe = Connection::open(path).and_then(|c| {
        c.busy_timeout(Duration::ZERO)?;
        c.execute_batch("BEGIN IMMEDIATE; ROLLBACK;")
    });
    match probe {
        Ok(()) => true,
        Err(error) => crate::db::is_busy(&error),
    }
}

/// The budget's failure as the HTTP client reports it.
fn not_admitted(url: &str, e: BudgetError) -> HttpError {
    HttpError::NotAdmitted {
        url: url.to_string(),
        busy: e.is_busy(),
        detail: e.to_string(),
    }
}

impl Admission for SharedBudget {
    fn admit(&self, url: &str) -> Result<Ticket, HttpError> {
        let slot = self.lock().take().map_err(|e| match e {
            BudgetError::OutOfTime { budget } => HttpError::Halted {
                url: url.to_string(),
                halt: Halt::Deadline { budget },
                sent: false,
            },
            e => not_admitted(url, e),
        })?;
        slot.map(|s| Ticket(s.0))
            .ok_or_else(|| HttpError::Interrupted {
                url: url.to_string(),
            })
    }

    fn settled(&self, ticket: Ticket) {
        if let Err(e) = self.lock().settle(Slot(ticket.0)) {
            // The request then counts until it would have timed out: slower, never over.
            tracing::warn!("{e}; the request counts against the budget until its timeout");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FLIGHT: Duration = Duration::from_secs(40);

    #[test]
    fn a_database_another_run_is_writing_is_writable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        let writer = crate::db::open_writer(&path, Duration::ZERO).unwrap();
        writer.execute_batch("BEGIN IMMEDIATE").unwrap();
        assert!(writable(&path), "a held write lock read as not writable");
    }

    fn budget(conn_path: Option<&Path>, limits: Vec<Limit>) -> RequestBudget {
        RequestBudget::open(
            conn_path,
            "upstox",
            limits,
            Duration::from_secs(5),
            FLIGHT,
            Shutdown::default(),
        )
        .unwrap()
    }

    fn per(requests: u32, per_secs: f64) -> Limit {
        Limit { requests, per_secs }
    }

    /// A request sent at `at` and answered `took` ms later; `None` if the budget refused it.
    fn request(b: &mut RequestBudget, at: i64, took: i64) -> Option<Slot> {
        let slot = b.try_take(at).unwrap().ok()?;
        b.settle_at(slot, at + took).unwrap();
        Some(slot)
    }

    #[test]
    fn a_full_window_is_not_waited_for_past_the_runs_deadline() {
        let shared = SharedBudget(std::sync::Mutex::new(
            budget(None, vec![per(1, 3600.0)]).until(Some((
                Instant::now() + Duration::from_secs(60),
                Duration::from_secs(60),
            ))),
        ));
        let answered = shared.admit("http://x/1").unwrap();
        shared.settled(answered);
        let refused = shared.admit("http://x/2").unwrap_err();
        assert!(
            matches!(refused.halt(), Some((Halt::Deadline { .. }, false))),
            "{refused:?}"
        );
    }

    fn wait(b: &mut RequestBudget, at: i64) -> Duration {
        b.try_take(at)
            .unwrap()
            .expect_err("the budget should be full")
    }

    #[test]
    fn the_budget_commits_as_every_connection_does_without_waiting_for_the_disk() {
        let dir = tempfile::tempdir().unwrap();
        let b = budget(Some(&dir.path().join("market_data.db")), vec![]);
        let synchronous: i64 = b
            .conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!(synchronous, 1, "NORMAL");
    }

    #[test]
    fn a_full_window_says_how_long_to_wait() {
        let mut b = budget(None, vec![per(2, 1.0)]);
        assert!(request(&mut b, 10_000, 0).is_some());
        assert!(request(&mut b, 10_400, 0).is_some());
        // The first request leaves the (guarded) window at 10_000 + 1_010.
        assert_eq!(wait(&mut b, 10_500), Duration::from_millis(511));
        assert!(request(&mut b, 11_011, 0).is_some());
    }

    #[test]
    fn a_request_counts_until_its_answer_came() {
        let mut b = budget(None, vec![per(1, 1.0)]);
        // Sent at 10 s, answered at 10.3 s: the provider may have counted it as late as
        // 10.3 s, so the next one waits until 11.31 s, not 11.01 s.
        assert!(request(&mut b, 10_000, 300).is_some());
        assert_eq!(wait(&mut b, 11_100), Duration::from_millis(211));
        assert!(request(&mut b, 11_311, 0).is_some());
    }

    #[test]
    fn a_request_in_flight_holds_its_slot_and_a_dead_one_lets_go_after_the_timeout() {
        let mut b = budget(None, vec![per(1, 1.0)]);
        let slot = b.try_take(0).unwrap().unwrap();
        // Still in flight long after its window: look again soon rather than guess.
        assert_eq!(
            wait(&mut b, 5_000),
            Duration::from_millis(IN_FLIGHT_POLL_MS as u64)
        );
        b.settle_at(slot, 5_000).unwrap();
        assert_eq!(wait(&mut b, 5_500), Duration::from_millis(511));
        // A request a killed process left in flight counts until it would have timed out.
        let dead = FLIGHT.as_millis() as i64;
        b.try_take(10_000).unwrap().unwrap();
        assert!(b.try_take(10_000 + dead).unwrap().is_err());
        assert!(b.try_take(10_000 + dead + 1_011).unwrap().is_ok());
    }

    #[test]
    fn every_window_is_kept_and_old_entries_are_pruned() {
        let mut b = budget(None, vec![per(3, 1.0), per(4, 10.0)]);
        for t in [0, 10, 20] {
            assert!(request(&mut b, t, 0).is_some());
        }
        assert!(request(&mut b, 30, 0).is_none(), "3 per second");
        assert!(request(&mut b, 2_000, 0).is_some());
        assert_eq!(
            wait(&mut b, 3_000),
            Duration::from_millis(10_010 - 3_000 + 1),
            "4 per 10 s"
        );
        assert!(request(&mut b, 20_000, 0).is_some());
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
            .execute_batch(SCHEMA.migrations[0])
            .unwrap();
        let mut a = budget(Some(&path), vec![per(1, 60.0)]);
        let mut b = budget(Some(&path), vec![per(1, 60.0)]);
        assert!(request(&mut a, 1_000, 5).is_some());
        assert!(request(&mut b, 1_001, 5).is_none());
    }
}
