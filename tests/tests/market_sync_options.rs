//! upstox-market-sync's option data against the synthetic market in Upstox's format: greeks
//! Upstox did not compute stored as NULL, an ATM IV only at a strike near spot, and no
//! `iv_analysis` row without a figure when no expiry lies ahead.

use rusqlite::Connection;
use testkit::market::Fault;
use testkit::sync::*;

/// A stored NIFTY option.
#[derive(Debug)]
struct Stored {
    strike: f64,
    side: String,
    spot: f64,
    /// iv, delta, gamma, theta, vega.
    figures: [Option<f64>; 5],
}

fn options(conn: &Connection) -> Vec<Stored> {
    let mut stmt = conn
        .prepare(
            "SELECT strike, option_type, spot, iv, delta, gamma, theta, vega FROM option_chain
             WHERE underlying = ?1 ORDER BY expiry, strike, option_type",
        )
        .unwrap();
    stmt.query_map([NIFTY], |r| {
        Ok(Stored {
            strike: r.get(0)?,
            side: r.get(1)?,
            spot: r.get(2)?,
            figures: [r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?],
        })
    })
    .unwrap()
    .collect::<rusqlite::Result<_>>()
    .unwrap()
}

/// A NIFTY `iv_analysis` row.
#[derive(Debug, PartialEq)]
struct IvRow {
    date: String,
    expiry: Option<String>,
    iv: Option<f64>,
    hv20: Option<f64>,
}

fn iv_rows(conn: &Connection) -> Vec<IvRow> {
    let mut stmt = conn
        .prepare("SELECT date, expiry, iv, hv20 FROM iv_analysis WHERE underlying = ?1")
        .unwrap();
    stmt.query_map([NIFTY], |r| {
        Ok(IvRow {
            date: r.get(0)?,
            expiry: r.get(1)?,
            iv: r.get(2)?,
            hv20: r.get(3)?,
        })
    })
    .unwrap()
    .collect::<rusqlite::Result<_>>()
    .unwrap()
}

#[test]
fn greeks_upstox_did_not_compute_are_stored_as_null_and_the_rest_as_sent() {
    let w = World::new();
    w.server.uncomputed_greeks_beyond(Some(100));
    w.run_ok(&["--no-quotes"]);
    let conn = w.db();
    let rows = options(&conn);
    assert_eq!(
        rows.len(),
        2 * 11 * 2,
        "two expiries, 11 strikes, CE and PE"
    );
    let mut uncomputed = 0;
    for o in &rows {
        let in_the_money = if o.side == "CE" {
            o.spot - o.strike
        } else {
            o.strike - o.spot
        };
        if in_the_money > 100.0 {
            uncomputed += 1;
            assert_eq!(o.figures, [None; 5], "{o:?}");
        } else {
            assert!(o.figures.iter().all(|f| f.is_some()), "{o:?}");
            assert!(o.figures[0].is_some_and(|iv| iv > 0.0), "{o:?}");
        }
    }
    // ATM ± 5 strikes 50 apart: the 3 or 4 calls below spot − 100 and as many puts above
    // spot + 100, in each expiry.
    assert!(
        (12..=16).contains(&uncomputed),
        "{uncomputed} of {}",
        rows.len()
    );
    let ivs = iv_rows(&conn);
    assert_eq!(ivs.len(), 1, "{ivs:?}");
    assert!(
        ivs[0].iv.is_some_and(|iv| iv > 1.0),
        "the ATM IV is unaffected: {ivs:?}"
    );
}

#[test]
fn a_strike_grid_far_from_spot_gives_no_atm_iv_and_the_warning_says_why() {
    let w = World::new();
    w.server.shift_strikes(1000);
    let out = w.run_ok(&["--no-quotes"]);
    let conn = w.db();
    let rows = options(&conn);
    assert_eq!(rows.len(), 2 * 11 * 2, "the chain itself is stored");
    let spot = rows[0].spot;
    let nearest = rows.iter().map(|r| r.strike).fold(f64::INFINITY, f64::min);
    assert!(nearest - spot > 700.0, "{nearest} vs {spot}");
    let ivs = iv_rows(&conn);
    assert_eq!(ivs.len(), 1, "{ivs:?}");
    assert_eq!((&ivs[0].expiry, ivs[0].iv), (&None, None), "{ivs:?}");
    assert!(ivs[0].hv20.is_some(), "the HVs still make the row: {ivs:?}");
    let said = format!(
        "options {NIFTY}: no ATM IV: spot {spot}, nearest strike with an IV {nearest} \
         (2026-11-26 expiry) is {:.2} away, more than the 50 (one strike step) allowed",
        nearest - spot
    );
    assert!(out.stderr.contains(&said), "{said}\n{}", out.stderr);
}

#[test]
fn a_wider_atm_max_distance_takes_the_far_strike() {
    let w = World::with_sessions(
        sessions(nov(1) - chrono::Days::new(31), nov(30)),
        "atm_max_distance = 1000",
    );
    w.server.shift_strikes(1000);
    let out = w.run_ok(&["--no-quotes"]);
    let ivs = iv_rows(&w.db());
    assert_eq!(ivs.len(), 1, "{ivs:?}");
    assert_eq!(ivs[0].expiry.as_deref(), Some("2026-11-26"), "{ivs:?}");
    assert!(ivs[0].iv.is_some_and(|iv| iv > 1.0), "{ivs:?}");
    assert!(!out.stderr.contains("no ATM IV"), "{}", out.stderr);
}

#[test]
fn with_every_expiry_past_the_day_keeps_its_historical_volatility_and_no_iv() {
    let w = World::new();
    w.server.only_past_expiries();
    let out = w.run_ok(&["--no-quotes"]);
    let conn = w.db();
    assert!(options(&conn).is_empty());
    assert!(
        w.paths("/v2/option/chain").is_empty(),
        "no chain of a past expiry is asked for"
    );
    let ivs = iv_rows(&conn);
    assert_eq!(ivs.len(), 1, "{ivs:?}");
    let row = &ivs[0];
    assert_eq!(
        (row.date.as_str(), &row.expiry, row.iv),
        ("2026-11-20", &None, None)
    );
    assert!(row.hv20.is_some_and(|hv| hv > 0.0), "{ivs:?}");
    let said = format!(
        "options {NIFTY}: no expiry on or after 2026-11-20 (the last listed is 2026-11-19): \
         no option chain"
    );
    assert!(out.stderr.contains(&said), "{said}\n{}", out.stderr);
}

#[test]
fn with_no_expiry_and_no_day_closes_no_iv_analysis_row_is_written() {
    let w = World::new();
    w.server.script(
        "/v2/option/contract",
        vec![Fault::Status(
            200,
            r#"{"status":"success","data":[]}"#.to_string(),
            None,
        )],
    );
    // 15-minute bars only: no day closes for a historical volatility either.
    let out = w.run_ok(&["--no-quotes", "--interval", "15minute"]);
    let conn = w.db();
    assert!(options(&conn).is_empty());
    assert_eq!(iv_rows(&conn), [], "no row whose every figure is NULL");
    for said in [
        format!(
            "options {NIFTY}: no expiry on or after 2026-11-20 (none is listed): no option chain"
        ),
        format!("options {NIFTY}: no iv_analysis row: no ATM IV and too few day closes"),
    ] {
        assert!(out.stderr.contains(&said), "{said}\n{}", out.stderr);
    }
}
