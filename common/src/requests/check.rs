//! A request's arguments checked before it is accepted: flags the configuration allows, then
//! the job's own command line (its binary run with `--check-args`, which parses and exits),
//! so a bad one is refused at once with the job's own usage message.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::config::RequestsConfig;
use crate::requests::RequestError;

/// Flags never allowed on demand: the dispatcher decides the configuration, the data, the
/// logging and the request a run belongs to.
pub const FORBIDDEN_FLAGS: [&str; 6] = [
    "--config",
    "--data-dir",
    "--request",
    "--check-args",
    "--generate-docs",
    "--log-format",
];

/// How long a job binary may take to parse its command line.
const CHECK_TIMEOUT: Duration = Duration::from_secs(10);
/// The most of its usage message kept.
const MAX_USAGE_BYTES: u64 = 16 * 1024;

/// The flag a command-line word gives (`--symbols` of `--symbols=INFY`), if it is one.
fn flag_of(arg: &str) -> Option<&str> {
    if arg == "-" || arg == "--" || !arg.starts_with('-') {
        return None;
    }
    Some(arg.split_once('=').map_or(arg, |(flag, _)| flag))
}

/// Checks `args` against the flags never allowed and those `policy` allows for `job`.
pub(crate) fn allowed_flags(
    policy: &RequestsConfig,
    job: &str,
    args: &[String],
) -> Result<(), RequestError> {
    let refused = |flag: &str, why: String| RequestError::FlagNotAllowed {
        job: job.to_string(),
        flag: flag.to_string(),
        why,
    };
    for flag in args.iter().filter_map(|a| flag_of(a)) {
        if let Some(never) = FORBIDDEN_FLAGS.iter().find(|f| flag == **f) {
            return Err(refused(
                flag,
                format!(
                    "the dispatcher sets {never} itself; leave it out and the run uses the machine's"
                ),
            ));
        }
        if let Some(listed) = policy.flags(job)
            && !listed.iter().any(|f| f == flag)
        {
            return Err(refused(
                flag,
                format!(
                    "[requests.job.{job}] flags allows only {}; leave it out or ask an administrator to add it",
                    listed.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// Runs `<bin_dir>/upstox-<job> --check-args ARGS`: `Ok` when the job's command line takes
/// them as a run, else its usage message.
pub(crate) fn job_command_line(
    bin_dir: &Path,
    job: &str,
    args: &[String],
) -> Result<(), RequestError> {
    let bin = bin_dir.join(format!("upstox-{job}"));
    let mut child = Command::new(&bin)
        .arg("--check-args")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .env_remove("FAILPOINTS")
        .spawn()
        .map_err(|e| {
            RequestError::Checker(format!(
                "cannot run {} to check the arguments: {e}; install the upstox-jobs package, or set UPSTOX_JOBS_BIN_DIR to the directory of the job binaries",
                bin.display()
            ))
        })?;
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = (&mut stderr)
            .take(MAX_USAGE_BYTES)
            .read_to_string(&mut text);
        // What is past the cap is read and dropped, so the child never blocks on a full pipe.
        let _ = std::io::copy(&mut stderr, &mut std::io::sink());
        text
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() < CHECK_TIMEOUT => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(RequestError::Checker(format!(
                    "{} took longer than {}s to check its arguments; try again, and report it if it persists",
                    bin.display(),
                    CHECK_TIMEOUT.as_secs()
                )));
            }
            Err(e) => {
                return Err(RequestError::Checker(format!(
                    "cannot wait for {}: {e}; try again",
                    bin.display()
                )));
            }
        }
    };
    let usage = reader.join().unwrap_or_default();
    match status.code() {
        Some(0) => Ok(()),
        Some(2) => Err(RequestError::BadArgs {
            job: job.to_string(),
            usage: usage.trim_end().to_string(),
        }),
        code => Err(RequestError::Checker(format!(
            "{} --check-args ended with {}: {}",
            bin.display(),
            code.map_or("a signal".to_string(), |c| format!("exit {c}")),
            usage.trim()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::OnDemand;

    fn args(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn forbidden_flags_are_refused_in_every_spelling_and_listed_ones_limit_the_rest() {
        let mut policy = RequestsConfig::default();
        assert!(allowed_flags(&policy, "market-sync", &args(&["--symbols", "INFY", "-v"])).is_ok());
        for bad in [
            &["--config", "/tmp/x"][..],
            &["--data-dir=/tmp"],
            &["--request", "3"],
        ] {
            let e = allowed_flags(&policy, "market-sync", &args(bad)).unwrap_err();
            assert_eq!(e.http_status(), 400, "{e}");
            assert!(e.to_string().contains("sets"), "{e}");
        }
        policy.job.insert(
            "market-sync".into(),
            OnDemand {
                flags: Some(args(&["--symbols", "--force"])),
                max_run_secs: None,
            },
        );
        assert!(
            allowed_flags(
                &policy,
                "market-sync",
                &args(&["--symbols=INFY", "--force"])
            )
            .is_ok()
        );
        let e = allowed_flags(&policy, "market-sync", &args(&["--interval", "day"])).unwrap_err();
        assert!(
            e.to_string()
                .contains("--interval is not allowed on demand: [requests.job.market-sync] flags allows only --symbols, --force"),
            "{e}"
        );
        assert!(allowed_flags(&policy, "market-sync", &args(&["--", "-x"])).is_err());
    }

    #[test]
    fn a_binary_that_is_not_there_is_a_checker_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let e = job_command_line(dir.path(), "market-sync", &[]).unwrap_err();
        assert_eq!(e.http_status(), 500);
        assert!(e.to_string().contains("upstox-market-sync to check"), "{e}");
    }
}
