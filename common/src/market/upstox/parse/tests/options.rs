//! Upstox option chains and contracts: rows per side, greeks Upstox did not compute, expiries.

use super::*;
use crate::market::provider::{OptionRow, Side};

#[test]
fn real_option_chain_gives_a_row_per_side() {
    let rows = option_chain(&real("option_chain.json")).unwrap();
    let nifty = key("NSE_INDEX|Nifty 50");
    assert_eq!(
        rows,
        [
            OptionRow {
                underlying: nifty.clone(),
                spot: 22976.2,
                expiry: day("2025-02-13"),
                strike: 21100.0,
                side: Side::Call,
                instrument: "NSE_FO|51059".to_string(),
                ltp: Some(2449.9),
                bid: Some(1856.65),
                ask: Some(1941.65),
                volume: Some(0),
                oi: Some(750),
                iv: Some(262.31),
                delta: Some(0.743),
                gamma: Some(0.0001),
                theta: Some(-472.8941),
                vega: Some(4.1731),
            },
            OptionRow {
                underlying: nifty,
                spot: 22976.2,
                expiry: day("2025-02-13"),
                strike: 21100.0,
                side: Side::Put,
                instrument: "NSE_FO|51060".to_string(),
                ltp: Some(0.3),
                bid: Some(0.3),
                ask: Some(0.35),
                volume: Some(22_315_725),
                oi: Some(5_636_475),
                iv: Some(50.78),
                delta: Some(-0.0013),
                gamma: Some(0.0),
                theta: Some(-1.2461),
                vega: Some(0.0568),
            },
        ]
    );
}

#[test]
fn option_chain_strike_with_one_side_and_no_greeks() {
    let body = br#"{"status":"success","data":[{"expiry":"2026-11-24","pcr":0,"strike_price":26000,
        "underlying_key":"NSE_INDEX|Nifty 50","underlying_spot_price":25990.5,
        "put_options":{"instrument_key":"NSE_FO|51060","market_data":{"ltp":0,"volume":0,"oi":0.0,
        "close_price":0,"bid_price":0,"bid_qty":0,"ask_price":0,"ask_qty":0,"prev_oi":0}}}]}"#;
    let rows = option_chain(body).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].side, rows[0].strike), (Side::Put, 26000.0));
    assert_eq!(
        (rows[0].ltp, rows[0].bid, rows[0].ask),
        (Some(0.0), None, None)
    );
    assert_eq!(
        (rows[0].oi, rows[0].iv, rows[0].delta),
        (Some(0), None, None)
    );

    let bad = br#"{"status":"success","data":[{"expiry":"13-02-2025","strike_price":1,
        "underlying_key":"NSE_INDEX|Nifty 50","underlying_spot_price":1}]}"#;
    assert_eq!(
        detail(option_chain(bad)),
        "data[0]: expiry `13-02-2025` is not YYYY-MM-DD"
    );
}

/// (strike, side, iv, delta, gamma, theta, vega) of each row.
type Figures = (
    f64,
    Side,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
);

fn figures(rows: &[OptionRow]) -> Vec<Figures> {
    rows.iter()
        .map(|r| (r.strike, r.side, r.iv, r.delta, r.gamma, r.theta, r.vega))
        .collect()
}

#[test]
fn greeks_upstox_did_not_compute_are_none_and_rounded_zeros_are_kept() {
    // Upstox's format: deep in-the-money legs (the 24000 call, the 28000 put) come with IV 0
    // and every greek 0; the far out-of-the-money legs beside them have an IV and a gamma
    // rounded to 0.
    let rows = option_chain(include_bytes!("../../testdata/option_chain_deep_itm.json")).unwrap();
    assert_eq!(
        figures(&rows),
        [
            (24000.0, Side::Call, None, None, None, None, None),
            (
                24000.0,
                Side::Put,
                Some(38.12),
                Some(-0.0021),
                Some(0.0),
                Some(-0.9811),
                Some(0.0718)
            ),
            (
                26000.0,
                Side::Call,
                Some(11.74),
                Some(0.5012),
                Some(0.0011),
                Some(-11.4513),
                Some(11.8406)
            ),
            (
                26000.0,
                Side::Put,
                Some(11.25),
                Some(-0.4988),
                Some(0.0011),
                Some(-8.1392),
                Some(11.8417)
            ),
            (
                28000.0,
                Side::Call,
                Some(33.87),
                Some(0.0013),
                Some(0.0),
                Some(-0.6129),
                Some(0.0411)
            ),
            (28000.0, Side::Put, None, None, None, None, None),
        ]
    );
    // The market data of an uncomputed leg is kept: only the greeks were missing.
    assert_eq!((rows[0].ltp, rows[0].oi), (Some(1995.0), Some(1500)));
}

#[test]
fn without_an_iv_only_the_zero_greeks_go() {
    // Not seen from Upstox, but the rule holds for it: what was sent as a number other than 0
    // is kept, whatever the IV; an absent IV is like 0.
    let body = br#"{"status":"success","data":[{"expiry":"2026-11-24","strike_price":20000,
        "underlying_key":"NSE_INDEX|Nifty 50","underlying_spot_price":25990.5,
        "call_options":{"instrument_key":"NSE_FO|1","market_data":{"ltp":5990},
            "option_greeks":{"vega":0,"theta":0,"gamma":0,"delta":1,"iv":0}},
        "put_options":{"instrument_key":"NSE_FO|2","market_data":{"ltp":0.05},
            "option_greeks":{"vega":0.01,"theta":-0.0,"gamma":0,"delta":-0.0001}}}]}"#;
    assert_eq!(
        figures(&option_chain(body).unwrap()),
        [
            (20000.0, Side::Call, None, Some(1.0), None, None, None),
            (
                20000.0,
                Side::Put,
                None,
                Some(-0.0001),
                None,
                None,
                Some(0.01)
            ),
        ]
    );
}

#[test]
fn real_option_contracts_give_their_expiry_once() {
    assert_eq!(
        expiries(&real("option_contracts.json")).unwrap(),
        [day("2024-02-15")]
    );
}

#[test]
fn expiries_are_distinct_and_soonest_first() {
    let body = br#"{"status":"success","data":[{"expiry":"2024-03-28"},{"expiry":"2024-02-15"},
        {"expiry":"2024-03-28"},{"expiry":"2024-02-22"}]}"#;
    assert_eq!(
        expiries(body).unwrap(),
        [day("2024-02-15"), day("2024-02-22"), day("2024-03-28")]
    );
    assert_eq!(expiries(br#"{"status":"success","data":[]}"#).unwrap(), []);
    let numeric = br#"{"status":"success","data":[{"expiry":1708021799000}]}"#;
    assert_starts(
        &detail(expiries(numeric)),
        "invalid type: integer `1708021799000`, expected a string",
    );
}
