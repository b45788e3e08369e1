//! The dispatcher killed with kill -9 in the middle of a run: the next dispatch finds the
//! request it left `running`, marks it interrupted and runs it once more, after the orphaned
//! run (still holding the job's lock) has ended, so the job never runs twice at once.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use testkit::requests::{RequestWorld, hold_backup};

#[test]
fn a_request_whose_dispatcher_was_killed_is_interrupted_retried_once_and_succeeds() {
    let w = RequestWorld::new("lock_wait_secs = 120", "");
    let id = w.request("db-backup", &[]);
    // The orphaned run goes on for a few seconds after its dispatcher dies.
    let mut dispatcher = w.dispatch().env("FAILPOINTS", hold_backup(3_000)).spawn();
    w.wait_for(id, "running");
    let started = Instant::now();
    while w.runs_of(id).is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the run never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    dispatcher.kill().unwrap();
    dispatcher.wait().unwrap();
    assert_eq!(w.state(id), "running", "nobody recorded the end");

    let next = w.dispatch_all();
    assert!(
        next.stderr.contains(&format!(
            "request {id}: its dispatcher (pid {}) died while it ran; marked interrupted and queued again",
            dispatcher.id()
        )),
        "{}",
        next.stderr
    );
    let done = w.show(id);
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(done["attempts"], 2, "{done}");
    assert!(
        done["note"]
            .as_str()
            .unwrap()
            .contains("attempt 1 interrupted: its dispatcher"),
        "{done}"
    );
    let runs = w.runs_of(id);
    assert_eq!(runs.len(), 2, "{runs:?}");
    let time = |t: &str| t.parse::<DateTime<Utc>>().unwrap();
    let first_end = time(runs[0].2.as_deref().expect("the orphan finished"));
    assert!(
        time(&runs[1].1) >= first_end,
        "the retry started before the orphaned run ended: {runs:?}"
    );
    assert_eq!(runs[1].0, "succeeded");
}

#[test]
fn a_dispatcher_stopped_by_sigterm_stops_its_run_and_records_it_interrupted() {
    let w = RequestWorld::new("stop_grace_secs = 1", "");
    let id = w.request("db-backup", &[]);
    let waiting = w.request("db-backup", &[]);
    let dispatcher = w.dispatch().env("FAILPOINTS", hold_backup(60_000)).spawn();
    w.wait_for(id, "running");
    let term = std::process::Command::new("kill")
        .args(["-TERM", &dispatcher.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let out = testkit::requests::finish(dispatcher);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let done = w.show(id);
    assert_eq!(done["state"], "interrupted", "{done}");
    assert!(
        done["error"]
            .as_str()
            .unwrap()
            .contains("the dispatcher was stopped"),
        "{done}"
    );
    assert_eq!(w.state(waiting), "queued", "left for the next dispatch");
}
