//! Requests dropped as files in the spool directory by any program: the dispatcher takes each
//! `*.json` through the same checks as the CLI, removes it, and runs it; a refused one goes to
//! `rejected/` with a `.error` file saying why. Files being written (hidden names) are left.

use testkit::requests::RequestWorld;

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
