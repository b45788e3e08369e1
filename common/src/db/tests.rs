use super::*;

const A: Schema = Schema {
    component: "a",
    migrations: &[
        "CREATE TABLE a1 (x INTEGER);",
        "ALTER TABLE a1 ADD COLUMN y TEXT;",
    ],
    adopted: None,
};
const B: Schema = Schema {
    component: "b",
    migrations: &["CREATE TABLE b1 (x INTEGER);"],
    adopted: None,
};

fn versions(conn: &Connection) -> Vec<(String, i64)> {
    let mut stmt = conn
        .prepare("SELECT component, version FROM schema_migrations ORDER BY 1, 2")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn components_are_versioned_independently_and_reopening_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/x.db");
    let conn = open(&path, Duration::from_secs(1), &[A]).unwrap();
    assert_eq!(versions(&conn), vec![("a".into(), 1), ("a".into(), 2)]);
    drop(conn);
    let conn = open(&path, Duration::from_secs(1), &[B, A]).unwrap();
    assert_eq!(
        versions(&conn),
        vec![("a".into(), 1), ("a".into(), 2), ("b".into(), 1)]
    );
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = conn
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(fk, 1);
}

#[test]
fn a_newer_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.db");
    open(&path, Duration::from_secs(1), &[A]).unwrap();
    let older = Schema {
        component: "a",
        migrations: &A.migrations[..1],
        adopted: None,
    };
    let err = open(&path, Duration::from_secs(1), &[older]).unwrap_err();
    assert!(
        matches!(
            err,
            DbError::TooNew {
                found: 2,
                known: 1,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("upgrade"));
}

#[test]
fn read_only_open_never_creates_or_migrates() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.db");
    assert!(
        open_read_only(&path, Duration::from_secs(1), &[A])
            .unwrap()
            .is_none()
    );
    assert!(!path.exists());
    open(&path, Duration::from_secs(1), &[B]).unwrap();
    let err = open_read_only(&path, Duration::from_secs(1), &[A]).unwrap_err();
    assert!(matches!(err, DbError::NeedsMigration { .. }));
    let files = |dir: &Path| {
        let mut v: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        v.sort();
        v
    };
    let before = files(dir.path());
    let conn = open_read_only(&path, Duration::from_secs(1), &[B])
        .unwrap()
        .unwrap();
    let n: i64 = conn
        .query_row("SELECT COUNT(*) FROM b1", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0);
    drop(conn);
    assert_eq!(files(dir.path()), before, "no -wal or -shm left behind");
}

#[test]
fn read_only_open_sees_what_a_live_writer_committed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("odd ?#% name.db");
    let writer = open(&path, Duration::from_secs(1), &[B]).unwrap();
    writer.execute("INSERT INTO b1 VALUES (1)", []).unwrap();
    let reader = open_read_only(&path, Duration::from_secs(1), &[B])
        .unwrap()
        .unwrap();
    let n: i64 = reader
        .query_row("SELECT COUNT(*) FROM b1", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        n, 1,
        "the committed row is in the -wal file, which a read-only open must read"
    );
}

#[test]
fn a_failing_migration_leaves_the_version_where_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.db");
    let broken = Schema {
        component: "a",
        migrations: &[
            "CREATE TABLE a1 (x INTEGER);",
            "CREATE TABLE a1 (x INTEGER);",
        ],
        adopted: None,
    };
    assert!(open(&path, Duration::from_secs(1), &[broken]).is_err());
    let conn = Connection::open(&path).unwrap();
    assert_eq!(versions(&conn), vec![("a".into(), 1)]);
}

#[test]
fn tables_adopted_from_another_component_count_as_migrated_and_are_not_created_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.db");
    let old = Schema {
        component: "old",
        migrations: &["CREATE TABLE t (x INTEGER); CREATE TABLE kept (x INTEGER);"],
        adopted: None,
    };
    open(&path, Duration::from_secs(1), &[old]).unwrap();
    // Without IF NOT EXISTS: running it on the old file would fail.
    let new = Schema {
        component: "new",
        migrations: &[
            "CREATE TABLE t (x INTEGER);",
            "ALTER TABLE t ADD COLUMN y TEXT;",
        ],
        adopted: Some(Adopted {
            from: "old",
            version: 1,
        }),
    };
    let first = Schema {
        migrations: &new.migrations[..1],
        ..new
    };
    assert!(
        open_read_only(&path, Duration::from_secs(1), &[first])
            .unwrap()
            .is_some(),
        "a reader of the old file needs no migration"
    );
    assert!(matches!(
        open_read_only(&path, Duration::from_secs(1), &[new]),
        Err(DbError::NeedsMigration { .. })
    ));
    let conn = open(&path, Duration::from_secs(1), &[new]).unwrap();
    assert_eq!(
        versions(&conn),
        vec![("new".into(), 1), ("new".into(), 2), ("old".into(), 1)]
    );
    conn.execute("INSERT INTO t (x, y) VALUES (1, 'a')", [])
        .unwrap();
    // A fresh file runs the first migration as usual.
    let fresh = open(&dir.path().join("y.db"), Duration::from_secs(1), &[new]).unwrap();
    assert_eq!(versions(&fresh), vec![("new".into(), 1), ("new".into(), 2)]);
}

#[test]
fn a_current_file_opens_while_another_process_holds_the_write_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.db");
    drop(open(&path, Duration::from_secs(1), &[A, B]).unwrap());
    let mut writer = Connection::open(&path).unwrap();
    let _held = writer
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .unwrap();
    // Checking the versions reads; only a pending migration needs the write lock.
    let conn = open(&path, Duration::ZERO, &[A, B]).unwrap();
    assert_eq!(
        versions(&conn),
        vec![("a".into(), 1), ("a".into(), 2), ("b".into(), 1)]
    );
    let err = open(&path, Duration::ZERO, &[A, B, C]).unwrap_err();
    assert!(
        matches!(&err, DbError::Sqlite { error, .. } if is_busy(error)),
        "{err}"
    );
}

const C: Schema = Schema {
    component: "c",
    migrations: &["CREATE TABLE c1 (x INTEGER);"],
    adopted: None,
};

#[test]
fn closing_leaves_the_wal_to_be_checkpointed_by_a_later_commit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.db");
    let conn = open(&path, Duration::from_secs(1), &[B]).unwrap();
    conn.execute("INSERT INTO b1 VALUES (7)", []).unwrap();
    drop(conn);
    let wal = dir.path().join("x.db-wal");
    assert!(
        std::fs::metadata(&wal).unwrap().len() > 0,
        "no checkpoint (two fsyncs) and no new WAL (two more) at every run"
    );
    let conn = open(&path, Duration::from_secs(1), &[B]).unwrap();
    let x: i64 = conn
        .query_row("SELECT x FROM b1", [], |r| r.get(0))
        .unwrap();
    assert_eq!(x, 7);
    let reader = open_read_only(&path, Duration::from_secs(1), &[B])
        .unwrap()
        .unwrap();
    let x: i64 = reader
        .query_row("SELECT x FROM b1", [], |r| r.get(0))
        .unwrap();
    assert_eq!(x, 7);
}

#[test]
fn a_large_transaction_leaves_no_large_wal_behind() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.db");
    let mut conn = open(&path, Duration::from_secs(1), &[B]).unwrap();
    conn.execute_batch("ALTER TABLE b1 ADD COLUMN pad BLOB")
        .unwrap();
    // About 40 MiB in one transaction: a backfill's or the candles rebuild's size of WAL.
    let tx = conn.transaction().unwrap();
    for i in 0..10_000 {
        tx.execute("INSERT INTO b1 VALUES (?1, zeroblob(4096))", [i])
            .unwrap();
    }
    tx.commit().unwrap();
    let wal = dir.path().join("x.db-wal");
    let after_big = std::fs::metadata(&wal).unwrap().len();
    assert!(after_big > 2 * WAL_SIZE_LIMIT as u64, "{after_big}");
    drop(conn);
    // The next run opens the log afresh, which counts none of it checkpointed: its first
    // commit checkpoints it again and the next restarts it, cut back (a run commits its
    // job_runs row at start and at end, and its units between).
    let conn = open(&path, Duration::from_secs(1), &[B]).unwrap();
    conn.execute("INSERT INTO b1 (x) VALUES (-1)", []).unwrap();
    conn.execute("INSERT INTO b1 (x) VALUES (-2)", []).unwrap();
    let after_next = std::fs::metadata(&wal).unwrap().len();
    assert!(
        after_next <= WAL_SIZE_LIMIT as u64,
        "the WAL kept {after_next} bytes after a {after_big}-byte transaction"
    );
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM b1", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 10_002);
}

#[test]
fn a_migration_leaves_its_wal_folded_into_the_file() {
    const REBUILD: Schema = Schema {
        component: "r",
        migrations: &[
            "CREATE TABLE r1 (x INTEGER, pad BLOB);",
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
             INSERT INTO r1 SELECT i, zeroblob(4096) FROM n;",
        ],
        adopted: None,
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.db");
    let conn = open(&path, Duration::from_secs(1), &[REBUILD]).unwrap();
    let wal = std::fs::metadata(dir.path().join("x.db-wal"))
        .unwrap()
        .len();
    assert_eq!(wal, 0, "a 40 MiB migration left {wal} bytes of WAL");
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM r1", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 10_000);
}

#[test]
fn a_dry_run_reads_an_older_file_through_a_migrated_copy_and_leaves_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.db");
    assert!(
        open_as_migrated(&path, Duration::from_secs(1), &[A])
            .unwrap()
            .is_none()
    );
    assert!(!path.exists());
    let first = Schema {
        migrations: &A.migrations[..1],
        ..A
    };
    let conn = open(&path, Duration::from_secs(1), &[first]).unwrap();
    conn.execute("INSERT INTO a1 (x) VALUES (7)", []).unwrap();
    conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    drop(conn);
    let before = std::fs::read(&path).unwrap();

    let copy = open_as_migrated(&path, Duration::from_secs(1), &[A, B])
        .unwrap()
        .unwrap();
    let row: (i64, Option<String>) = copy
        .query_row("SELECT x, y FROM a1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!(
        row,
        (7, None),
        "the copy has the file's rows in the new shape"
    );
    assert_eq!(
        versions(&copy),
        vec![("a".into(), 1), ("a".into(), 2), ("b".into(), 1)]
    );
    copy.execute("INSERT INTO b1 (x) VALUES (1)", []).unwrap();
    drop(copy);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the file was written"
    );
    let beside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(beside, ["x.db"], "nothing is created beside the file");
}

#[test]
fn an_empty_database_has_the_latest_schemas_and_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.db");
    let conn = open_empty(&path, &[A, B]).unwrap();
    conn.execute("INSERT INTO a1 (x, y) VALUES (1, 'a')", [])
        .unwrap();
    assert!(!path.exists());
}

#[test]
fn processes_creating_one_file_at_once_all_open_it() {
    // The first open of a new file switches it to WAL, which needs the file to itself: the
    // others must wait for that within their busy timeout, not fail at once.
    for round in 0..40 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.db");
        let barrier = std::sync::Barrier::new(4);
        let failures: Vec<String> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    s.spawn(|| {
                        barrier.wait();
                        open(&path, Duration::from_secs(10), &[A, B]).err()
                    })
                })
                .collect();
            handles
                .into_iter()
                .filter_map(|h| h.join().unwrap())
                .map(|e| e.to_string())
                .collect()
        });
        assert!(failures.is_empty(), "round {round}: {failures:?}");
    }
}
