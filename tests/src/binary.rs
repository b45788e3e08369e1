//! Running the built binaries in a sandbox: a temporary data directory and configuration file.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use crate::run::JobRun;

/// A temporary directory holding `config.toml` and `data/`.
pub struct Sandbox {
    dir: tempfile::TempDir,
}

/// What a finished run left.
#[derive(Debug)]
pub struct Outcome {
    /// Exit code (None if killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error (the log, in text format).
    pub stderr: String,
}

impl Outcome {
    /// The last non-empty line of stderr: the run's summary.
    pub fn summary(&self) -> &str {
        summary_of(&self.stderr)
    }
}

/// The last non-empty line of a run's log (its stderr): the run's summary.
pub fn summary_of(stderr: &str) -> &str {
    stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
}

impl From<Output> for Outcome {
    fn from(o: Output) -> Self {
        Outcome {
            code: o.status.code(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// The path of a built binary of this workspace (`make test` builds them first).
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    // target/<profile>/deps/<test> → target/<profile>/<name>
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let path = profile_dir.join(name);
    assert!(
        path.exists(),
        "{} is not built; run `make test` (it builds the workspace with the test features first)",
        path.display()
    );
    path
}

impl Sandbox {
    /// A new sandbox with `config` as its configuration file.
    pub fn new(config: &str) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::write(dir.path().join("config.toml"), config).expect("config written");
        Sandbox { dir }
    }

    /// The sandbox directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// `market_data.db`.
    pub fn db_path(&self) -> PathBuf {
        self.data_dir().join("market_data.db")
    }

    /// Replaces the configuration file.
    pub fn write_config(&self, config: &str) {
        std::fs::write(self.dir.path().join("config.toml"), config).expect("config written");
    }

    /// The command for `bin` with `--config` and `--data-dir` set and text logs.
    pub fn command(&self, bin: &str, args: &[&str]) -> Command {
        let mut cmd = self.command_without_data_dir(bin, &["--log-format", "text"]);
        cmd.arg("--data-dir").arg(self.data_dir()).args(args);
        cmd
    }

    /// A run of `bin` here, to be built on ([`JobRun`]: clock, arguments, expectations).
    pub fn job(&self, bin: &str) -> JobRun<'_> {
        JobRun::in_sandbox(self, bin)
    }

    /// The command for `bin` with `--config` set, in a clean environment, and nothing else.
    pub fn command_without_data_dir(&self, bin: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new(binary(bin));
        cmd.arg("--config")
            .arg(self.dir.path().join("config.toml"))
            .args(args)
            .env_remove("JOURNAL_STREAM")
            .env_remove("INVOCATION_ID")
            .env_remove("STATE_DIRECTORY")
            .env_remove("CREDENTIALS_DIRECTORY")
            .env_remove("RUST_LOG")
            .env_remove("FAILPOINTS")
            .env_remove("XDG_DATA_HOME")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        cmd
    }

    /// Runs `bin` to the end.
    pub fn run(&self, bin: &str, args: &[&str]) -> Outcome {
        self.job(bin).args(args).run().into_outcome()
    }

    /// Starts `bin` with piped output and extra environment.
    pub fn spawn(&self, bin: &str, args: &[&str], env: &[(&str, &str)]) -> Child {
        env.iter()
            .fold(self.job(bin).args(args), |job, (k, v)| job.env(k, v))
            .spawn()
    }

    /// Opens `market_data.db` for the assertions.
    pub fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.db_path()).expect("the database opens")
    }
}

/// Every binary the package ships, as `make deb` names them: `upstox-<crate>` for each crate
/// under `bins/`, the operator CLI `upstox-jobs` as it is.
pub fn shipped_binaries() -> Vec<String> {
    let bins = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bins");
    let mut names: Vec<String> = std::fs::read_dir(&bins)
        .expect("bins/")
        .map(|e| {
            e.expect("an entry of bins/")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .map(|c| {
            if c == "upstox-jobs" {
                c
            } else {
                format!("upstox-{c}")
            }
        })
        .collect();
    names.sort();
    names
}

/// Has every shipped binary write its man page and completions under `out`, as `make deb`
/// does with `--generate-docs`.
pub fn generate_docs(out: &Path) {
    for name in shipped_binaries() {
        let done = Command::new(binary(&name))
            .arg("--generate-docs")
            .arg(out)
            .output()
            .expect("the binary runs");
        assert!(
            done.status.success(),
            "{name} --generate-docs: {}",
            String::from_utf8_lossy(&done.stderr)
        );
    }
}
