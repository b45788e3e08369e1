//! Requests from a shell: `upstox-jobs request JOB -- ARGS` queues a run that `upstox-jobs
//! dispatch` carries out as a normal job run linked to it; `show`, `wait`, `cancel` and `list`
//! follow it. A bad request is refused at once with the job's own usage and exit 2.

use testkit::requests::{RequestWorld, finish, hold_backup};

#[test]
fn a_request_runs_its_job_as_a_linked_run_and_shows_the_result() {
    let w = RequestWorld::new("", "");
    let id = w.request("db-backup", &[]);
    let queued = w.show(id);
    assert_eq!(queued["state"], "queued", "{queued}");
    assert_eq!(queued["origin"], "cli");
    assert_eq!(queued["requested_by"], "alice");
    assert!(w.spool().join(".wake").exists(), "the dispatcher is woken");

    let dispatch = w.dispatch_all();
    assert!(
        dispatch
            .stderr
            .contains(&format!("request {id}: upstox-db-backup succeeded")),
        "{}",
        dispatch.stderr
    );
    assert!(
        !w.spool().join(".wake").exists(),
        "the dispatcher took the wake file"
    );
    let done = w.show(id);
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(done["exit_code"], 0);
    assert_eq!(done["attempts"], 1);
    assert!(done["run_id"].is_i64(), "{done}");
    assert!(
        done["summary"]
            .as_str()
            .unwrap()
            .starts_with("db-backup succeeded"),
        "{done}"
    );
    assert_eq!(w.runs_of(id).len(), 1);
    let output = done["output"]
        .as_str()
        .expect("the backup made is the output");
    assert!(
        output.contains("/backups/market_data-") && output.ends_with(".db.zst"),
        "{done}"
    );
    assert!(std::path::Path::new(output).exists(), "{output}");

    let wait = w.cli(&["request", "wait", &id.to_string()]).run();
    assert_eq!(wait.code, Some(0), "{}", wait.stderr);
    assert!(
        wait.stdout.contains("state     succeeded"),
        "{}",
        wait.stdout
    );
    let list = w.cli(&["request", "list"]).run();
    assert!(
        list.stdout.contains("succeeded") && list.stdout.contains("upstox-db-backup"),
        "{}",
        list.stdout
    );
}

#[test]
fn a_request_whose_run_fails_ends_failed_and_wait_says_so_with_exit_1() {
    let w = RequestWorld::new("", "");
    let id = w.request("nse-index-update", &[]);
    w.dispatch_all();
    let done = w.show(id);
    assert_eq!(done["state"], "failed", "{done}");
    assert_ne!(done["exit_code"], 0, "{done}");
    assert!(done["error"].is_string(), "{done}");
    assert_eq!(w.runs_of(id)[0].0, "failed");
    let wait = w.cli(&["request", "wait", &id.to_string()]).run();
    assert_eq!(wait.code, Some(1), "{}", wait.stderr);
}

#[test]
fn a_bad_request_is_refused_at_once_with_the_jobs_usage_and_exit_2() {
    let w = RequestWorld::new("jobs = [\"db-backup\", \"market-sync\"]", "");
    for (job, args, says) in [
        ("market-sync", &["--bogus"][..], "Usage: upstox-market-sync"),
        (
            "market-sync",
            &["--to", "2026-11-20"],
            "--to needs --from or --period",
        ),
        (
            "market-sync",
            &["--config", "/tmp/x.toml"],
            "--config is not allowed on demand",
        ),
        (
            "db-backup",
            &["--data-dir=/tmp"],
            "--data-dir is not allowed on demand",
        ),
        (
            "db-backup",
            &["list"],
            "only a run of the job can be asked for",
        ),
        ("sync", &[], "`sync` is not a job"),
        (
            "alert-scan",
            &[],
            "alert-scan may not be run on demand here",
        ),
    ] {
        let run = w
            .cli(&["request", job, "--"])
            .args(args.iter().copied())
            .run();
        assert_eq!(run.code, Some(2), "{job} {args:?}: {}", run.stderr);
        assert!(run.stderr.contains(says), "{job} {args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "no id printed: {}", run.stdout);
    }
    let list = w.cli(&["request", "list"]).run();
    assert_eq!(list.stdout, "no requests\n", "{}", list.stderr);
}

#[test]
fn a_request_cancelled_while_queued_never_runs() {
    let w = RequestWorld::new("", "");
    let id = w.request("db-backup", &[]);
    let cancel = w.cli(&["request", "cancel", &id.to_string()]).run();
    assert_eq!(cancel.code, Some(0), "{}", cancel.stderr);
    assert!(
        cancel.stdout.contains("cancelled: it will not run"),
        "{}",
        cancel.stdout
    );
    w.dispatch_all();
    assert_eq!(w.state(id), "cancelled");
    assert!(w.runs_of(id).is_empty(), "it ran");
    let again = w.cli(&["request", "cancel", &id.to_string()]).run();
    assert_eq!(again.code, Some(1));
    assert!(
        again.stderr.contains("has already finished (cancelled)"),
        "{}",
        again.stderr
    );
    let missing = w.cli(&["request", "show", "999"]).run();
    assert_eq!(missing.code, Some(1));
    assert!(
        missing.stderr.contains("there is no request 999"),
        "{}",
        missing.stderr
    );
}

#[test]
fn a_request_cancelled_while_running_is_stopped_and_recorded_cancelled() {
    let w = RequestWorld::new("stop_grace_secs = 1", "");
    let id = w.request("db-backup", &[]);
    let dispatcher = w.dispatch().env("FAILPOINTS", hold_backup(60_000)).spawn();
    let running = w.wait_for(id, "running");
    assert_eq!(running["attempts"], 1);
    let cancel = w.cli(&["request", "cancel", &id.to_string()]).run();
    assert_eq!(cancel.code, Some(0), "{}", cancel.stderr);
    assert!(
        cancel.stdout.contains("its dispatcher stops it"),
        "{}",
        cancel.stdout
    );
    let dispatch = finish(dispatcher);
    assert_eq!(dispatch.code, Some(0), "{}", dispatch.stderr);
    let done = w.show(id);
    assert_eq!(done["state"], "cancelled", "{done}");
    assert!(
        done["error"]
            .as_str()
            .unwrap()
            .contains("cancelled while running: stopped with SIGTERM"),
        "{done}"
    );
}

#[test]
fn a_run_past_its_maximum_run_time_is_stopped_and_the_request_failed() {
    let w = RequestWorld::new(
        "stop_grace_secs = 1",
        "[requests.job.db-backup]\nmax_run_secs = 1\n",
    );
    let id = w.request("db-backup", &[]);
    let dispatch = w.dispatch().env("FAILPOINTS", hold_backup(60_000)).run();
    assert_eq!(dispatch.code, Some(0), "{}", dispatch.stderr);
    let done = w.show(id);
    assert_eq!(done["state"], "failed", "{done}");
    assert!(
        done["error"]
            .as_str()
            .unwrap()
            .contains("exceeded its maximum run time of 1s; stopped with SIGTERM"),
        "{done}"
    );
}

#[test]
fn a_request_whose_job_lock_is_held_waits_its_turn_then_runs() {
    let w = RequestWorld::new("lock_wait_secs = 120", "");
    let lock = w.hold_lock("db-backup");
    let id = w.request("db-backup", &[]);
    let dispatcher = w.dispatch().spawn();
    w.two_passes();
    assert_eq!(w.state(id), "queued", "it must wait for the lock");
    let dispatch = w.release_and_finish(lock, dispatcher, id);
    assert!(
        dispatch
            .stderr
            .contains("the db-backup lock is held (pid 4242 on desk1"),
        "{}",
        dispatch.stderr
    );
    let db_backup_runs: i64 = w
        .sandbox
        .db()
        .query_row(
            "SELECT count(*) FROM job_runs WHERE job = 'db-backup'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        db_backup_runs, 1,
        "no run was started to find the lock held"
    );
}

#[test]
fn a_request_whose_job_lock_stays_held_fails_after_the_lock_wait_naming_the_holder() {
    let w = RequestWorld::new("lock_wait_secs = 1", "");
    let _lock = w.hold_lock("db-backup");
    let id = w.request("db-backup", &[]);
    w.dispatch_all();
    let done = w.show(id);
    assert_eq!(done["state"], "failed", "{done}");
    assert!(
        done["error"]
            .as_str()
            .unwrap()
            .contains("waited 1s for the db-backup lock, still held by pid 4242 on desk1"),
        "{done}"
    );
    assert!(w.runs_of(id).is_empty());
}

#[test]
fn a_request_whose_deadline_passed_before_it_started_expires() {
    let w = RequestWorld::new("", "");
    let late = w
        .cli(&["request", "db-backup", "--deadline", "2020-01-01T00:00:00Z"])
        .run();
    assert_eq!(late.code, Some(0), "{}", late.stderr);
    let id: i64 = late.stdout.trim().parse().unwrap();
    let on_time = w.request("db-backup", &[]);
    w.dispatch_all();
    let done = w.show(id);
    assert_eq!(done["state"], "expired", "{done}");
    assert!(
        done["error"]
            .as_str()
            .unwrap()
            .contains("its deadline (2020-01-01T00:00:00.000Z) passed"),
        "{done}"
    );
    assert!(w.runs_of(id).is_empty());
    assert_eq!(w.state(on_time), "succeeded");
    let wait = w.cli(&["request", "wait", &id.to_string()]).run();
    assert_eq!(wait.code, Some(1));
}
