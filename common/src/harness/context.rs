//! What a running job has at hand.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use crate::calendar::TradingCalendar;
use crate::config::Config;
use crate::db;
use crate::exit::Exit;
use crate::harness::{Fatal, UnitError};
use crate::http::{Halt, HttpClient, HttpError};
use crate::shutdown::Shutdown;

/// What a running job has at hand.
pub struct Context<C> {
    /// The configuration (common tables and the job's own), validated.
    pub config: Config<C>,
    /// The data directory.
    pub data_dir: PathBuf,
    /// `--dry-run`: write nothing.
    pub dry_run: bool,
    /// `--force`.
    pub force: bool,
    /// `market_data.db`: read-write, or in a dry run read-only (and possibly absent), or a
    /// copy in memory migrated from a file older than the binary ([`Context::db_is_the_file`]).
    pub db: Option<Connection>,
    /// The HTTP client.
    pub http: HttpClient,
    /// The NSE calendar, once asked for ([`Context::calendar`]).
    pub(crate) calendar: Option<TradingCalendar>,
    /// Set by SIGTERM/SIGINT; ask [`Context::stop_requested`] before each unit.
    pub shutdown: Shutdown,
    /// When the run started.
    pub started: DateTime<Utc>,
    /// The time the run works for (which bars are complete, whether the market is open): the
    /// start, unless a test build pinned it (see [`crate::harness::market_now`]).
    pub now: DateTime<Utc>,
    pub(crate) units: Vec<(String, Result<u64, UnitError>)>,
    /// The units the job means to do ([`Context::plan`]), so the summary names those it
    /// did not reach.
    pub(crate) planned: Option<Vec<String>>,
    /// Why the job stopped taking units, if it stopped before the end.
    pub(crate) stop: Option<Stop>,
    /// What the run produced for a person to open ([`Context::output`]).
    pub(crate) output: Option<String>,
}

/// Why a run stopped taking units before the end.
#[derive(Debug, Clone)]
pub(crate) enum Stop {
    /// SIGTERM or SIGINT.
    Signal,
    /// Its source stopped answering or rate-limited it, or its deadline came.
    Halted(Halt),
}

impl<C> Context<C> {
    /// Declares the units the run means to do, before it starts them: units not done nor
    /// failed when it stops are named "not reached" in the summary. Other units (market-sync's
    /// quotes and option chains) are recorded as usual but not counted with these.
    pub fn plan<S: Into<String>>(&mut self, units: impl IntoIterator<Item = S>) {
        self.planned
            .get_or_insert_with(Vec::new)
            .extend(units.into_iter().map(Into::into));
    }

    /// Whether to stop before the next unit: SIGTERM/SIGINT (recorded `interrupted`; a
    /// signal after the last unit changes nothing), the run's deadline, or a source that
    /// halted it ([`Context::halted`]).
    pub fn stop_requested(&mut self) -> bool {
        if self.shutdown.requested() {
            self.stop = Some(Stop::Signal);
        } else if self.stop.is_none()
            && let Some(halt) = self.http.out_of_time()
        {
            self.stop = Some(Stop::Halted(halt));
        }
        self.stop.is_some()
    }

    /// When `error` halted the run's requests ([`HttpError::halt`]: a host stopped answering
    /// or rate-limited the run for longer than it waits, or the deadline came), records it
    /// and returns true: `unit` failed if its request was sent, and the job stops taking
    /// units. Otherwise records nothing and returns false.
    pub fn halted(&mut self, unit: Option<&str>, error: &HttpError) -> bool {
        let Some((halt, sent)) = error.halt() else {
            return false;
        };
        if sent && let Some(unit) = unit {
            self.unit_failed(unit, UnitError::from(error));
        }
        if self.stop.is_none() {
            tracing::warn!("stopping: {halt}");
            self.stop = Some(Stop::Halted(halt.clone()));
        }
        true
    }

    /// Records what the run produced for a person to open (a report's chart path): kept in
    /// its `job_runs` row, where a request's status shows it.
    pub fn output(&mut self, path: impl Into<String>) {
        self.output = Some(path.into());
    }

    /// Records a unit that completed, with the rows it changed.
    pub fn unit_done(&mut self, name: &str, rows_changed: u64) {
        self.units.push((name.to_string(), Ok(rows_changed)));
    }

    /// Records and logs a unit that failed; the others go on.
    pub fn unit_failed(&mut self, name: &str, error: UnitError) {
        tracing::error!(
            unit = name,
            exit_code = error.exit.code(),
            "{name}: {}",
            error.message
        );
        self.units.push((name.to_string(), Err(error)));
    }

    /// The read-write database. Only a dry run has none.
    pub fn db_mut(&mut self) -> anyhow::Result<&mut Connection> {
        self.db
            .as_mut()
            .ok_or_else(|| anyhow::anyhow!("no database is open (dry run)"))
    }

    /// The NSE calendar: the configured holiday file (else the list built in), with the
    /// `market_holidays` table's special sessions. Read when first asked for, so a job that
    /// never needs it is not stopped by a bad holiday file; a bad one is a configuration
    /// error (78).
    pub fn calendar(&mut self) -> anyhow::Result<&TradingCalendar> {
        let calendar = match self.calendar.take() {
            Some(calendar) => calendar,
            None => load_calendar(&self.config.calendar.holidays_file, self.db.as_ref())?,
        };
        Ok(self.calendar.insert(calendar))
    }

    /// `market_data.db`'s path.
    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join(db::MARKET_DATA_DB)
    }

    /// Whether [`Context::db`] is `market_data.db` itself, not a dry run's copy in memory of a
    /// file older than the binary, which another connection to the file must not be mixed with.
    pub fn db_is_the_file(&self) -> bool {
        self.db
            .as_ref()
            .and_then(Connection::path)
            .is_some_and(|p| !p.is_empty())
    }

    /// A unit's database error, mapped as every job maps it (see [`UnitError::database`]).
    pub fn db_error(&self, error: rusqlite::Error) -> UnitError {
        UnitError::database(&self.db_path(), error)
    }
}

/// The calendar from `file` (the built-in list where it is absent), with `db`'s
/// `market_holidays` rows.
fn load_calendar(file: &Path, db: Option<&Connection>) -> anyhow::Result<TradingCalendar> {
    let calendar = if file.exists() {
        TradingCalendar::load(file).map_err(|e| Fatal::new(Exit::Config, e.to_string()))?
    } else {
        TradingCalendar::embedded()
    };
    Ok(match db {
        Some(conn) => calendar
            .with_table(conn)
            .map_err(|e| Fatal::new(Exit::Config, e.to_string()))?,
        None => calendar,
    })
}
