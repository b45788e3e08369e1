//! db-maintenance's purge: a row one second past its retention goes, one at it stays, in every
//! table and per candle interval; a running job's row, an undelivered notification and an
//! open gap stay however old; and every batch finds its rows by a key, never a table scan.

use db_maintenance::purge::Statements;
use db_maintenance::tables::Table;
use testkit::Row;
use testkit::maintenance::{MARKET_DAYS, Maintenance, OPERATIONAL_DAYS, ago};

#[test]
fn rows_just_past_retention_go_and_rows_at_it_or_protected_stay() {
    let m = Maintenance::new(
        "[jobs.db-maintenance]\nbatch_pause_ms = 0\n\
         [jobs.db-maintenance.retention]\ncandles_days = { \"1minute\" = 30 }\n",
    );
    let (market, ops) = (MARKET_DAYS, OPERATIONAL_DAYS);
    // Candles: 1minute by its own retention, day by market data's.
    m.candle("NSE_EQ|A", 1, ago(30, -1));
    m.candle("NSE_EQ|A", 1, ago(30, 0));
    m.candle("NSE_EQ|A", 1440, ago(30, -1));
    m.candle("NSE_EQ|A", 1440, ago(market, -1));
    m.candle("NSE_EQ|A", 1440, ago(market, 0));
    m.candle("NSE_EQ|B", 1440, ago(market + 400, 0));
    m.quote("NSE_EQ|A", ago(market, -1));
    m.quote("NSE_EQ|A", ago(market, 0));
    // Option chains go by expiry date (IST): a day before the cutoff's date goes.
    m.option("NSE_INDEX|Nifty 50", ago(market + 1, 0));
    m.option("NSE_INDEX|Nifty 50", ago(market, 0));
    m.run_row("market-sync", "succeeded", ago(ops, -1));
    m.run_row("market-sync", "failed", ago(ops, 0));
    m.run_row("alert-scan", "running", ago(ops + 300, 0));
    m.notification("old-sent", ago(ops + 1, 0), Some(ago(ops, -1)));
    m.notification("recent-sent", ago(ops + 1, 0), Some(ago(ops, 0)));
    m.notification("never-sent", ago(ops + 300, 0), None);
    m.request("upstox", ago(ops, -1));
    m.request("upstox", ago(ops, 0));
    m.request("yahoo", ago(ops + 10, 0));
    m.gap("NSE_EQ|A", ago(ops + 10, 0), "filled", ago(ops, -1));
    m.gap("NSE_EQ|A", ago(ops + 9, 0), "unfillable", ago(ops, 0));
    m.gap("NSE_EQ|A", ago(ops + 300, 0), "open", ago(ops + 300, 0));

    m.job().run().expect(
        0,
        "purged 10 rows (candles 1minute 1, candles day 2, quotes 1, option_chain 1, \
             job_runs 1, notification_outbox 1, api_requests 2, data_gaps 1)",
        Row::status("succeeded").units(1, 0).rows(10),
    );

    let conn = m.db();
    let left = |sql: &str| -> Vec<String> {
        let mut stmt = conn.prepare(sql).unwrap();
        stmt.query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let ts = |d: chrono::DateTime<chrono::Utc>| d.timestamp().to_string();
    assert_eq!(
        left(
            "SELECT instrument || ' ' || interval || ' ' || ts FROM candles
             ORDER BY instrument, interval, ts"
        ),
        vec![
            format!("NSE_EQ|A 1 {}", ts(ago(30, 0))),
            format!("NSE_EQ|A 1440 {}", ts(ago(market, 0))),
            format!("NSE_EQ|A 1440 {}", ts(ago(30, -1))),
        ]
    );
    assert_eq!(m.count("quotes"), 1);
    assert_eq!(
        left("SELECT expiry FROM option_chain"),
        vec![common::calendar::today(ago(market, 0)).to_string()]
    );
    assert_eq!(
        left("SELECT job || ' ' || status FROM job_runs WHERE job <> 'db-maintenance' ORDER BY 1"),
        vec!["alert-scan running", "market-sync failed"]
    );
    assert_eq!(
        left("SELECT dedupe_key FROM notification_outbox ORDER BY 1"),
        vec!["never-sent", "recent-sent"]
    );
    assert_eq!(
        left("SELECT provider || ' ' || at_ms FROM api_requests"),
        vec![format!("upstox {}", ago(ops, 0).timestamp_millis())]
    );
    assert_eq!(
        left("SELECT status FROM data_gaps ORDER BY 1"),
        vec!["open", "unfillable"]
    );
}

#[test]
fn every_batch_and_count_seeks_its_rows_by_a_key_and_never_scans_a_table() {
    let m = Maintenance::new("");
    let conn = m.db();
    let plan = |sql: &str| -> Vec<String> {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let width = stmt.parameter_count();
        let nulls: Vec<rusqlite::types::Null> = vec![rusqlite::types::Null; width];
        stmt.query_map(rusqlite::params_from_iter(nulls), |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    for table in Table::ALL {
        let sql = Statements::of(table);
        for (what, statement) in [
            ("delete", &sql.delete),
            ("count", &sql.count),
            ("next group", &sql.next),
        ] {
            if statement.is_empty() {
                continue;
            }
            let steps = plan(statement);
            assert!(
                steps.iter().any(|s| s.starts_with("SEARCH "))
                    && !steps.iter().any(|s| s.starts_with("SCAN ")),
                "{table} {what}: {steps:?}\n{statement}"
            );
        }
        if !sql.first.is_empty() {
            // The first group is the first entry of the key: no sort, one row read.
            let steps = plan(&sql.first);
            assert!(
                !steps.iter().any(|s| s.contains("TEMP B-TREE")),
                "{table} first group: {steps:?}"
            );
        }
    }
}
