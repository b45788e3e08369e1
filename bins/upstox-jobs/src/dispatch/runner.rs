//! One requested run: the job binary started with the request's arguments and `--request ID`,
//! watched for its maximum run time and for a cancel, stopped with SIGTERM then SIGKILL, and
//! its end turned into the request's.

use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use common::requests::claims::{Finish, Queued};
use common::requests::{RequestId, RequestState};
use rustix::process::{Pid, Signal, kill_process};

/// Why the dispatcher stops a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// It ran past its maximum run time.
    MaxRunTime,
    /// A cancel was asked for.
    Cancelled,
    /// The dispatcher itself was asked to stop.
    Shutdown,
}

/// How the job binaries are started: where they are and the flags every run gets.
#[derive(Debug, Clone)]
pub struct Launcher {
    /// The directory of the `upstox-<job>` binaries.
    pub bin_dir: PathBuf,
    /// The data directory, passed on so the run uses the dispatcher's.
    pub data_dir: PathBuf,
    /// The configuration file given to the dispatcher, if one was named.
    pub config: Option<PathBuf>,
}

/// A run in progress.
#[derive(Debug)]
pub struct Running {
    /// The request.
    pub id: RequestId,
    /// The job.
    pub job: String,
    /// The newest `job_runs` id before it started: its own row comes after.
    pub runs_before: i64,
    child: Child,
    started: Instant,
    max_run: Duration,
    stop: Option<(StopReason, Instant)>,
    killed: bool,
}

impl Launcher {
    /// Starts `request`'s run, which may take up to `max_run`.
    pub fn start(
        &self,
        request: &Queued,
        max_run: Duration,
        runs_before: i64,
    ) -> std::io::Result<Running> {
        let bin = self.binary(&request.job);
        let mut command = Command::new(&bin);
        // The dispatcher's flags first: a job's arguments may end with a subcommand.
        if let Some(config) = &self.config {
            command.arg("--config").arg(config);
        }
        command
            .arg("--data-dir")
            .arg(&self.data_dir)
            .arg("--request")
            .arg(request.id.to_string())
            .args(&request.args)
            .stdin(Stdio::null());
        let child = command.spawn().map_err(|e| {
            std::io::Error::new(e.kind(), format!("cannot start {}: {e}", bin.display()))
        })?;
        Ok(Running {
            id: request.id,
            job: request.job.clone(),
            runs_before,
            child,
            started: Instant::now(),
            max_run,
            stop: None,
            killed: false,
        })
    }

    fn binary(&self, job: &str) -> PathBuf {
        self.bin_dir.join(format!("upstox-{job}"))
    }
}

impl Running {
    /// The job process's id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its exit status, once it has ended.
    pub fn ended(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Whether it has run past its maximum run time.
    pub fn overdue(&self) -> bool {
        self.started.elapsed() > self.max_run
    }

    /// Asks it to stop (SIGTERM) for `reason`, once; after `grace`, [`Running::enforce`]
    /// kills it.
    pub fn stop(&mut self, reason: StopReason) {
        if self.stop.is_some() {
            return;
        }
        tracing::warn!(
            "request {}: stopping upstox-{} (pid {}): {}",
            self.id,
            self.job,
            self.pid(),
            self.describe(reason)
        );
        self.stop = Some((reason, Instant::now()));
        let _ = kill_process(Pid::from_child(&self.child), Signal::TERM);
    }

    /// Kills a run that was asked to stop and is still there after `grace`.
    pub fn enforce(&mut self, grace: Duration) {
        if let Some((_, asked)) = self.stop
            && !self.killed
            && asked.elapsed() > grace
        {
            tracing::error!(
                "request {}: upstox-{} (pid {}) did not stop within {}s of SIGTERM; killing it",
                self.id,
                self.job,
                self.pid(),
                grace.as_secs()
            );
            self.killed = true;
            let _ = self.child.kill();
        }
    }

    /// Why it was stopped, in words.
    fn describe(&self, reason: StopReason) -> String {
        match reason {
            StopReason::MaxRunTime => format!(
                "exceeded its maximum run time of {}s",
                self.max_run.as_secs_f64()
            ),
            StopReason::Cancelled => "a cancel was asked for".to_string(),
            StopReason::Shutdown => "the dispatcher is stopping".to_string(),
        }
    }

    /// The request's end, from how the process exited and the `job_runs` row it wrote
    /// (`run`: its status and exit code, if it wrote one).
    pub fn finish(&self, status: ExitStatus, run: Option<(String, Option<i64>)>) -> Finish {
        let exit_code = status.code().map(i64::from);
        let killed = if self.killed { ", then SIGKILL" } else { "" };
        match self.stop {
            Some((StopReason::Cancelled, _)) => Finish {
                state: RequestState::Cancelled,
                exit_code,
                error: Some(format!(
                    "cancelled while running: stopped with SIGTERM{killed}; its job_runs row says what it had done"
                )),
            },
            Some((reason @ StopReason::MaxRunTime, _)) => Finish {
                state: RequestState::Failed,
                exit_code,
                error: Some(format!(
                    "{}; stopped with SIGTERM{killed}: raise [requests] max_run_secs (or [requests.job.{}] max_run_secs), or ask for less",
                    self.describe(reason),
                    self.job
                )),
            },
            Some((StopReason::Shutdown, _)) => Finish {
                state: RequestState::Interrupted,
                exit_code,
                error: Some(format!(
                    "the dispatcher was stopped and stopped the run with SIGTERM{killed}; ask again"
                )),
            },
            None => match run {
                Some((status, _)) => Finish {
                    state: match status.as_str() {
                        "succeeded" | "skipped" => RequestState::Succeeded,
                        "partial" => RequestState::Partial,
                        "interrupted" => RequestState::Interrupted,
                        _ => RequestState::Failed,
                    },
                    exit_code,
                    error: (status == "running").then(|| {
                        format!(
                            "upstox-{} ended ({}) without recording the end of its run",
                            self.job,
                            exited(exit_code)
                        )
                    }),
                },
                None => Finish {
                    state: RequestState::Failed,
                    exit_code,
                    error: Some(format!(
                        "upstox-{} {} before recording a run; its log says why (journalctl -t upstox-{})",
                        self.job,
                        exited(exit_code),
                        self.job
                    )),
                },
            },
        }
    }
}

fn exited(code: Option<i64>) -> String {
    match code {
        Some(c) => format!("exited with {c}"),
        None => "was killed by a signal".to_string(),
    }
}
