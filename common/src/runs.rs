//! The `job_runs` table: one row per run, so `upstox-jobs status` and a plain SQL query can
//! tell what ran, when, and how it ended, and `journalctl _SYSTEMD_INVOCATION_ID=…` finds its lines.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, params};

use crate::db::{Adopted, Schema};
use crate::redaction::redact;

/// The `job_runs` table, and from migration 2 the `job_requests` a run may carry out
/// (`crate::requests`). Its own component since the bookkeeping tables were split by owner;
/// `IF NOT EXISTS` because a database from before has it from the `common` component.
pub const SCHEMA: Schema = Schema {
    component: "runs",
    migrations: &[
        "CREATE TABLE IF NOT EXISTS job_runs (
            id INTEGER PRIMARY KEY,
            job TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN
                ('running', 'succeeded', 'partial', 'failed', 'skipped', 'interrupted')),
            started_at TEXT NOT NULL,
            finished_at TEXT,
            duration_ms INTEGER,
            units_ok INTEGER NOT NULL DEFAULT 0,
            units_failed INTEGER NOT NULL DEFAULT 0,
            rows_changed INTEGER NOT NULL DEFAULT 0,
            summary TEXT,
            error TEXT,
            exit_code INTEGER,
            pid INTEGER NOT NULL,
            host TEXT NOT NULL,
            invocation_id TEXT
        );
        CREATE INDEX IF NOT EXISTS job_runs_by_job ON job_runs (job, started_at);",
        crate::requests::store::MIGRATION,
    ],
    adopted: Some(Adopted {
        from: "common",
        version: 1,
    }),
};

/// How a run ended (or that it has not yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// Still going (or crashed: the next run of the job says so).
    Running,
    /// Every unit done.
    Succeeded,
    /// Some units done, some failed.
    Partial,
    /// Nothing done.
    Failed,
    /// Nothing to do now (not a trading day, source not configured).
    Skipped,
    /// Stopped by a signal, or found dead by the next run.
    Interrupted,
}

impl RunStatus {
    /// The value stored in `job_runs.status`.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Partial => "partial",
            RunStatus::Failed => "failed",
            RunStatus::Skipped => "skipped",
            RunStatus::Interrupted => "interrupted",
        }
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who is running: written into the row so a run can be traced to its process and journal.
#[derive(Debug, Clone)]
pub struct RunIdentity {
    /// The job's name.
    pub job: String,
    /// Process id.
    pub pid: u32,
    /// Host name.
    pub host: String,
    /// systemd's `INVOCATION_ID`, when started by systemd.
    pub invocation_id: Option<String>,
}

impl RunIdentity {
    /// This process, running job `job`.
    pub fn current(job: &str) -> Self {
        RunIdentity {
            job: job.to_string(),
            pid: std::process::id(),
            host: hostname::get()
                .map(|h| h.to_string_lossy().into_owned())
                .unwrap_or_else(|_| "unknown".to_string()),
            invocation_id: std::env::var("INVOCATION_ID")
                .ok()
                .filter(|v| !v.is_empty()),
        }
    }
}

/// The end of a run, as recorded.
#[derive(Debug, Clone)]
pub struct RunEnd {
    /// Final status.
    pub status: RunStatus,
    /// Units that completed.
    pub units_ok: u64,
    /// Units that failed.
    pub units_failed: u64,
    /// Rows inserted, updated or closed.
    pub rows_changed: u64,
    /// The one-line summary.
    pub summary: String,
    /// The errors, one per failed unit, joined by "; ".
    pub error: Option<String>,
    /// The process exit code.
    pub exit_code: u8,
}

/// Formats a UTC time as stored: ISO-8601 with milliseconds and `Z`.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Marks rows of `job` left `running` by a process that died; returns how many.
/// Call only while holding the job's lock, when no other run of it can be alive.
pub fn mark_abandoned(conn: &Connection, job: &str, now: DateTime<Utc>) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE job_runs SET status = 'interrupted', finished_at = ?2,
             error = COALESCE(error, 'the process died before recording an end (killed, crashed or power lost)')
         WHERE job = ?1 AND status = 'running'",
        params![job, timestamp(now)],
    )
}

/// The `job_runs` rows that say how the job fares: all but those of runs that found the lock
/// held (`skipped` with exit 75), which are kept to show in `upstox-jobs runs` but would
/// otherwise make a job whose run hangs look current.
pub const HEALTH_ROWS: &str = "NOT (status = 'skipped' AND exit_code IS 75)";

/// Records a run that ended at once because another run of the job held its lock: a finished
/// `skipped` row, exit 75, whose summary names the holder; returns its id. Written without the
/// lock, so it touches no other row and is never `running`, which the holder's
/// [`mark_abandoned`] would take for a dead run.
pub fn record_lock_held(
    conn: &Connection,
    who: &RunIdentity,
    started: DateTime<Utc>,
    now: DateTime<Utc>,
    summary: &str,
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO job_runs (job, status, started_at, finished_at, duration_ms, summary,
             exit_code, pid, host, invocation_id)
         VALUES (?1, 'skipped', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            who.job,
            timestamp(started),
            timestamp(now),
            (now - started).num_milliseconds(),
            redact(summary),
            crate::exit::Exit::TempFail.code(),
            who.pid,
            who.host,
            who.invocation_id
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Inserts the `running` row of a new run; returns its id.
pub fn start(conn: &Connection, who: &RunIdentity, now: DateTime<Utc>) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO job_runs (job, status, started_at, pid, host, invocation_id)
         VALUES (?1, 'running', ?2, ?3, ?4, ?5)",
        params![
            who.job,
            timestamp(now),
            who.pid,
            who.host,
            who.invocation_id
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Links run `id` to the request it runs (`--request`).
pub fn link_request(conn: &Connection, id: i64, request: i64) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE job_runs SET request_id = ?2 WHERE id = ?1",
        params![id, request],
    )
    .map(drop)
}

/// Records what run `id` produced for a person to open (a report's chart path).
pub fn record_output(conn: &Connection, id: i64, output: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE job_runs SET output = ?2 WHERE id = ?1",
        params![id, output],
    )
    .map(drop)
}

/// Records the end of run `id`, with any secret in its summary or error replaced by its name.
pub fn finish(
    conn: &Connection,
    id: i64,
    end: &RunEnd,
    started: DateTime<Utc>,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE job_runs SET status = ?2, finished_at = ?3, duration_ms = ?4, units_ok = ?5,
             units_failed = ?6, rows_changed = ?7, summary = ?8, error = ?9, exit_code = ?10
         WHERE id = ?1",
        params![
            id,
            end.status.as_str(),
            timestamp(now),
            (now - started).num_milliseconds(),
            end.units_ok as i64,
            end.units_failed as i64,
            end.rows_changed as i64,
            redact(&end.summary),
            end.error.as_deref().map(redact),
            end.exit_code,
        ],
    )?;
    Ok(())
}

/// Records run `id`, if still `running`, as failed for `cause` alone at `now`: the end of a
/// run whose full record could not be written (a full disk may have room for this short row
/// where the summary and errors did not fit). Returns whether the row was changed.
pub fn finish_failed(conn: &Connection, end: &UnrecordedEnd) -> rusqlite::Result<bool> {
    let changed = conn.execute(
        "UPDATE job_runs SET status = 'failed', finished_at = ?2,
             duration_ms = CAST(ROUND((julianday(?2) - julianday(started_at)) * 86400000) AS INTEGER),
             error = ?3, exit_code = ?4
         WHERE id = ?1 AND status = 'running'",
        params![end.id, timestamp(end.at), redact(&end.cause), end.exit_code],
    )?;
    Ok(changed > 0)
}

/// The end of a run that could not be written to `job_runs`, kept elsewhere (the job's lock
/// file: see `crate::lock::JobLock::leave_note`) for the next run to record.
#[derive(Debug, Clone, PartialEq)]
pub struct UnrecordedEnd {
    /// The run's row.
    pub id: i64,
    /// When it ended.
    pub at: DateTime<Utc>,
    /// Its exit code.
    pub exit_code: u8,
    /// Why it failed, or why its end could not be recorded.
    pub cause: String,
}

const UNRECORDED: &str = "unrecorded end of run ";

impl UnrecordedEnd {
    /// One line, as the lock file keeps it.
    pub fn to_note(&self) -> String {
        format!(
            "{UNRECORDED}{} at {} with exit {}: {}",
            self.id,
            timestamp(self.at),
            self.exit_code,
            redact(&self.cause)
        )
    }

    /// Reads a line written by [`UnrecordedEnd::to_note`]; anything else is `None`.
    pub fn from_note(note: &str) -> Option<Self> {
        let rest = note.strip_prefix(UNRECORDED)?;
        let (id, rest) = rest.split_once(" at ")?;
        let (at, rest) = rest.split_once(" with exit ")?;
        let (exit_code, cause) = rest.split_once(": ")?;
        Some(UnrecordedEnd {
            id: id.parse().ok()?,
            at: DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc),
            exit_code: exit_code.parse().ok()?,
            cause: cause.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_run_is_started_finished_and_a_dead_one_is_marked_interrupted() {
        let dir = tempfile::tempdir().unwrap();
        let conn =
            crate::db::open(&dir.path().join("m.db"), Duration::from_secs(1), &[SCHEMA]).unwrap();
        let who = RunIdentity::current("nse-index-update");
        let t0 = Utc::now();
        let dead = start(&conn, &who, t0).unwrap();
        assert_eq!(mark_abandoned(&conn, "market-sync", t0).unwrap(), 0);
        assert_eq!(mark_abandoned(&conn, "nse-index-update", t0).unwrap(), 1);
        let id = start(&conn, &who, t0).unwrap();
        let end = RunEnd {
            status: RunStatus::Partial,
            units_ok: 8,
            units_failed: 1,
            rows_changed: 12,
            summary: "s".into(),
            error: Some("NIFTY50: HTTP 403".into()),
            exit_code: 1,
        };
        finish(
            &conn,
            id,
            &end,
            t0,
            t0 + chrono::Duration::milliseconds(1500),
        )
        .unwrap();
        let row: (String, i64, String) = conn
            .query_row(
                "SELECT status, duration_ms, error FROM job_runs WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(row, ("partial".into(), 1500, "NIFTY50: HTTP 403".into()));
        let status: String = conn
            .query_row("SELECT status FROM job_runs WHERE id = ?1", [dead], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(status, "interrupted");
    }

    #[test]
    fn a_lost_lock_is_a_finished_row_that_neither_disturbs_nor_counts_for_health() {
        let dir = tempfile::tempdir().unwrap();
        let conn =
            crate::db::open(&dir.path().join("m.db"), Duration::from_secs(1), &[SCHEMA]).unwrap();
        let t0 = Utc::now();
        let holder = start(&conn, &RunIdentity::current("market-sync"), t0).unwrap();
        let loser = record_lock_held(
            &conn,
            &RunIdentity::current("market-sync"),
            t0,
            t0,
            "market-sync: another run holds the lock (pid 42 on desk1)",
        )
        .unwrap();
        let status = |id: i64| -> String {
            conn.query_row("SELECT status FROM job_runs WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .unwrap()
        };
        assert_eq!(
            (status(holder), status(loser)),
            ("running".into(), "skipped".into())
        );
        let healthy: Vec<i64> = conn
            .prepare(&format!("SELECT id FROM job_runs WHERE {HEALTH_ROWS}"))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(healthy, vec![holder]);
        assert_eq!(mark_abandoned(&conn, "market-sync", t0).unwrap(), 1);
        assert_eq!(
            status(loser),
            "skipped",
            "only the dead holder's row is taken"
        );
    }

    #[test]
    fn an_unrecorded_end_goes_through_a_note_to_a_failed_row() {
        let dir = tempfile::tempdir().unwrap();
        let conn =
            crate::db::open(&dir.path().join("m.db"), Duration::from_secs(1), &[SCHEMA]).unwrap();
        let t0 = DateTime::parse_from_rfc3339("2026-11-20T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let id = start(&conn, &RunIdentity::current("market-sync"), t0).unwrap();
        let end = UnrecordedEnd {
            id,
            at: t0 + chrono::Duration::milliseconds(2500),
            exit_code: 74,
            cause: "cannot record the end: database or disk is full".to_string(),
        };
        let note = end.to_note();
        assert_eq!(UnrecordedEnd::from_note(&note), Some(end.clone()));
        assert_eq!(UnrecordedEnd::from_note("pid 42 on desk1"), None);
        assert!(finish_failed(&conn, &end).unwrap());
        assert!(!finish_failed(&conn, &end).unwrap(), "only a running row");
        let row: (String, i64, i64, String) = conn
            .query_row(
                "SELECT status, exit_code, duration_ms, error FROM job_runs WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap();
        assert_eq!(
            row,
            ("failed".into(), 74, 2500, end.cause.clone()),
            "and mark_abandoned has nothing left to take for a crash"
        );
        assert_eq!(mark_abandoned(&conn, "market-sync", t0).unwrap(), 0);
    }
}
