//! upstox-market-sync against a synthetic market on loopback in Upstox's and Yahoo's formats:
//! a first sync, reruns and the next day, dry runs, Yahoo without a token.

use testkit::Row;
use testkit::sync::*;

#[test]
fn a_first_sync_stores_every_bar_quotes_options_and_iv() {
    let w = World::new();
    let out = w.run_ok(&[]);
    let conn = w.db();
    let market = w.server.market();
    for (key, _, _) in INSTRUMENTS {
        let expected = market.bars(key, "15minute", nov(10), nov(20));
        assert_eq!(stored(&conn, key, "15minute"), expected, "{key}");
        let days = market.bars(key, "day", nov(20) - chrono::Days::new(45), nov(20));
        assert_eq!(stored(&conn, key, "day"), days, "{key}");
    }
    // Values are the server's, to the paisa.
    let ts = market.bars(RELIANCE, "15minute", nov(18), nov(18))[3];
    let want = market.candle(RELIANCE, "15minute", ts);
    let got: (f64, f64, f64, f64, i64, String) = conn
        .query_row(
            "SELECT open, high, low, close, volume, source FROM candles_ist
             WHERE instrument = ?1 AND interval = '15minute'
               AND ts_ist = datetime(?2, 'unixepoch', '+5 hours', '+30 minutes')",
            rusqlite::params![RELIANCE, ts],
            |r| r.try_into(),
        )
        .unwrap();
    assert_eq!(
        got,
        (
            want.open,
            want.high,
            want.low,
            want.close,
            want.volume as i64,
            "upstox".to_string()
        )
    );
    assert_eq!(count(&conn, "quotes"), 3);
    let nifty: f64 = conn
        .query_row(
            "SELECT value FROM index_values WHERE index_key = ?1",
            [NIFTY],
            |r| r.get(0),
        )
        .unwrap();
    assert!(nifty > 0.0);
    let (rows, with_greeks): (i64, i64) = conn
        .query_row(
            "SELECT count(*), count(delta) FROM option_chain WHERE underlying = ?1",
            [NIFTY],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(
        rows >= 2 * 2 * 11,
        "two expiries, CE and PE, 11 strikes: {rows}"
    );
    assert_eq!(rows, with_greeks);
    let (iv, sessions, hv20): (Option<f64>, i64, Option<f64>) = conn
        .query_row(
            "SELECT iv, iv_sessions, hv20 FROM iv_analysis WHERE underlying = ?1 AND date = '2026-11-20'",
            [NIFTY],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert!(iv.is_some_and(|iv| iv > 0.0), "{iv:?}");
    assert_eq!(sessions, 1);
    assert!(
        hv20.is_some_and(|hv| hv > 0.0),
        "30 day bars give a 20-day HV: {hv20:?}"
    );
    assert!(
        count(&conn, "instruments") >= 3,
        "the instrument master is kept"
    );
    assert_eq!(count(&conn, "data_gaps"), 0);
    let summary = out.summary();
    assert!(summary.contains(" market-sync succeeded in "), "{summary}");
    // Three instruments; the option chain is a unit, but not an instrument.
    assert!(summary.contains("3/3 instruments done"), "{summary}");
}

#[test]
fn a_rerun_changes_nothing_and_the_next_day_fetches_only_what_is_missing() {
    let mut w = World::new();
    w.set_now(ist(nov(19), 15, 45));
    w.run_ok(&["--no-options"]);
    let before = w.server.requests().len();
    let again = w.run_ok(&["--no-options"]);
    assert!(
        again.summary().contains(", 0 rows written"),
        "{}",
        again.summary()
    );

    w.set_now(ist(nov(20), 15, 45));
    w.run_ok(&["--no-options"]);
    let key = "NSE_EQ%7CINE002A01018";
    let next_day: Vec<String> = w.server.requests()[before..]
        .iter()
        .map(|r| r.path.clone())
        .filter(|p| p.contains(key) && p.contains("minutes/15"))
        .collect();
    // From the last stored day (19th, re-read whole) through today's intraday bars.
    assert!(
        next_day
            .iter()
            .any(|p| p.ends_with("/minutes/15/2026-11-19/2026-11-19")),
        "{next_day:?}"
    );
    assert!(
        next_day.iter().any(|p| p.contains("/intraday/")),
        "{next_day:?}"
    );
    assert!(
        !next_day.iter().any(|p| p.contains("2026-11-10")),
        "nothing already stored is fetched again: {next_day:?}"
    );
    let conn = w.db();
    let expected = w
        .server
        .market()
        .bars(RELIANCE, "15minute", nov(9), nov(20));
    assert_eq!(stored(&conn, RELIANCE, "15minute"), expected);
}

#[test]
fn a_dry_run_reports_what_it_would_write_and_writes_nothing() {
    let w = World::new();
    w.run_ok(&["--no-options", "--interval", "day"]);
    // A dry run does spend the shared request budget (api_requests); the data it leaves alone.
    let written = |w: &World| {
        let conn = w.db();
        ["candles", "quotes", "index_values", "data_gaps", "job_runs"].map(|t| count(&conn, t))
    };
    let before = written(&w);
    let out = w.run(&["--dry-run", "--no-options"]).expect(
        0,
        "not yet stored (nothing written)",
        Row::none(),
    );
    assert!(
        out.stderr.contains("RELIANCE: would write"),
        "{}",
        out.stderr
    );
    assert_eq!(written(&w), before, "nothing written");
    let conn = w.db();
    assert!(stored(&conn, RELIANCE, "15minute").is_empty());
}

#[test]
fn without_a_token_yahoo_serves_candles_and_drops_its_null_bars() {
    let w = World::new();
    w.without_token();
    let ts = w
        .server
        .market()
        .bars(RELIANCE, "15minute", nov(19), nov(19));
    w.server.yahoo_nulls("RELIANCE.NS", "15minute", &ts[..2]);
    let out = w.run_ok(&[]);
    assert!(out.stderr.contains("using Yahoo Finance"), "{}", out.stderr);
    assert!(
        out.summary().contains("2 null bars dropped"),
        "{}",
        out.summary()
    );
    let conn = w.db();
    let source: String = conn
        .query_row("SELECT DISTINCT source FROM candles_ist", [], |r| r.get(0))
        .unwrap();
    assert_eq!(source, "yahoo");
    // Day bars are stored at 00:00 IST whichever provider sent them.
    assert_eq!(
        stored(&conn, RELIANCE, "day"),
        w.server
            .market()
            .bars(RELIANCE, "day", nov(20) - chrono::Days::new(45), nov(20))
    );
    assert_eq!(
        count(&conn, "option_chain"),
        0,
        "Yahoo has no option chains"
    );
    assert_eq!(count(&conn, "quotes"), 3);
    assert!(
        w.paths("/v3").is_empty() && w.paths("/v2").is_empty(),
        "Upstox was not called"
    );
}

#[test]
fn an_interval_yahoo_lacks_is_refused_before_any_request_naming_what_yahoo_has() {
    let w = World::new();
    w.without_token();
    let out = w
        .run(&["--interval", "10minute", "--no-quotes", "--no-options"])
        .expect(78, "", Row::status("failed"));
    assert!(
        out.stderr.contains("yahoo has no 10minute bars: it has 1minute, 2minute, 5minute, 15minute, 30minute, 1hour, 90minute, day, week and month"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("upstox_token"), "{}", out.stderr);
    assert_eq!(count(&w.db(), "candles"), 0);
}
