//! Every user-visible error names what to do next (issue 18): a few representative bad
//! inputs per kind of failure (a source that cannot be reached, a missing file, a bad
//! setting, no database yet), each checked for the error and, after it on the same line,
//! the next step.

use std::net::TcpListener;

use testkit::{Outcome, Sandbox};

/// Asserts that the line of `out`'s stderr saying `error` goes on to say `next`.
fn says_what_to_do(out: &Outcome, error: &str, next: &str) {
    let line = out
        .stderr
        .lines()
        .find(|l| l.contains(error))
        .unwrap_or_else(|| panic!("no line says {error:?}:\n{}", out.stderr));
    let after = &line[line.find(error).unwrap_or(0) + error.len()..];
    assert!(
        after.contains(next),
        "the error is not followed by what to do ({next:?}): {line}"
    );
}

/// A loopback address nothing listens on: a port just given up.
fn closed_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

#[test]
fn a_source_that_cannot_be_reached_is_followed_by_the_next_step() {
    let sandbox = Sandbox::new(&format!(
        "[http]\nretries = 0\n\n[jobs.nse-index-update]\nbase_url = \"{}\"\n",
        closed_port()
    ));
    let out = sandbox.run(
        "upstox-nse-index-update",
        &["--force", "--index", "nifty50"],
    );
    assert_eq!(out.code, Some(69), "{}", out.stderr);
    says_what_to_do(&out, "connection to", "check the network");
}

#[test]
fn a_setting_that_is_not_a_url_says_how_to_write_one() {
    let sandbox = Sandbox::new(
        "[jobs.news-sentiment]\nfeeds = [{ name = \"desk\", url = \"ftp://example.com/feed\" }]\n",
    );
    let out = sandbox.run("upstox-news-sentiment", &["--force"]);
    assert_eq!(out.code, Some(78), "{}", out.stderr);
    says_what_to_do(&out, "not an http(s) URL", "write it as https://");
}

#[test]
fn a_backup_that_does_not_exist_points_at_the_list() {
    let sandbox = Sandbox::new("");
    let missing = sandbox.path().join("market_data-20261205-020000.db.zst");
    let out = sandbox.run("upstox-db-backup", &["verify", missing.to_str().unwrap()]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    says_what_to_do(&out, "does not exist", "`upstox-db-backup list`");
}

#[test]
fn a_trade_book_that_cannot_be_read_says_what_to_check() {
    let sandbox = Sandbox::new("");
    let missing = sandbox.path().join("trades.csv");
    let out = sandbox.run(
        "upstox-performance-analytics",
        &["import-trades", missing.to_str().unwrap()],
    );
    assert_eq!(out.code, Some(74), "{}", out.stderr);
    says_what_to_do(&out, "cannot read", "check the file's name");
}

#[test]
fn no_database_yet_says_where_else_to_look() {
    let sandbox = Sandbox::new("");
    let out: Outcome = sandbox
        .command_without_data_dir("upstox-jobs", &[])
        .arg("--data-dir")
        .arg(sandbox.data_dir())
        .arg("runs")
        .output()
        .unwrap()
        .into();
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    says_what_to_do(&out, "no job has run yet", "give --data-dir");
}

#[test]
fn an_invalid_alert_rule_points_at_the_kinds() {
    let sandbox = Sandbox::new("");
    let out = sandbox.run(
        "upstox-alert-scan",
        &["rules", "add", "TCS", "rsi-above", "level=150"],
    );
    assert_eq!(out.code, Some(65), "{}", out.stderr);
    says_what_to_do(&out, "invalid rule", "rules add --help");
}
