//! Yahoo Finance's chart answer (`/v8/finance/chart/{symbol}`) read into candles and the
//! symbol's metadata. A pure function of the body's bytes, tested against a real sample.

use serde::Deserialize;

use crate::market::candle::Candle;
use crate::market::provider::FormatError;
use crate::market::upstox::parse::{decode, format_error};

const WHAT: &str = "Yahoo chart";

/// A chart answer: the symbol's metadata and its complete bars.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// What Yahoo says about the symbol and its session.
    pub meta: Meta,
    /// Bars with all four prices, in Yahoo's order (oldest first), prices rounded to 0.01.
    pub candles: Vec<Candle>,
    /// Bars dropped because a price was null (Yahoo's minutes without trades).
    pub nulls: usize,
}

/// The parts of a chart's `meta` that are used.
#[derive(Debug, Clone, PartialEq)]
pub struct Meta {
    /// Yahoo's symbol (`RELIANCE.NS`).
    pub symbol: String,
    /// The exchange's offset from UTC in seconds (19800 for NSE).
    pub gmtoffset: i64,
    /// The exchange's time-zone abbreviation (`IST`).
    pub timezone: Option<String>,
    /// The last price.
    pub regular_market_price: Option<f64>,
    /// When the last price was traded (UTC epoch seconds).
    pub regular_market_time: Option<i64>,
    /// The previous session's close: `previousClose`, else `chartPreviousClose` (the close
    /// before the chart's first bar, which is the previous session's for a one-day range).
    pub previous_close: Option<f64>,
    /// Today's high (`regularMarketDayHigh`).
    pub day_high: Option<f64>,
    /// Today's low (`regularMarketDayLow`).
    pub day_low: Option<f64>,
    /// Today's volume (`regularMarketVolume`).
    pub volume: Option<i64>,
}

#[derive(Deserialize)]
struct Envelope {
    chart: RawChart,
}

#[derive(Deserialize)]
struct RawChart {
    result: Option<Vec<RawResult>>,
    error: Option<YahooError>,
}

/// `{"code":"Not Found","description":"No data found, symbol may be delisted"}`.
#[derive(Deserialize)]
struct YahooError {
    code: Option<String>,
    description: Option<String>,
}

#[derive(Deserialize)]
struct RawResult {
    meta: RawMeta,
    // Absent when the range has no bars.
    timestamp: Option<Vec<i64>>,
    indicators: Option<Indicators>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMeta {
    symbol: String,
    gmtoffset: i64,
    timezone: Option<String>,
    regular_market_price: Option<f64>,
    regular_market_time: Option<i64>,
    previous_close: Option<f64>,
    chart_previous_close: Option<f64>,
    regular_market_day_high: Option<f64>,
    regular_market_day_low: Option<f64>,
    regular_market_volume: Option<i64>,
}

#[derive(Deserialize)]
struct Indicators {
    #[serde(default)]
    quote: Vec<Columns>,
}

/// The bar values, one array per field, aligned with `timestamp`. Yahoo sends `[{}]` when
/// there are no bars, hence the defaults.
#[derive(Default, Deserialize)]
struct Columns {
    #[serde(default)]
    open: Vec<Option<f64>>,
    #[serde(default)]
    high: Vec<Option<f64>>,
    #[serde(default)]
    low: Vec<Option<f64>>,
    #[serde(default)]
    close: Vec<Option<f64>>,
    #[serde(default)]
    volume: Vec<Option<i64>>,
}

/// Rounds to 0.01 rupee: Yahoo's prices are float32 values widened (`1519.5999755859375`), and
/// every NSE tick (0.05 for stocks, 0.01 for indices) is a multiple of 0.01.
fn round2(price: f64) -> f64 {
    (price * 100.0).round() / 100.0
}

/// Reads a chart answer. Bars missing any of open, high, low or close are dropped and counted
/// in [`Chart::nulls`]; a missing volume with prices present is 0. No `timestamp` at all (Yahoo
/// leaves it out when the range has no bars) gives no candles. Yahoo's own error
/// (`{"chart":{"result":null,"error":{…}}}`) and arrays of different lengths are errors.
pub fn chart(body: &[u8]) -> Result<Chart, FormatError> {
    let envelope: Envelope = decode(WHAT, body)?;
    let RawChart { result, error } = envelope.chart;
    if let Some(YahooError { code, description }) = error {
        return Err(format_error(
            WHAT,
            format!(
                "Yahoo answered `{}`: {}",
                code.as_deref().unwrap_or("no code"),
                description.as_deref().unwrap_or("no description")
            ),
        ));
    }
    let result = result
        .and_then(|r| r.into_iter().next())
        .ok_or_else(|| format_error(WHAT, "no result and no error"))?;
    let meta = result.meta;
    let meta = Meta {
        symbol: meta.symbol,
        gmtoffset: meta.gmtoffset,
        timezone: meta.timezone,
        regular_market_price: meta.regular_market_price,
        regular_market_time: meta.regular_market_time,
        previous_close: meta.previous_close.or(meta.chart_previous_close),
        day_high: meta.regular_market_day_high,
        day_low: meta.regular_market_day_low,
        volume: meta.regular_market_volume,
    };
    let stamps = result.timestamp.unwrap_or_default();
    let columns = result
        .indicators
        .and_then(|i| i.quote.into_iter().next())
        .unwrap_or_default();
    let lengths = [
        ("open", columns.open.len()),
        ("high", columns.high.len()),
        ("low", columns.low.len()),
        ("close", columns.close.len()),
        ("volume", columns.volume.len()),
    ];
    if let Some((name, len)) = lengths.iter().find(|(_, len)| *len != stamps.len()) {
        return Err(format_error(
            WHAT,
            format!(
                "{}: timestamp has {} entries but {name} has {len}",
                meta.symbol,
                stamps.len()
            ),
        ));
    }
    let mut candles = Vec::with_capacity(stamps.len());
    let mut nulls = 0;
    for (i, ts) in stamps.into_iter().enumerate() {
        let prices = (
            columns.open[i],
            columns.high[i],
            columns.low[i],
            columns.close[i],
        );
        let (Some(open), Some(high), Some(low), Some(close)) = prices else {
            nulls += 1;
            continue;
        };
        candles.push(Candle {
            ts,
            open: round2(open),
            high: round2(high),
            low: round2(low),
            close: round2(close),
            volume: columns.volume[i].unwrap_or(0),
            // Yahoo has no open interest.
            oi: None,
        });
    }
    Ok(Chart {
        meta,
        candles,
        nulls,
    })
}

#[cfg(test)]
mod tests;
