//! A backup while another process commits continuously: the copy completes, passes its
//! integrity check, and holds a state the writer really committed; the writer's longest wait
//! is reported.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use testkit::backups::{BackupWorld, fill, integrity};
use testkit::binary::binary;

#[test]
fn a_backup_under_a_writer_holds_a_committed_state_and_never_stops_it_for_long() {
    let world = BackupWorld::new("");
    // About 20 MB, so the copy takes long enough for many commits to land during it.
    fill(&world.desk(), 40_000, 400);
    let writer = Command::new(binary("db-writer"))
        .arg(world.desk())
        .args(["--every-ms", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let conn = rusqlite::Connection::open(world.desk()).unwrap();
    let writing = Instant::now();
    let count = |c: &rusqlite::Connection| -> i64 {
        c.query_row("SELECT count(*) FROM writer_log", [], |r| r.get(0))
            .unwrap_or(0)
    };
    while count(&conn) < 50 {
        assert!(
            writing.elapsed() < Duration::from_secs(30),
            "the writer never wrote"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let before = count(&conn);
    let run = world.run(&[]);
    let after = count(&conn);
    // SIGTERM: the writer stops between commits and reports.
    let status = Command::new("kill")
        .arg(writer.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let out = writer.wait_with_output().unwrap();
    let report = String::from_utf8_lossy(&out.stdout).to_string();
    run.ok();
    let json: serde_json::Value = serde_json::from_str(report.trim())
        .unwrap_or_else(|e| panic!("{e}: {report}\n{}", String::from_utf8_lossy(&out.stderr)));
    let commits = json["commits"].as_i64().unwrap();
    let longest = json["longest_commit_ms"].as_f64().unwrap();
    println!(
        "writer: {commits} commits, {} of them during the backup; longest commit {longest:.1} ms",
        after - before
    );
    assert!(after > before, "the writer was stopped during the backup");

    let backup = world.backups_of("desk").pop().expect("a backup of desk.db");
    let restored = world.sandbox.path().join("restored.db");
    world
        .run(&[
            "restore",
            backup.to_str().unwrap(),
            "--to",
            restored.to_str().unwrap(),
        ])
        .ok();
    assert_eq!(integrity(&restored), "ok");
    let copy = rusqlite::Connection::open(&restored).unwrap();
    let (rows, max): (i64, i64) = copy
        .query_row("SELECT count(*), max(id) FROM writer_log", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    // Contiguous ids: the copy holds the first `rows` commits, a state that existed.
    assert_eq!(rows, max);
    assert!(
        (before..=after).contains(&rows),
        "the copy holds {rows} commits, the writer had {before} before the backup and {after} after"
    );
    assert!(rows <= commits);
    let items: i64 = copy
        .query_row("SELECT count(*) FROM items", [], |r| r.get(0))
        .unwrap();
    assert_eq!(items, 40_000);
}
