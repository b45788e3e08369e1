//! The synthetic market server over real HTTP: historical and intraday candles (sessions,
//! today, bad requests, concurrent clients, hidden and corrupt bars).

use chrono::{TimeZone, Utc};
use serde_json::Value;
use testkit::probe::*;

#[test]
fn historical_minutes_are_newest_first_with_a_bar_per_minute_of_each_session() {
    let server = server();
    let r = get(
        &server,
        &hist(RELIANCE, "minutes/1", "2026-11-17", "2026-11-16"),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Connection"), Some("close"));
    assert_eq!(r.header("Content-Type"), Some("application/json"));
    let v = r.json();
    assert_eq!(v["status"], "success");
    let candles = v["data"]["candles"].as_array().unwrap();
    // 375 for the full day, 225 for the half day to 13:00.
    assert_eq!(candles.len(), 375 + 225);
    assert_eq!(candles[0][0], "2026-11-17T12:59:00+05:30");
    assert_eq!(candles[224][0], "2026-11-17T09:15:00+05:30");
    assert_eq!(candles[225][0], "2026-11-16T15:29:00+05:30");
    assert_eq!(candles[599][0], "2026-11-16T09:15:00+05:30");
    let stamps: Vec<&str> = candles.iter().map(|c| c[0].as_str().unwrap()).collect();
    assert!(stamps.windows(2).all(|w| w[0] > w[1]), "newest first");
    for c in candles {
        let c = c.as_array().unwrap();
        assert_eq!(c.len(), 7);
        check_ohlc(c);
        assert!(c[5].as_u64().unwrap() > 0);
        assert_eq!(c[6], 0);
    }
    // What the server serves is what Market::candle and Market::bars say.
    let m = server.market();
    let bars = m.bars(RELIANCE, "1minute", date(2026, 11, 16), date(2026, 11, 17));
    assert_eq!(bars.len(), 600);
    assert_eq!(bars[0], ist(2026, 11, 16, 9, 15));
    let want = m.candle(RELIANCE, "1minute", ist(2026, 11, 17, 12, 59));
    let got = &candles[0];
    assert_eq!(want.ts, ist(2026, 11, 17, 12, 59));
    assert_eq!(got[1].as_f64().unwrap(), want.open);
    assert_eq!(got[2].as_f64().unwrap(), want.high);
    assert_eq!(got[3].as_f64().unwrap(), want.low);
    assert_eq!(got[4].as_f64().unwrap(), want.close);
    assert_eq!(got[5].as_u64().unwrap(), want.volume);
    // A bar's close is the next bar's open: one price path.
    assert_eq!(candles[1][4], candles[0][1]);

    // Coarser bars aggregate the minutes.
    let v = get(
        &server,
        &hist(RELIANCE, "minutes/15", "2026-11-16", "2026-11-16"),
    )
    .json();
    let fifteen = v["data"]["candles"].as_array().unwrap();
    assert_eq!(fifteen.len(), 25);
    assert_eq!(fifteen[24][0], "2026-11-16T09:15:00+05:30");
    let minutes = &candles[225..];
    let first15: Vec<&Value> = minutes.iter().rev().take(15).collect();
    assert_eq!(fifteen[24][1], first15[0][1]);
    assert_eq!(fifteen[24][4], first15[14][4]);
    let vol: u64 = first15.iter().map(|c| c[5].as_u64().unwrap()).sum();
    assert_eq!(fifteen[24][5].as_u64().unwrap(), vol);

    // Day bars are stamped 00:00 IST; the index has no volume.
    let v = get(&server, &hist(NIFTY, "days/1", "2026-11-17", "2026-11-16")).json();
    let days = v["data"]["candles"].as_array().unwrap();
    assert_eq!(days.len(), 2);
    assert_eq!(days[0][0], "2026-11-17T00:00:00+05:30");
    assert_eq!(days[1][0], "2026-11-16T00:00:00+05:30");
    assert_eq!(days[0][5], 0);
    let day = m.candle(NIFTY, "day", ist(2026, 11, 16, 0, 0));
    assert_eq!(days[1][4].as_f64().unwrap(), day.close);
    assert_eq!(day.volume, 0);

    // The shape of the real sample (Upstox's documentation example).
    let real: Value = serde_json::from_str(REAL_CANDLES).unwrap();
    same_shape(&v, &real, "");
}

#[test]
fn historical_stops_before_today_and_intraday_serves_today_so_far() {
    let server = server();
    // Tuesday 2026-11-17 10:00:30 IST.
    server.set_now(Utc.timestamp_opt(ist(2026, 11, 17, 10, 0) + 30, 0).unwrap());
    let v = get(
        &server,
        &hist(RELIANCE, "minutes/1", "2026-11-17", "2026-11-16"),
    )
    .json();
    let candles = v["data"]["candles"].as_array().unwrap();
    assert_eq!(candles.len(), 375);
    assert_eq!(candles[0][0], "2026-11-16T15:29:00+05:30");

    let key = enc(RELIANCE);
    let v = get(
        &server,
        &format!("/v3/historical-candle/intraday/{key}/minutes/1"),
    )
    .json();
    let today = v["data"]["candles"].as_array().unwrap();
    // 09:15 … 10:00, the forming 10:00 bar included.
    assert_eq!(today.len(), 46);
    assert_eq!(today[0][0], "2026-11-17T10:00:00+05:30");
    assert_eq!(today[45][0], "2026-11-17T09:15:00+05:30");
    let v = get(
        &server,
        &format!("/v3/historical-candle/intraday/{key}/minutes/5"),
    )
    .json();
    assert_eq!(v["data"]["candles"].as_array().unwrap().len(), 10);
    let v = get(
        &server,
        &format!("/v3/historical-candle/intraday/{key}/days/1"),
    )
    .json();
    assert_eq!(v["data"]["candles"][0][0], "2026-11-17T00:00:00+05:30");

    let bars = server
        .market()
        .bars(RELIANCE, "1minute", date(2026, 11, 17), date(2026, 11, 17));
    assert_eq!(bars.len(), 46);
    // Before the open nothing of today exists yet.
    server.set_now(Utc.timestamp_opt(ist(2026, 11, 17, 9, 0), 0).unwrap());
    let v = get(
        &server,
        &format!("/v3/historical-candle/intraday/{key}/minutes/1"),
    )
    .json();
    assert_eq!(
        v,
        serde_json::json!({"status":"success","data":{"candles":[]}})
    );
    assert!(
        server
            .market()
            .bars(RELIANCE, "day", date(2026, 11, 17), date(2026, 11, 17))
            .is_empty()
    );
}

#[test]
fn bad_historical_requests_get_upstox_errors() {
    let server = server();
    let error = |path: &str| {
        let r = get(&server, path);
        assert_eq!(r.status, 400, "{path}");
        let v = r.json();
        assert_eq!(v["status"], "error");
        v["errors"][0]["errorCode"].as_str().unwrap().to_string()
    };
    assert_eq!(
        error(&hist(
            "NSE_EQ|INE000X00000",
            "minutes/1",
            "2026-11-17",
            "2026-11-16"
        )),
        "UDAPI1087"
    );
    assert_eq!(
        error(&hist(RELIANCE, "minutes/301", "2026-11-17", "2026-11-16")),
        "UDAPI1011"
    );
    assert_eq!(
        error(&hist(RELIANCE, "hours/6", "2026-11-17", "2026-11-16")),
        "UDAPI1011"
    );
    assert_eq!(
        error(&hist(RELIANCE, "minutes/1", "2026-11-16", "2026-11-17")),
        "UDAPI1015"
    );
    assert_eq!(
        error(&hist(RELIANCE, "minutes/1", "2026-12-17", "2026-11-16")),
        "UDAPI1015"
    );
    assert_eq!(
        error(&hist(RELIANCE, "days/1", "2026-12-17", "2016-12-16")),
        "UDAPI1015"
    );
    assert_eq!(
        error(&hist(RELIANCE, "minutes/1", "2026-13-17", "2026-11-16")),
        "UDAPI1011"
    );
    assert_eq!(
        error(&hist(RELIANCE, "minutes/1", "2026-11-17", "yesterday")),
        "UDAPI1011"
    );
    // Exactly a month, or a decade of days, is allowed.
    assert_eq!(
        get(
            &server,
            &hist(RELIANCE, "minutes/1", "2026-12-17", "2026-11-17")
        )
        .status,
        200
    );
    assert_eq!(
        get(
            &server,
            &hist(RELIANCE, "days/1", "2026-12-17", "2016-12-17")
        )
        .status,
        200
    );
    // Garbage encodings are a 400, not a crash.
    assert_eq!(
        get(&server, "/v3/historical-candle/%FF%FE/minutes/1/2026-11-17").status,
        400
    );
    assert_eq!(
        get(&server, "/v2/market-quote/quotes?instrument_key=%FF").status,
        400
    );
    let extreme = format!("period1={}&period2={}", i64::MIN, i64::MAX);
    let r = get(
        &server,
        &format!("/v8/finance/chart/RELIANCE.NS?interval=1d&{extreme}"),
    );
    assert_eq!(r.status, 200);
    assert!(
        r.json()["chart"]["result"][0]["timestamp"]
            .as_array()
            .unwrap()
            .len()
            > 40
    );
    assert_eq!(
        get(
            &server,
            "/v2/option/chain?instrument_key=NSE_INDEX%7CNifty%2050&expiry_date=9999-12-31"
        )
        .status,
        200
    );
    assert_eq!(get(&server, "/nothing/here").status, 404);
    assert_eq!(get(&server, "/v2/nothing").status, 404);
}

#[test]
fn concurrent_clients_are_all_served() {
    let server = server();
    let path = hist(RELIANCE, "minutes/5", "2026-11-30", "2026-11-02");
    let want = get(&server, &path).body;
    std::thread::scope(|scope| {
        for _ in 0..16 {
            scope.spawn(|| {
                for _ in 0..5 {
                    let r = get(&server, &path);
                    assert_eq!((r.status, &r.body), (200, &want));
                }
            });
        }
    });
    assert_eq!(server.requests().len(), 1 + 16 * 5);
}

#[test]
fn hidden_bars_are_served_by_neither_provider_and_corrupt_ones_have_high_below_low() {
    let server = server();
    let holes = [ist(2026, 11, 16, 10, 0), ist(2026, 11, 16, 10, 1)];
    server.hide(RELIANCE, "1minute", &holes);
    let v = get(
        &server,
        &hist(RELIANCE, "minutes/1", "2026-11-16", "2026-11-16"),
    )
    .json();
    let candles = v["data"]["candles"].as_array().unwrap();
    assert_eq!(candles.len(), 373);
    let stamps: Vec<&str> = candles.iter().map(|c| c[0].as_str().unwrap()).collect();
    assert!(!stamps.contains(&"2026-11-16T10:00:00+05:30"));
    assert!(!stamps.contains(&"2026-11-16T10:01:00+05:30"));
    assert!(stamps.contains(&"2026-11-16T10:02:00+05:30"));
    let bars = server.market().bars(
        RELIANCE,
        "1minute",
        date(MON.0, MON.1, MON.2),
        date(MON.0, MON.1, MON.2),
    );
    assert_eq!(bars.len(), 373);
    assert!(!bars.contains(&holes[0]));

    // Yahoo keeps 1-minute bars for 30 days.
    server.set_now(Utc.timestamp_opt(ist(2026, 11, 20, 16, 0), 0).unwrap());
    let (p1, p2) = (ist(2026, 11, 16, 0, 0), ist(2026, 11, 17, 0, 0));
    let v = get(
        &server,
        &format!("/v8/finance/chart/RELIANCE.NS?interval=1m&period1={p1}&period2={p2}"),
    )
    .json();
    let ts: Vec<i64> = v["chart"]["result"][0]["timestamp"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_i64().unwrap())
        .collect();
    assert_eq!(ts.len(), 373);
    assert!(!ts.contains(&holes[0]));

    server.unhide_all();
    let v = get(
        &server,
        &hist(RELIANCE, "minutes/1", "2026-11-16", "2026-11-16"),
    )
    .json();
    assert_eq!(v["data"]["candles"].as_array().unwrap().len(), 375);

    server.corrupt(RELIANCE, "1minute", holes[0]);
    let v = get(
        &server,
        &hist(RELIANCE, "minutes/1", "2026-11-16", "2026-11-16"),
    )
    .json();
    let bad = v["data"]["candles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c[0] == "2026-11-16T10:00:00+05:30")
        .unwrap()
        .clone();
    assert!(bad[2].as_f64().unwrap() < bad[3].as_f64().unwrap(), "{bad}");
    // Only that bar.
    let good = &v["data"]["candles"][0];
    assert!(good[2].as_f64().unwrap() >= good[3].as_f64().unwrap());
}
