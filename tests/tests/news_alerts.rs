//! News alerts by email through the outbox, once each across runs: strongly negative articles
//! about a watched symbol, and the symbol's daily mean below the level, which a second run
//! adding to the same day does not send again.

use testkit::SmtpServer;
use testkit::news::{NewsWorld, rss};
use testkit::world::{email, free_port};

const BAD: [(&str, &str, &str, &str); 3] = [
    (
        "Paytm shares crash 20% after RBI action, hit lower circuit",
        "https://x.in/1",
        "Tue, 03 Feb 2026 10:00:00 +0530",
        "",
    ),
    (
        "Paytm net loss widens sharply; revenue falls 30%",
        "https://x.in/2",
        "Tue, 03 Feb 2026 11:00:00 +0530",
        "",
    ),
    (
        "Paytm faces ED probe over forex violations; shares plunge",
        "https://x.in/3",
        "Tue, 03 Feb 2026 12:00:00 +0530",
        "",
    ),
];
const MORE: (&str, &str, &str, &str) = (
    "Paytm shares tumble again as brokers downgrade to sell",
    "https://x.in/4",
    "Tue, 03 Feb 2026 14:00:00 +0530",
    "",
);
const OTHER: (&str, &str, &str, &str) = (
    "TCS shares crash on weak guidance",
    "https://x.in/5",
    "Tue, 03 Feb 2026 14:00:00 +0530",
    "",
);

#[test]
fn a_news_alert_is_sent_once_across_two_runs() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let smtp = SmtpServer::start(dir.path(), port);
    let w = NewsWorld::start(&["et"], false, "watchlist = [\"PAYTM\"]\n");
    w.write_config(&email(port, "jobs@desk.example"));
    w.server.set_feed("et", rss(&BAD));
    let first = w.run(&[]).ok();
    assert!(
        first.summary().contains("4 alerts queued"),
        "{}",
        first.stderr
    );
    let subjects = |smtp: &SmtpServer| -> Vec<String> {
        smtp.messages()
            .iter()
            .filter_map(|m| {
                m.lines()
                    .find(|l| l.starts_with("Subject:"))
                    .map(str::to_string)
            })
            .collect()
    };
    let sent = subjects(&smtp);
    assert_eq!(sent.len(), 4, "{sent:?}");
    assert_eq!(
        sent.iter().filter(|s| s.contains("news sentiment")).count(),
        1,
        "{sent:?}"
    );

    // The same day gets one more bad story about PAYTM, and one about an unwatched symbol.
    w.server
        .set_feed("et", rss(&[BAD[0], BAD[1], BAD[2], MORE, OTHER]));
    let second = w.run(&[]).ok();
    assert!(
        second.summary().contains("1 alerts queued"),
        "{}",
        second.stderr
    );
    let sent = subjects(&smtp);
    assert_eq!(sent.len(), 5, "{sent:?}");
    assert_eq!(
        sent.iter().filter(|s| s.contains("news sentiment")).count(),
        1,
        "the day's alert was not sent again: {sent:?}"
    );
    assert!(!sent.iter().any(|s| s.contains("TCS")), "{sent:?}");
    let keys: i64 = w
        .sandbox
        .db()
        .query_row(
            "SELECT COUNT(DISTINCT dedupe_key) FROM notification_outbox",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(keys, 5);
}
