//! The synthetic market server over real HTTP: Yahoo Finance charts.

use chrono::{TimeZone, Utc};
use serde_json::Value;
use testkit::probe::*;

#[test]
fn yahoo_charts_have_nse_meta_bar_starts_and_null_bars() {
    let server = server();
    let (p1, p2) = (ist(2026, 11, 16, 0, 0), ist(2026, 11, 18, 0, 0));
    let nulls = [ist(2026, 11, 16, 9, 20), ist(2026, 11, 17, 12, 55)];
    server.yahoo_nulls("RELIANCE.NS", "5m", &nulls);
    let r = get(
        &server,
        &format!(
            "/v8/finance/chart/RELIANCE.NS?interval=5m&period1={p1}&period2={p2}&includePrePost=false"
        ),
    );
    assert_eq!(r.status, 200);
    let v = r.json();
    let result = &v["chart"]["result"][0];
    assert_eq!(v["chart"]["error"], Value::Null);
    let meta = &result["meta"];
    assert_eq!(meta["exchangeName"], "NSI");
    assert_eq!(meta["timezone"], "IST");
    assert_eq!(meta["gmtoffset"], 19_800);
    assert_eq!(meta["exchangeTimezoneName"], "Asia/Kolkata");
    assert_eq!(meta["currency"], "INR");
    assert_eq!(meta["symbol"], "RELIANCE.NS");
    assert_eq!(meta["dataGranularity"], "5m");
    let ts: Vec<i64> = result["timestamp"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_i64().unwrap())
        .collect();
    assert_eq!(ts.len(), 75 + 45);
    assert_eq!(ts[0], ist(2026, 11, 16, 9, 15));
    assert_eq!(*ts.last().unwrap(), ist(2026, 11, 17, 12, 55));
    let quote = &result["indicators"]["quote"][0];
    for (i, t) in ts.iter().enumerate() {
        let null = nulls.contains(t);
        for field in ["open", "high", "low", "close", "volume"] {
            assert_eq!(quote[field][i].is_null(), null, "{field} at {t}");
        }
        if !null {
            let c = server.market().candle(RELIANCE, "5minute", *t);
            let close = quote["close"][i].as_f64().unwrap();
            // Float32-looking, like Yahoo's: within a float32 step of the 2-decimal price.
            assert!((close - c.close).abs() < 1e-3, "{close} vs {}", c.close);
            assert_eq!(quote["volume"][i].as_u64().unwrap(), c.volume);
        }
    }
    let real: Value = serde_json::from_str(REAL_YAHOO).unwrap();
    same_shape(&v, &real, "");

    // Day bars are stamped 09:15 IST, with adjclose; period2 is exclusive.
    let v = get(
        &server,
        &format!(
            "/v8/finance/chart/%5ENSEI?interval=1d&period1={p1}&period2={}",
            ist(2026, 11, 17, 9, 15)
        ),
    )
    .json();
    let result = &v["chart"]["result"][0];
    assert_eq!(
        result["timestamp"],
        serde_json::json!([ist(2026, 11, 16, 9, 15)])
    );
    assert_eq!(result["meta"]["instrumentType"], "INDEX");
    assert_eq!(result["indicators"]["quote"][0]["volume"][0], 0);
    assert!(result["indicators"]["adjclose"][0]["adjclose"][0].is_number());

    // range=1d is the current session so far.
    server.set_now(Utc.timestamp_opt(ist(2026, 11, 18, 9, 20), 0).unwrap());
    let v = get(
        &server,
        "/v8/finance/chart/RELIANCE.NS?range=1d&interval=1m",
    )
    .json();
    let ts = v["chart"]["result"][0]["timestamp"].as_array().unwrap();
    assert_eq!(ts.len(), 6);
    assert_eq!(v["chart"]["result"][0]["meta"]["range"], "1d");

    let r = get(&server, "/v8/finance/chart/NOPE.NS?range=1d&interval=1m");
    assert_eq!(r.status, 404);
    assert_eq!(
        String::from_utf8(r.body).unwrap(),
        r#"{"chart":{"result":null,"error":{"code":"Not Found","description":"No data found, symbol may be delisted"}}}"#
    );
    assert_eq!(
        get(
            &server,
            "/v8/finance/chart/RELIANCE.NS?range=1d&interval=7m"
        )
        .status,
        400
    );
    assert_eq!(
        get(
            &server,
            "/v8/finance/chart/RELIANCE.NS?period1=x&interval=1m"
        )
        .status,
        400
    );
}
