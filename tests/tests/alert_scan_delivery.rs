//! upstox-alert-scan as a whole binary against the quote server on loopback: delivery: with the SMTP server down the alert waits in the outbox
//! and arrives once, late.

use testkit::SmtpServer;
use testkit::alert_cases::*;
use testkit::alerts::*;

#[test]
fn with_the_smtp_server_down_the_alert_waits_in_the_outbox_and_arrives_once_late() {
    let mut w = AlertWorld::new();
    w.day_candles("RELIANCE", &flat_closes(60));
    let rule = w.add_rule(
        "RELIANCE",
        "price-above",
        &["level=2500"],
        &["--channels", "email,database"],
    );
    w.price("RELIANCE", 2490.0);
    w.run_ok(&[]);

    // 10:01 fires while nothing listens on the SMTP port.
    w.at(10, 1);
    w.price("RELIANCE", 2512.25);
    let down = w.run_ok(&[]);
    assert!(
        down.stderr
            .contains("notifications: 0 sent, 1 failed and wait in the outbox"),
        "{}",
        down.stderr
    );
    assert_eq!(w.events().len(), 1, "recorded whatever the mail does");
    let key = format!("alert:{rule}:{}", today_bar());
    assert_eq!(
        w.outbox(),
        vec![(key.clone(), "email".to_string(), 1, false)]
    );

    // The retry waits for its backoff (a minute of real time); make it due, as a run a
    // minute later would find it.
    w.db()
        .execute(
            "UPDATE notification_outbox SET next_attempt_at = '2000-01-01T00:00:00.000Z'",
            [],
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(dir.path(), w.smtp_port);
    w.at(10, 2);
    let up = w.run_ok(&[]);
    assert!(up.stderr.contains("notifications: 1 sent"), "{}", up.stderr);
    assert!(up.summary().contains("0 fired"), "{}", up.stderr);
    let mail = smtp.messages();
    assert_eq!(mail.len(), 1);
    assert_eq!(subject(&mail[0]), "RELIANCE: price above 2500 (2512.25)");
    assert!(
        mail[0].contains("Time: 2026-11-20 10:01:00 IST"),
        "the message tells when it fired, not when it was sent: {}",
        mail[0]
    );
    assert_eq!(
        w.outbox(),
        vec![(key.clone(), "email".to_string(), 2, true)]
    );

    w.at(10, 3);
    w.run_ok(&[]);
    assert_eq!(smtp.messages().len(), 1, "delivered once");
    assert_eq!(w.outbox(), vec![(key, "email".to_string(), 2, true)]);
    assert_eq!(w.events().len(), 1);
}
