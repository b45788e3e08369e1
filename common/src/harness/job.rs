//! What a job is to the harness: its name, configuration, tables, schedule and work.

use rusqlite::Connection;
use serde::de::DeserializeOwned;

use crate::db::Schema;
use crate::exit::Exit;
use crate::harness::Context;
use crate::metrics::Newest;
use crate::schedule::{self, Gate};

/// A job: its name, its configuration table, its tables, when it has work, and the work. The
/// harness does everything else (DESIGN's "job harness"): flags, logging, configuration and
/// its validation, the lock, migrations, the schedule gate, `job_runs`, signals, the summary
/// and the exit code.
pub trait Job {
    /// The job's name, as [`schedule::CATALOGUE`] lists it; its binary is `upstox-<NAME>`.
    const NAME: &'static str;
    /// What a unit of work is called in the summary, singular and plural ("index", "indices").
    const UNIT_NOUNS: (&'static str, &'static str);
    /// The `[jobs.<name>]` table.
    type Config: DeserializeOwned + Default + Validate;
    /// The tables the job reads and writes in `market_data.db`, besides common's bookkeeping:
    /// migrated in this order before the run (so list a schema before one that refers to it).
    const SCHEMAS: &'static [Schema];

    /// When a scheduled run has work; outside it the run is skipped (exit 0) unless `--force`.
    /// By default the job's entry in [`schedule::CATALOGUE`], which `upstox-jobs status` reads
    /// too; a job narrows it from its configuration or request (a backfill a person asked for
    /// is never skipped).
    fn gate(&self, _config: &Self::Config) -> Gate {
        schedule::of(Self::NAME).map_or(Gate::Always, |s| s.gate)
    }

    /// A lock the job shares with other jobs, taken after its own and waited for; none by
    /// default. db-backup and db-maintenance share [`crate::lock::DATABASES`].
    fn shared_lock(&self, _config: &Self::Config) -> Option<SharedLock> {
        None
    }

    /// The newest items of the data the job keeps (candles per interval, …), reported with
    /// their age in the job's metrics ([`crate::metrics`]); none by default.
    fn newest(&self, _config: &Self::Config, _conn: &Connection) -> rusqlite::Result<Vec<Newest>> {
        Ok(Vec::new())
    }

    /// Does the work. Per-unit outcomes go through [`Context::unit_done`] and
    /// [`Context::unit_failed`]; an `Err` means the run as a whole could not go on.
    fn run(&mut self, ctx: &mut Context<Self::Config>) -> anyhow::Result<Outcome>;
}

/// A lock shared between jobs ([`Job::shared_lock`]): `<data_dir>/locks/<name>.lock`, waited
/// for up to `wait` before the run gives up with exit 75 naming the holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SharedLock {
    /// The lock's name, as the jobs that share it spell it.
    pub name: &'static str,
    /// How long a run waits for another job to release it.
    pub wait: std::time::Duration,
}

/// A configuration table's checks of what serde cannot check (ranges, names, keys).
pub trait Validate {
    /// `Err` names the key and the rule (`[jobs.x] y = 3: use 1 to 2`); the harness adds the
    /// file and exits 78 before anything is locked or opened.
    fn validate(&self) -> Result<(), String>;
}

/// How the job sums up a run that got to the end.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Work was done (or attempted); the text is added to the summary ("4 joined, 4 left").
    Done(String),
    /// Nothing to do now, and that is fine (exit 0): the reason.
    Skipped(String),
}

/// A unit's failure: why, and which exit code it maps to. Built from the error that caused
/// it ([`UnitError::database`], `From<&HttpError>`) so one condition has one exit code in
/// every job.
#[derive(Debug, Clone)]
pub struct UnitError {
    /// The documented exit code for this kind of failure.
    pub exit: Exit,
    /// One line: the cause and what to do about it.
    pub message: String,
}

/// An error that ends the whole run with a specific exit code.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Fatal {
    /// The exit code.
    pub exit: Exit,
    /// What went wrong and what to do.
    pub message: String,
}

impl Fatal {
    /// A fatal error with `exit` and `message`.
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        Fatal {
            exit,
            message: message.into(),
        }
    }
}
