//! A damaged database stops maintenance before anything changes: every database is checked
//! first, and one page of garbage in upstox.db leaves it and market_data.db byte for byte as
//! they were (nothing purged, nothing vacuumed), the first problems logged, exit 1.

use testkit::Row;
use testkit::maintenance::{Maintenance, ago};

const PAGE: usize = 4096;

/// `upstox.db`: a table over some 40 pages and an index of it, one table page's text changed
/// behind the index's back, as a bad sector or a stray write would.
fn damaged_upstox_db(path: &std::path::Path) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "PRAGMA page_size = 4096;
         CREATE TABLE trades (id INTEGER PRIMARY KEY, note TEXT);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
         INSERT INTO trades SELECT i, printf('%.500c', 'x') || i FROM n;
         CREATE INDEX trades_by_note ON trades (note);",
    )
    .unwrap();
    drop(conn);
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
        )) && ran.summary().contains("restore it from a backup")
            && ran
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
