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
    /// Source unavailable after retries.
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
    /// The numeric code.
    pub fn code(self) -> u8 {
        self as u8
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit.code())
    }
}
