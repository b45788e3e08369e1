//! `upstox-jobs status` and `runs` as a person runs them, on a database the jobs wrote.

use std::path::PathBuf;

use testkit::{FixtureServer, Sandbox};

fn setup() -> (FixtureServer, Sandbox) {
    let server = FixtureServer::start(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/nse"),
        0,
    )
    .unwrap();
    let sandbox = Sandbox::new(&format!(
        "[http]\nrequests_per_second = 1000\nretries = 0\n[jobs.nse-index-update]\nbase_url = \"{}\"\n",
        server.url()
    ));
    (server, sandbox)
}

fn people(sandbox: &Sandbox, args: &[&str]) -> testkit::Outcome {
    let mut cmd = sandbox.command_without_data_dir("upstox-jobs", &[]);
    cmd.arg("--data-dir").arg(sandbox.data_dir()).args(args);
    cmd.output().unwrap().into()
}

#[test]
fn status_and_runs_show_what_the_jobs_recorded() {
    let (server, sandbox) = setup();
    let none = people(&sandbox, &["status"]);
    assert_eq!(none.code, Some(0), "{}", none.stderr);
    assert!(
        none.stdout.contains("no runs recorded yet"),
        "{}",
        none.stdout
    );

    assert_eq!(
        sandbox
            .run("upstox-nse-index-update", &["--index", "NIFTYBANK"])
            .code,
        Some(0)
    );
    server.script(
        "ind_niftyitlist.csv",
        vec![testkit::Reply::Status(403, "denied".into())],
    );
    assert_eq!(
        sandbox
            .run("upstox-nse-index-update", &["--index", "NIFTYIT"])
            .code,
        Some(69)
    );

    let status = people(&sandbox, &["status"]);
    let line = status
        .stdout
        .lines()
        .find(|l| l.starts_with("nse-index-update "))
        .unwrap();
    assert!(line.contains(" failed "), "{line}");
    assert!(
        status
            .stdout
            .contains("  ! failed: NIFTYIT: HTTP 403 Forbidden"),
        "{}",
        status.stdout
    );
    assert!(
        status.stdout.contains("market-sync              never"),
        "{}",
        status.stdout
    );
    if !std::path::Path::new("/run/systemd/system").exists() {
        assert!(
            status.stdout.contains("systemd is not running here"),
            "{}",
            status.stdout
        );
    }
    assert_eq!(status.code, Some(1), "a failed last run needs attention");

    let runs = people(&sandbox, &["runs", "--job", "nse-index-update"]);
    assert_eq!(runs.code, Some(0), "{}", runs.stderr);
    assert_eq!(runs.stdout.lines().count(), 3, "{}", runs.stdout);
    let failed = people(&sandbox, &["runs", "--failed", "--since", "1h"]);
    assert_eq!(failed.stdout.lines().count(), 2, "{}", failed.stdout);
    assert!(
        failed.stdout.contains("NIFTYIT: HTTP 403"),
        "{}",
        failed.stdout
    );
}

#[test]
fn bad_arguments_exit_2_with_a_hint() {
    let (_server, sandbox) = setup();
    let out = people(&sandbox, &["runs", "--since", "yesterday"]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(
        out.stderr.contains("give a span such as 30m, 24h or 7d"),
        "{}",
        out.stderr
    );
    let out = people(&sandbox, &["runs", "--job", "nse-index-updat"]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    let out = people(&sandbox, &["runs"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("no job has run yet"), "{}", out.stderr);
}
