//! The life of a run, the same for every binary: flags, logging, configuration, data directory,
//! lock, `job_runs` row, signals, units, one-line summary, exit code.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde::de::DeserializeOwned;

use crate::config::{self, Config, ConfigError, ConfigPath};
use crate::db::{self, DbError, Schema};
use crate::exit::Exit;
use crate::http::{HttpClient, HttpError};
use crate::lock::{JobLock, LockError};
use crate::logging::{self, LogFormat};
use crate::notify::{self, Senders};
use crate::runs::{self, RunEnd, RunIdentity, RunStatus};
use crate::shutdown::Shutdown;

/// The flags every job takes.
#[derive(Debug, Clone, clap::Args)]
pub struct CommonArgs {
    /// Configuration file [default: /etc/upstox-jobs/config.toml; built-in defaults when absent]
    #[arg(long, global = true, env = "UPSTOX_JOBS_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Directory of market_data.db and the other databases
    /// [default: $STATE_DIRECTORY, else /var/lib/upstox-jobs if writable, else ~/.local/share/upstox-jobs]
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Fetch, parse, validate and report what would change; write nothing
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// Run outside market hours or on holidays, and re-fetch what is already stored
    #[arg(long, global = true)]
    pub force: bool,
    /// More detail (-v debug, -vv trace)
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Less detail (-q warnings and errors only, -qq errors only)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub quiet: u8,
    /// Where log lines go: the journal under systemd, text on a terminal, or JSON
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Auto, value_name = "FORMAT")]
    pub log_format: LogFormat,
}

/// A job: its name, its configuration table, its tables, and its work.
pub trait Job {
    /// The job's name, one of [`config::JOB_NAMES`].
    const NAME: &'static str;
    /// What a unit of work is called in the summary, singular and plural ("index", "indices").
    const UNIT_NOUNS: (&'static str, &'static str);
    /// The `[jobs.<name>]` table.
    type Config: DeserializeOwned + Default;
    /// The tables the job reads and writes in `market_data.db`, besides common's bookkeeping:
    /// migrated in this order before the run (so list a schema before one that refers to it).
    const SCHEMAS: &'static [Schema];

    /// Does the work. Per-unit outcomes go through [`Context::unit_done`] and
    /// [`Context::unit_failed`]; an `Err` means the run as a whole could not go on.
    fn run(&mut self, ctx: &mut Context<Self::Config>) -> anyhow::Result<Outcome>;
}

/// How the job sums up a run that got to the end.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Work was done (or attempted); the text is added to the summary ("4 joined, 4 left").
    Done(String),
    /// Nothing to do now, and that is fine (exit 0): the reason.
    Skipped(String),
}

/// A unit's failure: why, and which exit code it maps to.
#[derive(Debug, Clone)]
pub struct UnitError {
    /// The documented exit code for this kind of failure.
    pub exit: Exit,
    /// One line: the cause and what to do about it.
    pub message: String,
}

impl From<&HttpError> for UnitError {
    fn from(e: &HttpError) -> Self {
        UnitError {
            exit: e.exit(),
            message: e.to_string(),
        }
    }
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

/// What a running job has at hand.
pub struct Context<C> {
    /// The configuration (common tables and the job's own).
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
    /// Set by SIGTERM/SIGINT; ask [`Context::stop_requested`] before each unit.
    pub shutdown: Shutdown,
    /// When the run started.
    pub started: DateTime<Utc>,
    /// The time the run works for (which bars are complete, whether the market is open): the
    /// start, unless a test build pinned it (see [`market_now`]).
    pub now: DateTime<Utc>,
    units: Vec<(String, Result<u64, UnitError>)>,
    stopped_early: bool,
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
}

/// The exit of a command that is not a run (`show`, `gaps`): 0, or the error on stderr and
/// its exit code.
pub fn command_exit(bin: &str, result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{bin}: error: {e:#}");
            exit_for(&e).into()
        }
    }
}

/// The market time a run works for: `started`, or in builds with the `pinned-clock` feature
/// (the whole-binary tests; never a shipped build) the RFC 3339 time in `$UPSTOX_JOBS_NOW`,
/// so a test can be a Friday 15:45 IST run whenever it runs.
pub fn market_now(started: DateTime<Utc>) -> DateTime<Utc> {
    #[cfg(feature = "pinned-clock")]
    if let Some(pinned) = std::env::var("UPSTOX_JOBS_NOW")
        .ok()
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
    {
        return pinned.with_timezone(&Utc);
    }
    started
}

/// Opens `market_data.db` read-only for a command that shows what `job` stored (`show`,
/// `gaps`): the configuration and data directory resolved as a run would, nothing created.
pub fn open_for_reading<C: DeserializeOwned + Default>(
    args: &CommonArgs,
    job: &str,
    schemas: &[Schema],
) -> anyhow::Result<Connection> {
    use anyhow::Context as _;
    let (db, busy, all) = database_for::<C>(args, job, schemas, Access::Read)?;
    db::open_read_only(&db, busy, &all)?.with_context(|| {
        format!(
            "{} does not exist yet; run upstox-{job} first",
            db.display()
        )
    })
}

/// Opens `market_data.db` read-write, migrated, for a command that edits what `job` keeps
/// (`rules add`): the configuration and data directory resolved as a run would.
pub fn open_for_editing<C: DeserializeOwned + Default>(
    args: &CommonArgs,
    job: &str,
    schemas: &[Schema],
) -> anyhow::Result<Connection> {
    let (db, busy, all) = database_for::<C>(args, job, schemas, Access::Write)?;
    Ok(db::open(&db, busy, &all)?)
}

/// The database a command of `job` uses, its busy timeout, and the schemas it needs.
fn database_for<C: DeserializeOwned + Default>(
    args: &CommonArgs,
    job: &str,
    schemas: &[Schema],
    access: Access,
) -> anyhow::Result<(PathBuf, Duration, Vec<Schema>)> {
    use anyhow::Context as _;
    let path = match &args.config {
        Some(p) => ConfigPath::Explicit(p.clone()),
        None => ConfigPath::Default(config::DEFAULT_PATH.into()),
    };
    let config: Config<C> = config::load(&path, job)?;
    let dir = resolve_data_dir(args.data_dir.as_deref(), config.data_dir.as_deref(), access)
        .context("no data directory: give --data-dir")?;
    let busy = Duration::from_secs_f64(config.database.busy_timeout_secs);
    let mut all = vec![runs::SCHEMA];
    all.extend_from_slice(schemas);
    Ok((dir.join(db::MARKET_DATA_DB), busy, all))
}

/// Runs `job` with `args`: everything DESIGN's "job harness" promises. Returns the exit code.
pub fn main<J: Job>(args: &CommonArgs, job: J) -> ExitCode {
    run_job(
        args,
        job,
        &ConfigPath::Default(PathBuf::from(config::DEFAULT_PATH)),
    )
    .into()
}

/// [`main`] with the default configuration path given (so tests need not touch /etc).
pub fn run_job<J: Job>(args: &CommonArgs, mut job: J, default_config: &ConfigPath) -> Exit {
    let verbosity = args.verbose as i8 - args.quiet as i8;
    logging::init(
        args.log_format,
        verbosity,
        &format!("upstox-{}", J::NAME),
        J::NAME,
    );
    let started = Utc::now();
    let shutdown = match Shutdown::install() {
        Ok(s) => s,
        Err(e) => return fail(Exit::IoErr, &format!("cannot install signal handlers: {e}")),
    };
    let config_path = match &args.config {
        Some(p) => ConfigPath::Explicit(p.clone()),
        None => default_config.clone(),
    };
    let config: Config<J::Config> = match config::load(&config_path, J::NAME) {
        Ok(c) => c,
        Err(e) => return config_error(&e),
    };
    tracing::debug!("configuration: {}", config.source());
    for old in &config.deprecated {
        tracing::warn!("{old}");
    }
    let data_dir = match resolve_data_dir(
        args.data_dir.as_deref(),
        config.data_dir.as_deref(),
        Access::Write,
    ) {
        Some(d) => d,
        None => {
            return fail(
                Exit::CantCreate,
                "no data directory: give --data-dir, or set data_dir in the configuration",
            );
        }
    };
    let who = RunIdentity::current(J::NAME);
    let _lock = if args.dry_run {
        None
    } else {
        if let Err(e) = std::fs::create_dir_all(&data_dir) {
            return fail(
                Exit::CantCreate,
                &format!(
                    "cannot create the data directory {}: {e}; give --data-dir a writable directory",
                    data_dir.display()
                ),
            );
        }
        let holder = format!(
            "pid {} on {}, started {}{}",
            who.pid,
            who.host,
            runs::timestamp(started),
            who.invocation_id
                .as_deref()
                .map(|i| format!(", invocation {i}"))
                .unwrap_or_default()
        );
        match JobLock::acquire(
            &data_dir.join("locks").join(format!("{}.lock", J::NAME)),
            &holder,
        ) {
            Ok(lock) => Some(lock),
            Err(e @ LockError::Held { .. }) => {
                return fail(Exit::TempFail, &format!("{}: {e}", J::NAME));
            }
            Err(e) => return fail(Exit::CantCreate, &e.to_string()),
        }
    };
    let busy = Duration::from_secs_f64(config.database.busy_timeout_secs.max(0.0));
    let db_path = data_dir.join(db::MARKET_DATA_DB);
    let mut schemas = vec![runs::SCHEMA];
    schemas.extend_from_slice(J::SCHEMAS);
    let db = if args.dry_run {
        db::open_read_only(&db_path, busy, &schemas)
    } else {
        db::open(&db_path, busy, &schemas).map(Some)
    };
    let db = match db {
        Ok(db) => db,
        Err(e) => return fail(db_exit(&e), &e.to_string()),
    };
    let run_id = match &db {
        Some(conn) if !args.dry_run => match start_row(conn, &who, started) {
            Ok(id) => Some(id),
            Err(e) => {
                return fail(
                    Exit::IoErr,
                    &format!("{}: cannot record the run: {e}", db_path.display()),
                );
            }
        },
        _ => None,
    };
    let http = HttpClient::new(&config.http, shutdown.clone());
    let mut ctx = Context {
        config,
        data_dir,
        dry_run: args.dry_run,
        force: args.force,
        db,
        http,
        shutdown,
        started,
        now: market_now(started),
        units: Vec::new(),
        stopped_early: false,
    };
    let pinger = (!args.dry_run)
        .then(|| {
            ctx.config
                .pings
                .get(J::NAME)
                .map(|url| Pinger::new(url, &ctx.config.http, &ctx.shutdown))
        })
        .flatten();
    if let Some(p) = &pinger {
        p.ping("/start");
    }
    let result = job.run(&mut ctx);
    if !args.dry_run
        && !ctx.shutdown.requested()
        && let Some(conn) = ctx.db.as_ref()
    {
        deliver_outbox(conn, &ctx.config, &ctx.http);
    }
    let finished = Utc::now();
    let end = conclude::<J>(&ctx, result, finished - started);
    if let Some(p) = &pinger {
        p.ping(match end.status {
            RunStatus::Succeeded | RunStatus::Skipped => "",
            _ => "/fail",
        });
    }
    let line = &end.summary;
    let mut exit = exit_of(&end);
    if let (Some(id), Some(conn)) = (run_id, ctx.db.as_ref())
        && let Err(e) = runs::finish(conn, id, &end, started, finished)
    {
        tracing::error!("cannot record the end of the run in job_runs: {e}");
        exit = Exit::IoErr;
    }
    match end.status {
        RunStatus::Succeeded | RunStatus::Skipped => {
            tracing::info!(
                status = end.status.as_str(),
                rows = end.rows_changed,
                "{line}"
            )
        }
        RunStatus::Partial | RunStatus::Interrupted | RunStatus::Running => {
            tracing::warn!(
                status = end.status.as_str(),
                rows = end.rows_changed,
                "{line}"
            )
        }
        RunStatus::Failed => {
            tracing::error!(
                status = end.status.as_str(),
                rows = end.rows_changed,
                "{line}"
            )
        }
    }
    exit
}

/// Retries what the outbox holds (this run's notifications and earlier failures); a channel
/// that fails is logged and its messages wait for the next run of any job.
pub fn deliver_outbox<C>(conn: &Connection, config: &Config<C>, http: &HttpClient) {
    let senders = Senders::new(
        &config.notify,
        crate::credentials::systemd_directory().as_deref(),
        &config.credentials,
        http,
    );
    match notify::deliver_due(conn, &senders, Utc::now()) {
        Ok(d) if d.failed > 0 => tracing::warn!(
            "notifications: {} sent, {} failed and wait in the outbox",
            d.delivered,
            d.failed
        ),
        Ok(d) if d.delivered > 0 => tracing::info!("notifications: {} sent", d.delivered),
        Ok(_) => {}
        Err(e) => tracing::warn!("notification outbox: {e}"),
    }
}

/// The dead-man's switch: `<url>/start`, then `<url>` or `<url>/fail` (healthchecks.io's
/// convention), so an outside monitor notices a job that stopped running at all.
struct Pinger {
    url: String,
    http: HttpClient,
}

impl Pinger {
    fn new(url: &str, http: &crate::config::HttpConfig, shutdown: &Shutdown) -> Self {
        // Quick and without retries: a monitor being down must not slow the job.
        let config = crate::config::HttpConfig {
            retries: 0,
            timeout_secs: http.timeout_secs.min(10.0),
            max_retry_after_secs: 0.0,
            ..http.clone()
        };
        Pinger {
            url: url.trim_end_matches('/').to_string(),
            http: HttpClient::new(&config, shutdown.clone()),
        }
    }

    fn ping(&self, suffix: &str) {
        let url = format!("{}{suffix}", self.url);
        // The URL is the monitor's secret: whoever has it can report for the job.
        let shown = format!("[pings] URL{suffix}");
        match self.http.get(&url, &[]) {
            Ok(_) => tracing::debug!("pinged {shown}"),
            Err(e) => tracing::warn!(
                "dead-man's switch ping to {shown} failed: {}",
                e.to_string().replace(&self.url, "<ping url>")
            ),
        }
    }
}

fn start_row(conn: &Connection, who: &RunIdentity, now: DateTime<Utc>) -> rusqlite::Result<i64> {
    let abandoned = runs::mark_abandoned(conn, &who.job, now)?;
    if abandoned > 0 {
        tracing::warn!(
            "{abandoned} earlier run(s) of {} ended without recording it (killed or crashed); marked interrupted",
            who.job
        );
    }
    runs::start(conn, who, now)
}

/// Turns the units and the job's result into the recorded end of the run.
fn conclude<J: Job>(
    ctx: &Context<J::Config>,
    result: anyhow::Result<Outcome>,
    took: chrono::Duration,
) -> RunEnd {
    let ok: Vec<_> = ctx.units.iter().filter(|(_, r)| r.is_ok()).collect();
    let failed: Vec<(&String, &UnitError)> = ctx
        .units
        .iter()
        .filter_map(|(n, r)| r.as_ref().err().map(|e| (n, e)))
        .collect();
    let rows: u64 = ok.iter().filter_map(|(_, r)| r.as_ref().ok()).sum();
    let total = ctx.units.len();
    let (one, many) = J::UNIT_NOUNS;
    let nouns = if total == 1 { one } else { many };
    let dry = if ctx.dry_run { " (dry run)" } else { "" };
    let mut errors: Vec<String> = failed
        .iter()
        .map(|(n, e)| format!("{n}: {}", e.message))
        .collect();
    let mut summary = String::new();
    let (status, mut exit) = match &result {
        Err(e) => {
            errors.push(format!("{e:#}"));
            (RunStatus::Failed, exit_for(e))
        }
        Ok(_) if ctx.stopped_early => {
            errors.push("stopped by a signal".to_string());
            let exit = if ctx.shutdown.signal() == Some(signal_hook::consts::SIGINT) {
                Exit::Interrupted
            } else {
                Exit::Terminated
            };
            (RunStatus::Interrupted, exit)
        }
        Ok(Outcome::Skipped(_)) => (RunStatus::Skipped, Exit::Success),
        Ok(Outcome::Done(_)) if failed.is_empty() => (RunStatus::Succeeded, Exit::Success),
        Ok(Outcome::Done(_)) if ok.is_empty() => {
            let first = failed[0].1.exit;
            let same = failed.iter().all(|(_, e)| e.exit == first);
            (RunStatus::Failed, if same { first } else { Exit::Failure })
        }
        Ok(Outcome::Done(_)) => (RunStatus::Partial, Exit::Failure),
    };
    if status == RunStatus::Failed && result.is_err() && exit == Exit::Success {
        exit = Exit::Failure;
    }
    let seconds = took.num_milliseconds() as f64 / 1000.0;
    let _ = write!(summary, "{}{dry} {status} in {seconds:.1}s: ", J::NAME);
    match &result {
        Ok(Outcome::Skipped(reason)) => {
            let _ = write!(summary, "skipped, {reason}");
        }
        _ => {
            let _ = write!(summary, "{}/{total} {nouns} done", ok.len());
            if let Ok(Outcome::Done(detail)) = &result
                && !detail.is_empty()
            {
                let _ = write!(summary, ", {detail}");
            }
            if !errors.is_empty() {
                let _ = write!(summary, "; errors: {}", errors.join("; "));
            }
        }
    }
    RunEnd {
        status,
        units_ok: ok.len() as u64,
        units_failed: failed.len() as u64,
        rows_changed: rows,
        summary,
        error: (!errors.is_empty()).then(|| errors.join("; ")),
        exit_code: exit.code(),
    }
}

fn exit_of(end: &RunEnd) -> Exit {
    [
        Exit::Success,
        Exit::Failure,
        Exit::DataErr,
        Exit::Unavailable,
        Exit::IoErr,
        Exit::TempFail,
        Exit::Config,
        Exit::Interrupted,
        Exit::Terminated,
        Exit::CantCreate,
        Exit::Usage,
    ]
    .into_iter()
    .find(|e| e.code() == end.exit_code)
    .unwrap_or(Exit::Failure)
}

/// The exit code for an error that stopped the whole run (or a command of a binary's own).
pub fn exit_for(error: &anyhow::Error) -> Exit {
    for cause in error.chain() {
        if let Some(f) = cause.downcast_ref::<Fatal>() {
            return f.exit;
        }
        if let Some(e) = cause.downcast_ref::<DbError>() {
            return db_exit(e);
        }
        if let Some(e) = cause.downcast_ref::<rusqlite::Error>() {
            return if db::is_busy(e) {
                Exit::TempFail
            } else {
                Exit::IoErr
            };
        }
        if cause.downcast_ref::<ConfigError>().is_some() {
            return Exit::Config;
        }
        if let Some(e) = cause.downcast_ref::<HttpError>() {
            return e.exit();
        }
    }
    Exit::Failure
}

fn db_exit(error: &DbError) -> Exit {
    match error {
        DbError::Create { .. } => Exit::CantCreate,
        DbError::Unreadable { .. } => Exit::IoErr,
        DbError::TooNew { .. } | DbError::NeedsMigration { .. } => Exit::Failure,
        DbError::Sqlite { .. } if error.is_busy() => Exit::TempFail,
        DbError::Sqlite { .. } => Exit::IoErr,
    }
}

fn config_error(e: &ConfigError) -> Exit {
    fail(Exit::Config, &e.to_string())
}

fn fail(exit: Exit, message: &str) -> Exit {
    tracing::error!(exit = exit.code(), "{message}");
    exit
}

/// What a data directory is wanted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// A job that writes.
    Write,
    /// A person looking (`status`, `show`): the system directory serves whenever it exists.
    Read,
}

/// The data directory: `--data-dir`, else `data_dir` in the configuration, else systemd's
/// `$STATE_DIRECTORY`, else `/var/lib/upstox-jobs` when this user may write there (or, to
/// read, when it exists), else the user's XDG data directory (so an ad hoc run by a normal
/// user works).
pub fn resolve_data_dir(
    flag: Option<&Path>,
    configured: Option<&Path>,
    access: Access,
) -> Option<PathBuf> {
    if let Some(p) = flag.or(configured) {
        return Some(p.to_path_buf());
    }
    if let Some(state) = std::env::var_os("STATE_DIRECTORY") {
        // systemd passes one path per StateDirectory= entry, colon-separated.
        if let Some(first) = state.to_string_lossy().split(':').find(|s| !s.is_empty()) {
            return Some(PathBuf::from(first));
        }
    }
    let system = Path::new("/var/lib/upstox-jobs");
    if (access == Access::Read && system.is_dir()) || is_writable_dir(system) {
        return Some(system.to_path_buf());
    }
    let xdg = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(xdg.join("upstox-jobs"))
}

fn is_writable_dir(dir: &Path) -> bool {
    if !dir.is_dir() {
        return false;
    }
    let probe = dir.join(format!(".write-probe-{}", std::process::id()));
    match std::fs::File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            true
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_dir_prefers_flag_then_config() {
        let flag = Path::new("/tmp/a");
        let conf = Path::new("/tmp/b");
        assert_eq!(
            resolve_data_dir(Some(flag), Some(conf), Access::Write).unwrap(),
            flag
        );
        assert_eq!(
            resolve_data_dir(None, Some(conf), Access::Read).unwrap(),
            conf
        );
    }

    #[test]
    fn fatal_errors_keep_their_exit_code_through_context() {
        let e = anyhow::Error::new(Fatal::new(Exit::DataErr, "bad")).context("outer");
        assert_eq!(exit_for(&e), Exit::DataErr);
        assert_eq!(exit_for(&anyhow::anyhow!("plain")), Exit::Failure);
    }
}
