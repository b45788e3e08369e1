//! An announcement the exchange revised (a corrected amount, a new record date): the row is
//! updated and its previous values kept in corporate_announcement_history.

use testkit::corporate::*;

#[test]
fn a_revised_announcement_updates_the_row_and_keeps_the_old_values() {
    let s = setup_with("holidays = false\n");
    s.run(&[]).ok();
    s.server.set_root(&fixtures().join("revised"));
    s.run(&[]).expect(
        0,
        "0 new, 1 revised",
        Row::status("succeeded").units(6, 0).rows(1),
    );
    let conn = s.sandbox.db();
    let now: (i64, String) = conn
        .query_row(
            "SELECT amount, record_date FROM corporate_announcements WHERE source = 'nse-actions' AND symbol = 'RELIANCE'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(now, (105_000, "2026-08-13".to_string()));
    let before: (i64, String, String, i64) = conn
        .query_row(
            "SELECT amount, record_date, subject, revision FROM corporate_announcement_history",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(
        before,
        (
            100_000,
            "2026-08-12".to_string(),
            "Dividend - Rs 10 Per Share".to_string(),
            1
        )
    );
    // Seen again, the revision is no news.
    s.run(&[])
        .expect(0, "0 new, 0 revised", Row::status("succeeded").rows(0));
    assert_eq!(count(&conn, "corporate_announcement_history"), 1);
}
