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
