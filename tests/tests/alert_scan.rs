//! upstox-alert-scan as a whole binary: the rules command line, and scans at pinned minutes of
//! a session against the synthetic quote server on loopback, candles written straight into a
//! real `market_data.db`, and a real SMTP server process receiving the alerts.

use common::indicators;
use testkit::alerts::*;
use testkit::run::job_runs;
use testkit::sync::{count, ist, nov};
use testkit::{Row, SmtpServer};

/// Closes around 2,400 (RELIANCE stays under a 2,500 level).
fn flat_closes(n: usize) -> Vec<f64> {
    (0..n).map(|i| 2400.0 + (i % 5) as f64).collect()
}

/// Closes alternating 1,000 and 1,002: RSI(14) near 50, so a jump of the forming bar is what
/// takes it over 70.
fn sideways_closes(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| if i % 2 == 0 { 1000.0 } else { 1002.0 })
        .collect()
}

/// A rise for 40 sessions then a fall for 20: MACD(12,26,9) under its signal at the last one.
fn rise_then_fall() -> Vec<f64> {
    let mut closes: Vec<f64> = (0..40).map(|i| 500.0 + 2.0 * f64::from(i)).collect();
    closes.extend((0..20).map(|i| 578.0 - 3.0 * f64::from(i)));
    closes
}

/// `closes` with the forming bar's price appended.
fn with(closes: &[f64], price: f64) -> Vec<f64> {
    let mut all = closes.to_vec();
    all.push(price);
    all
}

/// RSI(14) at the last close.
fn rsi14(closes: &[f64]) -> f64 {
    indicators::rsi(closes, 14)
        .last()
        .copied()
        .flatten()
        .expect("enough closes for RSI(14)")
}

/// (MACD, signal) of MACD(12,26,9) at the last close.
fn macd(closes: &[f64]) -> (f64, f64) {
    let lines = indicators::macd(closes, 12, 26, 9);
    (
        lines.macd.last().copied().flatten().expect("MACD"),
        lines.signal.last().copied().flatten().expect("signal"),
    )
}

/// A number as the messages write it: two decimals, four below 1.
fn number(x: f64) -> String {
    if x.abs() >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.4}")
    }
}

/// The day bar of 2026-11-20, the session every scan here runs in.
fn today_bar() -> i64 {
    day_bar(nov(DAY))
}

/// The message of `smtp` whose subject starts with `symbol`; panics unless exactly one.
fn mail_for(smtp: &SmtpServer, symbol: &str) -> String {
    let mut found: Vec<String> = smtp
        .messages()
        .into_iter()
        .filter(|m| subject(m).starts_with(&format!("{symbol}: ")))
        .collect();
    assert_eq!(found.len(), 1, "one message for {symbol}: {found:#?}");
    found.remove(0)
}

/// A world with a rule on RELIANCE (price above 2500, email and database), its day candles
/// under the level, and the SMTP server running.
fn reliance_world(
    interval: &str,
    cooldown: &str,
) -> (AlertWorld, SmtpServer, tempfile::TempDir, i64) {
    let w = AlertWorld::new();
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(dir.path(), w.smtp_port);
    w.day_candles("RELIANCE", &flat_closes(60));
    let rule = w.add_rule(
        "RELIANCE",
        "price-above",
        &["level=2500"],
        &[
            "--interval",
            interval,
            "--cooldown",
            cooldown,
            "--channels",
            "email,database",
        ],
    );
    (w, smtp, dir, rule)
}

#[test]
fn rules_are_added_listed_switched_removed_and_exported_as_csv_that_imports_back_the_same() {
    let w = AlertWorld::new();
    let out = w.run_ok(&["rules", "add", "reliance", "price-above", "level=2500"]);
    assert_eq!(
        out.stdout,
        "added rule 1: RELIANCE price-above level=2500 (day; email,telegram,database; cooldown 30m)\n"
    );
    let tcs = w.add_rule(
        "TCS",
        "rsi-above",
        &["period=14", "level=75"],
        &[
            "--interval",
            "15minute",
            "--channels",
            "telegram",
            "--cooldown",
            "1h",
        ],
    );
    let infy = w.add_rule("INFY", "macd-cross-down", &[], &["--disabled"]);
    assert_eq!((tcs, infy), (2, 3));

    // The same symbol, kind, parameters and interval is the same rule: updated, not added.
    let again = w.run_ok(&[
        "rules",
        "add",
        "TCS",
        "rsi-above",
        "level=75",
        "--interval",
        "15minute",
        "--cooldown",
        "2h",
    ]);
    assert_eq!(
        again.stdout,
        "rule 2 already watches this; its channels, cooldown and switch were updated\n"
    );

    let list = w.run_ok(&["rules", "list"]).into_outcome().stdout;
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 4, "{list}");
    assert!(lines[0].starts_with("  ID  SYMBOL"), "{list}");
    for (line, words) in lines[1..].iter().zip([
        &["1", "RELIANCE", "price above 2500", "day", "30m", "yes"][..],
        &["2", "TCS", "RSI(14) above 75", "15minute", "2h", "yes"],
        &[
            "3",
            "INFY",
            "MACD(12,26,9) crossing below its signal",
            "day",
            "no",
        ],
    ]) {
        for word in words {
            assert!(line.contains(word), "{word:?} in {line:?}");
        }
        assert!(line.ends_with("not evaluated yet"), "{line}");
    }

    assert_eq!(
        w.run_ok(&["rules", "disable", "1"]).stdout,
        "disabled rule 1\n"
    );
    assert_eq!(
        w.run_ok(&["rules", "enable", "3"]).stdout,
        "enabled rule 3\n"
    );
    let enabled: Vec<(i64, bool)> = rule_rows(&w.db()).iter().map(|r| (r.0, r.7)).collect();
    assert_eq!(enabled, vec![(1, false), (2, true), (3, true)]);
    assert_eq!(
        w.run_ok(&["rules", "remove", "2"]).stdout,
        "removed rule 2\n"
    );
    let missing = w.run(&["rules", "remove", "2", "99"]);
    assert_eq!(missing.code, Some(65), "{}", missing.stderr);
    assert!(
        missing.stderr.contains("no rule numbered 2, 99"),
        "{}",
        missing.stderr
    );
    let ids: Vec<i64> = rule_rows(&w.db()).iter().map(|r| r.0).collect();
    assert_eq!(ids, vec![1, 3]);

    let exported = w.run_ok(&["rules", "export"]).into_outcome().stdout;
    assert_eq!(
        exported,
        "symbol,kind,params,interval,channels,cooldown,enabled\n\
         RELIANCE,price-above,level=2500,day,\"email,telegram,database\",30m,false\n\
         INFY,macd-cross-down,fast=12 slow=26 signal=9,day,\"email,telegram,database\",30m,true\n"
    );
    let file = w.sandbox.path().join("rules.csv");
    std::fs::write(&file, &exported).unwrap();
    let file = file.to_str().unwrap();

    // Into a fresh data directory, then out again: the same file.
    let fresh = AlertWorld::new();
    let imported = fresh.run_ok(&["rules", "import", file]);
    assert_eq!(
        imported.stdout,
        format!("imported {file}: 2 added, 0 already there (updated)\n")
    );
    assert_eq!(fresh.run_ok(&["rules", "export"]).stdout, exported);
    let rows = rule_rows(&fresh.db());
    let again = fresh.run_ok(&["rules", "import", file]);
    assert_eq!(
        again.stdout,
        format!("imported {file}: 0 added, 2 already there (updated)\n")
    );
    assert_eq!(rule_rows(&fresh.db()), rows, "a re-import adds nothing");
}

#[test]
fn a_bad_rule_is_refused_with_its_reason_and_a_file_with_bad_lines_stores_nothing() {
    let w = AlertWorld::new();
    w.add_rule("RELIANCE", "price-above", &["level=2500"], &[]);
    let before = rule_rows(&w.db());

    let bad = w.run(&["rules", "add", "TCS", "rsi-above", "level=150"]);
    assert_eq!(bad.code, Some(65), "{}", bad.stderr);
    assert!(
        bad.stderr
            .contains("invalid rule: level=150 must be a number above 0 and below 100"),
        "{}",
        bad.stderr
    );
    assert_eq!(rule_rows(&w.db()), before);

    let file = w.sandbox.path().join("bad.csv");
    std::fs::write(
        &file,
        "symbol,kind,params,interval,channels,cooldown,enabled\n\
         TCS,rsi-below,period=14 level=30,day,email,1h,true\n\
         TCS,rsi-above,level=150\n\
         INFY,macd-cross-up,,day\n\
         WIPRO,moon-phase,,day\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let out = w.run(&["rules", "import", file]);
    assert_eq!(out.code, Some(65), "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "{file}:3: level=150 must be a number above 0 and below 100"
        )),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains(&format!("{file}:5: unknown kind \"moon-phase\"")),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("2 invalid lines (above); nothing was imported"),
        "{}",
        out.stderr
    );
    assert_eq!(
        rule_rows(&w.db()),
        before,
        "the good lines of a bad file are not stored either"
    );
}

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
        (ist(nov(21), 11, 0), "2026-11-21 11:00:00 IST"), // Saturday
        (ist(nov(DAY), 9, 0), "2026-11-20 09:00:00 IST"), // before the open
        (ist(nov(DAY), 15, 31), "2026-11-20 15:31:00 IST"), // after the close
    ] {
        w.set_now(when);
        let closed =
            format!("skipped, the NSE market is closed at {ist_text}; --force runs anyway");
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
