use std::path::Path;
use std::time::Duration;

use rusqlite::types::Value;

use super::*;

/// market-sync's schema as the release before had it: its first migration only.
fn schema_v1() -> Schema {
    Schema {
        migrations: &SCHEMA.migrations[..1],
        ..SCHEMA
    }
}

fn open(path: &Path, schema: Schema) -> Connection {
    common::db::open(path, Duration::from_secs(5), &[schema]).unwrap()
}

/// Every row of `sql`, each column as SQLite holds it.
fn rows(conn: &Connection, sql: &str) -> Vec<Vec<Value>> {
    let mut stmt = conn.prepare(sql).unwrap();
    let columns = stmt.column_count();
    stmt.query_map([], |r| (0..columns).map(|i| r.get(i)).collect())
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

fn real(x: f64) -> Value {
    Value::Real(x)
}

/// An `option_chain` row as [`rows`] reads it: strike, side, then iv, delta, gamma, theta, vega.
fn option(strike: f64, side: &str, figures: [Option<f64>; 5]) -> Vec<Value> {
    [real(strike), Value::Text(side.to_string())]
        .into_iter()
        .chain(figures.map(|f| f.map_or(Value::Null, real)))
        .collect()
}

#[test]
fn migration_2_turns_the_old_uncomputed_zeros_into_null_and_drops_empty_iv_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("market_data.db");
    let conn = open(&path, schema_v1());
    // What the release before stored: Upstox's zeros as they came.
    conn.execute_batch(
        "INSERT INTO option_chain (underlying, expiry, strike, option_type, ts, instrument, spot,
                                   ltp, iv, delta, gamma, theta, vega) VALUES
           ('NSE_INDEX|Nifty 50', '2026-11-24', 24000, 'CE', 60, 'NSE_FO|1', 25990.5, 1995, 0, 0, 0, 0, 0),
           ('NSE_INDEX|Nifty 50', '2026-11-24', 24000, 'PE', 60, 'NSE_FO|2', 25990.5, 0.6, 38.12, -0.0021, 0, -0.9811, 0.0718),
           ('NSE_INDEX|Nifty 50', '2026-11-24', 20000, 'CE', 60, 'NSE_FO|3', 25990.5, 5990, 0, 1, 0, 0, 0),
           ('NSE_INDEX|Nifty 50', '2026-11-24', 26000, 'CE', 60, 'NSE_FO|4', 25990.5, 96.35, NULL, NULL, NULL, NULL, NULL);
         INSERT INTO iv_analysis (underlying, date, expiry, iv, iv_rank, iv_percentile, iv_sessions, hv20, hv30) VALUES
           ('NSE_INDEX|Nifty 50', '2026-11-18', NULL, NULL, NULL, NULL, 0, NULL, NULL),
           ('NSE_INDEX|Nifty 50', '2026-11-19', NULL, NULL, NULL, NULL, 0, 14.2, NULL),
           ('NSE_INDEX|Nifty 50', '2026-11-20', '2026-11-24', 11.5, NULL, NULL, 1, 14.3, 13.9);",
    )
    .unwrap();
    drop(conn);

    let chain = "SELECT strike, option_type, iv, delta, gamma, theta, vega FROM option_chain
                 ORDER BY strike, option_type";
    let ivs = "SELECT date, iv, hv20 FROM iv_analysis ORDER BY date";
    let conn = open(&path, SCHEMA);
    let migrated = rows(&conn, chain);
    assert_eq!(
        migrated,
        [
            option(20000.0, "CE", [None, Some(1.0), None, None, None]),
            option(24000.0, "CE", [None; 5]),
            option(
                24000.0,
                "PE",
                [
                    Some(38.12),
                    Some(-0.0021),
                    Some(0.0),
                    Some(-0.9811),
                    Some(0.0718)
                ]
            ),
            option(26000.0, "CE", [None; 5]),
        ],
        "a rounded 0 gamma beside a real IV stays 0.0; a greek that is not 0 stays"
    );
    assert_eq!(
        rows(&conn, ivs),
        [
            vec![Value::Text("2026-11-19".into()), Value::Null, real(14.2)],
            vec![Value::Text("2026-11-20".into()), real(11.5), real(14.3)],
        ],
        "the row without a figure is gone, the one with HV only is kept"
    );
    drop(conn);
    let again = open(&path, SCHEMA);
    assert_eq!(rows(&again, chain), migrated, "a rerun changes nothing");
    let version: i64 = again
        .query_row(
            "SELECT max(version) FROM schema_migrations WHERE component = 'market-sync'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(version, 2);
}

#[test]
fn a_later_run_without_an_atm_iv_keeps_the_days_iv_and_updates_its_hvs() {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = open(&dir.path().join("market_data.db"), SCHEMA);
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    let morning = IvRecord {
        underlying: InstrumentKey::parse("NSE_INDEX|Nifty 50").unwrap(),
        date,
        expiry: chrono::NaiveDate::from_ymd_opt(2026, 11, 24),
        iv: Some(11.5),
        iv_rank: Some(40.0),
        iv_percentile: Some(35.0),
        iv_sessions: 20,
        hv20: Some(14.2),
        hv30: Some(13.9),
    };
    let afternoon = IvRecord {
        expiry: None,
        iv: None,
        iv_rank: None,
        iv_percentile: None,
        iv_sessions: 0,
        hv20: Some(14.4),
        ..morning.clone()
    };
    let upsert = |conn: &mut Connection, record: &IvRecord| {
        let tx = conn.transaction().unwrap();
        let changed = upsert_iv(&tx, record).unwrap();
        tx.commit().unwrap();
        changed
    };
    assert_eq!(upsert(&mut conn, &morning), 1);
    assert_eq!(upsert(&mut conn, &afternoon), 1, "the new HV is stored");
    assert_eq!(upsert(&mut conn, &afternoon), 0, "a rerun changes nothing");
    let later = IvRecord {
        iv: Some(12.0),
        ..afternoon.clone()
    };
    assert_eq!(
        upsert(&mut conn, &later),
        1,
        "an IV read later replaces the morning's"
    );
    let stored = |conn: &Connection| {
        rows(
            conn,
            "SELECT expiry, iv, iv_rank, iv_sessions, hv20 FROM iv_analysis",
        )
    };
    assert_eq!(
        stored(&conn),
        vec![vec![
            Value::Null,
            real(12.0),
            Value::Null,
            Value::Integer(0),
            real(14.4)
        ]]
    );
    upsert(&mut conn, &morning);
    upsert(&mut conn, &afternoon);
    assert_eq!(
        stored(&conn),
        vec![vec![
            Value::Text("2026-11-24".into()),
            real(11.5),
            real(40.0),
            Value::Integer(20),
            real(14.4)
        ]],
        "the morning's IV, with the afternoon's HV"
    );
}
