//! A database made by the release before (every migration 0.1 applied, word for word, in
//! tests/fixtures/schema/) after an upgrade: read-only commands work on it before any job has
//! migrated it (those whose tables changed read a copy migrated in memory), and the first
//! run that migrates ends with exactly the tables a fresh database has, every row kept.

use std::path::Path;
use std::time::Duration;

use common::db::Schema;
use common::harness::Job;
use rusqlite::Connection;
use testkit::{JobRun, Row, Sandbox};

const OLD: &str = include_str!("../fixtures/schema/market_data-0.1.sql");

/// Every schema of every job, in an order that migrates.
fn every_schema() -> Vec<Schema> {
    let mut all = common::schemas::COMMON.to_vec();
    for schemas in [
        <nse_index_update::job::NseIndexUpdate as Job>::SCHEMAS,
        <market_sync::job::MarketSync as Job>::SCHEMAS,
        <alert_scan::job::AlertScan as Job>::SCHEMAS,
    ] {
        for schema in schemas {
            if !all.iter().any(|s| s.component == schema.component) {
                all.push(*schema);
            }
        }
    }
    all
}

/// Every table, view and index with its columns, `IF NOT EXISTS` aside.
fn layout(conn: &Connection) -> Vec<(String, String)> {
    let mut stmt = conn
        .prepare(
            "SELECT name, sql FROM sqlite_master
             WHERE name NOT LIKE 'sqlite_%' AND sql IS NOT NULL ORDER BY name",
        )
        .unwrap();
    stmt.query_map([], |r| r.try_into())
        .unwrap()
        .map(|r: rusqlite::Result<(String, String)>| {
            let (name, sql) = r.unwrap();
            (name, sql.replace(" IF NOT EXISTS", ""))
        })
        .collect()
}

fn count(conn: &Connection, table: &str) -> i64 {
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

/// A sandbox whose `market_data.db` the 0.1 release made, with a row in its tables.
fn old_database() -> Sandbox {
    let sandbox = Sandbox::new("");
    std::fs::create_dir_all(sandbox.data_dir()).unwrap();
    let conn = Connection::open(sandbox.db_path()).unwrap();
    conn.execute_batch(OLD).unwrap();
    conn.execute_batch(
        "INSERT INTO job_runs (job, status, started_at, finished_at, pid, host, exit_code)
             VALUES ('market-sync', 'succeeded', '2026-11-20T10:15:00Z', '2026-11-20T10:16:00Z', 1, 'desk', 0);
         INSERT INTO candles VALUES ('NSE_EQ|INE002A01018', 'day', 1763596800, 1, 2, 1, 2, 10, NULL, 'yahoo');
         INSERT INTO alert_rules VALUES
             (1, 'RELIANCE', 'price-below', 'level=100', 'day', 'database', 0, 1, '2026-11-20'),
             (2, 'TCS', 'rsi-above', 'period=14 level=70', '15minute', 'database', 0, 1, '2026-11-20'),
             (3, 'INFY', 'price-above', 'level=2000', 'day', 'database', 0, 1, '2026-11-20');
         INSERT INTO alert_state VALUES (1, 0, 1, 99.5, 100, 1763596800, '2026-11-20T10:15:00Z', NULL),
                                        (2, 1, 0, 55.0, 70, 1763596800, '2026-11-20T10:15:00Z', NULL);
         -- Rule 3 removed: its number is never given again.
         DELETE FROM alert_rules WHERE id = 3;
         INSERT INTO data_gaps VALUES ('NSE_EQ|INE002A01018', 'day', 1763510400, 1763510400, 1, 'open', 0, 1, 1);
         INSERT INTO nse_index_membership (index_name, symbol, isin, company_name, industry, series, joined_on)
             VALUES ('NIFTY50', 'RELIANCE', 'INE002A01018', 'Reliance Industries Ltd.', 'Oil Gas & Consumable Fuels', 'EQ', '2026-11-01');",
    )
    .unwrap();
    sandbox
}

#[test]
fn read_only_commands_work_on_a_database_the_release_before_made_and_leave_it_as_it_was() {
    let sandbox = old_database();
    let before = std::fs::read(sandbox.db_path()).unwrap();
    let show = JobRun::in_sandbox(&sandbox, "upstox-nse-index-update")
        .arg("show")
        .run()
        .expect(0, "", Row::none());
    assert!(show.stdout.contains("NIFTY50"), "{}", show.stdout);
    // Candles v2 changed the market tables `gaps` reads through: it reads a copy migrated in
    // memory, and never asks for a migration (nor to drop a --dry-run it was not given).
    let gaps = JobRun::in_sandbox(&sandbox, "upstox-market-sync")
        .arg("gaps")
        .run()
        .expect(0, "", Row::none());
    assert!(
        gaps.stdout.contains("NSE_EQ|INE002A01018"),
        "{}",
        gaps.stdout
    );
    assert!(!gaps.stderr.contains("migrat"), "{}", gaps.stderr);
    assert_eq!(
        std::fs::read(sandbox.db_path()).unwrap(),
        before,
        "a reader migrated or wrote the file"
    );
    common::db::open(&sandbox.db_path(), Duration::from_secs(5), &every_schema()).unwrap();
    let gaps = JobRun::in_sandbox(&sandbox, "upstox-market-sync")
        .arg("gaps")
        .run()
        .expect(0, "", Row::none());
    assert!(
        gaps.stdout.contains("NSE_EQ|INE002A01018"),
        "{}",
        gaps.stdout
    );
}

#[test]
fn the_first_migrating_run_leaves_the_tables_a_fresh_database_has_and_keeps_every_row() {
    let sandbox = old_database();
    JobRun::in_sandbox(&sandbox, "upstox-alert-scan")
        .args(["rules", "list"])
        .run()
        .expect(0, "", Row::none());
    let upgraded = common::db::open(&sandbox.db_path(), Duration::from_secs(5), &every_schema())
        .expect("the old file migrates");
    let dir = tempfile::tempdir().unwrap();
    let fresh = common::db::open(
        &dir.path().join("fresh.db"),
        Duration::from_secs(5),
        &every_schema(),
    )
    .unwrap();
    let without_bookkeeping = |conn: &Connection| {
        layout(conn)
            .into_iter()
            .filter(|(name, _)| name != "schema_migrations")
            .collect::<Vec<_>>()
    };
    assert_eq!(without_bookkeeping(&upgraded), without_bookkeeping(&fresh));
    for table in ["job_runs", "candles", "data_gaps", "nse_index_membership"] {
        assert_eq!(count(&upgraded, table), 1, "{table}");
    }
    let adopted: i64 = upgraded
        .query_row(
            "SELECT count(DISTINCT component) FROM schema_migrations WHERE component IN ('runs', 'calendar', 'outbox', 'budget', 'market')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(adopted, 5, "each new owner recorded its tables");
    assert!(Path::new(&sandbox.db_path()).exists());

    // Candles v2: codes in the table, names in the view.
    let row: (i64, i64, String, String) = upgraded
        .query_row(
            "SELECT c.interval, c.source, v.interval, v.source FROM candles c, candles_ist v",
            [],
            |r| r.try_into(),
        )
        .unwrap();
    assert_eq!(row, (1440, 2, "day".to_string(), "yahoo".to_string()));
    // alert-scan's rules take any interval now; their states and numbering survived.
    let states: Vec<(i64, f64)> = upgraded
        .prepare("SELECT rule_id, value FROM alert_state ORDER BY rule_id")
        .unwrap()
        .query_map([], |r| r.try_into())
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(states, [(1, 99.5), (2, 55.0)]);
    drop(upgraded);
    JobRun::in_sandbox(&sandbox, "upstox-alert-scan")
        .args([
            "rules",
            "add",
            "RELIANCE",
            "rsi-below",
            "level=30",
            "--interval",
            "30minute",
        ])
        .run()
        .expect(0, "", Row::none());
    let conn = Connection::open(sandbox.db_path()).unwrap();
    let (id, interval): (i64, String) = conn
        .query_row(
            "SELECT id, interval FROM alert_rules WHERE kind = 'rsi-below'",
            [],
            |r| r.try_into(),
        )
        .unwrap();
    assert_eq!(
        (id, interval.as_str()),
        (4, "30minute"),
        "rule 3's number is not reused"
    );
}
