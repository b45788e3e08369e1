//! upstox-jobs: the binary for people: what ran, what failed, what runs next.
//!
//! - [`cli`]: the command line
//! - [`status`]: last run, overdue, next run per job (the schedules are `common::schedule`'s)
//! - [`timers`]: next runs from systemd
//! - [`runs`]: the run history
//! - [`failure`]: the report of a failed unit, by email and Telegram
//! - [`request`]: runs asked for from a shell, and following them
//! - [`dispatch`]: the dispatcher that runs the requests
//! - [`api`]: the socket-activated HTTP API and status page

pub mod api;
pub mod cli;
pub mod dispatch;
pub mod failure;
pub mod request;
pub mod runs;
pub mod status;
pub mod timers;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use chrono::Utc;
use clap::{CommandFactory, FromArgMatches};
use common::Exit;
use common::calendar::TradingCalendar;
use common::config::{self, Config, ConfigPath};
use common::harness::{self, Fatal};
use common::logging;
use common::requests::Requests;
use rusqlite::Connection;
use serde::de::IgnoredAny;

pub use cli::{Cli, Command};

/// Runs the command line of `upstox-jobs`.
pub fn main() -> ExitCode {
    let definition = harness::docs::with_exit_table(Cli::command(), &cli::EXITS);
    let matches = definition.clone().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let command = match (&cli.generate_docs, &cli.command) {
        (Some(dir), _) => return harness::docs::install(Cli::command(), &cli::EXITS, dir),
        (None, Some(command)) => command,
        (None, None) => definition
            .clone()
            .error(
                clap::error::ErrorKind::MissingSubcommand,
                "a command is required",
            )
            .exit(),
    };
    harness::command_exit("upstox-jobs", run(&cli, command))
}

/// Days ahead whose holidays `status` expects to be known: NSE publishes the next year's list
/// in December, so a calendar short of them means nobody refreshed it.
const CALENDAR_AHEAD_DAYS: u32 = 30;

fn run(cli: &Cli, command: &Command) -> anyhow::Result<Exit> {
    match command {
        Command::Request(args) => {
            logging::init(cli.log_format, 0, "upstox-jobs", "request", None);
            let (ctx, _) = requests_at(cli)?;
            request::run(&ctx, args)
        }
        Command::Dispatch => {
            logging::init(cli.log_format, 0, "upstox-jobs-dispatch", "dispatch", None);
            let (ctx, data_dir) = requests_at(cli)?;
            let launcher = dispatch::Launcher {
                bin_dir: ctx.bin_dir.clone(),
                data_dir,
                config: cli.config.clone(),
            };
            dispatch::run(&ctx, &launcher)
        }
        Command::NotifyFailure { unit } => {
            let (config, db) = locate(cli, harness::Access::Write)?;
            let busy = Duration::from_secs_f64(config.database.busy_timeout_secs);
            let conn = common::db::open(&db, busy, &common::schemas::COMMON)?;
            failure::run(&config, &conn, unit)
        }
        Command::Api { listen } => {
            let (config, db) = locate(cli, harness::Access::Read)?;
            let data_dir = db.parent().map(PathBuf::from).unwrap_or_default();
            api::run(&config, db, data_dir, *listen)
        }
        Command::Status => {
            let (config, db, conn) = open(cli)?;
            let mut calendar = TradingCalendar::load(&config.calendar.holidays_file)?;
            if let Some(c) = &conn {
                calendar = status::with_holidays(calendar, c)?;
            }
            let statuses = status::current(conn.as_ref(), &calendar, Utc::now())?;
            let mut notes = Vec::new();
            let today = common::calendar::today(harness::market_now(Utc::now()));
            if !calendar.covers_days(today, CALENDAR_AHEAD_DAYS) {
                notes.push(format!(
                    "! the calendar does not cover the next {CALENDAR_AHEAD_DAYS} days (no holidays known for {}): \
                     run upstox-corporate-announcements, which stores NSE's new list in market_holidays, \
                     or update [calendar] holidays_file",
                    (today + chrono::Duration::days(CALENDAR_AHEAD_DAYS.into())).format("%Y")
                ));
            }
            if conn.is_none() {
                notes.push(format!(
                    "no runs recorded yet: {} does not exist",
                    db.display()
                ));
            }
            if !timers::systemd_running() {
                notes.push(
                    "systemd is not running here: next runs unknown; the rest is from the database"
                        .to_string(),
                );
            }
            let note = (!notes.is_empty()).then(|| notes.join("\n"));
            write!(
                std::io::stdout().lock(),
                "{}",
                status::render(&statuses, note.as_deref())
            )?;
            let attention = statuses.iter().any(status::JobStatus::needs_attention);
            Ok(if attention {
                Exit::Failure
            } else {
                Exit::Success
            })
        }
        Command::Runs {
            job,
            failed,
            since,
            limit,
        } => {
            let since = since
                .as_deref()
                .map(|s| runs::parse_since(s, Utc::now()))
                .transpose()
                .map_err(|e| Fatal::new(Exit::Usage, e))?;
            let (_, db, conn) = open(cli)?;
            let conn = conn.ok_or_else(|| {
                Fatal::new(
                    Exit::Failure,
                    format!(
                        "{} does not exist: no job has run yet; give --data-dir if the data is elsewhere, or wait for the first timer run",
                        db.display()
                    ),
                )
            })?;
            let filter = runs::Filter {
                job: job.clone(),
                failed: *failed,
                since,
                limit: *limit,
            };
            write!(
                std::io::stdout().lock(),
                "{}",
                runs::render(&conn, &filter)?
            )?;
            Ok(Exit::Success)
        }
    }
}

/// The configuration and the database's path.
fn locate(cli: &Cli, access: harness::Access) -> anyhow::Result<(Config<IgnoredAny>, PathBuf)> {
    let path = ConfigPath::from_flag(cli.config.as_deref());
    let config: Config<IgnoredAny> = config::load(&path, "")?;
    let dir =
        harness::resolve_data_dir(cli.data_dir.as_deref(), config.data_dir.as_deref(), access)?;
    Ok((config, dir.join(common::db::MARKET_DATA_DB)))
}

/// What requests need, and the data directory (which a desk user in group upstox writes).
fn requests_at(cli: &Cli) -> anyhow::Result<(Requests, PathBuf)> {
    let path = ConfigPath::from_flag(cli.config.as_deref());
    let config: Config<IgnoredAny> = config::load(&path, "")?;
    let dir = harness::resolve_data_dir(
        cli.data_dir.as_deref(),
        config.data_dir.as_deref(),
        harness::Access::Write,
    )?;
    Ok((Requests::new(&config, &dir), dir))
}

/// The configuration, the database's path, and the database read-only if it exists. No
/// schema version is required: job_runs has been there since the first, and a reader must
/// work on a file the next job run has not migrated yet.
fn open(cli: &Cli) -> anyhow::Result<(Config<IgnoredAny>, PathBuf, Option<Connection>)> {
    let (config, db) = locate(cli, harness::Access::Read)?;
    let busy = Duration::from_secs_f64(config.database.busy_timeout_secs);
    let conn = common::db::open_read_only(&db, busy, &[])?;
    Ok((config, db, conn))
}
