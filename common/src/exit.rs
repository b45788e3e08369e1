//! Exit codes, the sysexits(3) values DESIGN documents for every binary.

use std::process::ExitCode;

/// The documented exit status of a run. Units rely on these numbers
/// (`RestartPreventExitStatus=`, `SuccessExitStatus=`), so they never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    /// Success, or skipped for a good reason (not a trading day, source not configured).
    Success = 0,
    /// Failed, or partly failed (some units did not complete).
    Failure = 1,
    /// Bad command line.
    Usage = 2,
    /// Source data failed validation; the previous data was kept.
    DataErr = 65,
    /// Source unavailable after retries, or the run's deadline came before anything was done.
    Unavailable = 69,
    /// Cannot create a file or directory.
    CantCreate = 73,
    /// Input/output error (disk, database).
    IoErr = 74,
    /// Temporary: the lock is held or the source rate-limited us; try again later.
    TempFail = 75,
    /// Configuration error.
    Config = 78,
    /// Stopped by SIGINT.
    Interrupted = 130,
    /// Stopped by SIGTERM (systemd stopping the unit).
    Terminated = 143,
}

impl Exit {
    /// Every exit status, in numeric order: what `--help` and the man pages list.
    pub const ALL: [Exit; 11] = [
        Exit::Success,
        Exit::Failure,
        Exit::Usage,
        Exit::DataErr,
        Exit::Unavailable,
        Exit::CantCreate,
        Exit::IoErr,
        Exit::TempFail,
        Exit::Config,
        Exit::Interrupted,
        Exit::Terminated,
    ];

    /// The numeric code.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The exit status with this code, if it is one of ours.
    pub fn from_code(code: u8) -> Option<Exit> {
        Exit::ALL.into_iter().find(|e| e.code() == code)
    }

    /// What the code means to a person running a job, and what to do: one line of `--help`,
    /// so short enough not to wrap.
    pub fn meaning(self) -> &'static str {
        match self {
            Exit::Success => "success, or skipped for a good reason (market closed, nothing to do)",
            Exit::Failure => "failed, or partial: some units failed; each failure is logged",
            Exit::Usage => "bad command line",
            Exit::DataErr => "source data failed validation; the previous data was kept",
            Exit::Unavailable => {
                "a source was unavailable after retries, or the deadline came first"
            }
            Exit::CantCreate => "cannot create the data directory, a database or the lock file",
            Exit::IoErr => "database or file I/O error (disk full, corrupt or unreadable file)",
            Exit::TempFail => {
                "temporary (lock held, database busy, rate-limited): the next run retries"
            }
            Exit::Config => {
                "configuration error (the file and key are named), or a credential was refused"
            }
            Exit::Interrupted => "stopped by SIGINT; the unit in hand was rolled back",
            Exit::Terminated => {
                "stopped by SIGTERM (systemd stopping the unit); the unit in hand was rolled back"
            }
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit.code())
    }
}
