//! The metrics a run leaves for Prometheus: a file per job, `upstox-jobs-<job>.prom`, in
//! node_exporter's textfile collector directory (as Debian's own timer jobs report), written
//! after the run's `job_runs` row is finished. Its values are read back from `job_runs`, so
//! the last success survives a failed run, and from the tables the job keeps (the age of the
//! newest candle per interval, …). A file per job, because two jobs run at once and the
//! collector refuses a series found in two files.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension};

use crate::config::MetricsTarget;
use crate::runs::{HEALTH_ROWS, RunStatus};

/// The statuses a finished run can have, each a series of `upstox_job_status`.
const ENDED: [RunStatus; 5] = [
    RunStatus::Succeeded,
    RunStatus::Partial,
    RunStatus::Failed,
    RunStatus::Skipped,
    RunStatus::Interrupted,
];

/// What `job_runs` says of a job: its last finished run and its last success.
#[derive(Debug, Clone, PartialEq)]
pub struct JobMetrics {
    /// The job's name.
    pub job: String,
    /// The newest finished run (not one that only found the lock held).
    pub last_run: Option<LastRun>,
    /// When the newest `succeeded` run finished, in Unix seconds.
    pub last_success: Option<f64>,
}

/// The newest finished run of a job.
#[derive(Debug, Clone, PartialEq)]
pub struct LastRun {
    /// When it finished, in Unix seconds.
    pub finished: f64,
    /// How long it took, in seconds.
    pub duration_secs: f64,
    /// `job_runs.status`.
    pub status: String,
    /// The process exit code, when recorded.
    pub exit_code: Option<i64>,
    /// Rows inserted, updated or closed.
    pub rows_changed: i64,
    /// Units that failed.
    pub units_failed: i64,
}

/// A kind of data whose newest item a job reports: it names the series
/// `upstox_<name>_newest_timestamp_seconds` and `upstox_<name>_newest_age_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataKind {
    /// The series' stem, `[a-z_]+`.
    pub name: &'static str,
    /// What the newest item is, for HELP: "stored candle's bar start".
    pub item: &'static str,
    /// The label that tells the series apart ("interval").
    pub label: &'static str,
}

/// Candles, per interval.
pub const CANDLES: DataKind = DataKind {
    name: "candles",
    item: "stored candle's bar start",
    label: "interval",
};

/// The newest item of one series of a kind of data.
#[derive(Debug, Clone, PartialEq)]
pub struct Newest {
    /// The kind of data.
    pub kind: DataKind,
    /// The value of the kind's label ("15minute").
    pub label: String,
    /// When the newest item is from, in Unix seconds.
    pub at: i64,
}

/// Reads what `job_runs` says of `job`.
pub fn collect(conn: &Connection, job: &str) -> rusqlite::Result<JobMetrics> {
    let last_run = conn
        .query_row(
            &format!(
                "SELECT unixepoch(finished_at, 'subsec'), coalesce(duration_ms, 0), status,
                        exit_code, rows_changed, units_failed
                 FROM job_runs
                 WHERE job = ?1 AND finished_at IS NOT NULL AND {HEALTH_ROWS}
                 ORDER BY started_at DESC, id DESC LIMIT 1"
            ),
            [job],
            |r| {
                Ok(LastRun {
                    finished: r.get(0)?,
                    duration_secs: r.get::<_, i64>(1)? as f64 / 1000.0,
                    status: r.get(2)?,
                    exit_code: r.get(3)?,
                    rows_changed: r.get(4)?,
                    units_failed: r.get(5)?,
                })
            },
        )
        .optional()?;
    let last_success = conn.query_row(
        "SELECT max(unixepoch(finished_at, 'subsec')) FROM job_runs
         WHERE job = ?1 AND status = 'succeeded'",
        [job],
        |r| r.get(0),
    )?;
    Ok(JobMetrics {
        job: job.to_string(),
        last_run,
        last_success,
    })
}

/// The file's text in Prometheus' text format: every series a gauge, with HELP and TYPE;
/// ages are counted to `now`. A series with no value (a job that never succeeded) is left out.
pub fn render(metrics: &JobMetrics, newest: &[Newest], now: DateTime<Utc>) -> String {
    let mut out = String::new();
    let job = format!("job=\"{}\"", escape(&metrics.job));
    let mut gauge = |name: &str, help: &str, series: &[(String, f64)]| {
        if series.is_empty() {
            return;
        }
        // Writing to a String cannot fail.
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
        for (labels, value) in series {
            let _ = writeln!(out, "{name}{{{labels}}} {value}");
        }
    };
    let run = metrics.last_run.as_ref();
    let one = |value: Option<f64>| value.map(|v| vec![(job.clone(), v)]).unwrap_or_default();
    gauge(
        "upstox_job_last_run_timestamp_seconds",
        "When the job's last run finished, in Unix seconds.",
        &one(run.map(|r| r.finished)),
    );
    gauge(
        "upstox_job_last_success_timestamp_seconds",
        "When the job's last succeeded run finished, in Unix seconds.",
        &one(metrics.last_success),
    );
    gauge(
        "upstox_job_duration_seconds",
        "How long the job's last run took.",
        &one(run.map(|r| r.duration_secs)),
    );
    gauge(
        "upstox_job_exit_code",
        "The exit code of the job's last run (0 ok or skipped, 1 failed or partial, see the man page).",
        &one(run.and_then(|r| r.exit_code).map(|c| c as f64)),
    );
    let statuses = run
        .map(|r| {
            ENDED
                .iter()
                .map(|s| {
                    let on = if r.status == s.as_str() { 1.0 } else { 0.0 };
                    (format!("{job},status=\"{s}\""), on)
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    gauge(
        "upstox_job_status",
        "1 for how the job's last run ended, 0 for the other statuses.",
        &statuses,
    );
    gauge(
        "upstox_job_rows_changed",
        "Rows the job's last run inserted, updated or closed.",
        &one(run.map(|r| r.rows_changed as f64)),
    );
    gauge(
        "upstox_job_units_failed",
        "Units of work (symbols, indices, …) that failed in the job's last run.",
        &one(run.map(|r| r.units_failed as f64)),
    );
    let mut kinds: Vec<DataKind> = Vec::new();
    for n in newest {
        if !kinds.contains(&n.kind) {
            kinds.push(n.kind);
        }
    }
    for kind in kinds {
        let of_kind: Vec<&Newest> = newest.iter().filter(|n| n.kind == kind).collect();
        let labelled = |value: &dyn Fn(&Newest) -> f64| {
            of_kind
                .iter()
                .map(|n| (format!("{}=\"{}\"", kind.label, escape(&n.label)), value(n)))
                .collect::<Vec<_>>()
        };
        gauge(
            &format!("upstox_{}_newest_timestamp_seconds", kind.name),
            &format!("The newest {}, in Unix seconds.", kind.item),
            &labelled(&|n| n.at as f64),
        );
        gauge(
            &format!("upstox_{}_newest_age_seconds", kind.name),
            &format!(
                "Seconds from the newest {} to the end of the last run; between runs, use time() - upstox_{}_newest_timestamp_seconds.",
                kind.item, kind.name
            ),
            &labelled(&|n| (now.timestamp() - n.at) as f64),
        );
    }
    out
}

/// A label value as the text format wants it: backslash, double quote and newline escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The file of `job` in `dir`.
pub fn file_of(dir: &Path, job: &str) -> PathBuf {
    dir.join(format!("upstox-jobs-{job}.prom"))
}

/// Writes `text` as `job`'s file in `dir`: to a temporary file there first, renamed over the
/// old one, so the collector never reads half a file. The temporary's name does not end in
/// `.prom`, so the collector never reads it either.
pub fn write(dir: &Path, job: &str, text: &str) -> std::io::Result<PathBuf> {
    let path = file_of(dir, job);
    let mut temp = tempfile::Builder::new()
        .prefix(&format!(".upstox-jobs-{job}."))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    temp.write_all(text.as_bytes())?;
    // Readable by node_exporter's user, whatever the umask made of the temporary file.
    temp.as_file()
        .set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644))?;
    temp.persist(&path).map_err(|e| e.error)?;
    Ok(path)
}

/// Writes `job`'s file where `target` says, from `job_runs` and the job's `newest` data, with
/// ages counted to `now`. Nothing here fails the run: a metric that cannot be read is left
/// out, and a file that cannot be written is a warning saying what to do.
pub fn report(
    target: &MetricsTarget,
    job: &str,
    conn: &Connection,
    newest: rusqlite::Result<Vec<Newest>>,
    now: DateTime<Utc>,
) {
    let dir = match target {
        MetricsTarget::Off => return,
        MetricsTarget::Configured(dir) | MetricsTarget::Collector(dir) => dir,
    };
    let runs = match collect(conn, job) {
        Ok(runs) => runs,
        Err(e) => {
            tracing::warn!("metrics not written: cannot read job_runs: {e}");
            return;
        }
    };
    let newest = newest.unwrap_or_else(|e| {
        tracing::warn!("metrics: the age of the newest data is left out: {e}");
        Vec::new()
    });
    match write(dir, job, &render(&runs, &newest, now)) {
        Ok(path) => tracing::debug!("metrics written to {}", path.display()),
        Err(e) => tracing::warn!(
            "metrics not written to {}: {e}; let the job's user write there, or set \
             [metrics] textfile_dir to another directory (\"\" turns metrics off)",
            dir.display()
        ),
    }
}

#[cfg(test)]
mod tests;
