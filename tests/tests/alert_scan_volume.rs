//! upstox-alert-scan against the quote server on loopback: a volume-spike rule on day bars,
//! during the session, compares the day's volume so far with the average of full days
//! pro-rated to the share of the session gone by.

use testkit::Row;
use testkit::alert_cases::*;
use testkit::alerts::*;

/// Each stored day traded 100,000 (see `AlertWorld::day_candles`).
const FULL_DAY: f64 = 100_000.0;
/// 09:15 to 15:30 IST.
const SESSION_MINUTES: f64 = 375.0;

#[test]
fn a_day_volume_spike_fires_mid_session_on_a_like_for_like_spike_only() {
    let mut w = AlertWorld::new();
    w.day_candles("RELIANCE", &flat_closes(60));
    let rule = w.add_rule(
        "RELIANCE",
        "volume-spike",
        &["factor=2", "period=20"],
        &["--channels", "database"],
    );

    // 11:45, 150 of 375 minutes in: 40,000 is an ordinary day's pace (0.4 × 100,000).
    w.at(11, 45);
    w.day_volume("RELIANCE", 40_000);
    w.run(&[])
        .expect(0, "1 rules on 1 symbols: 0 fired", Row::status("succeeded"));
    assert!(w.events().is_empty(), "{:?}", w.events());

    // 11:46: 90,000 so far is more than twice the pace, though less than a whole day's.
    w.at(11, 46);
    w.day_volume("RELIANCE", 90_000);
    w.run(&[])
        .expect(0, "1 rules on 1 symbols: 1 fired", Row::status("succeeded"));
    let events = w.events();
    assert_eq!(events.len(), 1, "{events:?}");
    let threshold = 2.0 * FULL_DAY * 151.0 / SESSION_MINUTES;
    assert_eq!((events[0].rule_id, events[0].value), (rule, 90_000.0));
    assert!(
        (events[0].threshold - threshold).abs() < 1e-6,
        "{} vs {threshold}",
        events[0].threshold
    );
    assert_eq!(events[0].bar_ts, today_bar());
}

#[test]
fn a_day_volume_spike_waits_out_the_opening_minutes() {
    let mut w = AlertWorld::new();
    w.day_candles("RELIANCE", &flat_closes(60));
    let rule = w.add_rule(
        "RELIANCE",
        "volume-spike",
        &["factor=2", "period=20"],
        &["--channels", "database"],
    );
    // 09:20: five minutes in, the opening auction's volume alone is far above a pro-rated
    // average; the rule waits.
    w.at(9, 20);
    w.day_volume("RELIANCE", 50_000);
    let early = w.run(&[]).expect(
        0,
        "1 rules on 1 symbols: 0 fired, 1 not computable",
        Row::status("succeeded"),
    );
    assert!(
        early.stderr.contains(&format!(
            "rule {rule} (RELIANCE volume above 2 × its 20-bar average on day bars): not evaluated: the forming bar's volume is compared from 15 minutes into its trading time"
        )),
        "{}",
        early.stderr
    );

    assert!(w.events().is_empty(), "{:?}", w.events());
}
