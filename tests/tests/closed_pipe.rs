//! Every command that prints, with its stdout a pipe whose reader has gone (`| head` that has
//! read its lines): output ends quietly, exit 0 or death by SIGPIPE (141), as `ls | head`.

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::harness::Job;
use testkit::{JobRun, Sandbox};

/// A sandbox whose `market_data.db` every job has migrated, with one recorded run.
fn migrated() -> Sandbox {
    let sandbox = Sandbox::new("");
    let mut all = common::schemas::COMMON.to_vec();
    for schemas in [
        <nse_index_update::job::NseIndexUpdate as Job>::SCHEMAS,
        <market_sync::job::MarketSync as Job>::SCHEMAS,
        <alert_scan::job::AlertScan as Job>::SCHEMAS,
    ] {
        for schema in schemas {
            if !all.iter().any(|s| s.component == schema.component) {
                all.push(*schema);
            }
        }
    }
    let conn = common::db::open(&sandbox.db_path(), Duration::from_secs(5), &all).unwrap();
    conn.execute_batch(
        "INSERT INTO job_runs (job, status, started_at, finished_at, pid, host, exit_code)
             VALUES ('market-sync', 'succeeded', '2026-11-20T10:15:00Z', '2026-11-20T10:16:00Z', 1, 'desk', 0);",
    )
    .unwrap();
    sandbox
}

/// Runs `bin args` in `sandbox` with stdout a pipe already closed at its reading end.
fn into_closed_pipe(sandbox: &Sandbox, bin: &str, args: &[&str]) {
    let command = JobRun::in_sandbox(sandbox, bin).args(args).command();
    closed_pipe(command, bin, args);
}

/// `upstox-jobs args`, which takes no logging flags, in `sandbox`, as [`into_closed_pipe`].
fn people_into_closed_pipe(sandbox: &Sandbox, args: &[&str]) {
    let mut command = sandbox.command_without_data_dir("upstox-jobs", &[]);
    command.arg("--data-dir").arg(sandbox.data_dir()).args(args);
    closed_pipe(command, "upstox-jobs", args);
}

/// Runs `command` with stdout a pipe already closed at its reading end, so that the first
/// line it writes meets EPIPE (a reader that went after one line would race the writer).
fn closed_pipe(mut command: Command, bin: &str, args: &[&str]) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = command
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.code() == Some(0) || out.status.signal() == Some(13),
        "{bin} {args:?}: {:?}\n{stderr}",
        out.status
    );
    assert!(!stderr.contains("Broken pipe"), "{bin} {args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{bin} {args:?}: {stderr}");
}

#[test]
fn nse_index_update_show_ends_quietly_on_a_closed_pipe() {
    into_closed_pipe(&migrated(), "upstox-nse-index-update", &["show"]);
}

#[test]
fn market_sync_gaps_ends_quietly_on_a_closed_pipe() {
    into_closed_pipe(&migrated(), "upstox-market-sync", &["gaps"]);
}

#[test]
fn alert_scan_rules_list_ends_quietly_on_a_closed_pipe() {
    into_closed_pipe(&migrated(), "upstox-alert-scan", &["rules", "list"]);
}

#[test]
fn upstox_jobs_status_and_runs_end_quietly_on_a_closed_pipe() {
    let sandbox = migrated();
    people_into_closed_pipe(&sandbox, &["status"]);
    people_into_closed_pipe(&sandbox, &["runs"]);
}

#[test]
fn alert_scan_explain_ends_quietly_on_a_closed_pipe() {
    let w = testkit::alerts::AlertWorld::new();
    w.day_candles("TCS", &testkit::alert_cases::sideways_closes(60));
    w.add_rule("TCS", "rsi-above", &[], &["--channels", "database"]);
    let command = w.job().args(["explain", "TCS"]).command();
    closed_pipe(command, "upstox-alert-scan", &["explain", "TCS"]);
}
