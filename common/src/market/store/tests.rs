use std::path::Path;
use std::time::Duration;

use rusqlite::types::Value;

use super::*;
use crate::db;
use crate::market::interval::MAX_MINUTES;

const KEYS: [&str; 3] = [
    "NSE_EQ|INE002A01018",
    "NSE_EQ|INE467B01029",
    "NSE_INDEX|Nifty 50",
];

/// The market schema as the release before had it: its first migration only.
fn schema_v1() -> Schema {
    Schema {
        migrations: &SCHEMA.migrations[..1],
        ..SCHEMA
    }
}

fn open(path: &Path, schema: Schema) -> Result<Connection, db::DbError> {
    db::open(path, Duration::from_secs(5), &[schema])
}

/// A database at the first schema with a few thousand rows of every interval it kept, from
/// both sources, with and without open interest.
fn old_database(path: &Path) {
    let conn = open(path, schema_v1()).unwrap();
    let mut stmt = conn
        .prepare("INSERT INTO candles VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")
        .unwrap();
    for (k, key) in KEYS.iter().enumerate() {
        for (interval, step, n) in [
            ("1minute", 60, 1200),
            ("5minute", 300, 500),
            ("15minute", 900, 200),
            ("day", 86_400, 100),
        ] {
            for i in 0..n {
                let ts = 1_782_876_600 + i64::from(i) * step;
                let open = 100.0 + f64::from(i % 37) + k as f64;
                stmt.execute(params![
                    key,
                    interval,
                    ts,
                    open,
                    open + 1.5,
                    open - 0.25,
                    open + 0.5,
                    i * 10,
                    (k == 1).then_some(i64::from(i) * 3),
                    if i % 3 == 0 { "yahoo" } else { "upstox" },
                ])
                .unwrap();
            }
        }
    }
}

/// What people see: every row of `candles_ist`, in order.
fn view(conn: &Connection) -> Vec<Vec<Value>> {
    let mut stmt = conn
        .prepare("SELECT * FROM candles_ist ORDER BY instrument, interval, ts_ist")
        .unwrap();
    let columns = stmt.column_count();
    stmt.query_map([], |r| (0..columns).map(|i| r.get(i)).collect())
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

fn version(conn: &Connection) -> i64 {
    conn.query_row(
        "SELECT max(version) FROM schema_migrations WHERE component = 'market'",
        [],
        |r| r.get(0),
    )
    .unwrap()
}

#[test]
fn the_candles_v2_migration_keeps_every_row_and_what_the_view_shows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("market_data.db");
    old_database(&path);
    let before = view(&open(&path, schema_v1()).unwrap());
    assert_eq!(before.len(), 3 * 2000);

    let conn = open(&path, SCHEMA).unwrap();
    assert_eq!(version(&conn), 2);
    assert_eq!(view(&conn), before, "candles_ist shows the same rows");
    let codes: Vec<(i64, i64)> = conn
        .prepare("SELECT DISTINCT interval, source FROM candles ORDER BY 1, 2")
        .unwrap()
        .query_map([], |r| r.try_into())
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let want: Vec<(i64, i64)> = [1, 5, 15, 1440]
        .into_iter()
        .flat_map(|i| [(i, 1), (i, 2)])
        .collect();
    assert_eq!(codes, want, "names became codes");
    drop(conn);

    // Idempotent: opening again applies nothing and changes nothing.
    let again = open(&path, SCHEMA).unwrap();
    assert_eq!(version(&again), 2);
    assert_eq!(view(&again), before);
}

#[test]
fn a_source_the_codes_do_not_know_fails_the_migration_and_leaves_the_old_table() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("market_data.db");
    old_database(&path);
    open(&path, schema_v1())
        .unwrap()
        .execute(
            "INSERT INTO candles VALUES (?1, 'day', 1, 1, 1, 1, 1, 0, NULL, 'bloomberg')",
            [KEYS[0]],
        )
        .unwrap();
    let before = view(&open(&path, schema_v1()).unwrap());
    let err = open(&path, SCHEMA).unwrap_err().to_string();
    assert!(err.contains("NOT NULL constraint failed"), "{err}");
    let conn = open(&path, schema_v1()).unwrap();
    assert_eq!(version(&conn), 1, "nothing of migration 2 stayed");
    assert_eq!(view(&conn), before);
}

#[test]
fn the_upsert_builds_no_temporary_table_per_row() {
    let dir = tempfile::tempdir().unwrap();
    let conn = open(&dir.path().join("market_data.db"), SCHEMA).unwrap();
    let mut explain = conn.prepare(&format!("EXPLAIN {UPSERT_CANDLE}")).unwrap();
    let mut rows = explain.raw_query();
    let mut plan: Vec<String> = Vec::new();
    while let Some(row) = rows.next().unwrap() {
        plan.push(row.get(1).unwrap());
    }
    assert!(plan.iter().any(|op| op == "Insert" || op == "IdxInsert"));
    assert!(
        !plan.iter().any(|op| op == "OpenEphemeral"),
        "the upsert opens a temporary table: {plan:?}"
    );
}

#[test]
fn every_interval_is_stored_and_named_back_by_the_view() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = open(&dir.path().join("market_data.db"), SCHEMA).unwrap();
    let key = InstrumentKey::parse(KEYS[0]).unwrap();
    let all: Vec<Interval> = (1..=MAX_MINUTES)
        .map(Interval::Minutes)
        .chain([Interval::Day, Interval::Week, Interval::Month])
        .collect();
    let candle = Candle {
        ts: 1_782_876_600,
        open: 10.0,
        high: 11.0,
        low: 9.0,
        close: 10.5,
        volume: 7,
        oi: None,
    };
    let tx = conn.transaction().unwrap();
    for interval in &all {
        assert_eq!(
            upsert_candles(&tx, &key, *interval, &[candle], Source::Yahoo).unwrap(),
            1
        );
        // A rerun changes nothing.
        assert_eq!(
            upsert_candles(&tx, &key, *interval, &[candle], Source::Yahoo).unwrap(),
            0
        );
    }
    tx.commit().unwrap();
    for interval in &all {
        let (name, source): (String, String) = conn
            .query_row(
                "SELECT v.interval, v.source FROM candles_ist v JOIN candles c
                     ON c.instrument = v.instrument AND c.interval = ?1
                 WHERE v.interval = ?2",
                params![interval.code(), interval.to_string()],
                |r| r.try_into(),
            )
            .unwrap();
        assert_eq!(
            (name.as_str(), source.as_str()),
            (interval.to_string().as_str(), "yahoo")
        );
        assert_eq!(last_bar(&conn, &key, *interval).unwrap(), Some(candle.ts));
    }
    let refused = conn.execute(
        "INSERT INTO candles VALUES (?1, 301, 0, 1, 1, 1, 1, 0, NULL, 1)",
        [KEYS[0]],
    );
    assert!(
        refused.is_err(),
        "an interval Upstox does not have is refused"
    );
}

#[test]
fn newest_bar_is_the_newest_of_any_instrument_in_its_interval() {
    let dir = tempfile::tempdir().unwrap();
    let conn = open(&dir.path().join("m.db"), SCHEMA).unwrap();
    let mut insert = conn
        .prepare("INSERT INTO candles VALUES (?1, ?2, ?3, 1, 1, 1, 1, 0, NULL, 1)")
        .unwrap();
    // The newest day bar is the middle instrument's, the newest 15-minute bar the last's.
    for (key, interval, ts) in [
        (KEYS[0], Interval::Day, 100),
        (KEYS[1], Interval::Day, 300),
        (KEYS[2], Interval::Day, 200),
        (KEYS[0], Interval::Minutes(15), 50),
        (KEYS[2], Interval::Minutes(15), 900),
    ] {
        insert.execute(params![key, interval.code(), ts]).unwrap();
    }
    assert_eq!(newest_bar(&conn, Interval::Day).unwrap(), Some(300));
    assert_eq!(newest_bar(&conn, Interval::Minutes(15)).unwrap(), Some(900));
    assert_eq!(newest_bar(&conn, Interval::Minutes(1)).unwrap(), None);
}
