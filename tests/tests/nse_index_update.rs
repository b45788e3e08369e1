//! upstox-nse-index-update as a user runs it: the built binary against a loopback server in
//! NSE's real file format, writing a real SQLite file.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::Child;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rusqlite::Connection;
use testkit::{FixtureServer, Outcome, Reply, Sandbox};

const BIN: &str = "upstox-nse-index-update";
const NIFTY50: &str = "ind_nifty50list.csv";

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/nse")
}

fn rebalanced() -> PathBuf {
    fixtures().join("rebalanced")
}

struct Setup {
    server: FixtureServer,
    sandbox: Sandbox,
}

fn config(url: &str) -> String {
    format!(
        "[http]\nrequests_per_second = 1000\nretries = 2\nbackoff_initial_ms = 50\nbackoff_max_secs = 0.2\n\
         timeout_secs = 1\nconnect_timeout_secs = 1\nmax_retry_after_secs = 10\n\
         [jobs.nse-index-update]\nbase_url = \"{url}\"\n"
    )
}

fn setup() -> Setup {
    let server = FixtureServer::start(&fixtures(), 0).unwrap();
    let sandbox = Sandbox::new(&config(server.url()));
    Setup { server, sandbox }
}

impl Setup {
    fn run(&self, args: &[&str]) -> Outcome {
        self.sandbox.run(BIN, args)
    }

    fn run_ok(&self, args: &[&str]) -> Outcome {
        let out = self.run(args);
        assert_eq!(out.code, Some(0), "{}", out.stderr);
        out
    }
}

/// The run's last line, its summary, contains `part`.
fn assert_summary(out: &Outcome, part: &str) {
    assert!(
        out.summary().contains(part),
        "`{part}` not in: {}",
        out.summary()
    );
}

type Spell = (String, String, String, Option<String>, String, String);

/// Every spell of `index`: (symbol, isin, joined_on, left_on, company, industry).
fn spells(conn: &Connection, index: &str) -> Vec<Spell> {
    conn.prepare(
        "SELECT symbol, isin, joined_on, left_on, company_name, industry FROM nse_index_membership
         WHERE index_name = ?1 ORDER BY isin, joined_on",
    )
    .unwrap()
    .query_map([index], |r| {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
        ))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

fn current_symbols(conn: &Connection, index: &str) -> Vec<String> {
    let mut v: Vec<String> = spells(conn, index)
        .into_iter()
        .filter(|s| s.3.is_none())
        .map(|s| s.0)
        .collect();
    v.sort();
    v
}

fn tables(conn: &Connection) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
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

#[derive(Debug, PartialEq)]
struct Run {
    status: String,
    units_ok: i64,
    units_failed: i64,
    rows_changed: i64,
    error: Option<String>,
    exit_code: Option<i64>,
}

impl Run {
    /// (status, units ok, units failed, exit code): what most assertions compare.
    fn outline(&self) -> (&str, i64, i64, Option<i64>) {
        (
            self.status.as_str(),
            self.units_ok,
            self.units_failed,
            self.exit_code,
        )
    }
}

fn last_run(conn: &Connection) -> Run {
    conn.query_row(
        "SELECT status, units_ok, units_failed, rows_changed, error, exit_code FROM job_runs ORDER BY id DESC LIMIT 1",
        [],
        |r| {
            Ok(Run {
                status: r.get(0)?,
                units_ok: r.get(1)?,
                units_failed: r.get(2)?,
                rows_changed: r.get(3)?,
                error: r.get(4)?,
                exit_code: r.get(5)?,
            })
        },
    )
    .unwrap()
}

fn count_runs(conn: &Connection) -> i64 {
    conn.query_row("SELECT COUNT(*) FROM job_runs", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_clean_run_stores_every_default_index_and_records_the_run() {
    let s = setup();
    let out = s.run_ok(&[]);
    let conn = s.sandbox.db();
    for (index, n) in [
        ("NIFTY50", 50),
        ("NIFTYNEXT50", 50),
        ("NIFTY100", 100),
        ("NIFTY200", 200),
        ("NIFTY500", 500),
        ("NIFTYMIDCAP150", 150),
        ("NIFTYSMALLCAP250", 250),
        ("NIFTYBANK", 12),
        ("NIFTYIT", 10),
    ] {
        assert_eq!(current_symbols(&conn, index).len(), n, "{index}");
    }
    let sectors: i64 = conn
        .query_row("SELECT COUNT(*) FROM nse_sector_info", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sectors, 500);
    let industry: String = conn
        .query_row(
            "SELECT industry FROM nse_sector_info WHERE symbol = 'S&SMOTORS'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(industry, "Automobile and Auto Components");
    let run = last_run(&conn);
    assert_eq!(run.outline(), ("succeeded", 9, 0, Some(0)));
    assert_summary(&out, "nse-index-update succeeded in ");
    assert_summary(&out, "s: 9/9 indices done");
    assert_summary(&out, "1322 joined, 0 left");
}

#[test]
fn a_second_run_changes_nothing() {
    let s = setup();
    s.run_ok(&[]);
    let before = tables(&s.sandbox.db());
    let out = s.run_ok(&[]);
    assert_eq!(tables(&s.sandbox.db()), before);
    assert_summary(&out, "0 joined, 0 left, 0 renamed");
    let run = last_run(&s.sandbox.db());
    assert_eq!(run.rows_changed, 0);
}

#[test]
fn a_rebalance_records_joins_exits_renames_and_keeps_history() {
    let s = setup();
    s.run_ok(&[]);
    s.server.set_root(&rebalanced());
    let out = s.run_ok(&[]);
    let conn = s.sandbox.db();
    let nifty50 = current_symbols(&conn, "NIFTY50");
    assert!(
        nifty50.contains(&"PIRPANJHFL".to_string()) && nifty50.contains(&"GANDAMTOOL".to_string())
    );
    assert!(
        !nifty50.contains(&"HARISHCENT".to_string()) && !nifty50.contains(&"BEASENGG".to_string())
    );
    assert!(
        nifty50.contains(&"KONKANENGY".to_string()) && !nifty50.contains(&"KONKANPGRD".to_string())
    );
    let left: Vec<_> = spells(&conn, "NIFTY50")
        .into_iter()
        .filter(|s| s.3.is_some())
        .map(|s| s.0)
        .collect();
    assert_eq!(
        left.len(),
        2,
        "the leavers' spells are kept, closed: {left:?}"
    );
    let industry: String = conn
        .query_row(
            "SELECT industry FROM nse_sector_info WHERE symbol = 'VASUNDHIND'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(industry, "Capital Goods");
    assert!(
        out.stderr.contains("NIFTY50: 50 constituents; 2 joined"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("1 renamed (KONKANPGRD → KONKANENGY)"),
        "{}",
        out.stderr
    );
}

/// A failure of NIFTY50 alone: in a full run the others still update and the run is partial
/// (exit 1); run alone it fails with `alone_exit`. Either way the previous NIFTY50 is kept and
/// the error names the index and the cause on one line.
fn failure_case(replies: Vec<Reply>, alone_exit: i32, cause: &str) {
    let s = setup();
    s.run_ok(&[]);
    let conn = s.sandbox.db();
    let old_nifty50 = spells(&conn, "NIFTY50");
    let old_next50 = spells(&conn, "NIFTYNEXT50");

    s.server.set_root(&rebalanced());
    s.server.script(NIFTY50, replies.clone());
    let out = s.run(&[]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let error_lines: Vec<_> = out
        .stderr
        .lines()
        .filter(|l| l.contains("ERROR") && l.contains("NIFTY50: "))
        .collect();
    assert_eq!(error_lines.len(), 1, "{}", out.stderr);
    assert!(error_lines[0].contains(cause), "{}", error_lines[0]);
    assert_summary(&out, "nse-index-update partial in ");
    assert_summary(&out, "s: 8/9 indices done");
    assert_eq!(spells(&conn, "NIFTY50"), old_nifty50, "NIFTY50 kept");
    assert_ne!(
        spells(&conn, "NIFTYNEXT50"),
        old_next50,
        "the others updated"
    );
    let run = last_run(&conn);
    assert_eq!(run.outline(), ("partial", 8, 1, Some(1)));
    assert!(run.error.as_deref().unwrap().contains(cause), "{run:?}");

    s.server.script(NIFTY50, replies);
    let out = s.run(&["--index", "nifty50"]);
    assert_eq!(out.code, Some(alone_exit), "{}", out.stderr);
    assert_summary(&out, " failed in ");
    assert!(
        out.summary()
            .contains("s: 0/1 index done, 0 joined, 0 left, 0 renamed; errors: NIFTY50: "),
        "{}",
        out.summary()
    );
    assert_eq!(spells(&conn, "NIFTY50"), old_nifty50, "NIFTY50 kept");
    let run = last_run(&conn);
    assert_eq!(
        (run.status.as_str(), run.exit_code),
        ("failed", Some(alone_exit as i64))
    );
}

fn nifty50_bytes() -> Vec<u8> {
    std::fs::read(rebalanced().join(NIFTY50)).unwrap()
}

#[test]
fn forbidden_is_source_unavailable() {
    failure_case(
        vec![Reply::Status(403, "<html>Access Denied</html>".into())],
        69,
        "HTTP 403 Forbidden",
    );
}

#[test]
fn server_errors_that_persist_are_source_unavailable_after_retries() {
    failure_case(
        vec![Reply::Status(500, "oops".into())],
        69,
        "gave up after 3 attempts",
    );
}

#[test]
fn a_timeout_is_source_unavailable() {
    failure_case(
        vec![Reply::Delay(Duration::from_secs(3))],
        69,
        "no response from",
    );
}

#[test]
fn a_long_retry_after_is_a_temporary_failure() {
    failure_case(vec![Reply::RetryAfter(3600)], 75, "rate limited (HTTP 429)");
}

#[test]
fn an_html_page_instead_of_csv_fails_validation() {
    let page = b"<!DOCTYPE html>\n<html><head><title>Oops</title></head><body>No authorization token was found</body></html>";
    failure_case(
        vec![Reply::Body(page.to_vec())],
        65,
        "got an HTML page instead of the CSV",
    );
}

#[test]
fn a_truncated_file_fails_validation() {
    let bytes = nifty50_bytes();
    // Cut in the middle of a row: the last line keeps only part of its fields.
    let cut = bytes.len() / 2;
    let cut = cut + bytes[cut..].iter().position(|&b| b == b',').unwrap() + 1;
    failure_case(
        vec![Reply::Body(bytes[..cut].to_vec())],
        65,
        "fields, expected 5 (a truncated download?)",
    );
}

#[test]
fn a_missing_column_fails_validation() {
    let text = String::from_utf8(nifty50_bytes()).unwrap();
    let without_isin: String = text
        .lines()
        .map(|l| l.rsplit_once(',').unwrap().0.to_string() + "\n")
        .collect();
    failure_case(
        vec![Reply::Body(without_isin.into_bytes())],
        65,
        "missing column `ISIN Code`",
    );
}

#[test]
fn invalid_utf8_fails_validation() {
    let mut bytes = nifty50_bytes();
    let at = bytes.iter().position(|&b| b == b'\n').unwrap() + 3;
    bytes[at] = 0xff;
    failure_case(vec![Reply::Body(bytes)], 65, "line 2 is not valid UTF-8");
}

#[test]
fn a_nifty50_file_with_12_rows_fails_validation() {
    let text = String::from_utf8(nifty50_bytes()).unwrap();
    let short: String = text.split_inclusive('\n').take(13).collect();
    failure_case(
        vec![Reply::Body(short.into_bytes())],
        65,
        "12 constituents, expected 48 to 52",
    );
}

#[test]
fn two_server_errors_then_success_is_retried_and_succeeds() {
    let s = setup();
    s.server.script(
        NIFTY50,
        vec![
            Reply::Status(500, "a".into()),
            Reply::Status(502, "b".into()),
            Reply::File,
        ],
    );
    let out = s.run_ok(&["--index", "NIFTY50"]);
    assert_eq!(s.server.arrivals(NIFTY50).len(), 3);
    assert_eq!(current_symbols(&s.sandbox.db(), "NIFTY50").len(), 50);
    assert_eq!(
        out.stderr.matches("retrying in").count(),
        2,
        "{}",
        out.stderr
    );
}

#[test]
fn retry_after_is_honoured() {
    let s = setup();
    s.server
        .script(NIFTY50, vec![Reply::RetryAfter(2), Reply::File]);
    s.run_ok(&["--index", "NIFTY50"]);
    let arrivals = s.server.arrivals(NIFTY50);
    assert_eq!(arrivals.len(), 2);
    let gap = arrivals[1] - arrivals[0];
    assert!(
        gap >= Duration::from_millis(1950),
        "retried after {gap:?}, Retry-After said 2s"
    );
}

#[test]
fn reordered_columns_are_read_by_name() {
    let s = setup();
    let text = String::from_utf8(nifty50_bytes()).unwrap();
    let reordered: String = text
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            // Company Name,Industry,Symbol,Series,ISIN Code → ISIN Code,Symbol,Series,Company Name,Industry
            format!("{},{},{},{},{}\n", f[4], f[2], f[3], f[0], f[1])
        })
        .collect();
    s.server
        .script(NIFTY50, vec![Reply::Body(reordered.into_bytes())]);
    s.run_ok(&["--index", "NIFTY50"]);
    let conn = s.sandbox.db();
    let (company, industry): (String, String) = conn
        .query_row(
            "SELECT company_name, industry FROM nse_index_membership WHERE symbol = 'S&SMOTORS'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (company.as_str(), industry.as_str()),
        ("Shah & Sons Motors Ltd.", "Automobile and Auto Components")
    );
}

#[test]
fn dry_run_writes_nothing_and_says_who_would_join_and_leave() {
    let s = setup();
    let fresh = s.run(&["--dry-run", "--index", "NIFTYBANK"]);
    assert_eq!(fresh.code, Some(0), "{}", fresh.stderr);
    assert!(
        fresh
            .stdout
            .contains("NIFTYBANK: 12 constituents; 12 would join"),
        "{}",
        fresh.stdout
    );
    assert!(
        !s.sandbox.data_dir().exists(),
        "a dry run on a fresh machine creates nothing"
    );

    s.run_ok(&[]);
    let listing = || {
        let mut v: Vec<_> = std::fs::read_dir(s.sandbox.data_dir())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        v.sort();
        v
    };
    let (before, files) = (std::fs::read(s.sandbox.db_path()).unwrap(), listing());
    s.server.set_root(&rebalanced());
    let out = s.run_ok(&["--dry-run"]);
    assert_eq!(
        std::fs::read(s.sandbox.db_path()).unwrap(),
        before,
        "byte-identical"
    );
    assert_eq!(listing(), files, "no -wal or -shm left behind");
    assert!(
        out.stdout.contains("NIFTY50: 50 constituents; 2 would join (GANDAMTOOL, PIRPANJHFL), 2 would leave (BEASENGG, HARISHCENT), 1 would be renamed (KONKANPGRD → KONKANENGY)"),
        "{}",
        out.stdout
    );
    assert!(
        out.summary()
            .contains("nse-index-update (dry run) succeeded in "),
        "{}",
        out.summary()
    );
    assert_eq!(
        count_runs(&s.sandbox.db()),
        1,
        "no job_runs row for a dry run"
    );
}

#[test]
fn from_file_imports_any_index_without_downloading() {
    let s = setup();
    let file = s.sandbox.path().join("watchlist.csv");
    std::fs::write(
        &file,
        "Company Name,Industry,Symbol,Series,ISIN Code\nReliance Industries Ltd.,Oil Gas & Consumable Fuels,RELIANCE,EQ,INE002A01018\n",
    )
    .unwrap();
    s.run_ok(&[
        "--index",
        "my-watchlist",
        "--from-file",
        file.to_str().unwrap(),
    ]);
    assert_eq!(
        current_symbols(&s.sandbox.db(), "MY-WATCHLIST"),
        vec!["RELIANCE"]
    );
    assert!(s.server.arrivals(NIFTY50).is_empty());

    let missing = s.run(&["--index", "X", "--from-file", "/nonexistent/file.csv"]);
    assert_eq!(missing.code, Some(74), "{}", missing.stderr);
    assert!(
        missing
            .stderr
            .contains("X: cannot read /nonexistent/file.csv"),
        "{}",
        missing.stderr
    );
}

#[test]
fn bad_command_lines_exit_2() {
    let s = setup();
    let out = s.run(&["--index", "A", "--index", "B", "--from-file", "x.csv"]);
    assert_eq!(out.code, Some(2));
    assert!(
        out.stderr.contains("give exactly one --index"),
        "{}",
        out.stderr
    );
    let out = s.run(&["--index", "NIFTY51"]);
    assert_eq!(out.code, Some(2));
    assert!(
        out.stderr.contains("unknown index `NIFTY51`"),
        "{}",
        out.stderr
    );
    assert!(!s.sandbox.data_dir().exists());
}

#[test]
fn configuration_errors_name_the_file_and_key_and_exit_78() {
    let s = setup();
    let cfg = s.sandbox.path().join("config.toml");
    s.sandbox
        .write_config("[jobs.nse-index-update]\nindexes = [\"NIFTY50\"]\n");
    let out = s.run(&[]);
    assert_eq!(out.code, Some(78), "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "{}: [jobs.nse-index-update]: unknown field `indexes`",
            cfg.display()
        )),
        "{}",
        out.stderr
    );

    s.sandbox
        .write_config("[jobs.nse-index-update]\nindices = [\"NIFTY51\"]\n");
    let out = s.run(&[]);
    assert_eq!(out.code, Some(78), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("[jobs.nse-index-update] indices: unknown index `NIFTY51`"),
        "{}",
        out.stderr
    );

    s.sandbox
        .write_config("[jobs.nse-index-update]\nindices = []\n");
    let out = s.run(&[]);
    assert_eq!(out.code, Some(78), "{}", out.stderr);
    assert!(out.stderr.contains("indices is empty"), "{}", out.stderr);

    s.sandbox.write_config("[http]\nretries = -1\n");
    let out = s.run(&[]);
    assert_eq!(out.code, Some(78), "{}", out.stderr);
    assert!(out.stderr.contains("line 2"), "{}", out.stderr);
}

/// Starts a run whose NIFTY100 write pauses inside its transaction (a fail point), and returns
/// once it is there, with the lines it logged so far.
fn paused_at(s: &Setup, failpoints: &str, marker: &str) -> (Child, mpsc::Receiver<String>) {
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

#[test]
fn kill_9_inside_a_write_leaves_each_index_wholly_old_or_wholly_new() {
    let s = setup();
    s.run_ok(&[]);
    let conn = s.sandbox.db();
    let old: Vec<_> = ["NIFTY100", "NIFTY200", "NIFTY500"]
        .iter()
        .map(|i| spells(&conn, i))
        .collect();
    drop(conn);
    s.server.set_root(&rebalanced());
    let (mut child, _lines) = paused_at(
        &s,
        "nse-index-update::before-commit=2*off->sleep(60000)",
        "NIFTY100: written, committing",
    );
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let conn = s.sandbox.db();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    // Before the kill: wholly new. The one in hand and after: wholly old.
    assert!(current_symbols(&conn, "NIFTY50").contains(&"PIRPANJHFL".to_string()));
    assert!(current_symbols(&conn, "NIFTYNEXT50").contains(&"HARISHCENT".to_string()));
    let now: Vec<_> = ["NIFTY100", "NIFTY200", "NIFTY500"]
        .iter()
        .map(|i| spells(&conn, i))
        .collect();
    assert_eq!(now, old);
    assert_eq!(
        last_run(&conn).status,
        "running",
        "the killed run could not record its end"
    );

    let out = s.run_ok(&[]);
    assert!(out.stderr.contains("marked interrupted"), "{}", out.stderr);
    let statuses: Vec<String> = conn
        .prepare("SELECT status FROM job_runs ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(statuses, vec!["succeeded", "interrupted", "succeeded"]);
    assert!(current_symbols(&conn, "NIFTY100").contains(&"KONKANENGY".to_string()));
}

#[test]
fn a_second_concurrent_run_exits_75_naming_the_holder() {
    let s = setup();
    let (mut first, _lines) = paused_at(
        &s,
        "nse-index-update::before-commit=1*sleep(5000)->off",
        "NIFTY50: written, committing",
    );
    let second = s.run(&[]);
    assert_eq!(second.code, Some(75), "{}", second.stderr);
    assert!(
        second.stderr.contains("another run holds the lock"),
        "{}",
        second.stderr
    );
    assert!(
        second.stderr.contains(&format!("pid {}", first.id())),
        "{}",
        second.stderr
    );
    assert_eq!(second.stderr.lines().count(), 1, "{}", second.stderr);
    assert!(first.wait().unwrap().success());
    let conn = s.sandbox.db();
    assert_eq!(count_runs(&conn), 1, "the loser recorded nothing");
    let spells_total: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM nse_index_membership WHERE index_name = 'NIFTY50'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(spells_total, 50, "nothing written twice");
}

#[test]
fn sigterm_finishes_the_index_in_hand_and_records_interrupted() {
    let s = setup();
    let (mut child, _lines) = paused_at(
        &s,
        "nse-index-update::before-commit=1*sleep(5000)->off",
        "NIFTY50: written, committing",
    );
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(143));
    let conn = s.sandbox.db();
    let run = last_run(&conn);
    assert_eq!(
        (run.status.as_str(), run.units_ok, run.exit_code),
        ("interrupted", 1, Some(143))
    );
    assert_eq!(
        current_symbols(&conn, "NIFTY50").len(),
        50,
        "the index in hand was finished"
    );
    assert!(
        current_symbols(&conn, "NIFTYNEXT50").is_empty(),
        "no new index was started"
    );
}

#[test]
fn show_prints_what_was_stored() {
    let s = setup();
    s.run_ok(&[]);
    let out = s.run_ok(&["show"]);
    assert!(
        out.stdout
            .contains("NIFTYBANK                  12            0"),
        "{}",
        out.stdout
    );
    let out = s.run_ok(&["show", "--index", "niftyit"]);
    assert_eq!(out.stdout.lines().count(), 11, "{}", out.stdout);
}

#[test]
fn json_logs_are_one_object_per_line_with_fields() {
    let s = setup();
    let out = s
        .sandbox
        .command_without_data_dir(
            BIN,
            &["--log-format", "json", "--index", "NIFTYBANK", "--data-dir"],
        )
        .arg(s.sandbox.data_dir())
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<serde_json::Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let bank = lines.iter().find(|v| v["index"] == "NIFTYBANK").unwrap();
    assert_eq!(bank["rows"], 12);
    assert_eq!(bank["level"], "INFO");
    assert!(
        bank["message"]
            .as_str()
            .unwrap()
            .starts_with("NIFTYBANK: 12 constituents")
    );
    let last = lines.last().unwrap();
    assert_eq!(last["status"], "succeeded");
}

#[test]
fn the_data_directory_comes_from_systemd_then_the_users_home() {
    let s = setup();
    let state = s.sandbox.path().join("state");
    let out = s
        .sandbox
        .command_without_data_dir(BIN, &["--log-format", "text", "--index", "NIFTYIT"])
        .env("STATE_DIRECTORY", format!("{}:/elsewhere", state.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        state.join("market_data.db").exists(),
        "$STATE_DIRECTORY's first path"
    );

    let system = std::path::Path::new("/var/lib/upstox-jobs");
    if system.is_dir() {
        eprintln!(
            "not running the home part: {} exists here and would be used",
            system.display()
        );
        return;
    }
    let home = s.sandbox.path().join("home");
    let out = s
        .sandbox
        .command_without_data_dir(BIN, &["--log-format", "text", "--index", "NIFTYIT"])
        .env("HOME", &home)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        home.join(".local/share/upstox-jobs/market_data.db")
            .exists(),
        "an ad hoc run without /var/lib/upstox-jobs writes to ~/.local/share/upstox-jobs"
    );
}

#[test]
fn show_exits_with_the_documented_codes() {
    let s = setup();
    let out = s.run(&["show"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("does not exist yet; run upstox-nse-index-update first"),
        "{}",
        out.stderr
    );
    s.sandbox.write_config("[http]\nretrys = 1\n");
    let out = s.run(&["show"]);
    assert_eq!(out.code, Some(78), "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
}

#[test]
fn a_second_ctrl_c_ends_the_run_at_once() {
    let s = setup();
    let (mut child, _lines) = paused_at(
        &s,
        "nse-index-update::before-commit=1*sleep(20000)->off",
        "NIFTY50: written, committing",
    );
    let started = Instant::now();
    for _ in 0..2 {
        unsafe {
            libc::kill(child.id() as i32, libc::SIGINT);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "waited {:?}",
        started.elapsed()
    );
    let conn = s.sandbox.db();
    assert!(
        current_symbols(&conn, "NIFTY50").is_empty(),
        "the write in hand was rolled back"
    );
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}
