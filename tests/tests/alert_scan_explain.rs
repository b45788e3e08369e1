//! upstox-alert-scan as a whole binary against the quote server on loopback: `explain`: the indicator values and every rule's state.

use common::indicators;
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
