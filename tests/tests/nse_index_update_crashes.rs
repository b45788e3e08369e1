//! upstox-nse-index-update interrupted: kill -9 inside a write, a concurrent run, SIGTERM and
//! a second Ctrl-C. The runs are paused inside their transaction by a fail point.

use std::time::{Duration, Instant};

use testkit::nse::*;

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

    let out = s
        .run(&[])
        .expect(0, "9/9 indices done", Row::status("succeeded").units(9, 0));
    assert!(out.stderr.contains("marked interrupted"), "{}", out.stderr);
    assert_eq!(
        statuses(&conn),
        vec!["succeeded", "interrupted", "succeeded"]
    );
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
    let second = s
        .run(&[])
        .expect(75, "another run holds the lock", Row::status("skipped"));
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
    let runs = job_runs(&conn);
    assert_eq!(
        runs.iter()
            .map(|r| (r.status.as_str(), r.exit_code))
            .collect::<Vec<_>>(),
        vec![("succeeded", Some(0)), ("skipped", Some(75))],
        "the holder's row is its own; the loser's is finished, never running"
    );
    let loser = runs[1].summary.as_deref().unwrap_or_default();
    assert!(
        loser.contains("another run holds the lock")
            && loser.contains(&format!("pid {}", runs[0].pid)),
        "{loser}"
    );
    let mut people = s.sandbox.command_without_data_dir("upstox-jobs", &[]);
    people.arg("--data-dir").arg(s.sandbox.data_dir());
    let listed = people.arg("runs").output().unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed
            .lines()
            .any(|l| l.contains(" skipped ") && l.contains("another run holds the lock")),
        "upstox-jobs runs shows the loser: {listed}"
    );
    let mut people = s.sandbox.command_without_data_dir("upstox-jobs", &[]);
    people.arg("--data-dir").arg(s.sandbox.data_dir());
    let status = people.arg("status").output().unwrap();
    let status = String::from_utf8_lossy(&status.stdout);
    let line = status
        .lines()
        .find(|l| l.starts_with("nse-index-update "))
        .unwrap_or_default();
    assert!(
        line.contains(" succeeded "),
        "the holder's run is the last that counts: {status}"
    );
    s.run(&[]).expect(0, "", Row::status("succeeded"));
    assert_eq!(
        statuses(&conn),
        vec!["succeeded", "skipped", "succeeded"],
        "the next run's mark_abandoned leaves the loser's row alone"
    );
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
