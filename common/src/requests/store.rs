//! The `job_requests` table as people and applications see it: a request inserted, shown,
//! listed and cancelled. What the dispatcher does with it is in [`super::claims`].

use std::fmt;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use serde::Serialize;

use crate::requests::{Origin, RequestDoc, RequestId};
use crate::runs::timestamp;

/// Migration 2 of the `runs` component (the bookkeeping that owns `job_runs`): the requests,
/// and each run's link to its request and the output it produced.
pub(crate) const MIGRATION: &str = "CREATE TABLE job_requests (
        id INTEGER PRIMARY KEY,
        job TEXT NOT NULL,
        args TEXT NOT NULL,
        requested_by TEXT NOT NULL,
        origin TEXT NOT NULL CHECK (origin IN ('cli', 'spool', 'http')),
        priority INTEGER NOT NULL DEFAULT 0,
        deadline TEXT,
        state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'partial',
            'failed', 'cancelled', 'expired', 'interrupted')),
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        dispatcher_pid INTEGER,
        dispatcher_boot TEXT,
        claimed_at TEXT,
        runner_pid INTEGER,
        cancel_requested INTEGER NOT NULL DEFAULT 0,
        exit_code INTEGER,
        error TEXT,
        note TEXT
    );
    CREATE INDEX job_requests_queue ON job_requests (state, priority DESC, id);
    CREATE INDEX job_requests_finished ON job_requests (finished_at);
    ALTER TABLE job_runs ADD COLUMN request_id INTEGER;
    ALTER TABLE job_runs ADD COLUMN output TEXT;
    CREATE INDEX job_runs_by_request ON job_runs (request_id) WHERE request_id IS NOT NULL;";

/// Where a request is in its life: `queued → running → succeeded | partial | failed |
/// cancelled | expired | interrupted`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RequestState {
    /// Waiting for the dispatcher.
    Queued,
    /// Its job is running.
    Running,
    /// The run did everything (or found nothing to do).
    Succeeded,
    /// The run did some units and failed others.
    Partial,
    /// The run failed, or could not be started, or ran past its maximum time.
    Failed,
    /// Cancelled before it started, or stopped while running.
    Cancelled,
    /// Its deadline passed before it started.
    Expired,
    /// Its run was stopped by a signal, or its dispatcher died twice.
    Interrupted,
}

impl RequestState {
    /// Every state, in the order of a request's life.
    pub const ALL: [RequestState; 8] = [
        RequestState::Queued,
        RequestState::Running,
        RequestState::Succeeded,
        RequestState::Partial,
        RequestState::Failed,
        RequestState::Cancelled,
        RequestState::Expired,
        RequestState::Interrupted,
    ];

    /// As stored in `job_requests.state`.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Queued => "queued",
            RequestState::Running => "running",
            RequestState::Succeeded => "succeeded",
            RequestState::Partial => "partial",
            RequestState::Failed => "failed",
            RequestState::Cancelled => "cancelled",
            RequestState::Expired => "expired",
            RequestState::Interrupted => "interrupted",
        }
    }

    /// The state stored as `text`.
    pub fn parse(text: &str) -> Option<RequestState> {
        RequestState::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether the request is over (nothing more happens to it).
    pub fn is_finished(self) -> bool {
        !matches!(self, RequestState::Queued | RequestState::Running)
    }
}

impl fmt::Display for RequestState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request as `upstox-jobs request show ID --json` prints it and `GET /v1/requests/ID`
/// returns it: the request, where it is, and the result of its (latest) run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestView {
    /// Its number.
    pub id: RequestId,
    /// The job.
    pub job: String,
    /// The job's arguments.
    pub args: Vec<String>,
    /// Who asked.
    pub requested_by: String,
    /// Where it came from.
    pub origin: Origin,
    /// Higher runs first.
    pub priority: i32,
    /// When it expires if not started.
    pub deadline: Option<DateTime<Utc>>,
    /// Where it is.
    pub state: RequestState,
    /// When it was accepted.
    pub created: DateTime<Utc>,
    /// When its (latest) run was started.
    pub started: Option<DateTime<Utc>>,
    /// When it finished.
    pub finished: Option<DateTime<Utc>>,
    /// How many times it was started (2 after a dispatcher died under it).
    pub attempts: u32,
    /// A cancel was asked for while it ran; the dispatcher stops the run.
    pub cancel_requested: bool,
    /// Its run's `job_runs` row (the latest attempt's).
    pub run_id: Option<i64>,
    /// The run's one-line summary.
    pub summary: Option<String>,
    /// Units the run completed.
    pub units_ok: Option<i64>,
    /// Units that failed.
    pub units_failed: Option<i64>,
    /// Rows the run changed.
    pub rows_changed: Option<i64>,
    /// The job's exit code.
    pub exit_code: Option<i64>,
    /// What went wrong: the dispatcher's reason (a maximum run time passed, the lock never
    /// freed), else the run's errors.
    pub error: Option<String>,
    /// systemd's invocation id of the run: `journalctl _SYSTEMD_INVOCATION_ID=…`.
    pub invocation_id: Option<String>,
    /// What the run produced that a person opens (a report's chart path).
    pub output: Option<String>,
    /// What happened on the way (an attempt interrupted and retried).
    pub note: Option<String>,
}

const VIEW: &str = "SELECT q.id, q.job, q.args, q.requested_by, q.origin, q.priority,
        q.deadline, q.state, q.created_at, q.started_at, q.finished_at, q.attempts,
        q.cancel_requested, r.id, r.summary, r.units_ok, r.units_failed, r.rows_changed,
        COALESCE(q.exit_code, r.exit_code), COALESCE(q.error, r.error), r.invocation_id,
        r.output, q.note
    FROM job_requests q
    LEFT JOIN job_runs r ON r.id = (SELECT MAX(id) FROM job_runs WHERE request_id = q.id)";

fn time(text: Option<String>) -> Option<DateTime<Utc>> {
    text.and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&Utc))
}

fn view_row(row: &Row<'_>) -> rusqlite::Result<RequestView> {
    let args: String = row.get(2)?;
    let origin: String = row.get(4)?;
    let state: String = row.get(7)?;
    let unreadable = |column: usize, what: String| {
        rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, what.into())
    };
    Ok(RequestView {
        id: RequestId(row.get(0)?),
        job: row.get(1)?,
        args: serde_json::from_str(&args)
            .map_err(|e| unreadable(2, format!("job_requests.args: {e}")))?,
        requested_by: row.get(3)?,
        origin: Origin::parse(&origin)
            .ok_or_else(|| unreadable(4, format!("job_requests.origin `{origin}`")))?,
        priority: row.get(5)?,
        deadline: time(row.get(6)?),
        state: RequestState::parse(&state)
            .ok_or_else(|| unreadable(7, format!("job_requests.state `{state}`")))?,
        created: time(row.get(8)?).unwrap_or_default(),
        started: time(row.get(9)?),
        finished: time(row.get(10)?),
        attempts: row.get(11)?,
        cancel_requested: row.get(12)?,
        run_id: row.get(13)?,
        summary: row.get(14)?,
        units_ok: row.get(15)?,
        units_failed: row.get(16)?,
        rows_changed: row.get(17)?,
        exit_code: row.get(18)?,
        error: row.get(19)?,
        invocation_id: row.get(20)?,
        output: row.get(21)?,
        note: row.get(22)?,
    })
}

/// Inserts `doc` as a queued request; returns its id.
pub(crate) fn insert(
    conn: &Connection,
    doc: &RequestDoc,
    origin: Origin,
    now: DateTime<Utc>,
) -> rusqlite::Result<RequestId> {
    let args = serde_json::to_string(&doc.args).expect("a list of strings is JSON");
    conn.execute(
        "INSERT INTO job_requests (job, args, requested_by, origin, priority, deadline, state,
             created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'queued', ?7)",
        params![
            doc.job,
            args,
            doc.requested_by.trim(),
            origin.as_str(),
            doc.priority,
            doc.deadline.map(timestamp),
            timestamp(now)
        ],
    )?;
    Ok(RequestId(conn.last_insert_rowid()))
}

/// Request `id`, if there is one.
pub(crate) fn view(conn: &Connection, id: RequestId) -> rusqlite::Result<Option<RequestView>> {
    conn.query_row(&format!("{VIEW} WHERE q.id = ?1"), [id.0], view_row)
        .optional()
}

/// Up to `limit` requests: queued and running first (by priority, then age), then the newest
/// finished.
pub(crate) fn queue(conn: &Connection, limit: usize) -> rusqlite::Result<Vec<RequestView>> {
    let mut stmt = conn.prepare(&format!(
        "{VIEW} ORDER BY q.state NOT IN ('queued', 'running'),
             CASE WHEN q.state IN ('queued', 'running') THEN -q.priority ELSE 0 END,
             CASE WHEN q.state IN ('queued', 'running') THEN q.id ELSE -q.id END
         LIMIT ?1"
    ))?;
    stmt.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], view_row)?
        .collect()
}

/// What a cancel did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cancelled {
    /// It was queued: it never runs.
    Dequeued,
    /// It is running: the dispatcher stops the run.
    Asked,
    /// It had already finished.
    TooLate,
    /// No such request.
    Missing,
}

/// Cancels request `id`: dequeued if queued, flagged for the dispatcher to stop if running.
pub(crate) fn cancel(
    conn: &mut Connection,
    id: RequestId,
    now: DateTime<Utc>,
) -> rusqlite::Result<Cancelled> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let state: Option<String> = tx
        .query_row(
            "SELECT state FROM job_requests WHERE id = ?1",
            [id.0],
            |r| r.get(0),
        )
        .optional()?;
    let done = match state.as_deref() {
        None => Cancelled::Missing,
        Some("queued") => {
            tx.execute(
                "UPDATE job_requests SET state = 'cancelled', finished_at = ?2,
                     error = 'cancelled before it started'
                 WHERE id = ?1",
                params![id.0, timestamp(now)],
            )?;
            Cancelled::Dequeued
        }
        Some("running") => {
            tx.execute(
                "UPDATE job_requests SET cancel_requested = 1 WHERE id = ?1",
                [id.0],
            )?;
            Cancelled::Asked
        }
        Some(_) => Cancelled::TooLate,
    };
    tx.commit()?;
    Ok(done)
}

/// Deletes the requests finished before `before`; returns how many. Their runs' rows stay
/// (db-maintenance purges `job_runs` on its own schedule).
pub fn purge_finished(conn: &Connection, before: DateTime<Utc>) -> rusqlite::Result<usize> {
    conn.execute(
        "DELETE FROM job_requests
         WHERE state NOT IN ('queued', 'running') AND finished_at < ?1",
        [timestamp(before)],
    )
}
