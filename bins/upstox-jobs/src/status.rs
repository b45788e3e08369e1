//! `upstox-jobs status`: per job, the last run from `job_runs`, whether the job is overdue, and
//! the next run from its systemd timer.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use common::calendar::{TradingCalendar, ist_minute};
use common::text::Shown;
use rusqlite::{Connection, OptionalExtension};

use crate::timers::NextRun;
use common::schedule::{CATALOGUE, JobSchedule};

/// The last run of a job, as `job_runs` has it.
#[derive(Debug, Clone, PartialEq)]
pub struct LastRun {
    /// Final (or current) status.
    pub status: String,
    /// When it started.
    pub started: DateTime<Utc>,
    /// How long it took, if it ended.
    pub duration_ms: Option<i64>,
    /// Units done.
    pub units_ok: i64,
    /// Units failed.
    pub units_failed: i64,
    /// Rows changed.
    pub rows: i64,
    /// The error, if any.
    pub error: Option<String>,
}

/// One job's line.
#[derive(Debug, Clone, PartialEq)]
pub struct JobStatus {
    /// The job.
    pub job: &'static JobSchedule,
    /// Its last run.
    pub last: Option<LastRun>,
    /// When a run was due that never succeeded: the silent non-run.
    pub overdue_since: Option<DateTime<Utc>>,
    /// Its last success.
    pub last_success: Option<DateTime<Utc>>,
    /// The timer's next run.
    pub next: NextRun,
}

impl JobStatus {
    /// Whether this line needs a person: the last run did not succeed, or a run is missing.
    pub fn needs_attention(&self) -> bool {
        self.overdue_since.is_some()
            || self
                .last
                .as_ref()
                .is_some_and(|r| matches!(r.status.as_str(), "failed" | "partial" | "interrupted"))
    }
}

fn parse_time(text: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })
}

/// `calendar` with the holidays the database keeps (`market_holidays`, which
/// corporate-announcements fills), when it has them: a database a request made before any
/// job ran has no such table yet.
pub fn with_holidays(
    calendar: TradingCalendar,
    conn: &Connection,
) -> Result<TradingCalendar, common::calendar::CalendarError> {
    let kept: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'market_holidays')",
        [],
        |r| r.get(0),
    )?;
    if kept {
        calendar.with_table(conn)
    } else {
        Ok(calendar)
    }
}

/// Every job's state at `now`, with next runs from systemd when it runs this machine: what
/// `upstox-jobs status` and the API show.
pub fn current(
    conn: Option<&Connection>,
    calendar: &TradingCalendar,
    now: DateTime<Utc>,
) -> rusqlite::Result<Vec<JobStatus>> {
    let systemd = crate::timers::systemd_running();
    let next = |job: &str| {
        if systemd {
            crate::timers::next_run(job)
        } else {
            NextRun::NoSystemd
        }
    };
    collect(conn, now, calendar, &next)
}

/// Reads every job's state at `now`; `next` says when each timer fires next.
pub fn collect(
    conn: Option<&Connection>,
    now: DateTime<Utc>,
    calendar: &TradingCalendar,
    next: &dyn Fn(&str) -> NextRun,
) -> rusqlite::Result<Vec<JobStatus>> {
    let birth = match conn {
        Some(c) => c
            .query_row("SELECT MIN(started_at) FROM job_runs", [], |r| {
                r.get::<_, Option<String>>(0)
            })?
            .map(|t| parse_time(&t))
            .transpose()?,
        None => None,
    };
    let mut out = Vec::new();
    for job in &CATALOGUE {
        let (last, last_success) = match conn {
            Some(c) => (last_run(c, job.name)?, last_success(c, job.name)?),
            None => (None, None),
        };
        let next = next(job.name);
        // Due before the database existed (a new install) is not missed, and a job whose
        // timer is not installed here is not expected to run.
        let overdue_since = match (job.last_due(now, calendar), birth) {
            _ if next == NextRun::NotInstalled => None,
            (Some(due), Some(birth)) if due > birth && last_success.is_none_or(|s| s < due) => {
                Some(due)
            }
            _ => None,
        };
        out.push(JobStatus {
            job,
            last,
            overdue_since,
            last_success,
            next,
        });
    }
    Ok(out)
}

fn last_run(conn: &Connection, job: &str) -> rusqlite::Result<Option<LastRun>> {
    conn.query_row(
        &format!(
            "SELECT status, started_at, duration_ms, units_ok, units_failed, rows_changed, error
             FROM job_runs WHERE job = ?1 AND {} ORDER BY id DESC LIMIT 1",
            common::runs::HEALTH_ROWS
        ),
        [job],
        |r| {
            Ok(LastRun {
                status: r.get(0)?,
                started: parse_time(&r.get::<_, String>(1)?)?,
                duration_ms: r.get(2)?,
                units_ok: r.get(3)?,
                units_failed: r.get(4)?,
                rows: r.get(5)?,
                error: r.get(6)?,
            })
        },
    )
    .optional()
}

fn last_success(conn: &Connection, job: &str) -> rusqlite::Result<Option<DateTime<Utc>>> {
    conn.query_row(
        &format!(
            "SELECT MAX(started_at) FROM job_runs
             WHERE job = ?1 AND status IN ('succeeded', 'skipped') AND {}",
            common::runs::HEALTH_ROWS
        ),
        [job],
        |r| r.get::<_, Option<String>>(0),
    )?
    .map(|t| parse_time(&t))
    .transpose()
}

/// How long a run took, as the listing shows it.
pub fn took(ms: Option<i64>) -> String {
    match ms {
        None => "-".to_string(),
        Some(ms) if ms < 60_000 => format!("{:.1}s", ms as f64 / 1000.0),
        Some(ms) => format!("{}m{:02}s", ms / 60_000, ms / 1000 % 60),
    }
}

/// The table a person reads, with a line under each job that needs attention.
pub fn render(statuses: &[JobStatus], note: Option<&str>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<24} {:<16} {:<11} {:>7} {:>7} {:>6}  NEXT RUN (IST)",
        "JOB", "LAST RUN (IST)", "STATUS", "TOOK", "UNITS", "ROWS"
    );
    for s in statuses {
        let (when, status, duration, units, rows) = match &s.last {
            None => (
                "never".to_string(),
                "-".to_string(),
                "-".to_string(),
                "-".to_string(),
                "-".to_string(),
            ),
            Some(r) => (
                ist_minute(r.started),
                r.status.clone(),
                took(r.duration_ms),
                format!("{}/{}", r.units_ok, r.units_ok + r.units_failed),
                r.rows.to_string(),
            ),
        };
        let _ = writeln!(
            out,
            "{:<24} {when:<16} {status:<11} {duration:>7} {units:>7} {rows:>6}  {}",
            s.job.name,
            s.next.describe()
        );
        if let Some(due) = s.overdue_since {
            let since = match s.last_success {
                Some(t) => format!("last success {}", ist_minute(t)),
                None => "never succeeded".to_string(),
            };
            let _ = writeln!(
                out,
                "  ! overdue: no successful run for the one due by {} ({since})",
                ist_minute(due)
            );
        }
        if let Some(r) = &s.last
            && r.status != "succeeded"
            && let Some(error) = &r.error
        {
            let short: String = error.chars().take(200).collect();
            let more = if error.chars().count() > 200 {
                "…"
            } else {
                ""
            };
            // The error quotes sources; a row from before they were cleaned may carry escapes.
            let _ = writeln!(out, "  ! {}: {}{more}", r.status, Shown(&short));
        }
    }
    if let Some(note) = note {
        let _ = writeln!(out, "{note}");
    }
    out
}

#[cfg(test)]
mod tests;
