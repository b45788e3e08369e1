//! The synthetic market server itself, over real HTTP: the sources' shapes, the world's rules
//! (sessions, today, holes), and each kind of misbehaviour it offers the market-sync tests.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
use serde_json::Value;
use testkit::market::{Fault, Market, MarketServer, synthetic_equities, weekday_sessions};

const RELIANCE: &str = "NSE_EQ|INE002A01018";
const NIFTY: &str = "NSE_INDEX|Nifty 50";
/// Monday 2026-11-16 is a full session, Tuesday 2026-11-17 a half day to 13:00.
const MON: (i32, u32, u32) = (2026, 11, 16);

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

/// Epoch seconds of an IST wall-clock time.
fn ist(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> i64 {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .unwrap()
        .timestamp()
        - 19_800
}

fn market() -> Market {
    let mut sessions = weekday_sessions(date(2026, 11, 2), date(2026, 12, 31));
    for s in &mut sessions {
        if s.0 == date(2026, 11, 17) {
            s.2 = hm(13, 0);
        }
    }
    // 2026-11-26 (a Thursday) is a holiday: the weekly expiry moves to Wednesday.
    sessions.retain(|s| s.0 != date(2026, 11, 26));
    Market::new(sessions).with_instruments(&[
        (RELIANCE, "RELIANCE", "RELIANCE.NS"),
        ("NSE_EQ|INE848E01016", "NHPC", "NHPC.NS"),
        (NIFTY, "Nifty 50", "^NSEI"),
    ])
}

fn server() -> MarketServer {
    MarketServer::start(market()).unwrap()
}

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }
}

/// A minimal HTTP/1.1 GET that does not ask for the connection to be closed (the server must
/// close it anyway) and keeps whatever body arrives, even a short one.
fn get_with(server: &MarketServer, path: &str, headers: &[(&str, &str)]) -> Resp {
    let addr = server.url().trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: */*\r\n");
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8(raw[..end].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Resp {
        status,
        headers,
        body: raw[end + 4..].to_vec(),
    }
}

fn get(server: &MarketServer, path: &str) -> Resp {
    get_with(server, path, &[])
}

fn hist(key: &str, unit: &str, to: &str, from: &str) -> String {
    format!("/v3/historical-candle/{}/{unit}/{to}/{from}", enc(key))
}

fn enc(key: &str) -> String {
    key.replace('|', "%7C").replace(' ', "%20")
}

/// Same keys, nesting and JSON types as the real sample (arrays: by their first element).
fn same_shape(ours: &Value, real: &Value, path: &str) {
    match (ours, real) {
        (Value::Object(a), Value::Object(b)) => {
            let mut ka: Vec<_> = a.keys().collect();
            let mut kb: Vec<_> = b.keys().collect();
            ka.sort();
            kb.sort();
            assert_eq!(ka, kb, "keys at {path}");
            for (k, v) in b {
                same_shape(&a[k], v, &format!("{path}.{k}"));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if let (Some(x), Some(y)) = (a.first(), b.first()) {
                same_shape(x, y, &format!("{path}[0]"));
            }
        }
        (Value::Number(_), Value::Number(_))
        | (Value::String(_), Value::String(_))
        | (Value::Bool(_), Value::Bool(_))
        | (Value::Null, Value::Null) => {}
        _ => panic!("type at {path}: ours {ours}, real {real}"),
    }
}

fn check_ohlc(c: &[Value]) {
    let [o, h, l, cl] = [1, 2, 3, 4].map(|i| c[i].as_f64().unwrap());
    assert!(h >= o.max(cl) && l <= o.min(cl) && l > 0.0, "{c:?}");
    for x in [o, h, l, cl] {
        assert!(
            ((x * 100.0).round() - x * 100.0).abs() < 1e-6,
            "2 decimals: {x}"
        );
    }
}

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
        error(&hist(RELIANCE, "minutes/7", "2026-11-17", "2026-11-16")),
        "UDAPI1011"
    );
    assert_eq!(
        error(&hist(RELIANCE, "hours/1", "2026-11-17", "2026-11-16")),
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

#[test]
fn a_required_token_is_checked_on_upstox_paths_only() {
    let server = server();
    server.require_token("secret");
    let path = hist(RELIANCE, "minutes/1", "2026-11-16", "2026-11-16");
    let denied = get(&server, &path);
    assert_eq!(denied.status, 401);
    assert_eq!(
        String::from_utf8(denied.body).unwrap(),
        r#"{"status":"error","errors":[{"errorCode":"UDAPI100050","message":"Invalid token used to access API","propertyPath":null,"invalidValue":null,"error_code":"UDAPI100050","property_path":null,"invalid_value":null}]}"#
    );
    assert_eq!(
        get_with(&server, &path, &[("Authorization", "Bearer wrong")]).status,
        401
    );
    assert_eq!(
        get_with(&server, &path, &[("Authorization", "Bearer secret")]).status,
        200
    );
    assert_eq!(
        get_with(
            &server,
            "/v2/market-quote/quotes?instrument_key=NSE_EQ%7CINE002A01018",
            &[("authorization", "Bearer secret")]
        )
        .status,
        200
    );
    assert_eq!(
        get(
            &server,
            "/v8/finance/chart/RELIANCE.NS?range=1d&interval=5m"
        )
        .status,
        200
    );
    assert_eq!(get(&server, "/instruments/NSE.json.gz").status, 200);
}

#[test]
fn scripted_faults_come_in_order_then_normal_service_resumes() {
    let server = server();
    let path = hist(RELIANCE, "minutes/1", "2026-11-16", "2026-11-16");
    server.script(
        "/v3/historical-candle",
        vec![
            Fault::Status(503, "busy".into(), Some("text/plain".into())),
            Fault::TooMany {
                retry_after: Some(2),
            },
            Fault::TooMany { retry_after: None },
            Fault::Html(502),
            Fault::Truncated,
            Fault::Delay(Duration::from_millis(150)),
        ],
    );
    server.script(
        "/v8/finance/chart",
        vec![Fault::TooMany { retry_after: None }],
    );

    let r = get(&server, &path);
    assert_eq!((r.status, r.body.as_slice()), (503, b"busy".as_slice()));
    assert_eq!(r.header("Content-Type"), Some("text/plain"));
    let r = get(&server, &path);
    assert_eq!(r.status, 429);
    assert_eq!(r.header("Retry-After"), Some("2"));
    assert_eq!(r.json()["errors"][0]["errorCode"], "UDAPI10005");
    let r = get(&server, &path);
    assert_eq!(r.status, 429);
    assert_eq!(r.header("Retry-After"), None);
    let r = get(&server, &path);
    assert_eq!(r.status, 502);
    assert_eq!(r.header("Content-Type"), Some("text/html"));
    assert!(String::from_utf8_lossy(&r.body).contains("<title>502 Bad Gateway</title>"));
    let r = get(&server, &path);
    assert_eq!(r.status, 200);
    let declared: usize = r.header("Content-Length").unwrap().parse().unwrap();
    assert!(r.body.len() < declared, "{} of {declared}", r.body.len());
    assert!(serde_json::from_slice::<Value>(&r.body).is_err());
    let started = Instant::now();
    let r = get(&server, &path);
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["data"]["candles"].as_array().unwrap().len(), 375);
    assert_eq!(get(&server, &path).status, 200);

    let r = get(
        &server,
        "/v8/finance/chart/RELIANCE.NS?range=1d&interval=1m",
    );
    assert_eq!(
        (r.status, r.body.as_slice()),
        (429, b"Too Many Requests\r\n".as_slice())
    );
    assert_eq!(
        get(
            &server,
            "/v8/finance/chart/RELIANCE.NS?range=1d&interval=1m"
        )
        .status,
        200
    );

    let log = server.requests();
    let statuses: Vec<u16> = log.iter().map(|l| l.status).collect();
    assert_eq!(statuses, [503, 429, 429, 502, 200, 200, 200, 429, 200]);
    assert_eq!(log[0].path, path);
    assert!(
        log.windows(2)
            .all(|w| w[0].instant <= w[1].instant && w[0].at <= w[1].at)
    );
}

#[test]
fn limits_refuse_with_upstox_429_per_api_and_count_violations() {
    let server = server();
    server.enforce_limits(&[(3, Duration::from_secs(5)), (100, Duration::from_secs(60))]);
    let quote = "/v2/market-quote/quotes?instrument_key=NSE_EQ%7CINE002A01018";
    let statuses: Vec<u16> = (0..5).map(|_| get(&server, quote).status).collect();
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    let refused = get(&server, quote);
    assert_eq!(refused.header("Retry-After"), None);
    let v = refused.json();
    assert_eq!(v["errors"][0]["errorCode"], "UDAPI10005");
    assert_eq!(v["errors"][0]["message"], "Too Many Request Sent");
    assert_eq!(server.violations(), 3);
    // Another API has its own window; Yahoo is not Upstox.
    assert_eq!(
        get(
            &server,
            &hist(RELIANCE, "days/1", "2026-11-17", "2026-11-16")
        )
        .status,
        200
    );
    assert_eq!(
        get(
            &server,
            "/v8/finance/chart/RELIANCE.NS?range=1d&interval=1m"
        )
        .status,
        200
    );
    assert_eq!(server.violations(), 3);

    // A window slides: after it passes, requests are served again.
    let server = self::server();
    server.enforce_limits(&[(2, Duration::from_millis(300))]);
    assert_eq!(get(&server, quote).status, 200);
    assert_eq!(get(&server, quote).status, 200);
    std::thread::sleep(Duration::from_millis(350));
    assert_eq!(get(&server, quote).status, 200);
    assert_eq!(server.violations(), 0);
}

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

// The real samples (`shared/fixtures/real/`, from Upstox's documentation and a Yahoo response),
// inlined so the test does not depend on a directory outside the repository.

const REAL_CANDLES: &str = r#"{"status":"success","data":{"candles":[["2023-10-01T00:00:00+05:30",53.1,53.95,51.6,52.05,235519861,0],["2023-09-01T00:00:00+05:30",50.35,56.85,49.35,52.8,1004998611,0]]}}"#;

const REAL_QUOTE: &str = r#"{"status":"success","data":{"NSE_EQ:NHPC":{"ohlc":{"open":53.4,"high":53.8,"low":51.75,"close":52.05},"depth":{"buy":[{"quantity":6917,"price":52.05,"orders":20},{"quantity":0,"price":0,"orders":0},{"quantity":0,"price":0,"orders":0},{"quantity":0,"price":0,"orders":0},{"quantity":0,"price":0,"orders":0}],"sell":[{"quantity":0,"price":0,"orders":0},{"quantity":0,"price":0,"orders":0},{"quantity":0,"price":0,"orders":0},{"quantity":0,"price":0,"orders":0},{"quantity":0,"price":0,"orders":0}]},"timestamp":"2023-10-19T05:21:51.099+05:30","instrument_token":"NSE_EQ|INE848E01016","symbol":"NHPC","last_price":52.04999923706055,"volume":24123697,"average_price":52.56,"oi":0,"net_change":-1.0500000000000043,"total_buy_quantity":6917,"total_sell_quantity":0,"lower_circuit_limit":42.5,"upper_circuit_limit":63.7,"last_trade_time":"1697624972130","oi_day_high":0,"oi_day_low":0}}}"#;

const REAL_CONTRACTS: &str = r#"{"status":"success","data":[{"name":"NIFTY","segment":"NSE_FO","exchange":"NSE","expiry":"2024-02-15","instrument_key":"NSE_FO|37590","exchange_token":"37590","trading_symbol":"NIFTY 19650 CE 15 FEB 24","tick_size":5,"lot_size":50,"instrument_type":"CE","freeze_quantity":1800,"underlying_key":"NSE_INDEX|Nifty 50","underlying_type":"INDEX","underlying_symbol":"NIFTY","strike_price":19650,"minimum_lot":50,"weekly":true}]}"#;

const REAL_CHAIN: &str = r#"{"status":"success","data":[{"expiry":"2025-02-13","pcr":7515.3,"strike_price":21100,"underlying_key":"NSE_INDEX|Nifty 50","underlying_spot_price":22976.2,"call_options":{"instrument_key":"NSE_FO|51059","market_data":{"ltp":2449.9,"volume":0,"oi":750,"close_price":2449.9,"bid_price":1856.65,"bid_qty":1125,"ask_price":1941.65,"ask_qty":1125,"prev_oi":1500},"option_greeks":{"vega":4.1731,"theta":-472.8941,"gamma":0.0001,"delta":0.743,"iv":262.31,"pop":40.56}},"put_options":{"instrument_key":"NSE_FO|51060","market_data":{"ltp":0.3,"volume":22315725,"oi":5636475,"close_price":0.35,"bid_price":0.3,"bid_qty":1979400,"ask_price":0.35,"ask_qty":2152500,"prev_oi":5797500},"option_greeks":{"vega":0.0568,"theta":-1.2461,"gamma":0,"delta":-0.0013,"iv":50.78,"pop":0.15}}}]}"#;

const REAL_YAHOO: &str = r#"{"chart":{"result":[{"meta":{"currency":"USD","symbol":"^TNX","exchangeName":"CGI","fullExchangeName":"Cboe Indices","instrumentType":"INDEX","firstTradeDate":-252326400,"regularMarketTime":1770062392,"hasPrePostMarketData":false,"gmtoffset":-21600,"timezone":"CST","exchangeTimezoneName":"America/Chicago","regularMarketPrice":4.275,"fiftyTwoWeekHigh":4.997,"fiftyTwoWeekLow":3.345,"regularMarketDayHigh":4.261,"regularMarketDayLow":4.237,"regularMarketVolume":0,"longName":"CBOE Interest Rate 10 Year T No","shortName":"CBOE Interest Rate 10 Year T No","chartPreviousClose":4.227,"previousClose":4.227,"scale":3,"priceHint":4,"currentTradingPeriod":{"pre":{"timezone":"CST","end":1770038400,"start":1770038400,"gmtoffset":-21600},"regular":{"timezone":"CST","end":1770062400,"start":1770038400,"gmtoffset":-21600},"post":{"timezone":"CST","end":1770062400,"start":1770062400,"gmtoffset":-21600}},"tradingPeriods":[[{"timezone":"CST","end":1770062400,"start":1770038400,"gmtoffset":-21600}]],"dataGranularity":"5m","range":"1d","validRanges":["1d","5d","1mo","3mo","6mo","1y","2y","5y","10y","ytd","max"]},"timestamp":[1770057900,1770058200],"indicators":{"quote":[{"open":[4.270999908447266,4.270999908447266],"close":[4.270999908447266,4.2729997634887695],"high":[4.2729997634887695,4.2729997634887695],"volume":[0,0],"low":[4.270999908447266,4.270999908447266]}]}}],"error":null}}"#;
