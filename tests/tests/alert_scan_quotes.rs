//! upstox-alert-scan against the quote server on loopback: a quote that fails validation (a
//! last price of −5 or 0) is refused, and no rule ever fires on it.

use testkit::Row;
use testkit::SmtpServer;
use testkit::alerts::*;

#[test]
fn a_price_of_minus_5_or_0_is_refused_and_no_rule_fires_on_it() {
    let mut w = AlertWorld::new();
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(dir.path(), w.smtp_port);
    let channels = ["--channels", "email,database"];
    let reliance = w.add_rule("RELIANCE", "price-below", &["level=100"], &channels);
    w.add_rule("TCS", "price-below", &["level=100"], &channels);
    w.price("RELIANCE", -5.0);
    w.price("TCS", 0.0);
    let out = w.run(&[]).expect(
        65,
        "0/2 symbols done",
        Row::status("failed").units(0, 2).error(&format!(
            "RELIANCE: no rule evaluated: the provider's {} quote at 2026-11-20 10:00 IST: refused, price not a positive number (last -5,",
            key("RELIANCE")
        )),
    );
    assert!(
        out.stderr.contains(&format!(
            "TCS: no rule evaluated: the provider's {} quote at 2026-11-20 10:00 IST: refused, price not a positive number (last 0,",
            key("TCS")
        )),
        "{}",
        out.stderr
    );
    assert!(w.events().is_empty(), "{:?}", w.events());
    assert!(w.outbox().is_empty(), "{:?}", w.outbox());
    assert!(smtp.messages().is_empty());

    // A real price under the level, a minute later: the rule was left armed, and fires.
    w.price("RELIANCE", 95.0);
    w.price("TCS", 150.0);
    w.at(10, 1);
    w.run(&[])
        .expect(0, "2 rules on 2 symbols: 1 fired", Row::status("succeeded"));
    let events = w.events();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!((events[0].rule_id, events[0].price), (reliance, 95.0));
}
