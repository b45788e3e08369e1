//! upstox-market-sync's checks of what it stores: gaps recorded and backfilled or given up,
//! invalid candles refused.

use testkit::sync::*;

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
fn gaps_prints_a_key_stored_with_escapes_by_an_earlier_version_escaped() {
    let w = World::new();
    w.run_ok(&[
        "--no-options",
        "--no-quotes",
        "--symbols",
        "TCS",
        "--interval",
        "day",
    ]);
    w.db()
        .execute(
            "INSERT INTO data_gaps (instrument, interval, gap_from, gap_to, bars, status, attempts, detected_at, updated_at)
             VALUES (?1, 'day', 0, 86400, 1, 'open', 0, 0, 0)",
            ["NSE_EQ|X\u{1b}[2J\n2026-11-20T10:00:00Z  INFO forged"],
        )
        .unwrap();
    let listing = w.sandbox.run(BIN, &["gaps", "--status", "open"]);
    assert_eq!(listing.code, Some(0), "{}", listing.stderr);
    assert!(!listing.stdout.contains('\u{1b}'), "{}", listing.stdout);
    assert!(
        listing
            .stdout
            .contains("NSE_EQ|X\\x1b[2J\\n2026-11-20T10:00:00Z  INFO forged"),
        "{}",
        listing.stdout
    );
}
