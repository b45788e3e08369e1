//! The life of a run, the same for every job: logging, configuration and its checks, data
//! directory, lock, migrations, `job_runs` row, calendar and schedule gate, signals, units,
//! notifications, dead-man's switch, one-line summary, exit code.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use crate::config::{self, Config, ConfigError, ConfigPath};
use crate::db;
use crate::exit::Exit;
use crate::harness::errors::db_exit;
use crate::harness::open::schemas;
use crate::harness::ping::Pinger;
use crate::harness::summary::conclude;
use crate::harness::{
    Access, CommonArgs, Context, Job, Outcome, SharedLock, UnitError, Validate, market_now,
    resolve_data_dir,
};
use crate::http::HttpClient;
use crate::lock::{JobLock, LockError};
use crate::logging;
use crate::metrics;
use crate::notify::{self, Senders};
use crate::runs::{self, RunIdentity, RunStatus};
use crate::schedule::Gate;
use crate::shutdown::Shutdown;

/// Runs `job` with `args`: everything DESIGN's "job harness" promises. Returns the exit code.
pub(crate) fn run_job<J: Job>(args: &CommonArgs, mut job: J) -> Exit {
    let verbosity = args.verbose as i8 - args.quiet as i8;
    let request = args.request.map(|r| r.to_string());
    logging::init(
        args.log_format,
        verbosity,
        &format!("upstox-{}", J::NAME),
        J::NAME,
        request.as_deref(),
    );
    let started = Utc::now();
    // systemd's TimeoutStartSec counts from here.
    let clock = std::time::Instant::now();
    let shutdown = match Shutdown::install() {
        Ok(s) => s,
        Err(e) => return fail(Exit::IoErr, &format!("cannot install signal handlers: {e}")),
    };
    let config = match configuration::<J>(args) {
        Ok(c) => c,
        Err(e) => return fail(Exit::Config, &e.to_string()),
    };
    let data_dir = match resolve_data_dir(
        args.data_dir.as_deref(),
        config.data_dir.as_deref(),
        Access::Write,
    ) {
        Ok(dir) => dir,
        Err(e) => return fail(e.exit, &e.message),
    };
    let who = RunIdentity::current(J::NAME);
    let busy = Duration::from_secs_f64(config.database.busy_timeout_secs.max(0.0));
    let db_path = data_dir.join(db::MARKET_DATA_DB);
    let mut lock = if args.dry_run {
        None
    } else {
        match lock(&data_dir, &who, J::NAME, started) {
            Ok(lock) => Some(lock),
            Err(Lost::Held(message)) => {
                record_lock_held(&db_path, busy, &who, started, &message);
                return fail(Exit::TempFail, &message);
            }
            Err(Lost::Failed(exit)) => return exit,
        }
    };
    // Held to the end of the run, after the job's own lock.
    let _shared = match job.shared_lock(&config.job).filter(|_| !args.dry_run) {
        Some(shared) => match shared_lock(&data_dir, &who, J::NAME, started, shared, &shutdown) {
            Ok(lock) => Some(lock),
            Err(Lost::Held(message)) => {
                record_lock_held(&db_path, busy, &who, started, &message);
                return fail(Exit::TempFail, &message);
            }
            Err(Lost::Failed(exit)) => return exit,
        },
        None => None,
    };
    let db = if args.dry_run {
        db::open_as_migrated(&db_path, busy, &schemas::<J>())
    } else {
        db::open(&db_path, busy, &schemas::<J>()).map(Some)
    };
    let db = match db {
        Ok(db) => db,
        Err(e) => return fail(db_exit(&e), &e.to_string()),
    };
    let run_id = match &db {
        Some(conn) if !args.dry_run => {
            match start_row(conn, &who, started, lock.as_ref()).and_then(|id| match args.request {
                Some(request) => runs::link_request(conn, id, request.0).map(|()| id),
                None => Ok(id),
            }) {
                Ok(id) => Some(id),
                Err(e) => {
                    let error = UnitError::database(&db_path, e);
                    return fail(
                        error.exit,
                        &format!("cannot record the run in job_runs: {}", error.message),
                    );
                }
            }
        }
        _ => None,
    };
    let budget = Duration::from_secs_f64(config.deadline_secs(J::NAME));
    let http = HttpClient::new(&config.http, shutdown.clone()).with_deadline(clock, budget);
    let mut ctx = Context {
        config,
        data_dir,
        dry_run: args.dry_run,
        force: args.force,
        db,
        http,
        calendar: None,
        shutdown,
        started,
        now: market_now(started),
        units: Vec::new(),
        planned: None,
        stop: None,
        output: None,
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
    let result = gated_run(&mut job, &mut ctx);
    if !args.dry_run
        && !ctx.shutdown.requested()
        && let Some(conn) = ctx.db.as_ref()
    {
        deliver_outbox(conn, &ctx.config, &ctx.http);
    }
    let finished = Utc::now();
    let end = conclude::<J>(&ctx, &result, finished - started);
    if let Some(p) = &pinger {
        p.ping(match end.status {
            RunStatus::Succeeded | RunStatus::Skipped => "",
            _ => "/fail",
        });
    }
    let mut exit = Exit::from_code(end.exit_code).unwrap_or(Exit::Failure);
    if let (Some(id), Some(conn)) = (run_id, ctx.db.as_ref())
        && let Err(e) = runs::finish(conn, id, &end, started, finished)
    {
        let error = UnitError::database(&db_path, e);
        let cause = format!(
            "cannot record the end of the run in job_runs: {}",
            error.message
        );
        tracing::error!("{cause}");
        exit = error.exit;
        let unrecorded = runs::UnrecordedEnd {
            id,
            at: finished,
            exit_code: exit.code(),
            cause,
        };
        record_failed_end(conn, &unrecorded, lock.as_mut());
    }
    if let (Some(id), Some(conn), Some(output)) = (run_id, ctx.db.as_ref(), &ctx.output)
        && let Err(e) = runs::record_output(conn, id, output)
    {
        tracing::warn!("cannot record the run's output {output} in job_runs: {e}");
    }
    if let (Some(_), Some(conn)) = (run_id, ctx.db.as_ref()) {
        let target = ctx.config.metrics.target(Path::new(config::COLLECTOR_DIR));
        let newest = job.newest(&ctx.config.job, conn);
        let now = ctx.now + (Utc::now() - started);
        metrics::report(&target, J::NAME, conn, newest, now);
    }
    let line = &end.summary;
    let (status, rows) = (end.status.as_str(), end.rows_changed);
    match end.status {
        RunStatus::Succeeded | RunStatus::Skipped => tracing::info!(status, rows, "{line}"),
        RunStatus::Partial | RunStatus::Interrupted | RunStatus::Running => {
            tracing::warn!(status, rows, "{line}")
        }
        RunStatus::Failed => tracing::error!(status, rows, "{line}"),
    }
    exit
}

/// The configuration of `J`, read and checked: common tables and the job's own, before
/// anything is locked or opened. Old keys that still work are warned about here.
fn configuration<J: Job>(args: &CommonArgs) -> Result<Config<J::Config>, ConfigError> {
    let path = ConfigPath::from_flag(args.config.as_deref());
    let config: Config<J::Config> = config::load(&path, J::NAME)?;
    tracing::debug!("configuration: {}", config.source());
    for old in &config.deprecated {
        tracing::warn!("{old}");
    }
    config.job.validate().map_err(|message| ConfigError {
        file: config.source(),
        message,
    })?;
    Ok(config)
}

/// Why the run did not get its lock.
enum Lost {
    /// Another run holds it: the message names the holder.
    Held(String),
    /// The lock could not be taken at all (already logged): the exit code.
    Failed(Exit),
}

/// The job's lock, so an ad hoc run and a timer run never overlap; the loser is told who
/// holds it.
fn lock(
    data_dir: &std::path::Path,
    who: &RunIdentity,
    job: &str,
    started: DateTime<Utc>,
) -> Result<JobLock, Lost> {
    if let Err(e) = std::fs::create_dir_all(data_dir) {
        return Err(Lost::Failed(fail(
            Exit::CantCreate,
            &format!(
                "cannot create the data directory {}: {e}; give --data-dir a writable directory",
                data_dir.display()
            ),
        )));
    }
    let path: PathBuf = data_dir.join("locks").join(format!("{job}.lock"));
    JobLock::acquire(&path, &holder(who, started)).map_err(|e| match e {
        e @ LockError::Held { .. } => Lost::Held(format!("{job}: {e}")),
        e => Lost::Failed(fail(Exit::CantCreate, &e.to_string())),
    })
}

/// The lock `job` shares with other jobs, waited for as it says; its holder is written with
/// the job's name, since the one waiting is another job.
fn shared_lock(
    data_dir: &std::path::Path,
    who: &RunIdentity,
    job: &str,
    started: DateTime<Utc>,
    shared: SharedLock,
    shutdown: &Shutdown,
) -> Result<JobLock, Lost> {
    let path: PathBuf = data_dir.join("locks").join(format!("{}.lock", shared.name));
    let holder = format!("{job}, {}", holder(who, started));
    if JobLock::acquire(&path, &holder).is_err() {
        tracing::info!(
            "waiting up to {}s for the {} lock {}",
            shared.wait.as_secs(),
            shared.name,
            path.display()
        );
    }
    JobLock::acquire_unless(&path, &holder, shared.wait, || shutdown.requested()).map_err(|e| {
        match e {
            e @ LockError::Held { .. } => Lost::Held(format!(
                "{job}: waited {}s for the {} lock, shared with other jobs: {e}",
                shared.wait.as_secs(),
                shared.name
            )),
            e @ LockError::Stopped { .. } => Lost::Failed(fail(Exit::Terminated, &e.to_string())),
            e => Lost::Failed(fail(Exit::CantCreate, &e.to_string())),
        }
    })
}

/// Who holds a lock, as the loser is told: pid, host, start and systemd invocation.
fn holder(who: &RunIdentity, started: DateTime<Utc>) -> String {
    format!(
        "pid {} on {}, started {}{}",
        who.pid,
        who.host,
        runs::timestamp(started),
        who.invocation_id
            .as_deref()
            .map(|i| format!(", invocation {i}"))
            .unwrap_or_default()
    )
}

/// Records a run that found the lock held as `skipped`, naming the holder, so that
/// `upstox-jobs runs` shows it. Only the `job_runs` schema is opened (the holder may be
/// migrating the rest), and only a finished row is written: see [`runs::record_lock_held`].
fn record_lock_held(
    db_path: &std::path::Path,
    busy: Duration,
    who: &RunIdentity,
    started: DateTime<Utc>,
    message: &str,
) {
    let recorded = db::open(db_path, busy, &[runs::SCHEMA])
        .map_err(|e| e.to_string())
        .and_then(|conn| {
            runs::record_lock_held(&conn, who, started, Utc::now(), message)
                .map_err(|e| db::worded(db_path, &e))
        });
    if let Err(e) = recorded {
        tracing::warn!("cannot record the skipped run in job_runs: {e}");
    }
}

/// The schedule gate (unless `--force`), then the job's work.
fn gated_run<J: Job>(job: &mut J, ctx: &mut Context<J::Config>) -> anyhow::Result<Outcome> {
    let gate = job.gate(&ctx.config.job);
    if !ctx.force && gate != Gate::Always {
        let now = ctx.now;
        if let Err(closed) = gate.check(ctx.calendar()?, now) {
            return Ok(Outcome::Skipped(format!("{closed}; --force runs anyway")));
        }
    }
    job.run(ctx)
}

/// Retries what the outbox holds (this run's notifications and earlier failures); a channel
/// that fails is logged and its messages wait for the next run of any job.
fn deliver_outbox<C>(conn: &Connection, config: &Config<C>, http: &HttpClient) {
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

/// The end of a run whose full record did not fit (a full disk): a short `failed` row naming
/// the cause, or, when even that cannot be written, a note in the lock file that the next run
/// records; without either the row stays `running` and the next run blames a crash.
fn record_failed_end(conn: &Connection, end: &runs::UnrecordedEnd, lock: Option<&mut JobLock>) {
    if runs::finish_failed(conn, end).is_ok() {
        return;
    }
    let Some(lock) = lock else { return };
    match lock.leave_note(&end.to_note()) {
        Ok(()) => tracing::error!(
            "the end of run {} is kept in {} for the next run to record",
            end.id,
            lock.path().display()
        ),
        Err(e) => tracing::error!(
            "run {} stays `running` in job_runs; the next run marks it interrupted: {e}",
            end.id
        ),
    }
}

fn start_row(
    conn: &Connection,
    who: &RunIdentity,
    now: DateTime<Utc>,
    lock: Option<&JobLock>,
) -> rusqlite::Result<i64> {
    if let Some(end) = lock
        .and_then(JobLock::note)
        .and_then(runs::UnrecordedEnd::from_note)
        && runs::finish_failed(conn, &end)?
    {
        tracing::warn!(
            "run {} of {} could not record its end; recorded now as failed: {}",
            end.id,
            who.job,
            end.cause
        );
    }
    let abandoned = runs::mark_abandoned(conn, &who.job, now)?;
    if abandoned > 0 {
        tracing::warn!(
            "{abandoned} earlier run(s) of {} ended without recording it (killed or crashed); marked interrupted",
            who.job
        );
    }
    runs::start(conn, who, now)
}

fn fail(exit: Exit, message: &str) -> Exit {
    tracing::error!(exit = exit.code(), "{message}");
    exit
}
