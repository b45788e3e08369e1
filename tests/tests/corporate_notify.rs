//! Notifications for watched symbols, through the outbox, once each across runs: a new
//! announcement, an ex-date within the lead (2 trading days), a results date, in a trader's
//! words. Unwatched symbols are stored but not notified.

use testkit::corporate::*;

#[test]
fn a_watched_symbol_is_notified_once_across_two_runs() {
    let s = setup();
    s.run(&[]).ok();
    let conn = s.sandbox.db();
    let first = outbox(&conn);
    assert!(
        first.contains(
            &"RELIANCE: ex-dividend Rs 10 on Wed 12 Aug (record date 12 Aug)".to_string()
        ),
        "{first:#?}"
    );
    assert!(
        first.contains(&"RELIANCE: new announcement: Outcome of Board Meeting".to_string()),
        "{first:#?}"
    );
    assert!(
        first.contains(&"RELIANCE: results on Fri 16 Oct (quarter ended 30 Sep 2026)".to_string()),
        "{first:#?}"
    );
    // TCS is not watched; its ex-date is outside the lead anyway.
    assert!(first.iter().all(|m| !m.starts_with("TCS")), "{first:#?}");
    // NSE and BSE both report RELIANCE's dividend: one reminder of the ex-date.
    assert_eq!(
        first
            .iter()
            .filter(|m| m.contains("ex-dividend Rs 10 on Wed 12 Aug"))
            .count(),
        1,
        "{first:#?}"
    );

    s.run(&[]).ok();
    assert_eq!(outbox(&conn), first, "the second run notifies nothing new");
}

#[test]
fn the_active_members_of_the_configured_indices_are_watched_too() {
    let s = setup();
    let mut schemas = common::schemas::COMMON.to_vec();
    schemas.push(nse_index_update::store::SCHEMA);
    let conn = common::db::open(
        &s.sandbox.db_path(),
        std::time::Duration::from_secs(5),
        &schemas,
    )
    .unwrap();
    conn.execute_batch(
        "INSERT INTO nse_index_membership (index_name, isin, joined_on, left_on, symbol, company_name, series, industry)
         VALUES ('NIFTY50', 'INE467B01029', '2020-01-01', NULL, 'TCS', 'TCS', 'EQ', 'IT'),
                ('NIFTY50', 'INE009A01021', '2020-01-01', '2026-01-01', 'INFY', 'Infosys', 'EQ', 'IT');",
    )
    .unwrap();
    s.run(&[]).ok();
    let messages = outbox(&conn);
    assert!(
        messages.contains(&"TCS: results on Fri 9 Oct".to_string()),
        "{messages:#?}"
    );
    assert!(
        messages.contains(
            &"TCS: announced ex-dividend Rs 11 (interim) on Mon 17 Aug (record date 17 Aug)"
                .to_string()
        ),
        "{messages:#?}"
    );
    assert!(
        messages.iter().all(|m| !m.starts_with("INFY")),
        "INFY left the index: {messages:#?}"
    );
    // A board meeting for results and a dividend is two actions and one announcement: told
    // once (the simulated week found it told twice, word for word).
    let board = "TCS: new announcement: Financial Results/Dividend";
    assert_eq!(
        messages.iter().filter(|m| *m == board).count(),
        1,
        "{messages:#?}"
    );
}
