//! A damaged database stops maintenance before anything changes: every database is checked
//! first, and one page of garbage in upstox.db leaves it and market_data.db byte for byte as
//! they were (nothing purged, nothing vacuumed), the first problems logged, exit 1.

use testkit::Row;
use testkit::maintenance::{Maintenance, ago};

const PAGE: usize = 4096;

/// `upstox.db`: a table over some 40 pages and an index of it.
fn upstox_db(path: &std::path::Path) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "PRAGMA page_size = 4096;
         CREATE TABLE trades (id INTEGER PRIMARY KEY, note TEXT);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
         INSERT INTO trades SELECT i, printf('%.500c', 'x') || i FROM n;
         CREATE INDEX trades_by_note ON trades (note);",
    )
    .unwrap();
}

/// One table page's text of `upstox.db` changed behind the index's back, as a bad sector or
/// a stray write would.
fn damage(path: &std::path::Path) {
    let mut bytes = std::fs::read(path).unwrap();
    assert!(bytes.len() > 40 * PAGE, "{} bytes", bytes.len());
    let page = &mut bytes[9 * PAGE..10 * PAGE];
    let at = page
        .windows(8)
        .position(|w| w == b"xxxxxxxx")
        .expect("a note on page 10");
    page[at..at + 8].copy_from_slice(b"yyyyyyyy");
    std::fs::write(path, bytes).unwrap();
}

fn damaged_upstox_db(path: &std::path::Path) {
    upstox_db(path);
    damage(path);
}

#[test]
fn a_damaged_database_is_reported_and_no_database_is_changed() {
    let m = Maintenance::new(
        "[jobs.db-maintenance]\nbatch_pause_ms = 0\n\
         [jobs.db-maintenance.retention]\ncandles_days = { \"1minute\" = 30 }\n",
    );
    m.minutes("NSE_EQ|A", ago(40, 0), 50);
    let upstox = m.sandbox.data_dir().join("upstox.db");
    damaged_upstox_db(&upstox);
    let before = std::fs::read(&upstox).unwrap();
    let market_before = m.snapshot();

    let ran = m.job().run().expect(
        1,
        "db-maintenance failed",
        Row::status("failed")
            .units(0, 1)
            .error("is damaged (PRAGMA integrity_check: row "),
    );
    assert!(
        ran.summary().contains(&format!(
            "upstox.db: {} is damaged (PRAGMA integrity_check: row ",
            upstox.display()
        )) && ran.summary().contains(&format!(
            "there is no verified backup of it in {}: move it aside",
            m.sandbox.data_dir().join("backups").display()
        )) && ran
            .summary()
            .contains("nothing was changed in any database"),
        "{}",
        ran.summary()
    );
    let problems = ran
        .stderr
        .lines()
        .filter(|l| l.contains("upstox.db: integrity check: "))
        .count();
    assert!((1..=10).contains(&problems), "{}", ran.stderr);

    assert!(
        std::fs::read(&upstox).unwrap() == before,
        "upstox.db changed"
    );
    assert_eq!(m.snapshot(), market_before, "market_data.db's data changed");
    assert_eq!(m.count("candles"), 50, "nothing was purged");
}

#[test]
fn a_damaged_database_is_told_the_newest_verified_backup_and_the_command_that_restores_it() {
    let m = Maintenance::new("[jobs.db-maintenance]\nbatch_pause_ms = 0\n");
    let upstox = m.sandbox.data_dir().join("upstox.db");
    upstox_db(&upstox);
    let backed_up = m.sandbox.run("upstox-db-backup", &[]);
    assert_eq!(backed_up.code, Some(0), "{}", backed_up.stderr);
    let backups = m.sandbox.data_dir().join("backups");
    let newest = std::fs::read_dir(&backups)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("upstox-") && name.ends_with(".db.zst")
        })
        .max()
        .expect("a backup of upstox.db");
    damage(&upstox);

    let ran = m.job().run();
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    let command = format!(
        "upstox-db-backup restore {} --to {} --force",
        newest.display(),
        upstox.display()
    );
    assert!(
        ran.summary().contains(&format!(
            "the newest verified backup is {}",
            newest.display()
        )) && ran.summary().contains(&command),
        "{}",
        ran.summary()
    );

    // The advice works as given: the restored file is sound and holds every row.
    let restored = m.sandbox.run(
        "upstox-db-backup",
        &[
            "restore",
            &newest.to_string_lossy(),
            "--to",
            &upstox.to_string_lossy(),
            "--force",
        ],
    );
    assert_eq!(restored.code, Some(0), "{}", restored.stderr);
    let conn = rusqlite::Connection::open(&upstox).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM trades", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 300);
}
