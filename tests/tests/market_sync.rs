//! upstox-market-sync against a synthetic market on loopback in Upstox's and Yahoo's formats:
//! first and incremental syncs, reruns, the calendar (holidays, half days), gaps, dry runs.

use testkit::Row;
use testkit::sync::*;

const RELIANCE: &str = "NSE_EQ|INE002A01018";
const NIFTY: &str = "NSE_INDEX|Nifty 50";

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
            "SELECT open, high, low, close, volume, source FROM candles
             WHERE instrument = ?1 AND interval = '15minute' AND ts = ?2",
            rusqlite::params![RELIANCE, ts],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            },
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
    // Three instruments and one option chain.
    assert!(summary.contains("4/4 instruments done"), "{summary}");
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
fn holidays_weekends_and_half_days_follow_the_nse_calendar() {
    // 2026-11-10 is an NSE holiday in the built-in list; the 19th is made a half day.
    let mut list = sessions(nov(1), nov(30));
    let half_close = chrono::NaiveTime::from_hms_opt(13, 0, 0).unwrap();
    for s in &mut list {
        if s.0 == nov(19) {
            s.2 = half_close;
        }
    }
    assert!(
        !list.iter().any(|s| s.0 == nov(10)),
        "the 10th is a holiday"
    );
    let mut w = World::with_sessions(list, "");
    // The half day, as a desk would record it before syncing.
    w.run_ok(&["--dry-run"]);
    let conn_path = w.sandbox.db_path();
    assert!(!conn_path.exists(), "a dry run writes nothing");
    w.run_ok(&[
        "--no-options",
        "--no-quotes",
        "--interval",
        "day",
        "--symbols",
        "RELIANCE",
    ]);
    w.db()
        .execute(
            "INSERT INTO market_holidays VALUES ('2026-11-19', 'Half day', 'special_session', '09:15', '13:00', 'test')",
            [],
        )
        .unwrap();
    w.run_ok(&["--no-options"]);
    let conn = w.db();
    let bars = stored(&conn, RELIANCE, "15minute");
    let on = |d| {
        bars.iter()
            .filter(|&&ts| ts >= ist(d, 0, 0).timestamp() && ts < ist(d, 23, 59).timestamp())
            .count()
    };
    assert_eq!(on(nov(18)), 25, "a full session");
    assert_eq!(on(nov(19)), 15, "09:15 to 13:00");
    assert_eq!(on(nov(10)), 0, "holiday");
    assert_eq!(count(&conn, "data_gaps"), 0, "closed time is not a gap");

    // A scheduled run on a holiday, a weekend, or before the open is skipped; --force runs.
    for (when, reason) in [
        (ist(nov(24), 11, 0), "NSE holiday"),
        (ist(nov(22), 11, 0), "Sunday"),
        (ist(nov(23), 8, 0), "opens at 09:15"),
    ] {
        w.set_now(when);
        let out = w.run_ok(&[]);
        assert!(out.summary().contains("skipped"), "{}", out.summary());
        assert!(out.stderr.contains(reason), "{}", out.stderr);
    }
    let forced = w.run_ok(&["--force", "--no-options", "--symbols", "RELIANCE"]);
    assert!(
        forced.summary().contains("succeeded"),
        "{}",
        forced.summary()
    );
}

#[test]
fn a_gap_is_recorded_then_backfilled_when_the_provider_has_it() {
    let w = World::new();
    let day = w
        .server
        .market()
        .bars(RELIANCE, "15minute", nov(18), nov(18));
    let hole = &day[4..8];
    w.server.hide(RELIANCE, "15minute", hole);
    let first = w.run_ok(&["--no-options"]);
    assert!(
        first.summary().contains("gaps: 1 open"),
        "{}",
        first.summary()
    );
    let conn = w.db();
    assert_eq!(
        gaps(&conn, RELIANCE, "15minute"),
        vec![(hole[0], hole[3], 4, "open".to_string(), 1)],
        "the backfill attempt found nothing: one attempt counted"
    );
    drop(conn);
    w.server.unhide_all();
    w.run_ok(&["--no-options"]);
    let conn = w.db();
    let g = gaps(&conn, RELIANCE, "15minute");
    assert_eq!(g.len(), 1);
    assert_eq!(g[0].3, "filled");
    let all = w
        .server
        .market()
        .bars(RELIANCE, "15minute", nov(10), nov(20));
    assert_eq!(stored(&conn, RELIANCE, "15minute"), all);
    // The gap's day was asked for on its own: a backfill, not a re-download.
    assert!(
        w.paths("/v3/historical-candle/NSE_EQ%7CINE002A01018/minutes/15/2026-11-18/2026-11-18")
            .len()
            >= 2
    );
}

#[test]
fn a_gap_the_provider_never_fills_becomes_unfillable_and_is_no_longer_asked_for() {
    let w = World::new();
    let day = w.server.market().bars(RELIANCE, "day", nov(17), nov(17));
    w.server.hide(RELIANCE, "day", &day);
    let gap_request = "/v3/historical-candle/NSE_EQ%7CINE002A01018/days/1/2026-11-17/2026-11-17";
    w.run_ok(&["--no-options"]);
    assert_eq!(gaps(&w.db(), RELIANCE, "day")[0].3, "open");
    w.run_ok(&["--no-options"]);
    let g = gaps(&w.db(), RELIANCE, "day");
    assert_eq!((g[0].3.as_str(), g[0].4), ("unfillable", 2), "{g:?}");
    let asked = w.paths(gap_request).len();
    assert_eq!(asked, 2);
    let out = w.run_ok(&["--no-options"]);
    assert_eq!(w.paths(gap_request).len(), asked, "not asked again");
    assert!(out.summary().contains("1 unfillable"), "{}", out.summary());
    let listing = w.sandbox.run(BIN, &["gaps", "--status", "unfillable"]);
    assert_eq!(listing.code, Some(0), "{}", listing.stderr);
    assert!(
        listing.stdout.contains("2026-11-17 00:00"),
        "{}",
        listing.stdout
    );
    assert!(listing.stdout.contains(RELIANCE), "{}", listing.stdout);
}

#[test]
fn an_invalid_candle_is_rejected_counted_reported_and_never_stored() {
    let w = World::new();
    let ts = w
        .server
        .market()
        .bars(RELIANCE, "15minute", nov(19), nov(19))[2];
    w.server.corrupt(RELIANCE, "15minute", ts);
    let out = w.run_ok(&["--no-options"]);
    assert!(
        out.summary().contains("invalid rejected (")
            && out.summary().contains("high below open, close or low"),
        "{}",
        out.summary()
    );
    assert!(
        out.stderr
            .contains("RELIANCE 15minute bar at 2026-11-19 09:45 IST: rejected"),
        "{}",
        out.stderr
    );
    let conn = w.db();
    assert!(!stored(&conn, RELIANCE, "15minute").contains(&ts));
    let bad: i64 = conn
        .query_row(
            "SELECT count(*) FROM candles WHERE high < low OR high < max(open, close)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(bad, 0);
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
        .query_row("SELECT DISTINCT source FROM candles", [], |r| r.get(0))
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
