//! `restore` round-trips every row, and refuses a database a process has open for writing
//! unless --force, which replaces it with its stale WAL removed.

use rusqlite::Connection;
use testkit::backups::{BackupWorld, fill, integrity, rows};

#[test]
fn a_restore_gives_back_every_row_of_every_column() {
    let world = BackupWorld::new("");
    fill(&world.desk(), 3_000, 64);
    world.run(&[]).ok();
    let backup = world.backups_of("desk").pop().unwrap();
    let target = world.sandbox.path().join("elsewhere/desk.db");
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    let out = world
        .run(&[
            "restore",
            backup.to_str().unwrap(),
            "--to",
            target.to_str().unwrap(),
        ])
        .ok();
    assert!(out.stdout.contains("restored "), "{}", out.stdout);
    assert_eq!(integrity(&target), "ok");
    let (original, restored) = (rows(&world.desk(), "items"), rows(&target, "items"));
    assert_eq!(restored.len(), 3_000);
    assert_eq!(original, restored);
    // Nothing else is left beside the target.
    let beside: Vec<_> = std::fs::read_dir(target.parent().unwrap())
        .unwrap()
        .collect();
    assert_eq!(beside.len(), 1);
}

#[test]
fn a_database_open_for_writing_is_refused_unless_forced() {
    let world = BackupWorld::new("");
    fill(&world.desk(), 100, 16);
    world.run(&[]).ok();
    let backup = world.backups_of("desk").pop().unwrap();
    let backup = backup.to_str().unwrap();
    let desk = world.desk();
    let desk_text = desk.to_str().unwrap();

    // A process with the database open in WAL mode, having written since the backup.
    let writer = Connection::open(&desk).unwrap();
    writer
        .execute("DELETE FROM items WHERE id > 50", [])
        .unwrap();
    let refused = world
        .run(&["restore", backup, "--to", desk_text])
        .into_outcome();
    assert_eq!(refused.code, Some(75), "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("is open for writing (its -wal file exists)")
            && refused.stderr.contains("--force"),
        "{}",
        refused.stderr
    );
    assert_eq!(rows(&desk, "items").len(), 50, "the database was touched");

    // A rollback-journal database whose write lock a process holds.
    let journal = world.sandbox.path().join("journal.db");
    let holder = Connection::open(&journal).unwrap();
    holder
        .execute_batch("CREATE TABLE t (x); BEGIN IMMEDIATE; INSERT INTO t VALUES (1);")
        .unwrap();
    let locked = world
        .run(&["restore", backup, "--to", journal.to_str().unwrap()])
        .into_outcome();
    assert_eq!(locked.code, Some(75), "{}", locked.stderr);
    assert!(
        locked.stderr.contains("holds its write lock"),
        "{}",
        locked.stderr
    );
    drop(holder);

    // --force: replaced while every job's lock is held, the old WAL gone with it.
    world
        .run(&["restore", backup, "--to", desk_text, "--force"])
        .ok();
    drop(writer);
    assert_eq!(rows(&desk, "items").len(), 100);
    assert_eq!(integrity(&desk), "ok");
}

#[test]
fn a_forced_restore_waits_for_no_job_and_names_the_one_running() {
    let world = BackupWorld::new("");
    fill(&world.desk(), 10, 16);
    world.run(&[]).ok();
    let backup = world.backups_of("desk").pop().unwrap();
    let lock = world.sandbox.data_dir().join("locks/market-sync.lock");
    std::fs::write(&lock, "pid 4242 on desk").unwrap();
    let held = std::fs::File::open(&lock).unwrap();
    held.try_lock().unwrap();
    let out = world
        .run(&[
            "restore",
            backup.to_str().unwrap(),
            "--to",
            world.desk().to_str().unwrap(),
            "--force",
        ])
        .into_outcome();
    assert_eq!(out.code, Some(75), "{}", out.stderr);
    assert!(
        out.stderr.contains("market-sync is running") && out.stderr.contains("pid 4242"),
        "{}",
        out.stderr
    );
}
