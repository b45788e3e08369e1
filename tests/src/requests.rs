//! What the request tests share: a sandbox whose `[requests]` spool is inside it, the
//! `upstox-jobs request …` and `dispatch` commands run there, spool files dropped as a writer
//! must (temporary name, then rename), and the request read back as `request show --json`.
//!
//! The jobs asked for run offline and fast: db-backup (backs up the sandbox's own
//! `market_data.db`; its `db-backup::compressing` failpoint holds a run as long as a test
//! needs) and nse-index-update against a loopback port nothing listens on (a run that fails).

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::process::Child;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::binary::{Outcome, Sandbox};
use crate::run::JobRun;
use crate::world::{fast_http, free_port};

/// The CLI.
pub const BIN: &str = "upstox-jobs";

/// The failpoint that holds a db-backup run for `ms` milliseconds while it compresses.
pub fn hold_backup(ms: u64) -> String {
    format!("db-backup::compressing=sleep({ms})")
}

/// A sandbox for requests.
pub struct RequestWorld {
    /// The sandbox (configuration, data directory, spool).
    pub sandbox: Sandbox,
}

impl RequestWorld {
    /// A sandbox whose configuration is `[requests]` with its spool inside the sandbox and
    /// `requests` (more `[requests]` keys), then `extra` (further tables). nse-index-update
    /// is pointed at a loopback port nothing listens on, with no retries.
    pub fn new(requests: &str, extra: &str) -> Self {
        let sandbox = Sandbox::new("");
        let spool = sandbox.path().join("spool");
        std::fs::create_dir(&spool).expect("spool created");
        sandbox.write_config(&format!(
            "{}[jobs.nse-index-update]\nbase_url = \"http://127.0.0.1:{}\"\nindices = [\"NIFTY50\"]\n\
             [requests]\nspool_dir = \"{}\"\n{requests}\n{extra}",
            fast_http(0, 0.01),
            free_port(),
            spool.display()
        ));
        RequestWorld { sandbox }
    }

    /// The spool directory.
    pub fn spool(&self) -> PathBuf {
        self.sandbox.path().join("spool")
    }

    /// `upstox-jobs ARGS`, to be run.
    pub fn cli<'a>(&'a self, args: &[&str]) -> JobRun<'a> {
        self.sandbox
            .job(BIN)
            .args(args.iter().copied())
            .env("USER", "alice")
    }

    /// `upstox-jobs request JOB -- ARGS`, run: asserts it was accepted; returns the id.
    pub fn request(&self, job: &str, args: &[&str]) -> i64 {
        let run = self
            .cli(&["request", job, "--"])
            .args(args.iter().copied())
            .run();
        assert_eq!(run.code, Some(0), "request refused: {}", run.stderr);
        run.stdout
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("not an id: {:?}", run.stdout))
    }

    /// `upstox-jobs dispatch`, to be run or spawned (with FAILPOINTS, say).
    pub fn dispatch(&self) -> JobRun<'_> {
        self.cli(&["dispatch"])
    }

    /// Runs the dispatcher to the end; asserts it exited 0.
    pub fn dispatch_all(&self) -> Outcome {
        let run = self.dispatch().run().into_outcome();
        assert_eq!(run.code, Some(0), "dispatch: {}", run.stderr);
        run
    }

    /// `request show ID --json`.
    pub fn show(&self, id: i64) -> Value {
        let run = self
            .cli(&["request", "show", &id.to_string(), "--json"])
            .run();
        assert_eq!(run.code, Some(0), "show {id}: {}", run.stderr);
        serde_json::from_str(&run.stdout).expect("show --json prints JSON")
    }

    /// The state of request `id`.
    pub fn state(&self, id: i64) -> String {
        self.show(id)["state"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Waits (up to a minute) until request `id` is in `state`.
    pub fn wait_for(&self, id: i64, state: &str) -> Value {
        let started = Instant::now();
        loop {
            let view = self.show(id);
            if view["state"] == state {
                return view;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "request {id} never became {state}: {view}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Drops `json` in the spool as `name`, written under a hidden name and renamed, as a
    /// writer must.
    pub fn drop_file(&self, name: &str, json: &str) {
        let hidden = self.spool().join(format!(".{name}.tmp"));
        std::fs::write(&hidden, json).expect("spool file written");
        std::fs::rename(&hidden, self.spool().join(name)).expect("spool file renamed");
    }

    /// Holds `job`'s lock in the sandbox as another run of it would, naming itself in the file.
    pub fn hold_lock(&self, job: &str) -> File {
        let locks = self.sandbox.data_dir().join("locks");
        std::fs::create_dir_all(&locks).expect("locks directory");
        let mut file = File::create(locks.join(format!("{job}.lock"))).expect("lock file");
        file.lock().expect("the lock taken");
        write!(file, "pid 4242 on desk1, the timer's run").expect("holder written");
        file
    }

    /// Releases `lock` (from [`hold_lock`](Self::hold_lock)) under the running `dispatcher`
    /// and waits for it: asserts it exited 0, request `id` succeeded, and its one run started
    /// after the release. Returns the dispatcher's outcome.
    pub fn release_and_finish(&self, lock: File, dispatcher: Child, id: i64) -> Outcome {
        let released = Utc::now();
        drop(lock);
        let dispatch = finish(dispatcher);
        assert_eq!(dispatch.code, Some(0), "{}", dispatch.stderr);
        assert_eq!(self.state(id), "succeeded");
        let runs = self.runs_of(id);
        assert_eq!(runs.len(), 1, "{runs:?}");
        let started: DateTime<Utc> = runs[0].1.parse().expect("a start time");
        assert!(
            started >= released,
            "it ran while the lock was held: {runs:?}"
        );
        dispatch
    }

    /// Waits until a running dispatcher has taken the wake file, twice, so that it has looked
    /// at the queue at least once in between.
    pub fn two_passes(&self) {
        let wake = self.spool().join(".wake");
        for _ in 0..2 {
            File::create(&wake).expect("wake file");
            let started = Instant::now();
            while wake.exists() {
                assert!(
                    started.elapsed() < Duration::from_secs(60),
                    "the dispatcher never looked"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    /// The id of the only request (one dropped in the spool, once the dispatcher has taken
    /// it), waiting up to a minute for it to appear.
    pub fn only_id(&self) -> i64 {
        let started = Instant::now();
        loop {
            let list = self.cli(&["request", "list", "--json"]).run();
            assert_eq!(list.code, Some(0), "{}", list.stderr);
            let all: Vec<Value> = serde_json::from_str(&list.stdout).expect("list --json");
            if let [one] = &all[..] {
                return one["id"].as_i64().expect("an id");
            }
            assert!(all.is_empty(), "one request expected: {all:?}");
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the spool file was never taken"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The `job_runs` rows of request `id`: (status, started_at, finished_at), oldest first.
    pub fn runs_of(&self, id: i64) -> Vec<(String, String, Option<String>)> {
        let conn = self.sandbox.db();
        let mut stmt = conn
            .prepare(
                "SELECT status, started_at, finished_at FROM job_runs WHERE request_id = ?1
                 ORDER BY id",
            )
            .expect("job_runs has request_id");
        stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("rows read")
    }
}

/// Waits for `child` to exit; returns its outcome (its output read meanwhile, so a chatty
/// child never blocks on a full pipe).
pub fn finish(child: Child) -> Outcome {
    child
        .wait_with_output()
        .expect("the dispatcher exits")
        .into()
}
