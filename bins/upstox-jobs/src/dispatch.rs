//! `upstox-jobs dispatch`, what `upstox-jobs-dispatch.service` runs when its path unit sees a
//! spool file or the wake file: takes the spool, then runs the queued requests (by priority,
//! then age; at most `concurrency` at once; one run of a job at a time, after its lock is
//! free) and exits when nothing is left. Nothing idles: systemd starts it again for the next.
//!
//! - [`spool`]: the request files dropped in the spool directory
//! - [`runner`]: one requested run, its maximum run time, its stop and its end

pub mod runner;
pub mod spool;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::Utc;
use common::Exit;
use common::harness::Fatal;
use common::lock::{JobLock, LockError};
use common::requests::claims::{self, Dispatcher, Finish, Queued};
use common::requests::{RequestId, RequestState, Requests, WAKE_FILE};
use common::shutdown::Shutdown;
use rusqlite::Connection;

pub use runner::Launcher;
use runner::{Running, StopReason};

/// How often the dispatcher looks at its runs, the queue and the spool while work remains.
const POLL: Duration = Duration::from_millis(100);

/// The lock that keeps one dispatcher at a time, in the data directory's `locks/`: whoever
/// holds it knows that any request left `running` lost its dispatcher.
pub const LOCK: &str = "dispatch.lock";

/// Runs the dispatcher until the queue is empty.
pub fn run(ctx: &Requests, launcher: &Launcher) -> anyhow::Result<Exit> {
    let locks = launcher.data_dir.join("locks");
    let me = Dispatcher::current();
    let holder = format!(
        "upstox-jobs dispatch, pid {}, started {}",
        me.pid,
        common::runs::timestamp(Utc::now())
    );
    let _lock = match JobLock::acquire(&locks.join(LOCK), &holder) {
        Ok(lock) => lock,
        Err(LockError::Held { holder, .. }) => {
            tracing::info!("another dispatcher is running ({holder}); it takes the queue");
            return Ok(Exit::Success);
        }
        Err(e) => return Err(Fatal::new(Exit::CantCreate, e.to_string()).into()),
    };
    let shutdown = Shutdown::install()
        .map_err(|e| Fatal::new(Exit::IoErr, format!("cannot install signal handlers: {e}")))?;
    let mut conn = ctx
        .open()
        .map_err(|e| Fatal::new(e.exit(), e.to_string()))?;
    for r in claims::recover(&mut conn, Utc::now())? {
        let pid = r.dispatcher_pid.unwrap_or_default();
        if r.requeued {
            tracing::warn!(
                "request {}: its dispatcher (pid {pid}) died while it ran; marked interrupted and queued again",
                r.id
            );
        } else {
            tracing::error!(
                "request {}: its dispatcher (pid {pid}) died while it ran, on its last attempt; recorded interrupted",
                r.id
            );
        }
    }
    let mut work = Work {
        ctx,
        launcher,
        me,
        locks,
        running: Vec::new(),
        waiting: HashMap::new(),
        skipped: HashSet::new(),
        started: 0,
    };
    loop {
        if !shutdown.requested() {
            work.take_new(&conn);
        }
        work.watch(&conn, shutdown.requested())?;
        if shutdown.requested() {
            if work.running.is_empty() {
                break;
            }
        } else {
            work.start_queued(&mut conn)?;
            let idle = work.running.is_empty()
                && claims::queued(&conn)?.is_empty()
                && spool::pending(ctx.spool_dir())
                    .unwrap_or_default()
                    .iter()
                    .all(|p| work.skipped.contains(p));
            if idle {
                break;
            }
        }
        std::thread::sleep(POLL);
    }
    tracing::info!(
        "dispatch done: {} run(s) started{}",
        work.started,
        if shutdown.requested() {
            "; stopped by a signal, the queued requests wait for the next dispatch"
        } else {
            ", the queue is empty"
        }
    );
    Ok(Exit::Success)
}

/// The dispatcher's state between two looks.
struct Work<'a> {
    ctx: &'a Requests,
    launcher: &'a Launcher,
    me: Dispatcher,
    locks: PathBuf,
    running: Vec<Running>,
    /// Queued requests whose job's lock is held, since when they wait.
    waiting: HashMap<RequestId, Instant>,
    /// Spool files this dispatch could not handle (left for the next).
    skipped: HashSet<PathBuf>,
    started: usize,
}

impl Work<'_> {
    /// The wake file removed (before the queue is read, so a request inserted from now on
    /// wakes the next dispatcher), the spool taken and passed deadlines expired.
    fn take_new(&mut self, conn: &Connection) {
        let wake = self.ctx.spool_dir().join(WAKE_FILE);
        if let Err(e) = std::fs::remove_file(&wake)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!("cannot remove {}: {e}", wake.display());
        }
        if let Err(e) = spool::ingest(self.ctx, &mut self.skipped) {
            tracing::error!(
                "cannot read the spool directory {}: {e}; check [requests] spool_dir and its permissions",
                self.ctx.spool_dir().display()
            );
        }
        match claims::expire(conn, Utc::now()) {
            Ok(expired) => {
                for id in expired {
                    tracing::warn!(
                        "request {id}: its deadline passed before it could start; expired"
                    );
                }
            }
            Err(e) => tracing::error!("cannot expire the requests past their deadline: {e}"),
        }
    }

    /// Stops the runs that must stop (past their maximum run time, cancelled, or all when the
    /// dispatcher stops) and records the end of those that ended.
    fn watch(&mut self, conn: &Connection, stopping: bool) -> rusqlite::Result<()> {
        let grace = self.ctx.policy.stop_grace();
        for run in &mut self.running {
            if stopping {
                run.stop(StopReason::Shutdown);
            } else if run.overdue() {
                run.stop(StopReason::MaxRunTime);
            } else if claims::cancel_requested(conn, run.id)? {
                run.stop(StopReason::Cancelled);
            }
            run.enforce(grace);
        }
        let mut i = 0;
        while i < self.running.len() {
            match self.running[i].ended() {
                Some(status) => {
                    let run = self.running.remove(i);
                    let row = claims::run_status(conn, run.id, run.runs_before)?;
                    if row.is_none() && status.code() == Some(i32::from(Exit::TempFail.code())) {
                        // Its job's lock was taken between our look and its start.
                        tracing::info!(
                            "request {}: upstox-{} found its lock taken; it waits its turn",
                            run.id,
                            run.job
                        );
                        claims::unclaim(conn, run.id)?;
                        self.waiting.entry(run.id).or_insert_with(Instant::now);
                        continue;
                    }
                    let end = run.finish(status, row);
                    record(conn, run.id, &run.job, &end)?;
                }
                None => i += 1,
            }
        }
        Ok(())
    }

    /// Starts queued requests while there is room, best first, one run of a job at a time,
    /// each only once its job's lock is free; one that waited longer than the lock wait fails.
    fn start_queued(&mut self, conn: &mut Connection) -> rusqlite::Result<()> {
        let policy = &self.ctx.policy;
        for request in claims::queued(conn)? {
            if self.running.len() >= policy.concurrency as usize {
                break;
            }
            if self.running.iter().any(|r| r.job == request.job) {
                continue;
            }
            if let Some(holder) = self.lock_holder(&request.job) {
                let since = *self.waiting.entry(request.id).or_insert_with(|| {
                    tracing::info!(
                        "request {}: the {} lock is held ({holder}); waiting up to {}s",
                        request.id,
                        request.job,
                        policy.lock_wait().as_secs()
                    );
                    Instant::now()
                });
                if since.elapsed() > policy.lock_wait() {
                    self.waiting.remove(&request.id);
                    let end = Finish {
                        state: RequestState::Failed,
                        exit_code: None,
                        error: Some(format!(
                            "waited {}s for the {} lock, still held by {holder}; ask again later, or raise [requests] lock_wait_secs",
                            policy.lock_wait().as_secs(),
                            request.job
                        )),
                    };
                    record(conn, request.id, &request.job, &end)?;
                }
                continue;
            }
            self.waiting.remove(&request.id);
            if !claims::claim(conn, request.id, &self.me, Utc::now())? {
                continue;
            }
            self.launch(conn, &request)?;
        }
        Ok(())
    }

    /// Who holds `job`'s lock, if anyone.
    fn lock_holder(&self, job: &str) -> Option<String> {
        let path = self.locks.join(format!("{job}.lock"));
        JobLock::holder(&path).unwrap_or_else(|e| {
            // The job itself says what is wrong with its lock when it runs.
            tracing::warn!("{e}");
            None
        })
    }

    fn launch(&mut self, conn: &Connection, request: &Queued) -> rusqlite::Result<()> {
        let before = claims::last_run_id(conn)?;
        let max_run = self.ctx.policy.max_run(&request.job);
        match self.launcher.start(request, max_run, before) {
            Ok(run) => {
                claims::set_runner(conn, request.id, run.pid())?;
                tracing::info!(
                    "request {}: started {} (pid {})",
                    request.id,
                    std::iter::once(format!("upstox-{}", request.job))
                        .chain(request.args.iter().cloned())
                        .collect::<Vec<_>>()
                        .join(" "),
                    run.pid()
                );
                self.started += 1;
                self.running.push(run);
            }
            Err(e) => {
                let end = Finish {
                    state: RequestState::Failed,
                    exit_code: None,
                    error: Some(format!(
                        "{e}; install the upstox-jobs package, or set UPSTOX_JOBS_BIN_DIR"
                    )),
                };
                record(conn, request.id, &request.job, &end)?;
            }
        }
        Ok(())
    }
}

/// Records the end of request `id` and says it in the log.
fn record(conn: &Connection, id: RequestId, job: &str, end: &Finish) -> rusqlite::Result<()> {
    claims::finish(conn, id, end, Utc::now())?;
    let why = end
        .error
        .as_deref()
        .map(|e| format!(": {e}"))
        .unwrap_or_default();
    match end.state {
        RequestState::Succeeded => tracing::info!("request {id}: upstox-{job} succeeded"),
        state => tracing::warn!("request {id}: upstox-{job} {state}{why}"),
    }
    Ok(())
}
