//! Commands run in a user and mount namespace of their own (`unshare`), where a test may mount
//! a small tmpfs (a disk that fills up) or stand in for the journal, without root and without
//! leaving anything mounted.

use std::process::Command;

/// Whether this machine lets a process mount a tmpfs in namespaces of its own (unprivileged
/// user namespaces, or root); the reason when it does not, for the test to print as it skips.
pub fn available() -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let probe = unshare(&format!(
        "mount -t tmpfs -o size=64k tmpfs '{}'",
        dir.path().display()
    ))
    .output()
    .map_err(|e| format!("unshare cannot run: {e}"))?;
    if probe.status.success() {
        Ok(())
    } else {
        Err(format!(
            "no tmpfs in a user namespace here: {}",
            String::from_utf8_lossy(&probe.stderr).trim()
        ))
    }
}

/// `sh -c script` in a new user namespace (mapped to root) and mount namespace, with the
/// environment the jobs' tests clear removed.
pub fn unshare(script: &str) -> Command {
    let mut cmd = Command::new("unshare");
    cmd.args(["--user", "--map-root-user", "--mount", "sh", "-c", script])
        .env_remove("JOURNAL_STREAM")
        .env_remove("INVOCATION_ID")
        .env_remove("CREDENTIALS_DIRECTORY")
        .env_remove("RUST_LOG")
        .env_remove("FAILPOINTS")
        .env("NO_COLOR", "1");
    cmd
}
