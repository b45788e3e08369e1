//! The metrics file a run leaves for node_exporter's textfile collector, checked with
//! Prometheus' own parser (`promtool check metrics`, Debian's `prometheus` package): its
//! values are `job_runs`' and the candles', it is replaced whole, a failed run keeps the last
//! success, it is off without configuration or the collector, and a directory that cannot be
//! written is a warning, never a failed run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use testkit::Row;
use testkit::run::last_run;
use testkit::sync::*;

const FILE: &str = "upstox-jobs-market-sync.prom";

/// Adds `[metrics] textfile_dir = dir` to the world's configuration.
fn metrics_into(w: &World, dir: &Path) {
    let config = w.sandbox.path().join("config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    w.sandbox.write_config(&format!(
        "{text}\n[metrics]\ntextfile_dir = \"{}\"\n",
        dir.display()
    ));
}

/// A world whose runs write their metrics into a directory of the sandbox.
fn world() -> (World, PathBuf) {
    let w = World::new();
    let dir = w.sandbox.path().join("textfile");
    std::fs::create_dir(&dir).unwrap();
    metrics_into(&w, &dir);
    (w, dir)
}

/// The file checked by `promtool check metrics` (which also lints names, HELP and TYPE), as
/// series (`name{labels}`) → value.
fn parsed(path: &Path) -> BTreeMap<String, f64> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    testkit::promtool::check_metrics(&text);
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let (series, value) = l.rsplit_once(' ').unwrap();
            (series.to_string(), value.parse().unwrap())
        })
        .collect()
}

fn value(m: &BTreeMap<String, f64>, series: &str) -> f64 {
    *m.get(series)
        .unwrap_or_else(|| panic!("{series} missing: {m:#?}"))
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

const JOB: &str = "{job=\"market-sync\"}";

#[test]
fn a_run_leaves_a_file_the_prometheus_parser_accepts_with_the_runs_and_candles_values() {
    let (w, dir) = world();
    let before = unix_now();
    w.run_ok(&["--no-options"]);
    let after = unix_now();
    assert_eq!(names_in(&dir), [FILE], "no temporary file is left");
    let m = parsed(&dir.join(FILE));
    let row = last_run(&w.db());
    let series = |name: &str| value(&m, &format!("upstox_job_{name}{JOB}"));
    assert_eq!(series("exit_code"), 0.0);
    assert_eq!(series("rows_changed"), row.rows_changed as f64);
    assert!(row.rows_changed > 0, "{row:?}");
    assert_eq!(series("units_failed"), 0.0);
    let finished = series("last_run_timestamp_seconds");
    assert!(
        (before.floor()..=after).contains(&finished),
        "{before} ≤ {finished} ≤ {after}"
    );
    assert_eq!(series("last_success_timestamp_seconds"), finished);
    assert!((0.0..=after - before).contains(&series("duration_seconds")));
    for status in ["succeeded", "partial", "failed", "skipped", "interrupted"] {
        let on = value(
            &m,
            &format!("upstox_job_status{{job=\"market-sync\",status=\"{status}\"}}"),
        );
        assert_eq!(on, f64::from(status == "succeeded"), "{status}");
    }
    let conn = w.db();
    for (interval, code) in [("15minute", 15), ("day", 1440)] {
        let newest: i64 = conn
            .query_row(
                "SELECT max(ts) FROM candles WHERE interval = ?1",
                [code],
                |r| r.get(0),
            )
            .unwrap();
        let labels = format!("{{interval=\"{interval}\"}}");
        assert_eq!(
            value(
                &m,
                &format!("upstox_candles_newest_timestamp_seconds{labels}")
            ),
            newest as f64
        );
        // Counted from the pinned market time, plus however long the run took.
        let age = value(&m, &format!("upstox_candles_newest_age_seconds{labels}"));
        let at_start = (w.now.timestamp() - newest) as f64;
        assert!(
            (at_start..=at_start + (after - before).ceil()).contains(&age),
            "{interval}: age {age}, {at_start} at the start"
        );
    }
}

#[test]
fn a_failed_run_replaces_the_file_and_keeps_the_last_success() {
    let (w, dir) = world();
    w.run_ok(&["--no-options"]);
    let first = parsed(&dir.join(FILE));
    let succeeded = value(
        &first,
        &format!("upstox_job_last_success_timestamp_seconds{JOB}"),
    );
    std::fs::write(w.sandbox.path().join("upstox_token"), "expired-token\n").unwrap();
    w.run(&["--no-options", "--force"]).expect(
        78,
        "refused the access token (HTTP 401)",
        Row::status("failed"),
    );
    assert_eq!(names_in(&dir), [FILE], "no temporary file is left");
    let m = parsed(&dir.join(FILE));
    assert_eq!(value(&m, &format!("upstox_job_exit_code{JOB}")), 78.0);
    assert_eq!(
        value(
            &m,
            "upstox_job_status{job=\"market-sync\",status=\"failed\"}"
        ),
        1.0
    );
    assert_eq!(
        value(
            &m,
            "upstox_job_status{job=\"market-sync\",status=\"succeeded\"}"
        ),
        0.0
    );
    assert!(value(&m, &format!("upstox_job_last_run_timestamp_seconds{JOB}")) > succeeded);
    assert_eq!(
        value(
            &m,
            &format!("upstox_job_last_success_timestamp_seconds{JOB}")
        ),
        succeeded,
        "the last success survives a failed run"
    );
    // The candles the first run stored are still reported.
    assert!(m.contains_key("upstox_candles_newest_timestamp_seconds{interval=\"day\"}"));
}

#[test]
fn without_configuration_and_without_the_collector_directory_nothing_is_written() {
    let collector = Path::new(common::config::COLLECTOR_DIR);
    assert!(
        !collector.exists(),
        "this test needs {} absent (prometheus-node-exporter not installed)",
        collector.display()
    );
    let w = World::new();
    let out = w.run_ok(&["--no-options"]);
    assert!(!out.stderr.contains("metrics"), "{}", out.stderr);
    let mut found = Vec::new();
    let mut dirs = vec![w.sandbox.path().to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "prom") {
                found.push(path);
            }
        }
    }
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn a_directory_that_cannot_be_written_is_a_warning_not_a_failed_run() {
    let w = World::new();
    // A file where the directory should be: fails for root too, unlike a mode.
    let not_a_dir = w.sandbox.path().join("upstox_token");
    metrics_into(&w, &not_a_dir);
    let out = w
        .run(&["--no-options"])
        .expect(0, "", Row::status("succeeded"));
    let warning = out
        .stderr
        .lines()
        .find(|l| l.contains("metrics not written"))
        .unwrap_or_else(|| panic!("no warning:\n{}", out.stderr));
    assert!(
        warning.contains("WARN")
            && warning.contains(&not_a_dir.display().to_string())
            && warning.contains("textfile_dir"),
        "{warning}"
    );
}

#[test]
fn an_unknown_key_in_the_metrics_table_is_a_configuration_error() {
    let w = World::new();
    let config = w.sandbox.path().join("config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    w.sandbox.write_config(&format!(
        "{text}\n[metrics]\ntextfile_directory = \"/tmp\"\n"
    ));
    let out = w
        .run(&["--no-options"])
        .expect(78, "textfile_directory", Row::none());
    assert!(out.summary().contains("config.toml"), "{}", out.summary());
}

#[test]
fn alert_scan_reports_when_each_intervals_rules_were_last_checked() {
    let (w, _smtp, _mail, _rule) = testkit::alert_cases::reliance_world("day", "30m");
    let dir = w.sandbox.path().join("textfile");
    std::fs::create_dir(&dir).unwrap();
    let config = w.sandbox.path().join("config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    w.sandbox.write_config(&format!(
        "{text}\n[metrics]\ntextfile_dir = \"{}\"\n",
        dir.display()
    ));
    w.price("RELIANCE", 2490.0);
    w.run_ok(&[]);
    assert_eq!(names_in(&dir), ["upstox-jobs-alert-scan.prom"]);
    let m = parsed(&dir.join("upstox-jobs-alert-scan.prom"));
    assert_eq!(
        value(
            &m,
            "upstox_job_status{job=\"alert-scan\",status=\"succeeded\"}"
        ),
        1.0
    );
    let checked = value(
        &m,
        "upstox_alert_checks_newest_timestamp_seconds{interval=\"day\"}",
    );
    let stored: f64 = w
        .db()
        .query_row(
            "SELECT unixepoch(max(checked_at)) FROM alert_state",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(checked, stored);
    assert!(
        !m.keys().any(|k| k.starts_with("upstox_candles")),
        "candles are market-sync's to report: {m:#?}"
    );
}

#[test]
fn a_dry_run_writes_no_metrics() {
    let (w, dir) = world();
    w.run_ok(&["--no-options"]);
    let file = dir.join(FILE);
    let before = std::fs::read_to_string(&file).unwrap();
    std::fs::remove_file(&file).unwrap();
    w.run(&["--no-options", "--dry-run", "--force"])
        .expect(0, "(dry run)", Row::none());
    assert!(
        names_in(&dir).is_empty(),
        "a dry run writes nothing, metrics included"
    );
    assert!(before.contains("upstox_job_exit_code"), "{before}");
}
