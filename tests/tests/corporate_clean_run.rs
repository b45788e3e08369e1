//! upstox-corporate-announcements against loopback exchanges: a clean run stores every
//! source's typed actions (BSE scrips mapped to NSE through the ISIN, unmapped ones kept and
//! counted), and a rerun changes nothing and notifies nothing.

use testkit::corporate::*;

/// nse-index-update's tables, as its migration makes them, with RELIANCE's ISIN: what maps
/// BSE's scrip 500325 to the NSE symbol.
fn with_nse_tables(s: &Setup) {
    let mut schemas = common::schemas::COMMON.to_vec();
    schemas.push(nse_index_update::store::SCHEMA);
    let conn = common::db::open(
        &s.sandbox.db_path(),
        std::time::Duration::from_secs(5),
        &schemas,
    )
    .unwrap();
    conn.execute(
        "INSERT INTO nse_sector_info (isin, symbol, company_name, industry, series, source_index, updated_on)
         VALUES ('INE002A01018', 'RELIANCE', 'Reliance Industries Ltd.', 'Oil Gas', 'EQ', 'NIFTY50', '2026-08-01')",
        [],
    )
    .unwrap();
}

#[test]
fn a_clean_run_stores_typed_actions_and_a_rerun_changes_nothing() {
    let s = setup();
    with_nse_tables(&s);
    let out = s.run(&[]).expect(
        0,
        "BSE scrips not mapped to NSE: 1",
        Row::status("succeeded").units(8, 0),
    );
    let conn = s.sandbox.db();
    let stored = announcements(&conn);
    let find = |source: &str, symbol: &str, kind: &str| {
        stored
            .iter()
            .find(|r| r.0 == source && r.1.as_deref() == Some(symbol) && r.2 == kind)
            .unwrap_or_else(|| panic!("no {source} {symbol} {kind} in {stored:#?}"))
    };
    let reliance = find("nse-actions", "RELIANCE", "dividend");
    assert_eq!(
        (reliance.3, reliance.4.as_deref(), reliance.5.as_deref()),
        (Some(100_000), Some("2026-08-12"), Some("2026-08-12"))
    );
    // The combined subject is two rows; the split and the bonus on one day are two rows.
    assert_eq!(
        stored
            .iter()
            .filter(|r| r.1.as_deref() == Some("INFY"))
            .count(),
        2
    );
    find("nse-actions", "HDFCBANK", "bonus");
    find("nse-actions", "HDFCBANK", "split");
    find("nse-actions", "BAJFINANCE", "rights");
    find("nse-actions", "NESTLEIND", "agm");
    find("nse-actions", "VEDL", "other");
    find("nse-board-meetings", "RELIANCE", "results");
    // BSE's RELIANCE is mapped through its ISIN; JONJUA is kept with its scrip code.
    let bse = find("bse-actions", "RELIANCE", "dividend");
    assert_eq!(bse.3, Some(100_000));
    let jonjua: (Option<String>, String) = conn
        .query_row(
            "SELECT symbol, scrip_code FROM corporate_announcements WHERE source = 'bse-actions' AND kind = 'bonus'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(jonjua, (None, "542446".to_string()));
    let results: Vec<(String, String, Option<String>)> = conn
        .prepare("SELECT source, date, symbol FROM earnings_calendar ORDER BY source, date")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        results,
        [
            (
                "bse-results".into(),
                "2026-10-16".into(),
                Some("RELIANCE".into())
            ),
            (
                "nse-board-meetings".into(),
                "2026-10-09".into(),
                Some("TCS".into())
            ),
            (
                "nse-board-meetings".into(),
                "2026-10-16".into(),
                Some("RELIANCE".into())
            ),
        ]
    );
    assert!(
        out.summary().contains("3 untyped (kind other)"),
        "{}",
        out.summary()
    );

    let rows_before = announcements(&conn);
    let outbox_before = outbox(&conn);
    s.run(&[]).expect(
        0,
        "0 new, 0 revised",
        Row::status("succeeded").units(8, 0).rows(0),
    );
    assert_eq!(announcements(&conn), rows_before);
    assert_eq!(outbox(&conn), outbox_before, "nothing notified twice");
    assert_eq!(count(&conn, "corporate_announcement_history"), 0);
}

#[test]
fn one_source_failing_does_not_stop_the_others() {
    let s = setup();
    s.server.script(
        "/bse/DefaultData/w",
        vec![testkit::Reply::Status(
            500,
            "<html>Server Error</html>".into(),
        )],
    );
    s.run(&[]).expect(
        1,
        "7/8 sources done",
        Row::status("partial").units(7, 1).error("bse-actions"),
    );
    let conn = s.sandbox.db();
    assert!(announcements(&conn).iter().all(|r| r.0 != "bse-actions"));
    assert!(announcements(&conn).iter().any(|r| r.0 == "nse-actions"));
}
