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
mod tests {
    use super::*;

    /// The real Yahoo sample shared by the whole project (see shared/fixtures/real/SOURCES.md).
    const REAL_5M: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/fixtures/real/yahoo/chart_5m.json"
    );

    fn detail(body: &[u8]) -> String {
        let error = chart(body).unwrap_err();
        assert_eq!(error.what, "Yahoo chart");
        assert!(!error.detail.contains('\n'), "{error}");
        error.detail
    }

    #[test]
    fn real_5m_chart_of_a_us_index() {
        let body = std::fs::read(REAL_5M).unwrap_or_else(|e| panic!("{REAL_5M}: {e}"));
        let chart = chart(&body).unwrap();
        assert_eq!(
            chart.meta,
            Meta {
                symbol: "^TNX".to_string(),
                gmtoffset: -21600,
                timezone: Some("CST".to_string()),
                regular_market_price: Some(4.275),
                regular_market_time: Some(1_770_062_392),
                previous_close: Some(4.227),
                day_high: Some(4.261),
                day_low: Some(4.237),
                volume: Some(0),
            }
        );
        assert_eq!((chart.candles.len(), chart.nulls), (15, 0));
        assert_eq!(
            chart.candles[0],
            Candle {
                ts: 1_770_057_900,
                open: 4.27,  // 4.270999908447266
                high: 4.27,  // 4.2729997634887695
                low: 4.27,   // 4.270999908447266
                close: 4.27, // 4.270999908447266
                volume: 0,
                oi: None,
            }
        );
        let last = chart.candles[14];
        assert_eq!(last.ts, 1_770_062_100);
        assert_eq!(
            (last.open, last.high, last.low, last.close),
            (4.27, 4.28, 4.27, 4.28)
        );
        assert!(chart.candles.windows(2).all(|w| w[1].ts - w[0].ts == 300));
    }

    #[test]
    fn nse_1m_chart_drops_null_bars_and_zeroes_null_volume() {
        let chart = chart(include_bytes!("testdata/reliance_1m.json")).unwrap();
        assert_eq!(
            chart.meta,
            Meta {
                symbol: "RELIANCE.NS".to_string(),
                gmtoffset: 19800,
                timezone: Some("IST".to_string()),
                regular_market_price: Some(1519.3),
                regular_market_time: Some(1_794_887_490),
                previous_close: Some(1516.2),
                day_high: Some(1522.1),
                day_low: Some(1517.75),
                volume: Some(778_010),
            }
        );
        assert_eq!((chart.candles.len(), chart.nulls), (6, 1));
        assert_eq!(
            chart.candles[0],
            Candle {
                ts: 1_794_887_100, // 2026-11-17 09:15 IST
                open: 1519.6,
                high: 1522.1,
                low: 1517.75,
                close: 1521.4,
                volume: 412_873,
                oi: None,
            }
        );
        // 09:18 had no trades: the next bar kept is 09:19.
        assert_eq!(chart.candles[3].ts, 1_794_887_100 + 4 * 60);
        assert_eq!(chart.candles[3].close, 1520.0);
        let last = chart.candles[5];
        assert_eq!(last.ts, 1_794_887_100 + 6 * 60);
        assert_eq!((last.close, last.volume), (1519.3, 0));
    }

    #[test]
    fn a_chart_without_bars_is_empty_and_uses_chart_previous_close() {
        let body = br#"{"chart":{"result":[{"meta":{"currency":"INR","symbol":"^NSEI","exchangeName":"NSI",
            "gmtoffset":19800,"timezone":"IST","regularMarketPrice":25990.5,"chartPreviousClose":25900.15,
            "dataGranularity":"1m","range":"1d"},"indicators":{"quote":[{}]}}],"error":null}}"#;
        let chart = chart(body).unwrap();
        assert_eq!((chart.candles.len(), chart.nulls), (0, 0));
        assert_eq!(chart.meta.previous_close, Some(25900.15));
        assert_eq!((chart.meta.volume, chart.meta.day_high), (None, None));
    }

    #[test]
    fn a_bar_missing_any_price_is_dropped() {
        let body = br#"{"chart":{"result":[{"meta":{"symbol":"^NSEI","gmtoffset":19800},
            "timestamp":[1794887100,1794887160,1794887220],"indicators":{"quote":[{
            "open":[25990.05078125,null,25991],"high":[25995.5,25993,25992.19921875],
            "low":[25988.349609375,25990,25990.5],"close":[25991,25992,null],"volume":[0,0,0]}]}}],
            "error":null}}"#;
        let chart = chart(body).unwrap();
        assert_eq!((chart.candles.len(), chart.nulls), (1, 2));
        assert_eq!(
            chart.candles[0],
            Candle {
                ts: 1_794_887_100,
                open: 25990.05,
                high: 25995.5,
                low: 25988.35,
                close: 25991.0,
                volume: 0,
                oi: None,
            }
        );
    }

    #[test]
    fn yahoo_errors_and_broken_bodies_are_refused() {
        let missing = br#"{"chart":{"result":null,"error":{"code":"Not Found","description":"No data found, symbol may be delisted"}}}"#;
        assert_eq!(
            detail(missing),
            "Yahoo answered `Not Found`: No data found, symbol may be delisted"
        );
        assert_eq!(
            detail(br#"{"chart":{"result":[],"error":null}}"#),
            "no result and no error"
        );
        let ragged = br#"{"chart":{"result":[{"meta":{"symbol":"X.NS","gmtoffset":19800},
            "timestamp":[1,2],"indicators":{"quote":[{"open":[1,1],"high":[1,1],"low":[1,1],
            "close":[1],"volume":[0,0]}]}}],"error":null}}"#;
        assert_eq!(
            detail(ragged),
            "X.NS: timestamp has 2 entries but close has 1"
        );
        assert_eq!(
            detail(b"Too Many Requests\r\n"),
            "not JSON: starts with `Too Many Requests`"
        );
        assert!(detail(br#"{"finance":{"result":null}}"#).contains("missing field `chart`"));
    }
}
