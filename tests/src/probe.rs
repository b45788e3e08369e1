//! Probing the synthetic market server over real HTTP, as the market-server tests do: a raw
//! client that keeps whatever arrives, the world they probe, shape comparison against the
//! sources' real samples, and those samples.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
use serde_json::Value;

use crate::market::{Market, MarketServer, weekday_sessions};

/// RELIANCE's instrument key.
pub const RELIANCE: &str = "NSE_EQ|INE002A01018";
/// The NIFTY 50 index key.
pub const NIFTY: &str = "NSE_INDEX|Nifty 50";
/// Monday 2026-11-16 is a full session, Tuesday 2026-11-17 a half day to 13:00.
pub const MON: (i32, u32, u32) = (2026, 11, 16);

/// A date.
pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A time of day.
pub fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

/// Epoch seconds of an IST wall-clock time.
pub fn ist(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> i64 {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .unwrap()
        .timestamp()
        - 19_800
}

/// The probed world: Mon–Fri sessions of November and December 2026 (one half day, one
/// holiday), RELIANCE, NHPC and the NIFTY 50.
pub fn market() -> Market {
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

/// The market server of [`market`].
pub fn server() -> MarketServer {
    MarketServer::start(market()).unwrap()
}

/// A reply as it arrived.
pub struct Resp {
    /// The status code.
    pub status: u16,
    /// The headers, in order.
    pub headers: Vec<(String, String)>,
    /// The body, however short.
    pub body: Vec<u8>,
}

impl Resp {
    /// The first header of this name (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON; panics, showing it, if it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }
}

/// A minimal HTTP/1.1 GET that does not ask for the connection to be closed (the server must
/// close it anyway) and keeps whatever body arrives, even a short one.
pub fn get_with(server: &MarketServer, path: &str, headers: &[(&str, &str)]) -> Resp {
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

/// [`get_with`] without extra headers.
pub fn get(server: &MarketServer, path: &str) -> Resp {
    get_with(server, path, &[])
}

/// The path of an Upstox v3 historical-candle request.
pub fn hist(key: &str, unit: &str, to: &str, from: &str) -> String {
    format!("/v3/historical-candle/{}/{unit}/{to}/{from}", enc(key))
}

/// An instrument key percent-encoded as clients send it.
pub fn enc(key: &str) -> String {
    key.replace('|', "%7C").replace(' ', "%20")
}

/// Same keys, nesting and JSON types as the real sample (arrays: by their first element).
pub fn same_shape(ours: &Value, real: &Value, path: &str) {
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

/// An Upstox candle array `[ts, o, h, l, c, …]` is consistent and priced to the paisa.
pub fn check_ohlc(c: &[Value]) {
    let [o, h, l, cl] = [1, 2, 3, 4].map(|i| c[i].as_f64().unwrap());
    assert!(h >= o.max(cl) && l <= o.min(cl) && l > 0.0, "{c:?}");
    for x in [o, h, l, cl] {
        assert!(
            ((x * 100.0).round() - x * 100.0).abs() < 1e-6,
            "2 decimals: {x}"
        );
    }
}

// The real samples (`shared/fixtures/real/`, from Upstox's documentation and a Yahoo response),
// inlined so the test does not depend on a directory outside the repository.

/// A real sample of the source (see the comment above).
pub const REAL_CANDLES: &str = r#"{"status":"success","data":{"candles":[["2023-10-01T00:00:00+05:30",53.1,53.95,51.6,52.05,235519861,0],["2023-09-01T00:00:00+05:30",50.35,56.85,49.35,52.8,1004998611,0]]}}"#;

/// A real sample of the source (see the comment above).
pub const REAL_QUOTE: &str = r#"{"status":"success","data":{"NSE_EQ:NHPC":{"ohlc":{"open":53.4,"high":53.8,"low":51.75,"close":52.05},"depth":{"buy":[{"quantity":6917,"price":52.05,"orders":20},{"quantity":0,"price":0,"orders":0},{"quantity":0,"price":0,"orders":0},{"quantity":0,"price":0,"orders":0},{"quantity":0,"price":0,"orders":0}],"sell":[{"quantity":0,"price":0,"orders":0},{"quantity":0,"price":0,"orders":0},{"quantity":0,"price":0,"orders":0},{"quantity":0,"price":0,"orders":0},{"quantity":0,"price":0,"orders":0}]},"timestamp":"2023-10-19T05:21:51.099+05:30","instrument_token":"NSE_EQ|INE848E01016","symbol":"NHPC","last_price":52.04999923706055,"volume":24123697,"average_price":52.56,"oi":0,"net_change":-1.0500000000000043,"total_buy_quantity":6917,"total_sell_quantity":0,"lower_circuit_limit":42.5,"upper_circuit_limit":63.7,"last_trade_time":"1697624972130","oi_day_high":0,"oi_day_low":0}}}"#;

/// A real sample of the source (see the comment above).
pub const REAL_CONTRACTS: &str = r#"{"status":"success","data":[{"name":"NIFTY","segment":"NSE_FO","exchange":"NSE","expiry":"2024-02-15","instrument_key":"NSE_FO|37590","exchange_token":"37590","trading_symbol":"NIFTY 19650 CE 15 FEB 24","tick_size":5,"lot_size":50,"instrument_type":"CE","freeze_quantity":1800,"underlying_key":"NSE_INDEX|Nifty 50","underlying_type":"INDEX","underlying_symbol":"NIFTY","strike_price":19650,"minimum_lot":50,"weekly":true}]}"#;

/// A real sample of the source (see the comment above).
pub const REAL_CHAIN: &str = r#"{"status":"success","data":[{"expiry":"2025-02-13","pcr":7515.3,"strike_price":21100,"underlying_key":"NSE_INDEX|Nifty 50","underlying_spot_price":22976.2,"call_options":{"instrument_key":"NSE_FO|51059","market_data":{"ltp":2449.9,"volume":0,"oi":750,"close_price":2449.9,"bid_price":1856.65,"bid_qty":1125,"ask_price":1941.65,"ask_qty":1125,"prev_oi":1500},"option_greeks":{"vega":4.1731,"theta":-472.8941,"gamma":0.0001,"delta":0.743,"iv":262.31,"pop":40.56}},"put_options":{"instrument_key":"NSE_FO|51060","market_data":{"ltp":0.3,"volume":22315725,"oi":5636475,"close_price":0.35,"bid_price":0.3,"bid_qty":1979400,"ask_price":0.35,"ask_qty":2152500,"prev_oi":5797500},"option_greeks":{"vega":0.0568,"theta":-1.2461,"gamma":0,"delta":-0.0013,"iv":50.78,"pop":0.15}}}]}"#;

/// A real sample of the source (see the comment above).
pub const REAL_YAHOO: &str = r#"{"chart":{"result":[{"meta":{"currency":"USD","symbol":"^TNX","exchangeName":"CGI","fullExchangeName":"Cboe Indices","instrumentType":"INDEX","firstTradeDate":-252326400,"regularMarketTime":1770062392,"hasPrePostMarketData":false,"gmtoffset":-21600,"timezone":"CST","exchangeTimezoneName":"America/Chicago","regularMarketPrice":4.275,"fiftyTwoWeekHigh":4.997,"fiftyTwoWeekLow":3.345,"regularMarketDayHigh":4.261,"regularMarketDayLow":4.237,"regularMarketVolume":0,"longName":"CBOE Interest Rate 10 Year T No","shortName":"CBOE Interest Rate 10 Year T No","chartPreviousClose":4.227,"previousClose":4.227,"scale":3,"priceHint":4,"currentTradingPeriod":{"pre":{"timezone":"CST","end":1770038400,"start":1770038400,"gmtoffset":-21600},"regular":{"timezone":"CST","end":1770062400,"start":1770038400,"gmtoffset":-21600},"post":{"timezone":"CST","end":1770062400,"start":1770062400,"gmtoffset":-21600}},"tradingPeriods":[[{"timezone":"CST","end":1770062400,"start":1770038400,"gmtoffset":-21600}]],"dataGranularity":"5m","range":"1d","validRanges":["1d","5d","1mo","3mo","6mo","1y","2y","5y","10y","ytd","max"]},"timestamp":[1770057900,1770058200],"indicators":{"quote":[{"open":[4.270999908447266,4.270999908447266],"close":[4.270999908447266,4.2729997634887695],"high":[4.2729997634887695,4.2729997634887695],"volume":[0,0],"low":[4.270999908447266,4.270999908447266]}]}}],"error":null}}"#;
