//! upstox-alert-scan as a whole binary against the quote server on loopback: what a scan run does: dry runs, market hours, and one quote request
//! for every symbol with enabled rules.

use testkit::Row;
use testkit::alert_cases::*;
use testkit::alerts::*;
use testkit::run::job_runs;
use testkit::sync::{count, ist, nov};

#[test]
fn a_dry_run_prints_what_would_fire_and_writes_nothing() {
    let (mut w, smtp, _dir, rule) = reliance_world("day", "30m");
    w.price("RELIANCE", 2490.0);
    w.run_ok(&[]);
    let state = |w: &AlertWorld| -> (i64, i64) {
        w.db()
            .query_row(
                "SELECT armed, bar_ts FROM alert_state WHERE rule_id = ?1",
                [rule],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
    };
    let armed = state(&w);
    let runs = job_runs(&w.db()).len();

    w.at(10, 1);
    w.price("RELIANCE", 2512.25);
    let dry = w.run(&["--dry-run"]).expect(0, "(dry run)", Row::none());
    assert_eq!(
        dry.stdout,
        format!(
            "would fire: rule {rule} RELIANCE: price above 2500 (2512.25 vs 2500.00) on the day bar 2026-11-20\n"
        )
    );
    assert!(w.events().is_empty());
    assert!(w.outbox().is_empty());
    assert!(smtp.messages().is_empty());
    assert_eq!(state(&w), armed, "the rule's state is untouched");
    assert_eq!(job_runs(&w.db()).len(), runs, "a dry run records no run");

    // The real run at the same minute fires: the dry run took nothing away.
    w.run_ok(&[]);
    assert_eq!(w.events().len(), 1);
    assert_eq!(smtp.messages().len(), 1);
}

#[test]
fn outside_market_hours_a_run_is_skipped_unless_forced() {
    let (mut w, smtp, _dir, _) = reliance_world("day", "30m");
    w.price("RELIANCE", 2512.25);
    for (when, ist_text) in [
        (ist(nov(21), 11, 0), "2026-11-21 11:00:00 IST: Saturday"),
        (
            ist(nov(DAY), 9, 0),
            "2026-11-20 09:00:00 IST: it opens at 09:15 IST",
        ),
        (
            ist(nov(DAY), 15, 31),
            "2026-11-20 15:31:00 IST: it closed at 15:30 IST",
        ),
    ] {
        w.set_now(when);
        // The one wording every market-hours job uses (common::schedule::Gate).
        let closed = format!("skipped, market closed at {ist_text}; --force runs anyway");
        w.run(&[])
            .expect(0, &closed, Row::status("skipped").units(0, 0));
    }
    assert!(
        w.quote_requests().is_empty(),
        "a skipped run asks for no price"
    );
    assert!(w.events().is_empty());
    let skipped = job_runs(&w.db())
        .into_iter()
        .filter(|r| r.job == "alert-scan" && r.status == "skipped")
        .count();
    assert_eq!(skipped, 3);

    // Forced on the Saturday: Friday's bar is the latest, and the price is over the level.
    w.set_now(ist(nov(21), 11, 0));
    let forced = w.run_ok(&["--force"]);
    assert!(forced.summary().contains("1 fired"), "{}", forced.stderr);
    assert_eq!(w.quote_requests().len(), 1);
    assert_eq!(w.events()[0].bar_ts, today_bar());
    assert_eq!(smtp.messages().len(), 1);
}

#[test]
fn one_quote_request_carries_the_keys_of_every_symbol_with_enabled_rules() {
    let w = AlertWorld::new();
    for symbol in ["RELIANCE", "TCS", "INFY"] {
        w.add_rule(
            symbol,
            "price-above",
            &["level=100000"],
            &["--channels", "database"],
        );
    }
    w.add_rule(
        "WIPRO",
        "price-above",
        &["level=100000"],
        &["--channels", "database", "--disabled"],
    );
    let out = w.run_ok(&[]);
    assert!(
        out.summary().contains("3 rules on 3 symbols: 0 fired"),
        "{}",
        out.stderr
    );
    let requests = w.quote_requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    let query = requests[0]
        .strip_prefix("/v2/market-quote/quotes?instrument_key=")
        .unwrap()
        .replace("%7C", "|");
    let mut keys: Vec<&str> = query.split(',').collect();
    keys.sort();
    assert_eq!(
        keys,
        vec![key("RELIANCE"), key("INFY"), key("TCS")],
        "every enabled rule's symbol, the disabled one's not"
    );
    assert_eq!(count(&w.db(), "alert_state"), 3);
}
