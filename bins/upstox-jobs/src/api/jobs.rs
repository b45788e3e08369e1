//! `GET /v1/jobs`: every job's last run, next run and overdue flag, computed as
//! `upstox-jobs status` computes them, as JSON.

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde::Serialize;

use super::Api;
use super::http::Response;
use crate::status::{self, JobStatus};
use crate::timers::NextRun;

/// One job, as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobView {
    /// The job's name.
    pub job: &'static str,
    /// Its last run, if any.
    pub last_run: Option<RunView>,
    /// When its last successful (or skipped) run started.
    pub last_success: Option<DateTime<Utc>>,
    /// A run was due and none succeeded since.
    pub overdue: bool,
    /// The due time of the run that never succeeded.
    pub overdue_since: Option<DateTime<Utc>>,
    /// When the timer fires next, if systemd says.
    pub next_run: Option<DateTime<Utc>>,
    /// What systemd says of the timer when there is no time ("timer inactive", …).
    pub next_run_note: Option<String>,
    /// The last run did not succeed, or a run is missing.
    pub needs_attention: bool,
}

/// A job's last run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunView {
    /// `running`, `succeeded`, `partial`, `failed`, `skipped` or `interrupted`.
    pub status: String,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// How long it took, in milliseconds, once ended.
    pub duration_ms: Option<i64>,
    /// Units done.
    pub units_ok: i64,
    /// Units failed.
    pub units_failed: i64,
    /// Rows changed.
    pub rows_changed: i64,
    /// Its error, if any.
    pub error: Option<String>,
}

impl From<&JobStatus> for JobView {
    fn from(s: &JobStatus) -> Self {
        let (next_run, next_run_note) = match &s.next {
            NextRun::At(t) => (Some(*t), None),
            other => (None, Some(other.describe())),
        };
        JobView {
            job: s.job.name,
            last_run: s.last.as_ref().map(|r| RunView {
                status: r.status.clone(),
                started_at: r.started,
                duration_ms: r.duration_ms,
                units_ok: r.units_ok,
                units_failed: r.units_failed,
                rows_changed: r.rows,
                error: r.error.clone(),
            }),
            last_success: s.last_success,
            overdue: s.overdue_since.is_some(),
            overdue_since: s.overdue_since,
            next_run,
            next_run_note,
            needs_attention: s.needs_attention(),
        }
    }
}

/// Every job's state now, read from `conn` (none before the first run).
pub fn collect(api: &Api, conn: Option<&Connection>) -> anyhow::Result<Vec<JobStatus>> {
    let mut calendar = api.calendar.clone();
    if let Some(c) = conn {
        calendar = status::with_holidays(calendar, c)?;
    }
    Ok(status::current(conn, &calendar, Utc::now())?)
}

/// The answer to `GET /v1/jobs`.
pub fn answer(api: &Api) -> anyhow::Result<Response> {
    let conn = api.read()?;
    let jobs: Vec<JobView> = collect(api, conn.as_ref())?
        .iter()
        .map(JobView::from)
        .collect();
    Ok(Response::json(200, &serde_json::json!({ "jobs": jobs })))
}
