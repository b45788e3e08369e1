//! Upstox's JSON answers read into the market records: candles, quotes, option chains,
//! option expiries and the instrument master. Pure functions of the body's bytes, so every
//! shape is tested against the real samples without a network.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Deserialize;

use crate::market::candle::Candle;
use crate::market::instrument::InstrumentKey;
use crate::market::provider::{FormatError, MasterEntry, Quote};
use crate::text;

mod options;
mod timestamp;

pub use options::{expiries, option_chain};
use timestamp::iso_seconds;

const CANDLES: &str = "Upstox candles";
const QUOTES: &str = "Upstox quotes";
const CHAIN: &str = "Upstox option chain";
const CONTRACTS: &str = "Upstox option contracts";
const MASTER: &str = "Upstox instrument master";

/// How much of a non-JSON body an error shows: enough to recognise an HTML page.
const PREVIEW_CHARS: usize = 40;
/// How many bytes of a non-JSON body are looked at for the preview: room for the characters
/// and the white space collapsed between them, without decoding a whole large page.
const PREVIEW_BYTES: usize = 400;

/// The most of a detail an error keeps: a provider's message is a sentence or two, and the
/// detail goes into the log and `job_runs`.
const DETAIL_CHARS: usize = 500;

/// A [`FormatError`] whose detail is forced onto one line and cut to [`DETAIL_CHARS`], since
/// details quote the provider.
pub(crate) fn format_error(what: &'static str, detail: impl AsRef<str>) -> FormatError {
    FormatError {
        what,
        detail: text::excerpt(&one_line(detail.as_ref()), DETAIL_CHARS),
    }
}

/// Collapses every run of white space or control characters into one space.
fn one_line(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Reads `body` as JSON of type `T`. A body that does not even start like JSON (an HTML error
/// page from a proxy, a CDN, a login wall) is named by its first characters, because serde's
/// "expected value at line 1 column 1" does not say what came instead. Shared with the Yahoo
/// parser.
pub(crate) fn decode<'a, T: Deserialize<'a>>(
    what: &'static str,
    body: &'a [u8],
) -> Result<T, FormatError> {
    let text = body.trim_ascii_start();
    match text.first() {
        None => Err(format_error(what, "empty body")),
        Some(b'{' | b'[') => {
            serde_json::from_slice(text).map_err(|e| format_error(what, e.to_string()))
        }
        Some(_) => {
            let head = &text[..text.len().min(PREVIEW_BYTES)];
            let flat = one_line(&String::from_utf8_lossy(head));
            let shown: String = flat.chars().take(PREVIEW_CHARS).collect();
            let cut = flat.len() > shown.len() || text.len() > head.len();
            let more = if cut { "…" } else { "" };
            Err(format_error(
                what,
                format!("not JSON: starts with `{}`{more}", shown.trim_end()),
            ))
        }
    }
}

/// The status part of every answer: `{"status":"success",…}`, or an error answer with
/// `errors` (v2) or `message` (v1).
#[derive(Deserialize)]
struct Head {
    status: Option<String>,
    errors: Option<Vec<ApiError>>,
    message: Option<String>,
}

/// One element of an error answer's `errors`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiError {
    error_code: Option<String>,
    message: Option<String>,
}

/// The `data` of an answer.
#[derive(Deserialize)]
struct Body<T> {
    data: Option<T>,
}

/// The `data` of a successful answer; any other status becomes an error quoting Upstox's
/// error codes and messages, which are what a person needs to act on. The status is read
/// first, on its own, so that an error answer is reported as one whatever its `data` holds.
fn success_data<'a, T: Deserialize<'a>>(
    what: &'static str,
    body: &'a [u8],
) -> Result<T, FormatError> {
    let head: Head = decode(what, body)?;
    match head.status.as_deref() {
        Some("success") => decode::<Body<T>>(what, body)?
            .data
            .ok_or_else(|| format_error(what, "status is `success` but `data` is missing")),
        Some(status) => {
            let reasons: Vec<String> = head
                .errors
                .iter()
                .flatten()
                .map(|e| {
                    [e.error_code.as_deref(), e.message.as_deref()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .chain(head.message)
                .filter(|r| !r.is_empty())
                .collect();
            let reasons = if reasons.is_empty() {
                String::new()
            } else {
                format!(": {}", reasons.join("; "))
            };
            Err(format_error(
                what,
                format!("status is `{status}`, not `success`{reasons}"),
            ))
        }
        None => Err(format_error(what, "no `status` field")),
    }
}

/// A JSON number that must be a whole count (volume, open interest): Upstox sometimes writes
/// them as `559982.0`, which is accepted; `1.5` is not.
fn whole(value: f64) -> Option<i64> {
    // 2^53: beyond it an f64 no longer holds every integer, so the count would be a guess.
    const EXACT: f64 = 9_007_199_254_740_992.0;
    (value.is_finite() && value.fract() == 0.0 && value.abs() <= EXACT).then_some(value as i64)
}

/// [`whole`] for an optional field, naming the field when it fails.
fn count(value: Option<f64>, field: &str) -> Result<Option<i64>, String> {
    value
        .map(|v| whole(v).ok_or_else(|| format!("{field} {v} is not a whole number")))
        .transpose()
}

/// A `YYYY-MM-DD` date.
fn date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// Rounds a quote price to 4 decimals: Upstox's quote prices are float32 values widened
/// (`52.04999923706055`), and differences of them carry the noise further. Four decimals keep
/// the smallest real tick (0.0025 on currency derivatives).
fn round4(price: f64) -> f64 {
    (price * 10_000.0).round() / 10_000.0
}

/// A best bid or ask: Upstox fills empty depth levels and missing quotes with 0.
fn positive(price: Option<f64>) -> Option<f64> {
    price.filter(|p| *p > 0.0)
}

#[derive(Deserialize)]
struct CandleData<'a> {
    #[serde(borrow)]
    candles: Vec<CandleRow<'a>>,
}

/// `[timestamp, open, high, low, close, volume, open_interest]`. Counts are read as f64
/// because some responses write them as `559982.0`. The timestamp is borrowed from the body
/// (owned only when it has escapes).
#[derive(Deserialize)]
struct CandleRow<'a>(
    #[serde(borrow)] Cow<'a, str>,
    f64,
    f64,
    f64,
    f64,
    f64,
    Option<f64>,
);

/// A successful candle answer read in one pass.
#[derive(Deserialize)]
struct CandleAnswer<'a> {
    #[serde(borrow)]
    status: Cow<'a, str>,
    #[serde(borrow)]
    data: CandleData<'a>,
}

/// Reads a historical or intraday candle answer (v2 or v3; same shape). The bars come back in
/// the order received, which is newest first; [`crate::market::candle::check`] sorts them.
pub fn candles(body: &[u8]) -> Result<Vec<Candle>, FormatError> {
    // A successful answer is read once; any other is read again the general way, status
    // first, which says what is wrong with it.
    let data = match serde_json::from_slice::<CandleAnswer>(body) {
        Ok(answer) if answer.status == "success" => answer.data,
        _ => success_data::<CandleData>(CANDLES, body)?,
    };
    bars(data)
}

/// The rows of a candle answer as candles; an error names the first row that is wrong.
fn bars(data: CandleData) -> Result<Vec<Candle>, FormatError> {
    data.candles
        .into_iter()
        .enumerate()
        .map(|(i, CandleRow(ts, open, high, low, close, volume, oi))| {
            let bar = || -> Result<Candle, String> {
                let ts = iso_seconds(&ts)
                    .ok_or_else(|| format!("timestamp `{ts}` is not ISO-8601 with an offset"))?;
                let volume = whole(volume)
                    .ok_or_else(|| format!("volume {volume} is not a whole number"))?;
                Ok(Candle {
                    ts,
                    open,
                    high,
                    low,
                    close,
                    volume,
                    oi: count(oi, "open interest")?,
                })
            };
            bar().map_err(|e| format_error(CANDLES, format!("candles[{i}]: {e}")))
        })
        .collect()
}

/// One entry of any of the three quote answers; which fields are present tells them apart.
#[derive(Deserialize)]
struct RawQuote {
    instrument_token: Option<String>,
    last_price: Option<f64>,
    volume: Option<f64>,
    // Full quote (`/v2/market-quote/quotes`).
    ohlc: Option<DayOhlc>,
    depth: Option<Depth>,
    timestamp: Option<String>,
    last_trade_time: Option<String>,
    oi: Option<f64>,
    net_change: Option<f64>,
    // LTP v3.
    cp: Option<f64>,
    // OHLC v3.
    live_ohlc: Option<Bar>,
    prev_ohlc: Option<Bar>,
}

/// The full quote's `ohlc`; its `close` is not read (it tracks the last price intraday).
#[derive(Deserialize)]
struct DayOhlc {
    open: Option<f64>,
    high: Option<f64>,
    low: Option<f64>,
}

#[derive(Deserialize)]
struct Depth {
    #[serde(default)]
    buy: Vec<Level>,
    #[serde(default)]
    sell: Vec<Level>,
}

#[derive(Deserialize)]
struct Level {
    price: Option<f64>,
}

/// An OHLC v3 bar; `ts` is its start in epoch milliseconds.
#[derive(Deserialize)]
struct Bar {
    open: Option<f64>,
    high: Option<f64>,
    low: Option<f64>,
    close: Option<f64>,
    volume: Option<f64>,
    ts: Option<i64>,
}

/// The `ts` of a quote whose answer carries no time at all (LTP v3): the caller stamps it with
/// the time of the request.
pub const NO_TIME: i64 = 0;

/// Reads a quote answer: the full quote (`/v2/market-quote/quotes`), LTP v3 or OHLC v3, in the
/// order of the answer's keys (`NSE_EQ:NHPC`, sorted). Each entry is read by the fields it has:
/// - time: `last_trade_time` (epoch ms, unless 0), else `timestamp` (ISO), else the start of
///   `live_ohlc` (OHLC v3), else [`NO_TIME`] (LTP v3 sends none);
/// - previous close: `last_price - net_change`, else `cp`, else `prev_ohlc.close`;
/// - open, high, low: `ohlc`, else `live_ohlc`.
///
/// OHLC v3's bars are day bars only with `interval=1d`; with `I1`/`I30` they are the current
/// and previous minute (or half hour), so `live_ohlc`'s and `prev_ohlc`'s values are used only
/// when the two bars are a day or more apart.
pub fn quotes(body: &[u8]) -> Result<Vec<Quote>, FormatError> {
    let data: BTreeMap<String, RawQuote> = success_data(QUOTES, body)?;
    data.into_iter()
        .map(|(name, raw)| quote(raw).map_err(|e| format_error(QUOTES, format!("`{name}`: {e}"))))
        .collect()
}

fn quote(raw: RawQuote) -> Result<Quote, String> {
    let token = raw.instrument_token.ok_or("no instrument_token")?;
    let instrument = InstrumentKey::parse(&token).map_err(|e| e.to_string())?;
    let ltp = raw.last_price.ok_or("no last_price")?;
    let traded = match raw.last_trade_time.as_deref() {
        Some(ms) => {
            let ms: i64 = ms
                .trim()
                .parse()
                .map_err(|_| format!("last_trade_time `{ms}` is not epoch milliseconds"))?;
            (ms != 0).then_some(ms.div_euclid(1000))
        }
        None => None,
    };
    let stamped = match raw.timestamp.as_deref() {
        Some(text) => Some(
            iso_seconds(text)
                .ok_or_else(|| format!("timestamp `{text}` is not ISO-8601 with an offset"))?,
        ),
        None => None,
    };
    let live = raw.live_ohlc.as_ref();
    // Day values come from OHLC v3 only when its bars are days (see `quotes`).
    let day_bars = match (
        raw.prev_ohlc.as_ref().and_then(|b| b.ts),
        live.and_then(|b| b.ts),
    ) {
        (Some(prev), Some(live)) => live - prev >= 86_400_000,
        _ => false,
    };
    let live_day = live.filter(|_| day_bars);
    let ts = traded
        .or(stamped)
        .or_else(|| live.and_then(|b| b.ts).map(|ms| ms.div_euclid(1000)))
        .unwrap_or(NO_TIME);
    let prev_close = raw
        .net_change
        .map(|change| ltp - change)
        .or(raw.cp)
        .or_else(|| {
            raw.prev_ohlc
                .as_ref()
                .filter(|_| day_bars)
                .and_then(|b| b.close)
        });
    let day = raw.ohlc.as_ref();
    let open = day.and_then(|o| o.open).or(live_day.and_then(|b| b.open));
    let high = day.and_then(|o| o.high).or(live_day.and_then(|b| b.high));
    let low = day.and_then(|o| o.low).or(live_day.and_then(|b| b.low));
    let volume = raw.volume.or(live_day.and_then(|b| b.volume));
    let best = |levels: Option<&Vec<Level>>| positive(levels?.first()?.price).map(round4);
    Ok(Quote {
        instrument,
        ts,
        ltp: round4(ltp),
        open: open.map(round4),
        high: high.map(round4),
        low: low.map(round4),
        prev_close: prev_close.map(round4),
        volume: count(volume, "volume")?,
        oi: count(raw.oi, "oi")?,
        bid: best(raw.depth.as_ref().map(|d| &d.buy)),
        ask: best(raw.depth.as_ref().map(|d| &d.sell)),
    })
}

/// One object of the instrument master. Every field is optional because the file mixes
/// equities, indices (no ISIN, lot or tick size) and derivatives.
#[derive(Deserialize)]
struct RawEntry {
    instrument_key: Option<String>,
    trading_symbol: Option<String>,
    segment: Option<String>,
    name: Option<String>,
    isin: Option<String>,
    instrument_type: Option<String>,
    lot_size: Option<f64>,
    tick_size: Option<f64>,
}

/// Reads Upstox's instrument master (the daily BOD JSON, e.g. `NSE.json.gz`, already
/// gunzipped): a JSON array of objects. Entries without `instrument_key`, `trading_symbol` or
/// `segment`, or with a key that does not parse, are skipped; a file where every entry is
/// skipped is refused, since that means the format changed. `tick_size` is in paise in the
/// file (5.0 for a 0.05-rupee tick) and is returned in rupees. Names lose their control
/// characters; an entry whose symbol, ISIN, segment or type holds one, or whose name is longer
/// than [`text::NAME_MAX`], is skipped too (see [`crate::text`] for why).
pub fn instruments(body: &[u8]) -> Result<Vec<MasterEntry>, FormatError> {
    if body.trim_ascii_start().starts_with(b"{") {
        return Err(format_error(
            MASTER,
            "expected a JSON array of instruments, got an object",
        ));
    }
    let raw: Vec<RawEntry> = decode(MASTER, body)?;
    let total = raw.len();
    let entries: Vec<MasterEntry> = raw.into_iter().filter_map(master_entry).collect();
    if entries.is_empty() && total > 0 {
        return Err(format_error(
            MASTER,
            format!("none of the {total} entries has instrument_key, trading_symbol and segment"),
        ));
    }
    Ok(entries)
}

fn master_entry(raw: RawEntry) -> Option<MasterEntry> {
    let key = InstrumentKey::parse(raw.instrument_key.as_deref()?).ok()?;
    let code = |field: Option<&str>, max: usize| text::identifier(field?, max).map(str::to_string);
    let trading_symbol = code(raw.trading_symbol.as_deref(), 64)?;
    let isin = match raw.isin.as_deref().map(str::trim) {
        Some("") | None => None,
        isin => Some(code(isin, 12)?),
    };
    Some(MasterEntry {
        key,
        name: match raw.name {
            Some(name) => text::clean(&name, text::NAME_MAX).ok()?,
            None => trading_symbol.clone(),
        },
        trading_symbol,
        isin,
        segment: code(raw.segment.as_deref(), 32)?,
        instrument_type: code(Some(raw.instrument_type.as_deref().unwrap_or_default()), 32)?,
        lot_size: raw.lot_size.and_then(whole),
        tick_size: raw
            .tick_size
            .filter(|t| t.is_finite() && *t > 0.0)
            .map(|paise| paise / 100.0),
    })
}

#[cfg(test)]
mod tests;
