//! What the API reads: `GET /v1/jobs` is what `upstox-jobs status` shows, as JSON, and
//! `GET /metrics` the jobs' Prometheus metrics as one exposition Prometheus' own parser
//! (`promtool check metrics`) accepts, from the files the jobs wrote and from `job_runs`.

use std::path::PathBuf;

use testkit::api::{self, ApiServer, TOKEN};
use testkit::{FixtureServer, Reply, Sandbox};

/// nse-index-update ran twice, its last run failed (HTTP 403); its metrics file is in
/// `prom/` in the sandbox.
fn world() -> (FixtureServer, Sandbox) {
    let server = FixtureServer::start(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/nse"),
        0,
    )
    .unwrap();
    let sandbox = Sandbox::new("");
    let prom = sandbox.path().join("prom");
    std::fs::create_dir(&prom).unwrap();
    sandbox.write_config(&format!(
        "[http]\nrequests_per_second = 1000\nretries = 0\n[metrics]\ntextfile_dir = \"{}\"\n\
         [jobs.nse-index-update]\nbase_url = \"{}\"\n{}",
        prom.display(),
        server.url(),
        api::config(sandbox.path(), "")
    ));
    let ok = sandbox.run("upstox-nse-index-update", &["--index", "NIFTYBANK"]);
    assert_eq!(ok.code, Some(0), "{}", ok.stderr);
    server.script(
        "ind_niftyitlist.csv",
        vec![Reply::Status(403, "denied".into())],
    );
    let failed = sandbox.run("upstox-nse-index-update", &["--index", "NIFTYIT"]);
    assert_eq!(failed.code, Some(69), "{}", failed.stderr);
    (server, sandbox)
}

#[test]
fn jobs_shows_each_jobs_last_run_as_status_does() {
    let (_fixtures, sandbox) = world();
    let server = ApiServer::start(&sandbox);
    let reply = server.get("/v1/jobs", Some(TOKEN));
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let body = reply.json();
    let jobs = body["jobs"].as_array().unwrap();
    let names: Vec<&str> = jobs.iter().map(|j| j["job"].as_str().unwrap()).collect();
    assert_eq!(names, common::schedule::names());
    let nse = &jobs[0];
    assert_eq!(nse["last_run"]["status"], "failed", "{nse}");
    assert!(
        nse["last_run"]["error"].as_str().unwrap().contains("403"),
        "{nse}"
    );
    assert_eq!(nse["needs_attention"], true, "{nse}");
    assert!(nse["last_success"].is_string(), "{nse}");
    let never = &jobs[1];
    assert_eq!(never["last_run"], serde_json::Value::Null, "{never}");
    assert_eq!(never["overdue"], false, "{never}");
}

#[test]
fn metrics_is_one_exposition_prometheus_accepts() {
    let (_fixtures, sandbox) = world();
    // A run recorded without a metrics file (metrics were off for it).
    sandbox
        .db()
        .execute(
            "INSERT INTO job_runs (job, status, started_at, finished_at, duration_ms, exit_code, pid, host)
             VALUES ('db-backup', 'succeeded', '2026-11-20T20:30:00Z', '2026-11-20T20:30:02Z', 2000, 0, 1, 'test')",
            [],
        )
        .unwrap();
    let server = ApiServer::start(&sandbox);
    let reply = server.get("/metrics", None);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        reply
            .header("content-type")
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = reply.body;
    testkit::promtool::check_metrics(&text);
    // The job's own file, with its failed status, and each family declared once.
    assert!(
        text.contains("upstox_job_status{job=\"nse-index-update\",status=\"failed\"} 1"),
        "{text}"
    );
    assert_eq!(
        text.matches("# TYPE upstox_job_status gauge").count(),
        1,
        "{text}"
    );
    // A job without a file shows what job_runs says of it; one that never ran, nothing.
    assert!(
        text.contains("upstox_job_duration_seconds{job=\"db-backup\"} 2"),
        "{text}"
    );
    assert!(!text.contains("job=\"market-sync\""), "{text}");
}
