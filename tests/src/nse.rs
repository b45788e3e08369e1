//! What the nse-index-update whole-binary tests share: the fixture setup, readers of the
//! tables it writes, and a run paused inside its transaction by a fail point.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::Child;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use crate::run::{JobRun, Ran};
pub use crate::run::{Row, job_runs, last_run, statuses};
use crate::{FixtureServer, Outcome, Sandbox};

pub const BIN: &str = "upstox-nse-index-update";
pub const NIFTY50: &str = "ind_nifty50list.csv";

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/nse")
}

pub fn rebalanced() -> PathBuf {
    fixtures().join("rebalanced")
}

pub struct Setup {
    /// The loopback server.
    pub server: FixtureServer,
    /// The sandbox.
    pub sandbox: Sandbox,
}

pub fn config(url: &str) -> String {
    format!(
        "[http]\nrequests_per_second = 1000\nretries = 2\nbackoff_initial_ms = 50\nbackoff_max_secs = 0.2\n\
         timeout_secs = 1\nconnect_timeout_secs = 1\nmax_retry_after_secs = 10\n\
         [jobs.nse-index-update]\nbase_url = \"{url}\"\n"
    )
}

pub fn setup() -> Setup {
    let server = FixtureServer::start(&fixtures(), 0).unwrap();
    let sandbox = Sandbox::new(&config(server.url()));
    Setup { server, sandbox }
}

impl Setup {
    /// A run of [`BIN`] in the sandbox, to add arguments and expectations to.
    pub fn job(&self) -> JobRun<'_> {
        self.sandbox.job(BIN)
    }

    /// Runs to the end.
    pub fn run(&self, args: &[&str]) -> Ran<'_> {
        self.job().args(args).run()
    }

    /// Runs and expects exit 0.
    pub fn run_ok(&self, args: &[&str]) -> Ran<'_> {
        self.run(args).ok()
    }
}

/// The run's last line, its summary, contains `part`.
pub fn assert_summary(out: &Outcome, part: &str) {
    assert!(
        out.summary().contains(part),
        "`{part}` not in: {}",
        out.summary()
    );
}

pub type Spell = (String, String, String, Option<String>, String, String);

/// Every spell of `index`: (symbol, isin, joined_on, left_on, company, industry).
pub fn spells(conn: &Connection, index: &str) -> Vec<Spell> {
    conn.prepare(
        "SELECT symbol, isin, joined_on, left_on, company_name, industry FROM nse_index_membership
         WHERE index_name = ?1 ORDER BY isin, joined_on",
    )
    .unwrap()
    .query_map([index], |r| r.try_into())
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

pub fn current_symbols(conn: &Connection, index: &str) -> Vec<String> {
    let mut v: Vec<String> = spells(conn, index)
        .into_iter()
        .filter(|s| s.3.is_none())
        .map(|s| s.0)
        .collect();
    v.sort();
    v
}

pub fn tables(conn: &Connection) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let dump = |sql: &str| -> Vec<Vec<String>> {
        let mut stmt = conn.prepare(sql).unwrap();
        let n = stmt.column_count();
        stmt.query_map([], |r| {
            (0..n)
                .map(|i| {
                    r.get::<_, Option<String>>(i)
                        .map(|v| v.unwrap_or_else(|| "NULL".into()))
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
    };
    (
        dump("SELECT * FROM nse_index_membership ORDER BY index_name, isin, joined_on"),
        dump("SELECT * FROM nse_sector_info ORDER BY isin"),
    )
}

pub fn nifty50_bytes() -> Vec<u8> {
    std::fs::read(rebalanced().join(NIFTY50)).unwrap()
}

/// Starts a run whose NIFTY100 write pauses inside its transaction (a fail point), and returns
/// once it is there, with the lines it logged so far.
pub fn paused_at(s: &Setup, failpoints: &str, marker: &str) -> (Child, mpsc::Receiver<String>) {
    let mut child = s.sandbox.spawn(BIN, &["-v"], &[("FAILPOINTS", failpoints)]);
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("the run never reached `{marker}`"));
        if line.contains(marker) {
            break;
        }
    }
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the fail point did not pause the run: build with --features nse-index-update/failpoints (make test does)"
    );
    (child, rx)
}

/// The industry `nse_sector_info` holds for `symbol`.
pub fn industry_of(conn: &Connection, symbol: &str) -> String {
    conn.query_row(
        "SELECT industry FROM nse_sector_info WHERE symbol = ?1",
        [symbol],
        |r| r.get(0),
    )
    .unwrap()
}
