//! Requests dropped as files in the spool directory by any program: the dispatcher takes each
//! `*.json` through the same checks as the CLI, removes it, and runs it; a refused one goes to
//! `rejected/` with a `.error` file saying why. Files being written (hidden names) are left.
//! A spool request is then a request like any other: cancelled while queued or running, stopped
//! past its maximum run time, waiting for its job's held lock.

use testkit::requests::{RequestWorld, finish, hold_backup};

fn only_request(w: &RequestWorld) -> serde_json::Value {
    let list = w.cli(&["request", "list", "--json"]).run();
    assert_eq!(list.code, Some(0), "{}", list.stderr);
    let all: Vec<serde_json::Value> = serde_json::from_str(&list.stdout).unwrap();
    assert_eq!(all.len(), 1, "{all:?}");
    all.into_iter().next().unwrap()
}

#[test]
fn a_spool_file_is_taken_run_and_removed() {
    let w = RequestWorld::new("", "");
    w.drop_file(
        "nightly.json",
        r#"{"job": "db-backup", "args": [], "requested_by": "cron-app", "priority": 3}"#,
    );
    w.dispatch_all();
    assert!(
        !w.spool().join("nightly.json").exists(),
        "the file was taken"
    );
    let done = only_request(&w);
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(done["origin"], "spool");
    assert_eq!(done["requested_by"], "cron-app");
    assert_eq!(done["priority"], 3);
    assert_eq!(done["exit_code"], 0);
}

#[test]
fn a_spool_request_whose_run_fails_ends_failed() {
    let w = RequestWorld::new("", "");
    w.drop_file(
        "indices.json",
        r#"{"job": "nse-index-update", "requested_by": "etl"}"#,
    );
    w.dispatch_all();
    let done = only_request(&w);
    assert_eq!(done["state"], "failed", "{done}");
    assert!(done["run_id"].is_i64(), "{done}");
}

#[test]
fn a_refused_spool_file_goes_to_rejected_with_an_error_file_saying_why() {
    let w = RequestWorld::new("", "");
    let huge = format!(
        r#"{{"job": "db-backup", "requested_by": "{}"}}"#,
        "x".repeat(70_000)
    );
    let cases = [
        (
            "usage.json",
            r#"{"job": "market-sync", "args": ["--bogus"], "requested_by": "etl"}"#.to_string(),
            "Usage: upstox-market-sync",
        ),
        (
            "job.json",
            r#"{"job": "sync", "requested_by": "etl"}"#.to_string(),
            "`sync` is not a job",
        ),
        (
            "field.json",
            r#"{"job": "db-backup", "requested_by": "etl", "user": "root"}"#.to_string(),
            "unknown field `user`",
        ),
        (
            "flag.json",
            r#"{"job": "db-backup", "args": ["--data-dir", "/"], "requested_by": "etl"}"#
                .to_string(),
            "--data-dir is not allowed on demand",
        ),
        (
            "html.json",
            "<html>".to_string(),
            "not a valid request document",
        ),
        ("huge.json", huge, "more than the 65536 allowed"),
    ];
    for (name, json, _) in &cases {
        w.drop_file(name, json);
    }
    std::fs::write(w.spool().join(".half-written.json.tmp"), "{\"job\": ").unwrap();
    w.dispatch_all();
    let rejected = w.spool().join("rejected");
    for (name, _, says) in &cases {
        assert!(!w.spool().join(name).exists(), "{name} left in the spool");
        assert!(rejected.join(name).exists(), "{name} not in rejected/");
        let why = std::fs::read_to_string(rejected.join(format!("{name}.error"))).unwrap();
        assert!(why.contains(says), "{name}: {why}");
    }
    assert!(
        w.spool().join(".half-written.json.tmp").exists(),
        "a file being written is not taken"
    );
    let list = w.cli(&["request", "list"]).run();
    assert_eq!(list.stdout, "no requests\n");
}

const BACKUP: &str = r#"{"job": "db-backup", "requested_by": "etl"}"#;

#[test]
fn a_spool_request_cancelled_while_queued_never_runs() {
    // Queued behind a held lock: taken from the spool, waiting its turn.
    let w = RequestWorld::new("lock_wait_secs = 120", "");
    let lock = w.hold_lock("db-backup");
    w.drop_file("backup.json", BACKUP);
    let dispatcher = w.dispatch().spawn();
    let id = w.only_id();
    w.two_passes();
    assert_eq!(w.state(id), "queued");
    let cancel = w.cli(&["request", "cancel", &id.to_string()]).run();
    assert_eq!(cancel.code, Some(0), "{}", cancel.stderr);
    drop(lock);
    let dispatch = finish(dispatcher);
    assert_eq!(dispatch.code, Some(0), "{}", dispatch.stderr);
    assert_eq!(w.state(id), "cancelled");
    assert!(w.runs_of(id).is_empty(), "it ran: {:?}", w.runs_of(id));
}

#[test]
fn a_spool_request_cancelled_while_running_is_stopped_and_recorded_cancelled() {
    let w = RequestWorld::new("stop_grace_secs = 1", "");
    w.drop_file("backup.json", BACKUP);
    let dispatcher = w.dispatch().env("FAILPOINTS", hold_backup(60_000)).spawn();
    let id = w.only_id();
    w.wait_for(id, "running");
    let cancel = w.cli(&["request", "cancel", &id.to_string()]).run();
    assert_eq!(cancel.code, Some(0), "{}", cancel.stderr);
    let dispatch = finish(dispatcher);
    assert_eq!(dispatch.code, Some(0), "{}", dispatch.stderr);
    let done = w.show(id);
    assert_eq!(done["state"], "cancelled", "{done}");
    assert!(
        done["error"]
            .as_str()
            .unwrap_or_default()
            .contains("stopped with SIGTERM"),
        "{done}"
    );
}

#[test]
fn a_spool_request_past_its_maximum_run_time_is_stopped_and_failed() {
    let w = RequestWorld::new(
        "stop_grace_secs = 1",
        "[requests.job.db-backup]\nmax_run_secs = 1\n",
    );
    w.drop_file("backup.json", BACKUP);
    let dispatch = w.dispatch().env("FAILPOINTS", hold_backup(60_000)).run();
    assert_eq!(dispatch.code, Some(0), "{}", dispatch.stderr);
    let done = w.show(w.only_id());
    assert_eq!(done["state"], "failed", "{done}");
    assert!(
        done["error"]
            .as_str()
            .unwrap_or_default()
            .contains("exceeded its maximum run time of 1s"),
        "{done}"
    );
}

#[test]
fn a_spool_request_whose_job_lock_is_held_waits_its_turn_then_runs() {
    let w = RequestWorld::new("lock_wait_secs = 120", "");
    let lock = w.hold_lock("db-backup");
    w.drop_file("backup.json", BACKUP);
    let dispatcher = w.dispatch().spawn();
    let id = w.only_id();
    w.two_passes();
    assert_eq!(w.state(id), "queued", "it must wait for the lock");
    w.release_and_finish(lock, dispatcher, id);
}
