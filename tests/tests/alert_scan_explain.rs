//! upstox-alert-scan as a whole binary against the quote server on loopback: `explain`: the indicator values and every rule's state.

use common::indicators;
use testkit::Fault;
use testkit::alert_cases::*;
use testkit::alerts::*;
use testkit::sync::count;

#[test]
fn explain_prints_the_indicator_values_and_every_rules_state_and_writes_nothing() {
    let mut w = AlertWorld::new();
    let tcs = sideways_closes(60);
    w.day_candles("TCS", &tcs);
    let rsi_rule = w.add_rule("TCS", "rsi-above", &[], &["--channels", "database"]);
    let price_rule = w.add_rule(
        "TCS",
        "price-below",
        &["level=900"],
        &["--channels", "database", "--disabled"],
    );
    let long_rule = w.add_rule(
        "TCS",
        "rsi-below",
        &["period=100", "level=30"],
        &["--channels", "database"],
    );
    w.price("TCS", 1010.0);
    w.run_ok(&[]);
    w.at(10, 1);
    w.price("TCS", 1025.0);
    let states = |w: &AlertWorld| count(&w.db(), "alert_state");
    let before = states(&w);

    let out = w.run_ok(&["explain", "tcs"]);
    let all = with(&tcs, 1025.0);
    let lines = indicators::macd(&all, 12, 26, 9);
    let last = |v: &[Option<f64>]| v.last().copied().flatten().unwrap();
    let expected = [
        "TCS (NSE_EQ|INE467B01029): last price 1025.00".to_string(),
        format!(
            "  day: 61 bars with the forming one (2026-11-20): RSI(14) {}, MACD(12,26,9) {} signal {} histogram {}",
            number(rsi14(&all)),
            number(last(&lines.macd)),
            number(last(&lines.signal)),
            number(last(&lines.histogram))
        ),
        format!(
            "rule {rsi_rule} (database, day bars, cooldown 30m): RSI(14) above 70: TRUE ({:.2} vs 70.00); would fire now",
            rsi14(&all)
        ),
        format!(
            "rule {price_rule} (database, day bars, cooldown 30m, disabled): price below 900: false (1025.00 vs 900.00); armed"
        ),
        format!(
            "rule {long_rule} (database, day bars, cooldown 30m): RSI(100) below 30: not computable: needs 101 bars, has 61"
        ),
    ];
    assert_eq!(
        out.stdout.lines().collect::<Vec<_>>(),
        expected,
        "{}",
        out.stdout
    );
    assert_eq!(states(&w), before, "explain writes no state");
    assert!(w.events().is_empty(), "explain fires nothing");

    let none = w.run_ok(&["explain", "INFY"]);
    assert!(
        none.summary().contains("no rules for INFY"),
        "{}",
        none.stderr
    );
}

#[test]
fn explain_finds_the_rules_of_an_index_key() {
    let w = AlertWorld::new();
    let rule = w.add_rule(
        INDEX.0,
        "price-above",
        &["level=100000"],
        &["--channels", "database"],
    );
    let out = w.run_ok(&["explain", INDEX.0]);
    assert!(
        out.stdout
            .starts_with("Nifty 50 (NSE_INDEX|Nifty 50): last price "),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    assert!(
        out.stdout.contains(&format!(
            "rule {rule} (database, day bars, cooldown 30m): price above 100000: false"
        )),
        "{}",
        out.stdout
    );
}

/// TCS with 60 stored day bars and an RSI rule, in a world whose clock is 2026-11-20 10:00.
fn tcs_with_a_rule() -> (AlertWorld, Vec<f64>, i64) {
    let w = AlertWorld::new();
    let tcs = sideways_closes(60);
    w.day_candles("TCS", &tcs);
    let rule = w.add_rule("TCS", "rsi-above", &[], &["--channels", "database"]);
    (w, tcs, rule)
}

/// What `explain TCS` shows of [`tcs_with_a_rule`] without the live price, after its first line.
fn stored_only(tcs: &[f64], rule: i64) -> Vec<String> {
    let lines = indicators::macd(tcs, 12, 26, 9);
    let last = |v: &[Option<f64>]| v.last().copied().flatten().unwrap();
    vec![
        format!(
            "  day: 60 stored bars, the last 2026-11-19: RSI(14) {}, MACD(12,26,9) {} signal {} histogram {}",
            number(rsi14(tcs)),
            number(last(&lines.macd)),
            number(last(&lines.signal)),
            number(last(&lines.histogram))
        ),
        format!(
            "rule {rule} (database, day bars, cooldown 30m): RSI(14) above 70: not evaluated without the live price"
        ),
    ]
}

#[test]
fn explain_with_the_provider_refusing_connections_shows_the_stored_indicators_after_one_try() {
    let (w, tcs, rule) = tcs_with_a_rule();
    // Nothing listens on the provider's port.
    let dead = format!("http://127.0.0.1:{}", free_port());
    w.sandbox
        .write_config(&config(&dead, w.sandbox.path(), w.smtp_port));
    let out = w.run_ok(&["explain", "TCS"]);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines[0].starts_with("TCS (NSE_EQ|INE467B01029): live price unavailable (")
            && lines[0].ends_with("); indicators on the stored bars alone"),
        "{}",
        out.stdout
    );
    assert_eq!(lines[1..], stored_only(&tcs, rule), "{}", out.stdout);
    assert!(!out.stderr.contains("retrying"), "{}", out.stderr);
    assert!(
        out.summary().contains("live price unavailable"),
        "{}",
        out.stderr
    );
}

#[test]
fn explain_with_the_provider_stalling_makes_one_attempt_and_shows_the_stored_indicators() {
    let (w, tcs, rule) = tcs_with_a_rule();
    let stall = || Fault::Stall(std::time::Duration::from_secs(5));
    w.server
        .script("/v2/market-quote", vec![stall(), stall(), stall(), stall()]);
    let out = w.run_ok(&["explain", "TCS"]);
    assert_eq!(w.quote_requests().len(), 1, "one attempt: {}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines[0].starts_with("TCS (NSE_EQ|INE467B01029): live price unavailable ("),
        "{}",
        out.stdout
    );
    assert_eq!(lines[1..], stored_only(&tcs, rule), "{}", out.stdout);
}
