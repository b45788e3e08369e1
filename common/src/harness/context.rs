//! What a running job has at hand.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use crate::calendar::TradingCalendar;
use crate::config::Config;
use crate::db;
use crate::exit::Exit;
use crate::harness::{Fatal, UnitError};
use crate::http::HttpClient;
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
    /// `market_data.db`: read-write, or read-only (and possibly absent) in a dry run.
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
    pub(crate) stopped_early: bool,
}

impl<C> Context<C> {
    /// Whether to stop before the next unit (SIGTERM/SIGINT). A job that stops because of it
    /// is recorded `interrupted`; a signal after the last unit changes nothing.
    pub fn stop_requested(&mut self) -> bool {
        let stop = self.shutdown.requested();
        self.stopped_early |= stop;
        stop
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
