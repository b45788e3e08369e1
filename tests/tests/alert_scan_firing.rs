//! upstox-alert-scan as a whole binary against the quote server on loopback: when alerts fire: once when their condition becomes true, after
//! missed minutes, cooldowns, re-arming, and rules renumbered.

use testkit::SmtpServer;
use testkit::alert_cases::*;
use testkit::alerts::*;
use testkit::sync::{ist, nov};

#[test]
fn alerts_arrive_by_email_once_each_when_their_condition_becomes_true() {
    let mut w = AlertWorld::new();
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(dir.path(), w.smtp_port);
    let (reliance, tcs, infy) = (flat_closes(60), sideways_closes(60), rise_then_fall());
    w.day_candles("RELIANCE", &reliance);
    w.day_candles("TCS", &tcs);
    w.day_candles("INFY", &infy);
    w.day_candles("WIPRO", &[500.0; 10]);
    let email = ["--channels", "email,database"];
    let price_rule = w.add_rule("RELIANCE", "price-above", &["level=2500"], &email);
    let rsi_rule = w.add_rule("TCS", "rsi-above", &["period=14", "level=70"], &email);
    let macd_rule = w.add_rule("INFY", "macd-cross-up", &[], &email);
    let short_rule = w.add_rule("WIPRO", "rsi-above", &[], &email);

    // 10:00: every condition false (and false at the last stored bar: the rules are armed).
    assert!(rsi14(&with(&tcs, 1010.0)) < 70.0);
    let (m, s) = macd(&with(&infy, 540.0));
    assert!(m < s);
    w.price("RELIANCE", 2490.0);
    w.price("TCS", 1010.0);
    w.price("INFY", 540.0);
    let first = w.run_ok(&[]);
    assert!(
        first.stderr.contains(&format!(
            "rule {short_rule} (WIPRO RSI(14) above 70 on day bars): not evaluated: needs 15 bars, 11 stored with the forming one"
        )),
        "{}",
        first.stderr
    );
    assert!(
        first
            .summary()
            .contains("4 rules on 4 symbols: 0 fired, 1 short of bars"),
        "{}",
        first.stderr
    );
    assert!(w.events().is_empty());
    assert!(smtp.messages().is_empty());

    // 10:01: the price crosses 2500, RSI crosses 70, MACD crosses its signal.
    w.at(10, 1);
    w.price("RELIANCE", 2512.25);
    w.price("TCS", 1025.0);
    w.price("INFY", 620.0);
    let rsi = rsi14(&with(&tcs, 1025.0));
    let (macd_line, signal) = macd(&with(&infy, 620.0));
    assert!(rsi > 70.0 && macd_line > signal);
    let fired = w.run_ok(&[]);
    assert!(
        fired
            .summary()
            .contains("4 rules on 4 symbols: 3 fired, 1 short of bars"),
        "{}",
        fired.stderr
    );
    assert!(
        fired.stderr.contains("notifications: 3 sent"),
        "{}",
        fired.stderr
    );
    let events = w.events();
    let seen: Vec<(i64, &str, f64, f64, f64, i64, &str)> = events
        .iter()
        .map(|e| {
            (
                e.rule_id,
                e.symbol.as_str(),
                e.value,
                e.threshold,
                e.price,
                e.bar_ts,
                e.fired_at.as_str(),
            )
        })
        .collect();
    let at = "2026-11-20T04:31:00.000Z";
    assert_eq!(
        seen,
        vec![
            (macd_rule, "INFY", macd_line, signal, 620.0, today_bar(), at),
            (
                price_rule,
                "RELIANCE",
                2512.25,
                2500.0,
                2512.25,
                today_bar(),
                at
            ),
            (rsi_rule, "TCS", rsi, 70.0, 1025.0, today_bar(), at),
        ]
    );

    assert_eq!(smtp.messages().len(), 3);
    let mail = mail_for(&smtp, "RELIANCE");
    assert_eq!(subject(&mail), "RELIANCE: price above 2500 (2512.25)");
    for line in [
        "RELIANCE: price above 2500 on day candles.",
        "Value: 2512.25 (threshold 2500.00)",
        "Last price: 2512.25",
        "Bar: 2026-11-20",
        "Time: 2026-11-20 10:01:00 IST",
        &format!("Rule #{price_rule};"),
    ] {
        assert!(mail.contains(line), "{line:?} in\n{mail}");
    }
    let mail = mail_for(&smtp, "TCS");
    assert_eq!(subject(&mail), format!("TCS: RSI(14) above 70 ({rsi:.2})"));
    assert!(
        mail.contains(&format!("Value: {rsi:.2} (threshold 70.00)")),
        "{mail}"
    );
    assert!(mail.contains("Time: 2026-11-20 10:01:00 IST"), "{mail}");
    let mail = mail_for(&smtp, "INFY");
    assert!(
        mail.contains(&format!(
            "Value: {} (threshold {})",
            number(macd_line),
            number(signal)
        )),
        "{mail}"
    );
    assert!(
        subject(&mail).starts_with("INFY: MACD(12,26,9) crossing above its signal"),
        "{mail}"
    );
    assert!(mail.contains("Time: 2026-11-20 10:01:00 IST"), "{mail}");

    // The same minute again: nothing new anywhere.
    let rerun = w.run_ok(&[]);
    assert!(rerun.summary().contains("0 fired"), "{}", rerun.stderr);
    assert_eq!(w.events(), events);
    assert_eq!(smtp.messages().len(), 3);
    // A minute later, every condition still true: still nothing (no false in between).
    w.at(10, 2);
    w.run_ok(&[]);
    assert_eq!(w.events(), events);
    assert_eq!(smtp.messages().len(), 3);
    let outbox = w.outbox();
    let keys: Vec<(String, i64, bool)> = outbox
        .iter()
        .map(|(key, channel, attempts, delivered)| {
            assert_eq!(channel, "email");
            (key.clone(), *attempts, *delivered)
        })
        .collect();
    let bar = today_bar();
    assert_eq!(
        keys,
        vec![
            (format!("alert:{macd_rule}:{bar}"), 1, true),
            (format!("alert:{price_rule}:{bar}"), 1, true),
            (format!("alert:{rsi_rule}:{bar}"), 1, true),
        ]
    );
}

#[test]
fn a_catch_up_run_after_missed_minutes_fires_once() {
    let (mut w, smtp, _dir, day_rule) = reliance_world("day", "30m");
    let minute_rule = w.add_rule(
        "RELIANCE",
        "price-above",
        &["level=2500"],
        &["--interval", "1minute", "--channels", "email,database"],
    );
    w.price("RELIANCE", 2490.0);
    w.run_ok(&[]);
    // 10:01 to 10:06 are missed while the price is above the level; the run at 10:07 tells it
    // once per rule, on the bar it sees.
    w.at(10, 7);
    w.price("RELIANCE", 2520.5);
    let out = w.run_ok(&[]);
    assert!(out.summary().contains("2 fired"), "{}", out.stderr);
    w.at(10, 8);
    w.run_ok(&[]);
    let fired: Vec<(i64, String, i64)> = w
        .events()
        .into_iter()
        .map(|e| (e.rule_id, e.interval, e.bar_ts))
        .collect();
    assert_eq!(
        fired,
        vec![
            (day_rule, "day".to_string(), today_bar()),
            (
                minute_rule,
                "1minute".to_string(),
                ist(nov(DAY), 10, 7).timestamp()
            ),
        ]
    );
    let mails = smtp.messages();
    assert_eq!(mails.len(), 2);
    assert!(
        mails
            .iter()
            .all(|m| m.contains("Time: 2026-11-20 10:07:00 IST")),
        "{mails:#?}"
    );
}

#[test]
fn a_rule_re_armed_inside_its_cooldown_waits_and_fires_once_after_it() {
    let (mut w, smtp, _dir, rule) = reliance_world("1minute", "10m");
    let step = |w: &mut AlertWorld, minute: u32, price: f64| {
        w.at(10, minute);
        w.price("RELIANCE", price);
        w.run_ok(&[]);
        w.events().len()
    };
    assert_eq!(step(&mut w, 0, 2490.0), 0);
    assert_eq!(step(&mut w, 1, 2510.0), 1, "crossed: fires");
    assert_eq!(step(&mut w, 2, 2495.0), 1, "false: re-armed");
    assert_eq!(step(&mut w, 3, 2505.0), 1, "true again inside the cooldown");

    let explain = w.run_ok(&["explain", "RELIANCE"]).into_outcome().stdout;
    assert!(
        explain.contains(&format!(
            "rule {rule} (email,database, 1minute bars, cooldown 10m): price above 2500: TRUE (2505.00 vs 2500.00); \
             last fired 2026-11-20 10:01:00 IST; would not fire: in its cooldown until 2026-11-20 10:11:00 IST"
        )),
        "{explain}"
    );
    assert_eq!(step(&mut w, 10, 2506.0), 1, "still inside the cooldown");
    assert_eq!(step(&mut w, 11, 2507.0), 2, "the cooldown has passed");
    assert_eq!(step(&mut w, 12, 2508.0), 2, "no false since");

    let fired: Vec<(i64, f64)> = w.events().iter().map(|e| (e.bar_ts, e.value)).collect();
    assert_eq!(
        fired,
        vec![
            (ist(nov(DAY), 10, 1).timestamp(), 2510.0),
            (ist(nov(DAY), 10, 11).timestamp(), 2507.0),
        ]
    );
    let mut times: Vec<String> = smtp
        .messages()
        .iter()
        .map(|m| {
            m.lines()
                .find(|l| l.starts_with("Time: "))
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    times.sort();
    assert_eq!(
        times,
        vec![
            "Time: 2026-11-20 10:01:00 IST",
            "Time: 2026-11-20 10:11:00 IST"
        ]
    );
}

#[test]
fn a_day_rule_re_armed_after_its_cooldown_fires_again_on_the_next_days_bar_not_the_same_one() {
    let (mut w, smtp, _dir, _) = reliance_world("day", "10m");
    for (minute, price) in [(0, 2490.0), (1, 2510.0), (2, 2490.0), (12, 2510.0)] {
        w.at(10, minute);
        w.price("RELIANCE", price);
        w.run_ok(&[]);
    }
    // Fired at 10:01, false at 10:02, true at 10:12 after the 10-minute cooldown: re-armed,
    // but alert_events holds one firing per rule and bar, and today's bar has had it.
    assert_eq!(w.events().len(), 1);
    assert_eq!(smtp.messages().len(), 1);
    let explained = w.run_ok(&["explain", "RELIANCE"]);
    assert!(
        explained
            .stdout
            .contains("would not fire: already fired on this bar; fires again on a later one"),
        "{}",
        explained.stdout
    );
    // Monday's bar is a new one.
    w.set_now(ist(nov(23), 9, 30));
    w.price("RELIANCE", 2515.0);
    w.run_ok(&[]);
    assert_eq!(w.events().len(), 2);
    assert_eq!(smtp.messages().len(), 2);
}

#[test]
fn a_rule_added_after_the_last_one_was_removed_gets_a_new_number_and_alerts() {
    let (mut w, smtp, _dir, old) = reliance_world("day", "30m");
    w.price("RELIANCE", 2490.0);
    w.run_ok(&[]);
    w.at(10, 1);
    w.price("RELIANCE", 2510.0);
    w.run_ok(&[]);
    assert_eq!(w.events().len(), 1);
    w.run_ok(&["rules", "remove", &old.to_string()]);
    let new = w.add_rule(
        "RELIANCE",
        "price-above",
        &["level=2505"],
        &["--channels", "email,database"],
    );
    assert_ne!(new, old, "alert_events still names rule {old}");
    w.at(10, 2);
    w.price("RELIANCE", 2500.0);
    w.run_ok(&[]);
    w.at(10, 3);
    w.price("RELIANCE", 2520.0);
    w.run_ok(&[]);
    assert_eq!(w.events().len(), 2);
    assert_eq!(smtp.messages().len(), 2);
}
