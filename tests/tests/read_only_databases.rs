//! Dry runs and read-only commands on any database: absent, made before market-sync ever ran,
//! or made by the release before. They report what a real run would, and the file stays as it
//! was: same bytes, same mtime, no `-wal` or `-shm` beside it.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rusqlite::Connection;
use testkit::sync::*;
use testkit::{JobRun, Row, Sandbox};

const OLD: &str = include_str!("../fixtures/schema/market_data-0.1.sql");

/// What a file is: its bytes and mtime, and whether a `-wal` or `-shm` sits beside it.
#[derive(Debug, PartialEq)]
struct Untouched {
    bytes: Vec<u8>,
    mtime: SystemTime,
    wal: bool,
    shm: bool,
}

fn look(path: &Path) -> Untouched {
    let beside = |suffix: &str| {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        PathBuf::from(p).exists()
    };
    Untouched {
        bytes: std::fs::read(path).unwrap(),
        mtime: std::fs::metadata(path).unwrap().modified().unwrap(),
        wal: beside("-wal"),
        shm: beside("-shm"),
    }
}

/// `market_data.db` as another job leaves it before market-sync's first run: common's tables
/// only, its journal rolled back into the file as a tool that closes it leaves it.
fn made_by_another_job(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let conn = common::db::open(path, Duration::from_secs(5), &common::schemas::COMMON).unwrap();
    conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
}

/// `market_data.db` as the 0.1 release made it, with one open gap.
fn made_by_the_release_before(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(OLD).unwrap();
    conn.execute_batch(
        "INSERT INTO data_gaps VALUES ('NSE_EQ|INE002A01018', 'day', 1763510400, 1763510400, 1, 'open', 0, 1, 1);",
    )
    .unwrap();
}

#[test]
fn a_dry_run_where_market_sync_never_ran_reports_what_it_would_write_and_leaves_the_file() {
    let w = World::new();
    let db = w.sandbox.db_path();
    made_by_another_job(&db);
    let before = look(&db);
    let out = w.run(&["--dry-run", "--no-options"]);
    assert_eq!(look(&db), before, "the dry run changed the file");
    let out = out.expect(0, "not yet stored (nothing written)", Row::none());
    assert!(
        out.stderr.contains("RELIANCE: would write"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("--dry-run"), "{}", out.stderr);
}

#[test]
fn a_dry_run_on_the_release_befores_database_reports_and_leaves_the_file() {
    let w = World::new();
    let db = w.sandbox.db_path();
    made_by_the_release_before(&db);
    let before = look(&db);
    let out = w.run(&["--dry-run", "--no-options", "--interval", "day"]);
    assert_eq!(look(&db), before, "the dry run changed the file");
    let out = out.expect(0, "(nothing written)", Row::none());
    assert!(
        out.stderr.contains("RELIANCE: would write"),
        "{}",
        out.stderr
    );
}

#[test]
fn gaps_before_any_sync_says_there_are_none_and_creates_nothing() {
    let sandbox = Sandbox::new("");
    let out = JobRun::in_sandbox(&sandbox, BIN)
        .arg("gaps")
        .run()
        .expect(0, "", Row::none());
    assert!(out.stdout.contains("no open gaps"), "{}", out.stdout);
    let out = JobRun::in_sandbox(&sandbox, BIN)
        .args(["gaps", "--status", "all"])
        .run()
        .expect(0, "", Row::none());
    assert_eq!(out.stdout.trim(), "no gaps recorded");
    assert!(!sandbox.db_path().exists(), "gaps created the database");

    made_by_another_job(&sandbox.db_path());
    let before = look(&sandbox.db_path());
    let out = JobRun::in_sandbox(&sandbox, BIN).arg("gaps").run();
    assert_eq!(look(&sandbox.db_path()), before, "gaps changed the file");
    let out = out.expect(0, "", Row::none());
    assert!(out.stdout.contains("no open gaps"), "{}", out.stdout);
    assert!(!out.stderr.contains("dry-run"), "{}", out.stderr);
}

#[test]
fn gaps_on_the_release_befores_database_shows_its_gaps_and_leaves_the_file() {
    let sandbox = Sandbox::new("");
    made_by_the_release_before(&sandbox.db_path());
    let before = look(&sandbox.db_path());
    let out = JobRun::in_sandbox(&sandbox, BIN).arg("gaps").run();
    assert_eq!(look(&sandbox.db_path()), before, "gaps changed the file");
    let out = out.expect(0, "", Row::none());
    assert!(out.stdout.contains("NSE_EQ|INE002A01018"), "{}", out.stdout);
}
