//! The synthetic market server over real HTTP: full quotes, option contracts and chains, the
//! instrument master and synthetic equities.

use chrono::{TimeZone, Utc};
use serde_json::Value;
use std::io::Read;
use std::time::Instant;
use testkit::market::{Market, MarketServer, synthetic_equities, weekday_sessions};
use testkit::probe::*;

#[test]
fn quotes_are_keyed_by_trading_symbol_and_carry_the_instrument_key() {
    let server = server();
    server.set_now(Utc.timestamp_opt(ist(2026, 11, 17, 10, 0) + 42, 0).unwrap());
    let r = get(
        &server,
        "/v2/market-quote/quotes?instrument_key=NSE_EQ%7CINE002A01018,NSE_INDEX%7CNifty%2050,NSE_EQ%7CINE999Z99999",
    );
    assert_eq!(r.status, 200);
    let v = r.json();
    let data = v["data"].as_object().unwrap();
    let mut keys: Vec<&str> = data.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["NSE_EQ:RELIANCE", "NSE_INDEX:Nifty 50"]);
    let q = &data["NSE_EQ:RELIANCE"];
    assert_eq!(q["instrument_token"], RELIANCE);
    assert_eq!(q["symbol"], "RELIANCE");
    let last_bar = server
        .market()
        .candle(RELIANCE, "1minute", ist(2026, 11, 17, 10, 0));
    assert!((q["last_price"].as_f64().unwrap() - last_bar.close).abs() < 1e-3);
    assert_eq!(q["ohlc"]["close"].as_f64().unwrap(), last_bar.close);
    let first_bar = server
        .market()
        .candle(RELIANCE, "1minute", ist(2026, 11, 17, 9, 15));
    assert_eq!(q["ohlc"]["open"].as_f64().unwrap(), first_bar.open);
    let ltt: i64 = q["last_trade_time"].as_str().unwrap().parse().unwrap();
    assert!(
        ltt >= ist(2026, 11, 17, 10, 0) * 1000 && ltt <= (ist(2026, 11, 17, 10, 0) + 42) * 1000
    );
    assert_eq!(q["timestamp"], "2026-11-17T10:00:42.000+05:30");
    assert_eq!(q["depth"]["buy"].as_array().unwrap().len(), 5);
    assert!(
        q["depth"]["buy"][0]["price"].as_f64().unwrap()
            <= q["depth"]["sell"][0]["price"].as_f64().unwrap()
    );
    assert!(q["volume"].as_u64().unwrap() > 0);
    let index = &data["NSE_INDEX:Nifty 50"];
    assert_eq!(index["instrument_token"], NIFTY);
    assert_eq!(index["volume"], 0);
    assert_eq!(index["depth"]["sell"][0]["quantity"], 0);
    let real: Value = serde_json::from_str(REAL_QUOTE).unwrap();
    same_shape(q, &real["data"]["NSE_EQ:NHPC"], "quote");

    let many: Vec<String> = (0..501).map(|i| format!("NSE_EQ%7CINE{i:09}")).collect();
    let r = get(
        &server,
        &format!("/v2/market-quote/quotes?instrument_key={}", many.join(",")),
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["errors"][0]["errorCode"], "UDAPI100043");
    assert_eq!(get(&server, "/v2/market-quote/quotes").status, 400);
}

#[test]
fn option_contracts_and_chains_follow_weekly_expiries_and_the_spot() {
    let server = server();
    server.set_now(Utc.timestamp_opt(ist(2026, 11, 17, 11, 0), 0).unwrap());
    let v = get(
        &server,
        "/v2/option/contract?instrument_key=NSE_INDEX%7CNifty%2050",
    )
    .json();
    let contracts = v["data"].as_array().unwrap();
    assert_eq!(contracts.len(), 3 * 11 * 2);
    let mut expiries: Vec<&str> = contracts
        .iter()
        .map(|c| c["expiry"].as_str().unwrap())
        .collect();
    expiries.dedup();
    // Thursday the 26th is a holiday: that week expires on Wednesday.
    assert_eq!(expiries, ["2026-11-19", "2026-11-25", "2026-12-03"]);
    let c = &contracts[0];
    assert_eq!(c["underlying_key"], NIFTY);
    assert_eq!(c["name"], "NIFTY");
    assert!(
        c["trading_symbol"]
            .as_str()
            .unwrap()
            .ends_with(" CE 19 NOV 26")
    );
    assert_eq!(
        c["instrument_key"].as_str().unwrap(),
        format!("NSE_FO|{}", c["exchange_token"].as_str().unwrap())
    );
    let keys: std::collections::HashSet<&str> = contracts
        .iter()
        .map(|c| c["instrument_key"].as_str().unwrap())
        .collect();
    assert_eq!(keys.len(), contracts.len(), "unique keys");
    // The last expiry of November is the monthly one.
    assert!(
        contracts
            .iter()
            .any(|c| c["expiry"] == "2026-11-25" && c["weekly"] == false)
    );
    let real: Value = serde_json::from_str(REAL_CONTRACTS).unwrap();
    same_shape(&v, &real, "");
    let v = get(
        &server,
        "/v2/option/contract?instrument_key=NSE_INDEX%7CNifty%2050&expiry_date=2026-11-19",
    )
    .json();
    assert_eq!(v["data"].as_array().unwrap().len(), 22);

    let chain = |s: &MarketServer| {
        get(
            s,
            "/v2/option/chain?instrument_key=NSE_INDEX%7CNifty%2050&expiry_date=2026-11-19",
        )
        .json()
    };
    let v = chain(&server);
    let rows = v["data"].as_array().unwrap();
    assert_eq!(rows.len(), 11);
    let strikes: Vec<i64> = rows
        .iter()
        .map(|r| r["strike_price"].as_i64().unwrap())
        .collect();
    assert!(strikes.windows(2).all(|w| w[1] - w[0] == 50));
    let spot = rows[0]["underlying_spot_price"].as_f64().unwrap();
    assert!(
        (strikes[5] as f64 - spot).abs() <= 25.0,
        "ATM {} vs spot {spot}",
        strikes[5]
    );
    let ivs: Vec<f64> = rows
        .iter()
        .map(|r| r["call_options"]["option_greeks"]["iv"].as_f64().unwrap())
        .collect();
    assert!(ivs.iter().all(|iv| *iv > 1.0 && *iv < 100.0), "{ivs:?}");
    assert!(ivs[0] != ivs[5] && ivs[10] != ivs[5], "a smile: {ivs:?}");
    for r in rows {
        let call = &r["call_options"]["market_data"];
        assert!(call["bid_price"].as_f64().unwrap() <= call["ask_price"].as_f64().unwrap());
        let delta = r["put_options"]["option_greeks"]["delta"].as_f64().unwrap();
        assert!((-1.0..=0.0).contains(&delta));
    }
    let real: Value = serde_json::from_str(REAL_CHAIN).unwrap();
    same_shape(&v, &real, "");
    assert_eq!(chain(&server), v, "deterministic");
    server.set_now(Utc.timestamp_opt(ist(2026, 11, 18, 11, 0), 0).unwrap());
    let next_day = chain(&server);
    assert_ne!(
        next_day["data"][5]["call_options"]["option_greeks"]["iv"],
        v["data"][5]["call_options"]["option_greeks"]["iv"]
    );

    assert_eq!(
        get(
            &server,
            "/v2/option/chain?instrument_key=NSE_INDEX%7CNifty%2050"
        )
        .status,
        400
    );
    assert_eq!(
        get(
            &server,
            "/v2/option/contract?instrument_key=NSE_INDEX%7CNope"
        )
        .status,
        400
    );
}

#[test]
fn option_chains_leave_greeks_uncomputed_miss_the_spot_or_list_past_expiries_on_request() {
    const CHAIN: &str =
        "/v2/option/chain?instrument_key=NSE_INDEX%7CNifty%2050&expiry_date=2026-11-19";
    let server = server();
    server.set_now(Utc.timestamp_opt(ist(2026, 11, 17, 11, 0), 0).unwrap());
    let normal = get(&server, CHAIN).json();

    server.uncomputed_greeks_beyond(Some(100));
    let v = get(&server, CHAIN).json();
    let rows = v["data"].as_array().unwrap();
    let spot = rows[0]["underlying_spot_price"].as_f64().unwrap();
    let mut zeroed = 0;
    for (r, before) in rows.iter().zip(normal["data"].as_array().unwrap()) {
        let strike = r["strike_price"].as_f64().unwrap();
        for (side, in_the_money) in [
            ("call_options", spot - strike),
            ("put_options", strike - spot),
        ] {
            let greeks = &r[side]["option_greeks"];
            if in_the_money > 100.0 {
                zeroed += 1;
                for g in ["vega", "theta", "gamma", "delta", "iv", "pop"] {
                    assert_eq!(greeks[g].as_f64(), Some(0.0), "{strike} {side} {g}");
                }
                assert_eq!(r[side]["market_data"], before[side]["market_data"]);
            } else {
                assert_eq!(greeks, &before[side]["option_greeks"], "{strike} {side}");
            }
        }
    }
    assert!((6..=8).contains(&zeroed), "{zeroed}");
    let real: Value = serde_json::from_str(REAL_CHAIN).unwrap();
    same_shape(&v, &real, "");
    server.uncomputed_greeks_beyond(None);
    assert_eq!(get(&server, CHAIN).json(), normal);

    server.shift_strikes(1000);
    let v = get(&server, CHAIN).json();
    let strikes: Vec<f64> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["strike_price"].as_f64().unwrap())
        .collect();
    assert!(
        strikes[0] - spot > 700.0 && strikes[0] - spot < 800.0,
        "{strikes:?} {spot}"
    );
    let contracts = get(
        &server,
        "/v2/option/contract?instrument_key=NSE_INDEX%7CNifty%2050&expiry_date=2026-11-19",
    )
    .json();
    assert_eq!(
        contracts["data"][0]["strike_price"].as_f64(),
        Some(strikes[0])
    );

    server.only_past_expiries();
    let v = get(
        &server,
        "/v2/option/contract?instrument_key=NSE_INDEX%7CNifty%2050",
    )
    .json();
    let mut expiries: Vec<&str> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["expiry"].as_str().unwrap())
        .collect();
    expiries.dedup();
    assert_eq!(
        expiries,
        ["2026-10-22", "2026-10-29", "2026-11-05", "2026-11-12"],
        "the four weeks before the 17th"
    );
}

#[test]
fn the_instrument_master_is_gzipped_json_in_upstox_format() {
    let server = server();
    let r = get(&server, "/instruments/NSE.json.gz");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Encoding"), None);
    let mut json = String::new();
    flate2::read::GzDecoder::new(r.body.as_slice())
        .read_to_string(&mut json)
        .unwrap();
    let v: Value = serde_json::from_str(&json).unwrap();
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let eq = rows
        .iter()
        .find(|r| r["instrument_key"] == RELIANCE)
        .unwrap();
    assert_eq!(eq["segment"], "NSE_EQ");
    assert_eq!(eq["isin"], "INE002A01018");
    assert_eq!(eq["instrument_type"], "EQ");
    assert_eq!(eq["trading_symbol"], "RELIANCE");
    assert_eq!(eq["lot_size"], 1);
    assert!(eq["exchange_token"].is_string());
    let index = rows.iter().find(|r| r["instrument_key"] == NIFTY).unwrap();
    assert_eq!(index["instrument_type"], "INDEX");
    assert_eq!(index["name"], "Nifty 50");
    assert!(index.get("isin").is_none());
}

#[test]
fn synthetic_equities_have_valid_isins() {
    let list = synthetic_equities(1200);
    assert_eq!(list[0].1, "SYM001");
    assert_eq!(list[0].2, "SYM001.NS");
    let keys: std::collections::HashSet<&str> = list.iter().map(|l| l.0.as_str()).collect();
    assert_eq!(keys.len(), 1200);
    for (key, _, _) in &list {
        let isin = key.strip_prefix("NSE_EQ|INE").unwrap();
        assert_eq!(isin.len(), 9);
        assert!(isin.chars().all(|c| c.is_ascii_alphanumeric()));
    }
}

/// Not a check: how fast the server makes candles. Run with
/// `cargo test --release -p upstox-jobs-tests --test market_server -- --ignored --nocapture`.
#[test]
#[ignore]
fn generation_speed() {
    let equities = synthetic_equities(50);
    let list: Vec<(&str, &str, &str)> = equities
        .iter()
        .map(|(k, s, y)| (k.as_str(), s.as_str(), y.as_str()))
        .collect();
    let sessions = weekday_sessions(date(2026, 9, 1), date(2026, 10, 31));
    let server = MarketServer::start(Market::new(sessions).with_instruments(&list)).unwrap();
    let started = Instant::now();
    let (mut candles, mut bytes) = (0, 0);
    for (key, _, _) in &equities {
        for (to, from) in [("2026-09-30", "2026-09-01"), ("2026-10-31", "2026-10-01")] {
            let r = get(&server, &hist(key, "minutes/1", to, from));
            bytes += r.body.len();
            // Counted by their time stamps, so client-side JSON parsing is not timed.
            candles += r.body.windows(7).filter(|w| w == b"+05:30\"").count();
        }
    }
    let client = started.elapsed();
    // The server alone: the same bodies without HTTP or JSON parsing on the client side.
    let m = server.market();
    let started = Instant::now();
    let mut n = 0;
    for (key, _, _) in &equities {
        for ts in m.bars(key, "1minute", date(2026, 9, 1), date(2026, 10, 31)) {
            n += m.candle(key, "1minute", ts).volume.min(1);
        }
    }
    let gen_only = started.elapsed();
    println!(
        "{candles} candles, {} MB over HTTP in {client:?} ({:.0} candles/s, one request at a time); \
         candle() alone: {n} in {gen_only:?} ({:.0}/s)",
        bytes / 1_000_000,
        candles as f64 / client.as_secs_f64(),
        n as f64 / gen_only.as_secs_f64()
    );
}
