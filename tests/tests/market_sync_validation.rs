//! upstox-market-sync refusing what fails validation: quotes with a last price of −5 or 0, and
//! candle answers with nothing valid or more invalid than `max_invalid_share` allows, while a
//! mostly good answer is still stored.

use rusqlite::Connection;
use testkit::Row;
use testkit::sync::*;

const TCS: &str = "NSE_EQ|INE467B01029";

/// The instruments with a stored quote, sorted.
fn quoted(conn: &Connection) -> Vec<String> {
    let mut stmt = conn
        .prepare("SELECT DISTINCT instrument FROM quotes ORDER BY instrument")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Quotes stored with a last price of zero or below.
fn bad_quotes(conn: &Connection) -> i64 {
    conn.query_row("SELECT count(*) FROM quotes WHERE ltp <= 0", [], |r| {
        r.get(0)
    })
    .unwrap()
}

#[test]
fn a_quote_at_minus_5_or_0_is_refused_counted_and_logged_never_stored() {
    let w = World::new();
    let quotes_only = ["--no-options", "--interval", "day"];
    w.server.pin_last_price(RELIANCE, Some(-5.0));
    let out = w.run_ok(&quotes_only);
    assert!(
        out.summary().contains("2 quotes, 1 invalid quote refused"),
        "{}",
        out.summary()
    );
    assert!(
        out.stderr.contains(&format!(
            "{RELIANCE} quote at 2026-11-20 15:29 IST: refused, price not a positive number (last -5,"
        )),
        "{}",
        out.stderr
    );
    let conn = w.db();
    assert_eq!(quoted(&conn), vec![TCS.to_string(), NIFTY.to_string()]);
    assert_eq!(bad_quotes(&conn), 0);
    drop(conn);

    w.server.pin_last_price(RELIANCE, None);
    w.server.pin_last_price(TCS, Some(0.0));
    let out = w.run_ok(&quotes_only);
    assert!(
        out.summary().contains("1 invalid quote refused"),
        "{}",
        out.summary()
    );
    assert!(
        out.stderr.contains(&format!(
            "{TCS} quote at 2026-11-20 15:29 IST: refused, price not a positive number (last 0,"
        )),
        "{}",
        out.stderr
    );
    assert_eq!(bad_quotes(&w.db()), 0);
}

#[test]
fn a_quote_answer_mostly_refused_fails_the_quotes_unit_with_65_and_stores_none() {
    let w = World::new();
    w.server.pin_last_price(RELIANCE, Some(-5.0));
    w.server.pin_last_price(TCS, Some(0.0));
    w.run(&["--no-options", "--interval", "day"]).expect(
        1,
        "3/3 instruments done, 96 candles fetched, 96 rows written, 2 invalid quotes refused; errors: quotes:",
        Row::status("partial").units(3, 1).error(
            "quotes: 2 of 3 quotes from upstox failed validation (more than max_invalid_share 0.5",
        ),
    );
    assert!(quoted(&w.db()).is_empty(), "none of that answer stored");
}

#[test]
fn an_answer_with_every_bar_invalid_fails_its_instrument_with_65() {
    let w = World::new();
    let bars = w
        .server
        .market()
        .bars(RELIANCE, "day", nov(20) - chrono::Days::new(45), nov(20));
    assert!(bars.len() >= 30, "{}", bars.len());
    for &ts in &bars {
        w.server.corrupt(RELIANCE, "day", ts);
    }
    let reliance_day = [
        "--no-options",
        "--no-quotes",
        "--symbols",
        "RELIANCE",
        "--interval",
        "day",
    ];
    let out = w.run(&reliance_day).expect(
        65,
        "0/1 instrument done",
        Row::status("failed").units(0, 1).error(&format!(
            "RELIANCE: {n} of {n} day bars from upstox failed validation",
            n = bars.len()
        )),
    );
    assert!(
        out.summary()
            .contains(&format!("{} invalid rejected (", bars.len())),
        "{}",
        out.summary()
    );
    assert!(stored(&w.db(), RELIANCE, "day").is_empty());

    // With the other instruments, which are sound: they are stored, the run is partial.
    w.run(&["--no-options", "--no-quotes", "--interval", "day"])
        .expect(
            1,
            "2/3 instruments done",
            Row::status("partial").units(2, 1).error("RELIANCE: "),
        );
    assert!(stored(&w.db(), RELIANCE, "day").is_empty());
    assert!(!stored(&w.db(), TCS, "day").is_empty());
}

#[test]
fn a_mostly_good_answer_is_stored_without_its_bad_bars_and_a_mostly_bad_one_is_not() {
    let w = World::new();
    let bars = w
        .server
        .market()
        .bars(RELIANCE, "day", nov(20) - chrono::Days::new(45), nov(20));
    // A third of the answer invalid: within the default 0.5.
    let bad: Vec<i64> = bars.iter().copied().step_by(3).collect();
    for &ts in &bad {
        w.server.corrupt(RELIANCE, "day", ts);
    }
    let reliance_day = [
        "--no-options",
        "--no-quotes",
        "--symbols",
        "RELIANCE",
        "--interval",
        "day",
    ];
    let out = w.run(&reliance_day).expect(
        0,
        "1/1 instrument done",
        Row::status("succeeded").units(1, 0),
    );
    // Gaps the refused bars leave are asked for again, and refused again: at least these.
    assert!(
        out.summary().contains("invalid rejected (")
            && out
                .stderr
                .contains("rejected, high below open, close or low"),
        "{}",
        out.summary()
    );
    let good: Vec<i64> = bars.iter().copied().filter(|t| !bad.contains(t)).collect();
    assert_eq!(stored(&w.db(), RELIANCE, "day"), good);

    // The same answer where at most a quarter may be invalid: refused whole.
    let config = w.sandbox.path().join("config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    w.sandbox.write_config(&text.replace(
        "[jobs.market-sync]\n",
        "[jobs.market-sync]\nmax_invalid_share = 0.25\n",
    ));
    w.run(&[&reliance_day[..], &["--force"]].concat()).expect(
        65,
        "0/1 instrument done",
        Row::status("failed")
            .units(0, 1)
            .error("(more than max_invalid_share 0.25 of [jobs.market-sync])"),
    );
}

#[test]
fn an_invalid_share_outside_0_to_1_is_a_configuration_error_naming_the_key() {
    let w = World::new();
    let config = w.sandbox.path().join("config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    for share in ["1.5", "-0.1"] {
        w.sandbox.write_config(&text.replace(
            "[jobs.market-sync]\n",
            &format!("[jobs.market-sync]\nmax_invalid_share = {share}\n"),
        ));
        let out = w.run(&["--no-options"]);
        assert_eq!(out.code, Some(78), "{}", out.stderr);
        assert!(
            out.stderr.contains(&format!(
                "[jobs.market-sync] max_invalid_share = {share}: use a share from 0"
            )),
            "{}",
            out.stderr
        );
        assert!(out.stderr.contains("config.toml"), "{}", out.stderr);
    }
    for share in ["0", "1"] {
        w.sandbox.write_config(&text.replace(
            "[jobs.market-sync]\n",
            &format!("[jobs.market-sync]\nmax_invalid_share = {share}\n"),
        ));
        w.run_ok(&["--no-options", "--no-quotes", "--interval", "day"]);
    }
}
