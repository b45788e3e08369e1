use chrono::TimeZone;

use super::*;
use crate::db;
use crate::runs::{self, RunEnd, RunIdentity};

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).unwrap()
}

fn failed_after_a_success() -> JobMetrics {
    JobMetrics {
        job: "market-sync".into(),
        last_run: Some(LastRun {
            finished: 1_790_000_100.25,
            duration_secs: 12.5,
            status: "failed".into(),
            exit_code: Some(69),
            rows_changed: 0,
            units_failed: 3,
        }),
        last_success: Some(1_789_990_000.0),
    }
}

#[test]
fn every_series_has_help_and_type_and_the_run_values() {
    let candles = Newest {
        kind: CANDLES,
        label: "15minute".into(),
        at: 1_790_000_000,
    };
    let text = render(&failed_after_a_success(), &[candles], at(1_790_000_900));
    let expected = [
        "# HELP upstox_job_last_run_timestamp_seconds ",
        "# TYPE upstox_job_last_run_timestamp_seconds gauge",
        "upstox_job_last_run_timestamp_seconds{job=\"market-sync\"} 1790000100.25",
        "upstox_job_last_success_timestamp_seconds{job=\"market-sync\"} 1789990000",
        "upstox_job_duration_seconds{job=\"market-sync\"} 12.5",
        "upstox_job_exit_code{job=\"market-sync\"} 69",
        "upstox_job_status{job=\"market-sync\",status=\"failed\"} 1",
        "upstox_job_status{job=\"market-sync\",status=\"succeeded\"} 0",
        "upstox_job_rows_changed{job=\"market-sync\"} 0",
        "upstox_job_units_failed{job=\"market-sync\"} 3",
        "# TYPE upstox_candles_newest_timestamp_seconds gauge",
        "upstox_candles_newest_timestamp_seconds{interval=\"15minute\"} 1790000000",
        "upstox_candles_newest_age_seconds{interval=\"15minute\"} 900",
    ];
    for line in expected {
        assert!(text.contains(line), "{line:?} missing from\n{text}");
    }
    let samples = text.lines().filter(|l| !l.starts_with('#')).count();
    let types = text.lines().filter(|l| l.starts_with("# TYPE")).count();
    assert_eq!((samples, types), (7 + 4 + 2, 9), "{text}");
    assert_eq!(
        text.lines().filter(|l| l.ends_with(" 1")).count(),
        1,
        "one status is on: {text}"
    );
}

#[test]
fn a_job_that_never_ran_has_no_series_and_one_never_succeeded_has_no_success() {
    let none = JobMetrics {
        job: "alert-scan".into(),
        last_run: None,
        last_success: None,
    };
    assert_eq!(render(&none, &[], at(0)), "");
    let never = JobMetrics {
        last_success: None,
        ..failed_after_a_success()
    };
    let text = render(&never, &[], at(0));
    assert!(!text.contains("last_success"), "{text}");
    assert!(text.contains("upstox_job_exit_code"), "{text}");
}

#[test]
fn label_values_are_escaped() {
    let odd = Newest {
        kind: CANDLES,
        label: "a\"b\\c\nd".into(),
        at: 0,
    };
    let text = render(&failed_after_a_success(), &[odd], at(0));
    assert!(text.contains("{interval=\"a\\\"b\\\\c\\nd\"} 0"), "{text}");
}

#[test]
fn collect_reads_the_last_finished_run_and_keeps_the_last_success() {
    let dir = tempfile::tempdir().unwrap();
    let conn = db::open(
        &dir.path().join("m.db"),
        std::time::Duration::from_secs(1),
        &[runs::SCHEMA],
    )
    .unwrap();
    let who = RunIdentity::current("market-sync");
    let end = |status, exit_code| RunEnd {
        status,
        units_ok: 2,
        units_failed: 1,
        rows_changed: 40,
        summary: "s".into(),
        error: None,
        exit_code,
    };
    let ok = runs::start(&conn, &who, at(1_000)).unwrap();
    runs::finish(
        &conn,
        ok,
        &end(RunStatus::Succeeded, 0),
        at(1_000),
        at(1_010),
    )
    .unwrap();
    let bad = runs::start(&conn, &who, at(2_000)).unwrap();
    runs::finish(
        &conn,
        bad,
        &end(RunStatus::Failed, 69),
        at(2_000),
        at(2_003),
    )
    .unwrap();
    // A run that only found the lock held says nothing of how the job fares.
    runs::record_lock_held(&conn, &who, at(3_000), at(3_000), "held").unwrap();
    let m = collect(&conn, "market-sync").unwrap();
    assert_eq!(
        m,
        JobMetrics {
            job: "market-sync".into(),
            last_run: Some(LastRun {
                finished: 2_003.0,
                duration_secs: 3.0,
                status: "failed".into(),
                exit_code: Some(69),
                rows_changed: 40,
                units_failed: 1,
            }),
            last_success: Some(1_010.0),
        }
    );
    assert_eq!(
        collect(&conn, "alert-scan").unwrap().last_run,
        None,
        "another job's rows are not this one's"
    );
}

#[test]
fn write_replaces_the_file_and_leaves_no_temporary() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "market-sync", "a 1\n").unwrap();
    assert_eq!(path, dir.path().join("upstox-jobs-market-sync.prom"));
    write(dir.path(), "market-sync", "a 2\n").unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "a 2\n");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["upstox-jobs-market-sync.prom"]);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o644, "node_exporter's user reads it");
}
