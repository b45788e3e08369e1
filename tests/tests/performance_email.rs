//! The daily report by email, through the outbox: off by default; when enabled, queued once
//! a date (a rerun queues nothing new), with the metrics table as its text.

use testkit::performance::{Desk, GENERIC_HEADER};

fn desk(extra: &str) -> Desk {
    let desk = Desk::new(extra);
    desk.two_weeks();
    let book = format!("{GENERIC_HEADER}\n1,INFY,BUY,10,1500,2026-11-16 10:00:00,,swing\n");
    assert_eq!(desk.import("book.csv", &book, &[]).code, Some(0));
    desk
}

fn outbox(desk: &Desk) -> Vec<(String, String, String, String)> {
    let conn = desk.sandbox.db();
    let mut stmt = conn
        .prepare("SELECT dedupe_key, channel, subject, body FROM notification_outbox ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

#[test]
fn the_report_is_not_emailed_unless_enabled() {
    let desk = desk("");
    desk.job().run().ok();
    assert!(outbox(&desk).is_empty());
}

#[test]
fn when_enabled_the_report_is_queued_once_a_date() {
    let desk = desk("[jobs.performance-analytics.email]\nenabled = true\n");
    desk.job().run().ok();
    let queued = outbox(&desk);
    assert_eq!(queued.len(), 1, "{queued:?}");
    let (key, channel, subject, body) = &queued[0];
    assert_eq!(
        (key.as_str(), channel.as_str()),
        ("performance:2026-11-27", "email")
    );
    assert_eq!(subject, "Trading performance to 2026-11-27");
    assert!(body.contains("Sharpe") && body.contains("swing"), "{body}");
    desk.job().run().ok();
    assert_eq!(outbox(&desk), queued);
}
