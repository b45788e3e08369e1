//! `upstox-db-maintenance --dry-run` reports what would be purged, per table and interval, and
//! whether VACUUM would run and why, and changes nothing: not a byte of the database, and no
//! `job_runs` row.

use testkit::Row;
use testkit::maintenance::{Maintenance, ago};

#[test]
fn a_dry_run_reports_the_purge_and_the_vacuum_and_changes_nothing() {
    let m =
        Maintenance::new("[jobs.db-maintenance.retention]\ncandles_days = { \"1minute\" = 30 }\n");
    m.minutes("NSE_EQ|A", ago(30, -200 * 60), 300);
    m.run_row("market-sync", "succeeded", ago(91, 0));
    // Pages freed by a dropped table: worth a VACUUM.
    let conn = m.db();
    conn.execute_batch(
        "CREATE TABLE filler (b BLOB);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
         INSERT INTO filler SELECT randomblob(4000) FROM n;
         DROP TABLE filler;",
    )
    .unwrap();
    drop(conn);
    let before = std::fs::read(m.sandbox.db_path()).unwrap();

    let ran = m.job().arg("--dry-run").run().expect(
        0,
        "would purge 201 rows (candles 1minute 200, job_runs 1)",
        Row::none(),
    );
    assert!(
        ran.summary().contains("(dry run) succeeded")
            && ran.summary().contains("would VACUUM: ")
            && ran.summary().contains("free of"),
        "{}",
        ran.summary()
    );

    assert!(
        std::fs::read(m.sandbox.db_path()).unwrap() == before,
        "the dry run changed the file"
    );
    assert_eq!(m.count("candles"), 300);
    assert_eq!(m.count("job_runs"), 1);
}
