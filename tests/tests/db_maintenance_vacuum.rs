//! VACUUM runs when the free pages are worth it, and the file shrinks; it is skipped, saying
//! why, when the data directory's disk (a small tmpfs) has no room for what it writes.

use testkit::binary::binary;
use testkit::maintenance::{BIN, Maintenance};
use testkit::{Row, namespace};

/// Fills `market_data.db` with `kept` rows of 4000 bytes and `dropped` more in a table then
/// dropped, whose pages stay free in the file.
fn with_free_pages(m: &Maintenance, kept: u32, dropped: u32) {
    m.db()
        .execute_batch(&format!(
            "CREATE TABLE kept (b BLOB);
             CREATE TABLE filler (b BLOB);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {kept})
             INSERT INTO kept SELECT randomblob(4000) FROM n;
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {dropped})
             INSERT INTO filler SELECT randomblob(4000) FROM n;
             DROP TABLE filler;"
        ))
        .unwrap();
}

fn free_pages(path: &std::path::Path) -> i64 {
    rusqlite::Connection::open(path)
        .unwrap()
        .query_row("PRAGMA freelist_count", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn free_pages_worth_a_vacuum_are_given_back_and_the_file_shrinks() {
    let m = Maintenance::new("");
    with_free_pages(&m, 50, 500);
    let before = std::fs::metadata(m.sandbox.db_path()).unwrap().len();
    assert!(free_pages(&m.sandbox.db_path()) >= 500);

    let ran = m
        .job()
        .run()
        .expect(0, "VACUUM: ", Row::status("succeeded").units(1, 0));
    let after = std::fs::metadata(m.sandbox.db_path()).unwrap().len();
    assert!(after < before / 4, "{before} -> {after} bytes");
    assert_eq!(free_pages(&m.sandbox.db_path()), 0);
    assert!(ran.summary().contains(" -> "), "{}", ran.summary());
}

#[test]
fn a_disk_without_room_for_the_vacuum_skips_it_saying_how_much_is_needed_and_free() {
    if let Err(why) = namespace::available() {
        println!("skipped: {why}");
        return;
    }
    // 3 MB in use and 3 MB free in a 6 MB file, on an 8 MB tmpfs: about 2 MB left, less than
    // the 3 MB the VACUUM writes back through the WAL.
    let m = Maintenance::new("");
    with_free_pages(&m, 750, 750);
    let prepared = tempfile::tempdir().unwrap();
    let source = prepared.path().join("market_data.db");
    std::fs::copy(m.sandbox.db_path(), &source).unwrap();
    let size = std::fs::metadata(&source).unwrap().len();
    let out = tempfile::tempdir().unwrap();
    let data = m.sandbox.data_dir();
    let script = format!(
        "set -e; mount -t tmpfs -o size=8m tmpfs '{d}'; cp '{src}' '{d}/market_data.db'; \
         '{bin}' --config '{cfg}' --data-dir '{d}' --log-format text 2>'{o}/log' || echo $? > '{o}/code'; \
         cp '{d}/market_data.db' '{o}/after.db'",
        d = data.display(),
        src = source.display(),
        bin = binary(BIN).display(),
        cfg = m.sandbox.path().join("config.toml").display(),
        o = out.path().display(),
    );
    let done = namespace::unshare(&script).output().unwrap();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let log = std::fs::read_to_string(out.path().join("log")).unwrap();
    assert!(!out.path().join("code").exists(), "the run failed:\n{log}");
    let summary = log.lines().last().unwrap_or_default();
    assert!(
        summary.contains("no VACUUM for lack of disk space: ")
            && summary.contains("but a VACUUM writes ")
            && summary.contains("is free there"),
        "{log}"
    );
    let after = out.path().join("after.db");
    assert_eq!(
        std::fs::metadata(&after).unwrap().len(),
        size,
        "the file was vacuumed"
    );
    assert!(free_pages(&after) >= 750);
}
