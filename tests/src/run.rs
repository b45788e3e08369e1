//! One run of a built binary, from its set-up to its assertions: [`JobRun`] says what to run
//! (binary, configuration, pinned market clock, arguments, environment, stdin), [`Ran`] is what
//! it left, and [`Ran::expect`] checks the three things every run promises in one call: the exit
//! code, the summary (the last line of stderr) and the `job_runs` row.
//!
//! ```no_run
//! use testkit::run::{JobRun, Row};
//! JobRun::new("upstox-nse-index-update")
//!     .config("[jobs.nse-index-update]\nindices = []\n")
//!     .run()
//!     .expect(78, "indices is empty", Row::none());
//! ```
//!
//! `job_runs` is read here and nowhere else ([`job_runs`], [`last_run`], [`Ran::row`]).

use std::ffi::OsString;
use std::io::Write;
use std::ops::Deref;
use std::process::{Child, Command, Stdio};

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Asia::Kolkata;
use rusqlite::Connection;

use crate::binary::{Outcome, Sandbox};

/// Where a run happens: a sandbox of its own or one a test world holds.
enum Place<'s> {
    Own(Box<Sandbox>),
    In(&'s Sandbox),
}

impl Place<'_> {
    fn sandbox(&self) -> &Sandbox {
        match self {
            Place::Own(s) => s,
            Place::In(s) => s,
        }
    }
}

/// What to run: a builder; nothing happens before [`JobRun::run`] (or `spawn`).
pub struct JobRun<'s> {
    place: Place<'s>,
    bin: String,
    config: Option<String>,
    now: Option<DateTime<Utc>>,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    stdin: Option<Vec<u8>>,
}

/// A market time for [`JobRun::at`]: a `DateTime<Utc>` or text such as `"2026-07-01 10:05 IST"`.
pub trait Moment {
    /// The instant.
    fn instant(self) -> DateTime<Utc>;
}

impl Moment for DateTime<Utc> {
    fn instant(self) -> DateTime<Utc> {
        self
    }
}

impl Moment for &str {
    /// `YYYY-MM-DD HH:MM IST` (or `…:SS IST`); panics on anything else, naming it.
    fn instant(self) -> DateTime<Utc> {
        let local = self
            .strip_suffix(" IST")
            .and_then(|t| {
                NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M")
                    .or_else(|_| NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S"))
                    .ok()
            })
            .unwrap_or_else(|| panic!("{self:?} is not `YYYY-MM-DD HH:MM IST`"));
        Kolkata
            .from_local_datetime(&local)
            .single()
            .expect("IST has no gaps")
            .with_timezone(&Utc)
    }
}

impl JobRun<'static> {
    /// A run of `bin` in a fresh sandbox of its own (empty configuration until
    /// [`JobRun::config`]).
    pub fn new(bin: &str) -> Self {
        Self::with_place(Place::Own(Box::new(Sandbox::new(""))), bin)
    }
}

impl<'s> JobRun<'s> {
    /// A run of `bin` in `sandbox` (its configuration and data directory).
    pub fn in_sandbox(sandbox: &'s Sandbox, bin: &str) -> Self {
        Self::with_place(Place::In(sandbox), bin)
    }

    fn with_place(place: Place<'s>, bin: &str) -> Self {
        JobRun {
            place,
            bin: bin.to_string(),
            config: None,
            now: None,
            args: Vec::new(),
            env: Vec::new(),
            stdin: None,
        }
    }

    /// Writes `text` as the sandbox's `config.toml` before the run.
    pub fn config(mut self, text: &str) -> Self {
        self.config = Some(text.to_string());
        self
    }

    /// Pins the market clock of the run (test builds read `$UPSTOX_JOBS_NOW`; see
    /// `common::harness::market_now`). This is the one place that sets it.
    pub fn at(mut self, when: impl Moment) -> Self {
        self.now = Some(when.instant());
        self
    }

    /// Pins the market clock if `when` is some; leaves it alone otherwise.
    pub fn at_opt(self, when: Option<DateTime<Utc>>) -> Self {
        match when {
            Some(now) => self.at(now),
            None => self,
        }
    }

    /// One more argument.
    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// More arguments.
    pub fn args<I, A>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = A>,
        A: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// An environment variable of the run (the sandbox clears the ones that would leak in).
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Bytes fed to the run's stdin (else stdin is empty).
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(bytes.into());
        self
    }

    /// The sandbox the run happens in.
    pub fn sandbox(&self) -> &Sandbox {
        self.place.sandbox()
    }

    /// The command, for a test that drives the process itself (signals, concurrent runs).
    /// Writes the configuration first, if one was given.
    pub fn command(&self) -> Command {
        let sandbox = self.place.sandbox();
        if let Some(text) = &self.config {
            sandbox.write_config(text);
        }
        let mut cmd = sandbox.command(&self.bin, &[]);
        cmd.args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        if let Some(now) = self.now {
            cmd.env("UPSTOX_JOBS_NOW", now.to_rfc3339());
        }
        cmd
    }

    /// Starts the run with stdout and stderr piped.
    pub fn spawn(&self) -> Child {
        let mut cmd = self.command();
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        if self.stdin.is_some() {
            cmd.stdin(Stdio::piped());
        }
        let mut child = cmd.spawn().expect("the binary starts");
        if let Some(bytes) = self.stdin.clone() {
            let mut pipe = child.stdin.take().expect("stdin piped");
            // From a thread: a child that writes a lot before reading must not block on us.
            std::thread::spawn(move || pipe.write_all(&bytes));
        }
        child
    }

    /// Runs to the end.
    pub fn run(self) -> Ran<'s> {
        let child = self.spawn();
        let pid = child.id();
        let outcome = child.wait_with_output().expect("the binary runs").into();
        Ran {
            outcome,
            place: self.place,
            job: self.bin.trim_start_matches("upstox-").to_string(),
            pid,
        }
    }
}

/// What a finished [`JobRun`] left: its [`Outcome`] (through `Deref`) and its sandbox.
pub struct Ran<'s> {
    outcome: Outcome,
    place: Place<'s>,
    job: String,
    pid: u32,
}

impl Deref for Ran<'_> {
    type Target = Outcome;
    fn deref(&self) -> &Outcome {
        &self.outcome
    }
}

impl Ran<'_> {
    /// The sandbox it ran in.
    pub fn sandbox(&self) -> &Sandbox {
        self.place.sandbox()
    }

    /// `market_data.db`, for the assertions.
    pub fn db(&self) -> Connection {
        self.sandbox().db()
    }

    /// The outcome, for a test that keeps it past the sandbox.
    pub fn into_outcome(self) -> Outcome {
        self.outcome
    }

    /// The `job_runs` row this run wrote (found by its pid), if it wrote one.
    pub fn row(&self) -> Option<RunRow> {
        if !self.sandbox().db_path().exists() {
            return None;
        }
        job_runs(&self.db())
            .into_iter()
            .rev()
            .find(|r| r.pid == i64::from(self.pid))
    }

    /// Asserts exit 0 (showing the output otherwise); returns the run.
    pub fn ok(self) -> Self {
        assert_eq!(
            self.code,
            Some(0),
            "exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    /// The one assertion of a run: it exited with `code`, its summary (the last line of stderr)
    /// contains `summary`, and its `job_runs` row is as `row` says. A recorded row must also
    /// belong to this job, hold the same exit code, and hold the summary the line shows.
    pub fn expect(self, code: i32, summary: &str, row: Row) -> Self {
        let context = || format!("stdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        assert_eq!(self.code, Some(code), "exit code\n{}", context());
        assert!(
            self.summary().contains(summary),
            "`{summary}` not in the summary line: {}\n{}",
            self.summary(),
            context()
        );
        let found = self.row();
        let Some(status) = row.status else {
            assert!(
                found.is_none(),
                "the run recorded a row: {found:?}\n{}",
                context()
            );
            return self;
        };
        let found = found.unwrap_or_else(|| panic!("no job_runs row\n{}", context()));
        assert_eq!(found.job, self.job, "job of {found:?}");
        assert_eq!(found.status, status, "status of {found:?}");
        assert_eq!(
            found.exit_code,
            Some(i64::from(code)),
            "exit code of {found:?}"
        );
        if let Some(units) = row.units {
            assert_eq!(
                (found.units_ok, found.units_failed),
                units,
                "units (ok, failed) of {found:?}"
            );
        }
        if let Some(rows) = row.rows_changed {
            assert_eq!(found.rows_changed, rows, "rows_changed of {found:?}");
        }
        if let Some(part) = &row.error {
            assert!(
                found.error.as_deref().is_some_and(|e| e.contains(part)),
                "`{part}` not in the error of {found:?}"
            );
        }
        let recorded = found.summary.as_deref().unwrap_or("");
        assert!(
            self.summary().contains(recorded),
            "the summary line does not show the recorded summary {recorded:?}: {}",
            self.summary()
        );
        self
    }
}

/// What [`Ran::expect`] requires of the run's `job_runs` row; unset parts are not checked.
#[derive(Debug, Clone, Default)]
pub struct Row {
    status: Option<&'static str>,
    units: Option<(i64, i64)>,
    rows_changed: Option<i64>,
    error: Option<String>,
}

impl Row {
    /// The run recorded no row (dry runs, usage and configuration errors).
    pub fn none() -> Self {
        Row::default()
    }

    /// A row with this status (`succeeded`, `partial`, `failed`, `skipped`, `interrupted`).
    pub fn status(status: &'static str) -> Self {
        Row {
            status: Some(status),
            ..Row::default()
        }
    }

    /// … with these units done and failed.
    pub fn units(mut self, ok: i64, failed: i64) -> Self {
        self.units = Some((ok, failed));
        self
    }

    /// … with this many rows changed.
    pub fn rows(mut self, n: i64) -> Self {
        self.rows_changed = Some(n);
        self
    }

    /// … whose error contains `part`.
    pub fn error(mut self, part: &str) -> Self {
        self.error = Some(part.to_string());
        self
    }
}

/// One `job_runs` row.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRow {
    /// Its number.
    pub id: i64,
    /// The job (`nse-index-update`, …).
    pub job: String,
    /// `running`, `succeeded`, `partial`, `failed`, `skipped` or `interrupted`.
    pub status: String,
    /// Units done.
    pub units_ok: i64,
    /// Units failed.
    pub units_failed: i64,
    /// Rows written.
    pub rows_changed: i64,
    /// The one-line summary.
    pub summary: Option<String>,
    /// The first error.
    pub error: Option<String>,
    /// The exit code (None while running or after a kill).
    pub exit_code: Option<i64>,
    /// The process.
    pub pid: i64,
}

impl RunRow {
    /// (status, units ok, units failed, exit code): what most assertions compare.
    pub fn outline(&self) -> (&str, i64, i64, Option<i64>) {
        (
            self.status.as_str(),
            self.units_ok,
            self.units_failed,
            self.exit_code,
        )
    }
}

/// Every `job_runs` row, oldest first: the one reader of the table.
pub fn job_runs(conn: &Connection) -> Vec<RunRow> {
    let mut stmt = conn
        .prepare(
            "SELECT id, job, status, units_ok, units_failed, rows_changed, summary, error,
                    exit_code, pid
             FROM job_runs ORDER BY id",
        )
        .expect("query job_runs");
    stmt.query_map([], |r| {
        Ok(RunRow {
            id: r.get(0)?,
            job: r.get(1)?,
            status: r.get(2)?,
            units_ok: r.get(3)?,
            units_failed: r.get(4)?,
            rows_changed: r.get(5)?,
            summary: r.get(6)?,
            error: r.get(7)?,
            exit_code: r.get(8)?,
            pid: r.get(9)?,
        })
    })
    .expect("rows")
    .collect::<Result<_, _>>()
    .expect("job_runs")
}

/// The newest `job_runs` row; panics if there is none.
pub fn last_run(conn: &Connection) -> RunRow {
    job_runs(conn).pop().expect("a job_runs row")
}

/// The statuses of every `job_runs` row, oldest first.
pub fn statuses(conn: &Connection) -> Vec<String> {
    job_runs(conn).into_iter().map(|r| r.status).collect()
}
