//! The status page in a real browser: Debian's chromium, headless, loads the page the API
//! serves on loopback; the DOM it builds shows every job, the last failures with their error
//! (escaped: a stored `<b>` is text, not markup), the request queue and the data freshness;
//! screenshots at a phone's width, its screen and the whole page, are taken for a person to
//! look at (their paths are printed).
//! Skips, saying so, where chromium is not installed (`apt-get install chromium`).

use std::path::{Path, PathBuf};
use std::process::Command;

use testkit::api::{self, ApiServer};
use testkit::{FixtureServer, Reply, Sandbox};

/// chromium's flags that work in a container without a display, a GPU or the network.
const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
];

fn chromium(profile: &Path, args: &[&str]) -> std::process::Output {
    Command::new("chromium")
        .args(FLAGS)
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .expect("chromium runs")
}

/// A data directory the jobs wrote: nse-index-update succeeded for one index and failed
/// (HTTP 403) for another, and a run whose error carries markup.
fn world() -> (FixtureServer, Sandbox) {
    let server = FixtureServer::start(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/nse"),
        0,
    )
    .unwrap();
    let sandbox = Sandbox::new("");
    let spool = sandbox.path().join("spool");
    std::fs::create_dir(&spool).unwrap();
    let jobs_config = format!(
        "[http]\nrequests_per_second = 1000\nretries = 0\n[jobs.nse-index-update]\nbase_url = \"{}\"\n\
         [requests]\nspool_dir = \"{}\"\n",
        server.url(),
        spool.display()
    );
    sandbox.write_config(&format!("{jobs_config}{}", api::config(sandbox.path(), "")));
    assert_eq!(
        sandbox
            .run("upstox-nse-index-update", &["--index", "NIFTYBANK"])
            .code,
        Some(0)
    );
    server.script(
        "ind_niftyitlist.csv",
        vec![Reply::Status(403, "denied".into())],
    );
    assert_eq!(
        sandbox
            .run("upstox-nse-index-update", &["--index", "NIFTYIT"])
            .code,
        Some(69)
    );
    sandbox
        .db()
        .execute(
            "INSERT INTO job_runs (job, status, started_at, finished_at, duration_ms, error, pid, host)
             VALUES ('db-backup', 'failed', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'),
                     strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), 1200,
                     'disk full <b>/var/lib</b> & more', 1, 'test')",
            [],
        )
        .unwrap();
    (server, sandbox)
}

#[test]
fn the_page_renders_in_chromium_with_every_job_its_failures_and_freshness() {
    if Command::new("chromium").arg("--version").output().is_err() {
        eprintln!(
            "SKIPPED: chromium is not installed (apt-get install chromium): the page was not rendered"
        );
        return;
    }
    let (_fixtures, sandbox) = world();
    let server = ApiServer::start(&sandbox);
    let asked = server.send(
        "POST",
        "/v1/requests",
        Some(r#"{"job": "db-backup", "args": [], "requested_by": "risk <app>"}"#),
    );
    assert_eq!(asked.status, 202, "{}", asked.body);
    let url = format!("http://{}/", server.addr());
    let profile = tempfile::tempdir().unwrap();

    let dump = chromium(profile.path(), &["--dump-dom", &url]);
    let dom = String::from_utf8_lossy(&dump.stdout);
    assert!(
        dom.contains("<h1>upstox-jobs</h1>"),
        "no page: {dom}\n{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    for job in common::schedule::names() {
        assert!(
            dom.contains(&format!("<b>{job}</b>")),
            "{job} missing: {dom}"
        );
    }
    assert!(dom.contains("jobs need attention"), "{dom}");
    assert!(dom.contains("overdue") || dom.contains(">failed<"), "{dom}");
    // The stored markup is text in the DOM: escaped again when serialized, never an element.
    assert!(
        dom.contains("disk full &lt;b&gt;/var/lib&lt;/b&gt; &amp; more"),
        "{dom}"
    );
    assert!(dom.contains("HTTP 403") || dom.contains("403"), "{dom}");
    assert!(dom.contains("<b>#1 db-backup</b>"), "{dom}");
    assert!(dom.contains("risk &lt;app&gt;"), "{dom}");
    assert!(dom.contains(">queued<"), "{dom}");
    for what in [
        "Newest candle",
        "Newest announcement",
        "Newest news article",
        "Newest backup",
    ] {
        assert!(dom.contains(what), "{what}: {dom}");
    }
    assert!(!dom.contains("<script"), "{dom}");

    for (name, height) in [
        ("api-page-phone.png", 844),
        ("api-page-phone-whole.png", 2400),
    ] {
        let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
        let _ = std::fs::remove_file(&shot);
        let out = chromium(
            profile.path(),
            &[
                &format!("--window-size=390,{height}"),
                &format!("--screenshot={}", shot.display()),
                &url,
            ],
        );
        let decoder = png::Decoder::new(std::io::BufReader::new(
            std::fs::File::open(&shot).unwrap_or_else(|e| {
                panic!(
                    "no screenshot at {} ({e}): {}",
                    shot.display(),
                    String::from_utf8_lossy(&out.stderr)
                )
            }),
        ));
        let info = decoder.read_info().unwrap();
        assert_eq!((info.info().width, info.info().height), (390, height));
        eprintln!("the page at a phone's width: {}", shot.display());
    }
}
