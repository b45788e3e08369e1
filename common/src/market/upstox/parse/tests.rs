use super::*;

/// The real Upstox samples shared by the whole project (see shared/fixtures/real/SOURCES.md).
const REAL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/real/upstox/"
);

fn real(name: &str) -> Vec<u8> {
    let path = format!("{REAL}{name}");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn key(text: &str) -> InstrumentKey {
    InstrumentKey::parse(text).unwrap()
}

fn day(text: &str) -> NaiveDate {
    date(text).unwrap()
}

/// The detail of the error `result` must be, checked to be one line.
fn detail<T: std::fmt::Debug>(result: Result<T, FormatError>) -> String {
    let error = result.unwrap_err();
    assert!(!error.detail.contains('\n'), "{error}");
    error.detail
}

/// Asserts `text` starts with `prefix`, showing `text` when not: serde's messages end with a
/// position that is not worth pinning.
fn assert_starts(text: &str, prefix: &str) {
    assert!(
        text.starts_with(prefix),
        "{text:?} does not start with {prefix:?}"
    );
}

#[test]
fn real_intraday_candles_are_read_newest_first() {
    let bars = candles(&real("intraday_candle_30m_v2.json")).unwrap();
    assert_eq!(
        bars,
        [
            Candle {
                ts: 1_697_708_700, // 2023-10-19 15:15 IST
                open: 2305.3,
                high: 2307.05,
                low: 2301.0,
                close: 2304.65,
                volume: 559_982,
                oi: Some(0),
            },
            Candle {
                ts: 1_697_706_900, // 14:45 IST
                open: 2309.1,
                high: 2310.75,
                low: 2305.25,
                close: 2305.3,
                volume: 740_124,
                oi: Some(0),
            },
        ]
    );
}

#[test]
fn real_historical_candles_keep_their_stamps() {
    let bars = candles(&real("historical_candle_v2.json")).unwrap();
    assert_eq!(bars.len(), 2);
    assert_eq!(bars[0].ts, 1_696_098_600); // 2023-10-01 00:00 IST
    assert_eq!(
        (bars[0].open, bars[0].high, bars[0].low, bars[0].close),
        (53.1, 53.95, 51.6, 52.05)
    );
    assert_eq!(bars[0].volume, 235_519_861);
    assert_eq!(bars[1].ts, 1_693_506_600); // 2023-09-01 00:00 IST
    assert_eq!(bars[1].volume, 1_004_998_611);
    assert_eq!(bars[1].oi, Some(0));
}

#[test]
fn candle_counts_written_as_floats_are_accepted_when_whole() {
    let body = br#"{"status":"success","data":{"candles":[
        ["2023-10-19T15:15:00+05:30",2305,2307,2301,2304.65,559982.0,1200.0],
        ["2023-10-19T15:14:00+05:30",2305,2307,2301,2304.65,10,null]]}}"#;
    let bars = candles(body).unwrap();
    assert_eq!((bars[0].volume, bars[0].oi), (559_982, Some(1200)));
    assert_eq!((bars[0].open, bars[0].high), (2305.0, 2307.0));
    assert_eq!(bars[1].oi, None);

    let half = br#"{"status":"success","data":{"candles":[
        ["2023-10-19T15:15:00+05:30",1,1,1,1,10,0],["2023-10-19T15:14:00+05:30",1,1,1,1,1.5,0]]}}"#;
    assert_eq!(
        detail(candles(half)),
        "candles[1]: volume 1.5 is not a whole number"
    );
}

#[test]
fn an_empty_candle_list_is_not_an_error() {
    let body = br#"{"status":"success","data":{"candles":[]}}"#;
    assert_eq!(candles(body).unwrap(), []);
}

#[test]
fn candle_errors_say_what_was_wrong_on_one_line() {
    let html = b"\n<!DOCTYPE html>\n<html>\n<head><title>502 Bad Gateway</title></head></html>";
    let error = candles(html).unwrap_err();
    assert_eq!(error.what, "Upstox candles");
    assert_eq!(
        error.detail,
        "not JSON: starts with `<!DOCTYPE html> <html> <head><title>502`…"
    );

    let long_page = [b"<html>".as_slice(), &[b' '; 1000], b"<body>"].concat();
    assert_eq!(
        detail(candles(&long_page)),
        "not JSON: starts with `<html>`…"
    );

    let refused = br#"{"status":"error","errors":[{"errorCode":"UDAPI1087","message":"Invalid Instrument key","propertyPath":null,"invalidValue":null}]}"#;
    assert_eq!(
        detail(candles(refused)),
        "status is `error`, not `success`: UDAPI1087 Invalid Instrument key"
    );
    let no_errors = br#"{"status":"error","errors":null}"#;
    assert_eq!(
        detail(candles(no_errors)),
        "status is `error`, not `success`"
    );
    let v1 = br#"{"code":401,"status":"Unauthorized","message":"Access Denied"}"#;
    assert_eq!(
        detail(candles(v1)),
        "status is `Unauthorized`, not `success`: Access Denied"
    );
    assert_eq!(
        detail(candles(br#"{"status":"success"}"#)),
        "status is `success` but `data` is missing"
    );
    assert_eq!(detail(candles(br#"{"data":{}}"#)), "no `status` field");
    assert_starts(
        &detail(candles(br#"{"status":"success","data":{}}"#)),
        "missing field `candles`",
    );
    assert_eq!(detail(candles(b"  ")), "empty body");
    let naive = br#"{"status":"success","data":{"candles":[["2023-10-19 15:15:00",1,1,1,1,1,0]]}}"#;
    assert_eq!(
        detail(candles(naive)),
        "candles[0]: timestamp `2023-10-19 15:15:00` is not ISO-8601 with an offset"
    );
    let short =
        br#"{"status":"success","data":{"candles":[["2023-10-19T15:15:00+05:30",1,1,1,1]]}}"#;
    assert_starts(&detail(candles(short)), "invalid length 5");
}

#[test]
fn real_full_quote() {
    let quotes = quotes(&real("market_quote_full.json")).unwrap();
    assert_eq!(
        quotes,
        [Quote {
            instrument: key("NSE_EQ|INE848E01016"),
            ts: 1_697_624_972, // last_trade_time 1697624972130 ms
            ltp: 52.05,        // 52.04999923706055, float noise rounded away
            open: Some(53.4),
            high: Some(53.8),
            low: Some(51.75),
            prev_close: Some(53.1), // 52.05 - (-1.05)
            volume: Some(24_123_697),
            oi: Some(0),
            bid: Some(52.05),
            ask: None, // every sell level is 0
        }]
    );
}

#[test]
fn real_ltp_v3_quote_has_no_time() {
    let quotes = quotes(&real("market_quote_ltp_v3.json")).unwrap();
    assert_eq!(
        quotes,
        [Quote {
            instrument: key("NSE_FO|51834"),
            ts: NO_TIME,
            ltp: 303.9,
            open: None,
            high: None,
            low: None,
            prev_close: Some(29.0), // `cp`
            volume: Some(170_325),
            oi: None,
            bid: None,
            ask: None,
        }]
    );
}

#[test]
fn real_ohlc_v3_quote_with_minute_bars_gives_no_day_values() {
    // The sample's bars start at 15:28 and 15:29 IST: `interval=I1`, so prev_ohlc.close is the
    // previous minute's close, not the previous session's.
    let quotes = quotes(&real("market_quote_ohlc_v3.json")).unwrap();
    assert_eq!(
        quotes,
        [Quote {
            instrument: key("NSE_FO|51834"),
            ts: 1_744_019_940, // live_ohlc.ts, 2025-04-07 15:29 IST
            ltp: 303.9,
            open: None,
            high: None,
            low: None,
            prev_close: None,
            volume: None,
            oi: None,
            bid: None,
            ask: None,
        }]
    );
}

#[test]
fn ohlc_v3_day_bars_give_the_day_values() {
    let body = br#"{"status":"success","data":{"NSE_EQ:RELIANCE":{
        "last_price":1519.3,"instrument_token":"NSE_EQ|INE002A01018",
        "prev_ohlc":{"open":1500,"high":1520,"low":1495.5,"close":1516.2,"volume":9000000,"ts":1795026600000},
        "live_ohlc":{"open":1519.6,"high":1522.1,"low":1517.75,"close":1519.3,"volume":778010,"ts":1795113000000}}}}"#;
    let quotes = quotes(body).unwrap();
    assert_eq!(quotes[0].ts, 1_795_113_000); // 2026-11-20 00:00 IST
    assert_eq!(
        (quotes[0].open, quotes[0].high, quotes[0].low),
        (Some(1519.6), Some(1522.1), Some(1517.75))
    );
    assert_eq!(quotes[0].prev_close, Some(1516.2));
    assert_eq!(quotes[0].volume, Some(778_010));
}

#[test]
fn index_full_quote_without_depth_volume_or_trade_time() {
    let body = br#"{"status":"success","data":{
        "NSE_INDEX:Nifty 50":{"ohlc":{"open":22100.5,"high":22250,"low":22050.1,"close":22200},
            "timestamp":"2024-02-15T15:30:00.200+05:30","instrument_token":"NSE_INDEX|Nifty 50",
            "symbol":"NIFTY","last_price":22200.0,"net_change":110.25,"last_trade_time":"0"},
        "NSE_INDEX:Nifty Bank":{"instrument_token":"NSE_INDEX|Nifty Bank","last_price":46500.05,
            "timestamp":"2024-02-15T15:30:00+05:30"}}}"#;
    let quotes = quotes(body).unwrap();
    assert_eq!(quotes.len(), 2);
    assert_eq!(quotes[0].instrument, key("NSE_INDEX|Nifty 50"));
    assert_eq!(quotes[0].ts, 1_707_991_200); // `timestamp`, since last_trade_time is 0
    assert_eq!(quotes[0].prev_close, Some(22089.75));
    assert_eq!((quotes[0].volume, quotes[0].oi), (None, None));
    assert_eq!((quotes[0].bid, quotes[0].ask), (None, None));
    assert_eq!(quotes[1].instrument, key("NSE_INDEX|Nifty Bank"));
    assert_eq!(
        (quotes[1].open, quotes[1].prev_close, quotes[1].ltp),
        (None, None, 46500.05)
    );
}

#[test]
fn quote_errors_name_the_entry() {
    let no_token = br#"{"status":"success","data":{"NSE_EQ:NHPC":{"last_price":52.05}}}"#;
    assert_eq!(
        detail(quotes(no_token)),
        "`NSE_EQ:NHPC`: no instrument_token"
    );
    let no_price =
        br#"{"status":"success","data":{"NSE_EQ:NHPC":{"instrument_token":"NSE_EQ|INE848E01016"}}}"#;
    assert_eq!(detail(quotes(no_price)), "`NSE_EQ:NHPC`: no last_price");
    let bad_time = br#"{"status":"success","data":{"NSE_EQ:NHPC":{"instrument_token":"NSE_EQ|INE848E01016","last_price":1,"last_trade_time":"soon"}}}"#;
    assert_eq!(
        detail(quotes(bad_time)),
        "`NSE_EQ:NHPC`: last_trade_time `soon` is not epoch milliseconds"
    );
    let bad_key =
        br#"{"status":"success","data":{"NSE_EQ:NHPC":{"instrument_token":"NHPC","last_price":1}}}"#;
    assert_starts(
        &detail(quotes(bad_key)),
        "`NSE_EQ:NHPC`: \"NHPC\" is not an instrument key",
    );
}

#[test]
fn bodies_of_other_endpoints_are_refused() {
    // The holiday answer is a real Upstox body, just not one these parsers read.
    let holidays = real("market_holidays.json");
    assert_starts(
        &detail(candles(&holidays)),
        "invalid type: map, expected a sequence",
    );
    assert_starts(
        &detail(quotes(&holidays)),
        "invalid type: sequence, expected a map",
    );
    assert_starts(&detail(option_chain(&holidays)), "missing field `expiry`");
    assert_starts(&detail(expiries(&holidays)), "missing field `expiry`");
    let quote = real("market_quote_full.json");
    assert_starts(&detail(option_chain(&quote)), "invalid type: map");
}

#[test]
fn instrument_master_fixture() {
    let entries = instruments(include_bytes!("../testdata/instruments.json")).unwrap();
    assert_eq!(entries.len(), 6);
    assert_eq!(
        entries[0],
        MasterEntry {
            key: key("NSE_EQ|INE002A01018"),
            trading_symbol: "RELIANCE".to_string(),
            name: "RELIANCE INDUSTRIES LTD".to_string(),
            isin: Some("INE002A01018".to_string()),
            segment: "NSE_EQ".to_string(),
            instrument_type: "EQ".to_string(),
            lot_size: Some(1),
            tick_size: Some(0.1), // 10.0 paise
        }
    );
    assert_eq!(entries[1].trading_symbol, "NIFTYBEES");
    assert_eq!(entries[1].tick_size, Some(0.01));
    assert_eq!(
        entries[2],
        MasterEntry {
            key: key("NSE_INDEX|Nifty 50"),
            trading_symbol: "NIFTY".to_string(),
            name: "Nifty 50".to_string(),
            isin: None,
            segment: "NSE_INDEX".to_string(),
            instrument_type: "INDEX".to_string(),
            lot_size: None,
            tick_size: None,
        }
    );
    assert_eq!(
        (
            entries[3].trading_symbol.as_str(),
            entries[3].instrument_type.as_str()
        ),
        ("NIFTY FUT 29 DEC 26", "FUT")
    );
    assert_eq!(
        entries[4],
        MasterEntry {
            key: key("NSE_FO|51059"),
            trading_symbol: "NIFTY 26000 CE 24 NOV 26".to_string(),
            name: "NIFTY".to_string(),
            isin: None,
            segment: "NSE_FO".to_string(),
            instrument_type: "CE".to_string(),
            lot_size: Some(75),
            tick_size: Some(0.05),
        }
    );
    assert_eq!(entries[5].segment, "NCD_FO");
    assert_eq!(entries[5].tick_size, Some(0.0025));
}

#[test]
fn instrument_master_skips_incomplete_entries_and_refuses_other_bodies() {
    let body = br#"[
        {"segment":"NSE_EQ","name":"NO KEY","trading_symbol":"NOKEY","instrument_type":"EQ"},
        {"segment":"NSE_EQ","instrument_key":"NSE_EQ|INE000000000","instrument_type":"EQ"},
        {"instrument_key":"NSE_EQ|INE111111111","trading_symbol":"NOSEG"},
        {"segment":"NSE_EQ","instrument_key":"bad key","trading_symbol":"BAD"},
        {"segment":"BSE_INDEX","exchange":"BSE","instrument_type":"INDEX","instrument_key":"BSE_INDEX|AUTO",
         "exchange_token":"13","trading_symbol":"AUTO","isin":""}
    ]"#;
    let entries = instruments(body).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].key, key("BSE_INDEX|AUTO"));
    assert_eq!(entries[0].name, "AUTO"); // no `name`: the trading symbol stands in
    assert_eq!(entries[0].isin, None);

    assert_eq!(instruments(b"[]").unwrap(), []);
    assert_eq!(
        detail(instruments(br#"[{"segment":"NSE_EQ"},{"name":"X"}]"#)),
        "none of the 2 entries has instrument_key, trading_symbol and segment"
    );
    assert_eq!(
        detail(instruments(br#"{"status":"error","errors":[]}"#)),
        "expected a JSON array of instruments, got an object"
    );
    let gzipped = [0x1f, 0x8b, 0x08, 0x00];
    assert_starts(&detail(instruments(&gzipped)), "not JSON: starts with `");
}

#[test]
fn a_candle_answer_is_read_the_same_in_one_pass_or_two() {
    // The one-pass reading of a successful answer, and the status-first reading it falls
    // back on, give the same bars; an escaped timestamp is read too.
    let body = br#"{"status":"success","data":{"candles":[
        ["2023-10-19T15:15:00+05:30",2305.3,2307.05,2301,2304.65,559982,0],
        ["2023-10-19T15:14:00\u002B05:30",2305,2306,2304,2305.5,10.0,null]]}}"#;
    let once = candles(body).unwrap();
    let twice = bars(success_data(CANDLES, body).unwrap()).unwrap();
    assert_eq!(once, twice);
    assert_eq!(once.len(), 2);
    assert_eq!(once[1].ts, once[0].ts - 60);
    assert_eq!((once[1].volume, once[1].oi), (10, None));
    assert_eq!(once[0].volume, 559_982);
}

mod intervals;
mod options;
mod text;
