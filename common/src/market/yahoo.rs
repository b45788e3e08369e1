//! Yahoo Finance's chart API: the no-key fallback. Candles and a quote per symbol from the
//! chart's `meta`; no option chains.

pub mod parse;

use crate::http::Admission;
use crate::http::HttpClient;
use chrono::{Days, NaiveDate, NaiveTime};

use crate::market::candle::{ist_epoch, period_begin};
use crate::market::instrument::{Instrument, InstrumentKey};
use crate::market::interval::Interval;
use crate::market::provider::{
    CandleBatch, FormatError, OptionRow, Provider, ProviderError, Quote, Source,
};

/// The Yahoo provider.
pub struct Yahoo<'a> {
    http: &'a HttpClient,
    budget: &'a (dyn Admission + Sync),
    base: String,
}

impl<'a> Yahoo<'a> {
    /// Yahoo at `base_url`, each request admitted by `budget`.
    pub fn new(http: &'a HttpClient, budget: &'a (dyn Admission + Sync), base_url: &str) -> Self {
        Yahoo {
            http,
            budget,
            base: base_url.trim_end_matches('/').to_string(),
        }
    }

    fn chart(&self, instrument: &Instrument, query: &str) -> Result<parse::Chart, ProviderError> {
        let symbol = instrument.yahoo.as_deref().ok_or_else(|| {
            ProviderError::Unsupported(format!(
                "{}: Yahoo has no symbol for it; use Upstox for this instrument",
                instrument.key
            ))
        })?;
        let url = format!("{}/v8/finance/chart/{}?{query}", self.base, encode(symbol));
        let fetched = self
            .http
            .get_admitted(&url, &[("Accept", "application/json")], self.budget)
            .map_err(|e| match e.status().map(|s| s.as_u16()) {
                Some(404) => ProviderError::Format {
                    url: url.clone(),
                    error: FormatError {
                        what: "Yahoo chart",
                        detail: format!(
                            "Yahoo does not know {symbol} (HTTP 404); check the symbol, or that it still trades"
                        ),
                    },
                },
                _ => ProviderError::Http(e),
            })?;
        parse::chart(&fetched.body).map_err(|error| ProviderError::Format { url, error })
    }
}

/// Percent-encodes a Yahoo symbol for a URL path (`^NSEI` → `%5ENSEI`).
fn encode(symbol: &str) -> String {
    symbol
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Provider for Yahoo<'_> {
    fn source(&self) -> Source {
        Source::Yahoo
    }

    fn offers(&self, interval: Interval) -> bool {
        interval.yahoo().is_some()
    }

    fn offered(&self) -> String {
        "1minute, 2minute, 5minute, 15minute, 30minute, 1hour, 90minute, day, week and month"
            .to_string()
    }

    fn max_span_days(&self, interval: Interval) -> i64 {
        // Yahoo serves at most 7 days of 1-minute bars per request, 60 of the other intraday
        // ones and 730 of hourly ones.
        match interval {
            Interval::Minutes(1) => 7,
            Interval::Minutes(60) => 729,
            Interval::Minutes(_) => 59,
            Interval::Day | Interval::Week | Interval::Month => 3650,
        }
    }

    fn history_days(&self, interval: Interval) -> Option<i64> {
        // How far back Yahoo keeps intraday bars at all.
        match interval {
            Interval::Minutes(1) => Some(29),
            Interval::Minutes(60) => Some(729),
            Interval::Minutes(_) => Some(59),
            Interval::Day | Interval::Week | Interval::Month => None,
        }
    }

    fn candles(
        &self,
        instrument: &Instrument,
        interval: Interval,
        from: NaiveDate,
        to: NaiveDate,
        _today: NaiveDate,
    ) -> Result<CandleBatch, ProviderError> {
        let Some(name) = interval.yahoo() else {
            return Err(ProviderError::Unsupported(format!(
                "yahoo has no {interval} bars: it has {}",
                self.offered()
            )));
        };
        let start = ist_epoch(period_begin(from, interval), NaiveTime::MIN);
        let end = ist_epoch(to + Days::new(1), NaiveTime::MIN);
        let chart = self.chart(
            instrument,
            &format!("interval={name}&period1={start}&period2={end}&includePrePost=false"),
        )?;
        Ok(CandleBatch {
            candles: chart.candles,
            nulls: chart.nulls,
        })
    }

    fn quotes(&self, instruments: &[Instrument]) -> Result<Vec<Quote>, ProviderError> {
        let mut quotes = Vec::new();
        for instrument in instruments.iter().filter(|i| i.yahoo.is_some()) {
            let meta = self.chart(instrument, "interval=1d&range=1d")?.meta;
            let (Some(ltp), Some(ts)) = (meta.regular_market_price, meta.regular_market_time)
            else {
                continue;
            };
            quotes.push(Quote {
                instrument: instrument.key.clone(),
                ts,
                ltp,
                open: None,
                high: meta.day_high,
                low: meta.day_low,
                prev_close: meta.previous_close,
                volume: meta.volume,
                oi: None,
                bid: None,
                ask: None,
            });
        }
        Ok(quotes)
    }

    fn expiries(&self, _underlying: &InstrumentKey) -> Result<Vec<NaiveDate>, ProviderError> {
        Err(no_options())
    }

    fn option_chain(
        &self,
        _underlying: &InstrumentKey,
        _expiry: NaiveDate,
    ) -> Result<Vec<OptionRow>, ProviderError> {
        Err(no_options())
    }
}

fn no_options() -> ProviderError {
    ProviderError::Unsupported(
        "option chains need Upstox: Yahoo has none; configure the upstox_token credential"
            .to_string(),
    )
}
