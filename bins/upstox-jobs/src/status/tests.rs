use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};
use common::runs::{self, RunEnd, RunIdentity, RunStatus};

use super::*;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn record(
    conn: &Connection,
    job: &str,
    start: &str,
    end: Option<(RunStatus, u64, u64, u64, Option<&str>)>,
) {
    let who = RunIdentity {
        job: job.to_string(),
        pid: 4242,
        host: "desk".to_string(),
        invocation_id: None,
    };
    let id = runs::start(conn, &who, at(start)).unwrap();
    if let Some((status, ok, failed, rows, error)) = end {
        let run_end = RunEnd {
            status,
            units_ok: ok,
            units_failed: failed,
            rows_changed: rows,
            summary: "s".into(),
            error: error.map(str::to_string),
            exit_code: 0,
        };
        runs::finish(
            conn,
            id,
            &run_end,
            at(start),
            at(start) + chrono::Duration::milliseconds(2400),
        )
        .unwrap();
    }
}

fn empty_db() -> (tempfile::TempDir, Connection) {
    let dir = tempfile::tempdir().unwrap();
    let conn = common::db::open(
        &dir.path().join("m.db"),
        StdDuration::from_secs(1),
        &common::schemas::COMMON,
    )
    .unwrap();
    (dir, conn)
}

/// A desk on Monday 23 Nov 2026 at 11:50 IST: the index update ran last night, market-sync's
/// 11:15 run failed after a good 10:15 one, alert-scan was killed at 09:20 and has not run
/// since, the rest never ran.
fn desk() -> (tempfile::TempDir, Connection) {
    let (dir, conn) = empty_db();
    record(
        &conn,
        "nse-index-update",
        "2026-11-20T18:00:00Z",
        Some((RunStatus::Succeeded, 9, 0, 1822, None)),
    );
    record(
        &conn,
        "nse-index-update",
        "2026-11-22T18:03:00Z",
        Some((RunStatus::Succeeded, 9, 0, 12, None)),
    );
    record(
        &conn,
        "market-sync",
        "2026-11-23T04:45:00Z",
        Some((RunStatus::Succeeded, 60, 0, 3000, None)),
    );
    record(
        &conn,
        "market-sync",
        "2026-11-23T05:45:00Z",
        Some((
            RunStatus::Failed,
            0,
            60,
            0,
            Some(
                "upstox: HTTP 401 Unauthorized from https://api.upstox.com/v3/historical-candle; renew the access token",
            ),
        )),
    );
    record(&conn, "alert-scan", "2026-11-23T03:50:00Z", None);
    runs::mark_abandoned(&conn, "alert-scan", at("2026-11-23T03:51:00Z")).unwrap();
    (dir, conn)
}

fn next(job: &str) -> NextRun {
    match job {
        "nse-index-update" => NextRun::At(at("2026-11-23T18:02:00Z")),
        "market-sync" => NextRun::At(at("2026-11-23T06:45:00Z")),
        "alert-scan" => NextRun::Inactive,
        "db-backup" => NextRun::At(at("2026-11-23T20:30:00Z")),
        _ => NextRun::NotInstalled,
    }
}

#[test]
fn status_tells_succeeded_failed_interrupted_overdue_and_never_run_apart() {
    let (_dir, conn) = desk();
    let now = at("2026-11-23T06:20:00Z"); // 11:50 IST
    let statuses = collect(Some(&conn), now, &TradingCalendar::embedded(), &next).unwrap();
    let text = render(&statuses, None);
    let expected = "\
JOB                      LAST RUN (IST)   STATUS         TOOK   UNITS   ROWS  NEXT RUN (IST)
nse-index-update         2026-11-22 23:33 succeeded      2.4s     9/9     12  2026-11-23 23:32
corporate-announcements  never            -                 -       -      -  no timer
market-sync              2026-11-23 11:15 failed         2.4s    0/60      0  2026-11-23 12:15
  ! overdue: no successful run for the one due by 2026-11-23 11:15 (last success 2026-11-23 10:15)
  ! failed: upstox: HTTP 401 Unauthorized from https://api.upstox.com/v3/historical-candle; renew the access token
alert-scan               2026-11-23 09:20 interrupted       -     0/0      0  timer inactive
  ! overdue: no successful run for the one due by 2026-11-23 11:45 (never succeeded)
  ! interrupted: the process died before recording an end (killed, crashed or power lost)
news-sentiment           never            -                 -       -      -  no timer
performance-analytics    never            -                 -       -      -  no timer
db-backup                never            -                 -       -      -  2026-11-24 02:00
  ! overdue: no successful run for the one due by 2026-11-23 02:00 (never succeeded)
db-maintenance           never            -                 -       -      -  no timer
";
    // A job with no timer installed here owes nothing; an inactive timer is a silent stop.
    // performance-analytics was last due Friday 16:00, before this database's first run.
    assert_eq!(text, expected, "\n{text}");
    assert!(
        statuses
            .iter()
            .find(|s| s.job.name == "market-sync")
            .unwrap()
            .needs_attention()
    );
    assert!(!statuses[0].needs_attention());
}

#[test]
fn a_new_install_owes_nothing_due_before_its_first_run() {
    let (_dir, conn) = empty_db();
    record(
        &conn,
        "nse-index-update",
        "2026-11-23T06:00:00Z",
        Some((RunStatus::Succeeded, 9, 0, 1822, None)),
    );
    let statuses = collect(
        Some(&conn),
        at("2026-11-23T06:10:00Z"),
        &TradingCalendar::embedded(),
        &next,
    )
    .unwrap();
    let overdue: Vec<_> = statuses
        .iter()
        .filter(|s| s.overdue_since.is_some())
        .map(|s| s.job.name)
        .collect();
    // First run 11:30 IST; at 11:40 only alert-scan's 11:35 run is owed since then.
    assert_eq!(overdue, vec!["alert-scan"]);
}

#[test]
fn without_a_database_every_job_is_never_run_and_nothing_is_overdue() {
    let statuses = collect(
        None,
        at("2026-11-23T06:10:00Z"),
        &TradingCalendar::embedded(),
        &|_| NextRun::NoSystemd,
    )
    .unwrap();
    assert!(
        statuses
            .iter()
            .all(|s| s.last.is_none() && s.overdue_since.is_none())
    );
    let text = render(&statuses, Some("systemd is not running here"));
    assert!(text.ends_with("systemd is not running here\n"));
}

#[test]
fn errors_quoting_a_source_are_printed_without_escapes_or_forged_lines() {
    let (_dir, conn) = empty_db();
    let forged = "NIFTY50: line 2: Company Name `Ahom\u{1b}[2J\u{1b}[31m`\n2026-11-23T06:00:00Z  INFO market-sync succeeded";
    record(
        &conn,
        "nse-index-update",
        "2026-11-22T18:03:00Z",
        Some((RunStatus::Failed, 0, 1, 0, Some(forged))),
    );
    let now = at("2026-11-23T06:20:00Z");
    let statuses = collect(Some(&conn), now, &TradingCalendar::embedded(), &next).unwrap();
    let runs = crate::runs::render(
        &conn,
        &crate::runs::Filter {
            limit: 10,
            ..Default::default()
        },
    )
    .unwrap();
    for text in [render(&statuses, None), runs] {
        assert!(!text.contains('\u{1b}'), "{text}");
        assert!(
            !text.lines().any(|l| l.starts_with("2026-11-23T06:00:00Z")),
            "{text}"
        );
        assert!(
            text.contains("`Ahom\\x1b[2J\\x1b[31m`\\n2026-11-23T06:00:00Z  INFO"),
            "{text}"
        );
    }
}
