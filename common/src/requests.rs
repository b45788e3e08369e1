//! Runs asked for on demand: a request (job, arguments, who asked) accepted from the CLI, a
//! spool file or the HTTP API into `job_requests`, run by the dispatcher that systemd starts,
//! and shown with its run's result. The same checks whichever way it came.
//!
//! - [`doc`]: the JSON document of a request, its id and origin
//! - [`check`]: the flags allowed on demand and the job's own command line
//! - [`store`]: the `job_requests` table as people see it (insert, show, list, cancel, purge)
//! - [`claims`]: the `job_requests` table as the dispatcher works it (claim, finish, recover)
//! - [`error`]: why a request was refused, as an exit code and an HTTP status

pub mod check;
pub mod claims;
pub mod doc;
mod error;
pub mod store;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;
use rusqlite::Connection;

use crate::config::{Config, RequestsConfig};
use crate::db;
use crate::schedule;

pub use doc::{MAX_DOC_BYTES, Origin, RequestDoc, RequestId};
pub use error::RequestError;
pub use store::{RequestState, RequestView, purge_finished};

/// The file in the spool directory whose existence starts the dispatcher
/// (`upstox-jobs-dispatch.path` has `PathExists=` on it): touched after a request is inserted
/// by the CLI or the API, removed by the dispatcher before it looks at the queue, so a request
/// inserted while a dispatcher is finishing starts the next one.
pub const WAKE_FILE: &str = ".wake";

/// The environment variable naming the directory of the job binaries, instead of the
/// directory of the running executable.
pub const BIN_DIR_ENV: &str = "UPSTOX_JOBS_BIN_DIR";

/// What accepting and running requests needs: where the database is, the policy, the job
/// binaries and the spool directory. Shared by threads (each call opens its own connection).
#[derive(Debug, Clone)]
pub struct Requests {
    /// `market_data.db`, which holds `job_runs` and `job_requests`.
    pub db_path: PathBuf,
    /// How long a writer waits for another's lock.
    pub busy: Duration,
    /// `[requests]`.
    pub policy: RequestsConfig,
    /// The directory of the `upstox-<job>` binaries.
    pub bin_dir: PathBuf,
}

impl Requests {
    /// For the configuration `config` and the data directory `data_dir`; the job binaries are
    /// beside the running executable unless `$UPSTOX_JOBS_BIN_DIR` names their directory.
    pub fn new<J>(config: &Config<J>, data_dir: &Path) -> Requests {
        let bin_dir = std::env::var_os(BIN_DIR_ENV)
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::current_exe()
                    .ok()
                    .and_then(|exe| exe.parent().map(Path::to_path_buf))
            })
            .unwrap_or_else(|| PathBuf::from("/usr/bin"));
        Requests {
            db_path: data_dir.join(db::MARKET_DATA_DB),
            busy: Duration::from_secs_f64(config.database.busy_timeout_secs.max(0.0)),
            policy: config.requests.clone(),
            bin_dir,
        }
    }

    /// The spool directory.
    pub fn spool_dir(&self) -> &Path {
        &self.policy.spool_dir
    }

    /// Opens the database, migrating the bookkeeping tables if this is their first use.
    pub fn open(&self) -> Result<Connection, RequestError> {
        db::open(&self.db_path, self.busy, &[crate::runs::SCHEMA])
            .map_err(|e| RequestError::Storage(e.to_string()))
    }

    /// Starts the dispatcher: creates the wake file the path unit watches.
    pub fn wake(&self) -> std::io::Result<()> {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.spool_dir().join(WAKE_FILE))
            .map(drop)
    }
}

/// Checks `doc` (sizes; the job exists and is allowed on demand; no flag the dispatcher sets;
/// the job's own command line takes the arguments), inserts it `queued` and, unless it came
/// from the spool (the dispatcher is the one reading it), wakes the dispatcher.
pub fn accept(ctx: &Requests, doc: RequestDoc, origin: Origin) -> Result<RequestId, RequestError> {
    doc.check_bounds()?;
    let known = schedule::names();
    if !known.contains(&doc.job.as_str()) {
        return Err(RequestError::UnknownJob {
            job: doc.job.chars().take(64).collect(),
            known: known.join(", "),
        });
    }
    if !ctx.policy.allows(&doc.job) {
        return Err(RequestError::JobNotAllowed { job: doc.job });
    }
    check::allowed_flags(&ctx.policy, &doc.job, &doc.args)?;
    check::job_command_line(&ctx.bin_dir, &doc.job, &doc.args)?;
    let conn = ctx.open()?;
    let id = store::insert(&conn, &doc, origin, Utc::now())
        .map_err(|e| RequestError::storage(&ctx.db_path, &e))?;
    if origin != Origin::Spool
        && let Err(e) = ctx.wake()
    {
        tracing::warn!(
            "request {id} is queued, but the dispatcher could not be woken through {}: {e}; \
             it runs at the next dispatch (`upstox-jobs dispatch`, or check [requests] spool_dir)",
            ctx.spool_dir().join(WAKE_FILE).display()
        );
    }
    Ok(id)
}

/// Request `id` with its run's result, if there is one.
pub fn view(conn: &Connection, id: RequestId) -> Result<Option<RequestView>, RequestError> {
    store::view(conn, id).map_err(|e| RequestError::Storage(e.to_string()))
}

/// Up to `limit` requests: queued and running first (by priority, then age), then the newest
/// finished.
pub fn queue(conn: &Connection, limit: usize) -> Result<Vec<RequestView>, RequestError> {
    store::queue(conn, limit).map_err(|e| RequestError::Storage(e.to_string()))
}

/// Cancels request `id`: a queued one never runs; a running one is stopped by its dispatcher
/// (SIGTERM) and recorded `cancelled`. Returns the request as it is now.
pub fn cancel(ctx: &Requests, id: RequestId) -> Result<RequestView, RequestError> {
    let mut conn = ctx.open()?;
    let storage = |e: rusqlite::Error| RequestError::storage(&ctx.db_path, &e);
    let done = store::cancel(&mut conn, id, Utc::now()).map_err(storage)?;
    let now = store::view(&conn, id)
        .map_err(storage)?
        .ok_or(RequestError::NotFound(id))?;
    match done {
        store::Cancelled::Missing => Err(RequestError::NotFound(id)),
        store::Cancelled::TooLate => Err(RequestError::Finished {
            id,
            state: now.state,
        }),
        store::Cancelled::Dequeued | store::Cancelled::Asked => Ok(now),
    }
}
