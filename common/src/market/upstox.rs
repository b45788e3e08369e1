//! Upstox: candles (v3 historical and intraday), full quotes, option contracts and chains,
//! with the account's request budget kept across processes and the token never logged.

pub mod parse;

use crate::credentials::Secret;
use crate::http::Admission;
use crate::http::{Fetched, HttpClient};
use chrono::{Days, NaiveDate};

use crate::market::candle::period_begin;
use crate::market::instrument::{Instrument, InstrumentKey};
use crate::market::interval::Interval;
use crate::market::provider::{
    CandleBatch, FormatError, OptionRow, Provider, ProviderError, Quote, Source,
};

/// Most instrument keys one quote request may carry.
const QUOTE_BATCH: usize = 500;

/// What to do about a refused token.
pub const TOKEN_HINT: &str = "Upstox access tokens expire every day (about 03:30 IST): log in again and put the new token in \
     $CREDENTIALS_DIRECTORY/upstox_token (systemd) or the file [credentials] upstox_token names, \
     or run with --source yahoo";

/// The Upstox provider.
pub struct Upstox<'a> {
    http: &'a HttpClient,
    budget: &'a (dyn Admission + Sync),
    base: String,
    bearer: String,
}

impl<'a> Upstox<'a> {
    /// Upstox at `base_url`, authenticated with `token`, each request admitted by `budget`.
    pub fn new(
        http: &'a HttpClient,
        budget: &'a (dyn Admission + Sync),
        base_url: &str,
        token: &Secret,
    ) -> Self {
        Upstox {
            http,
            budget,
            base: base_url.trim_end_matches('/').to_string(),
            bearer: format!("Bearer {}", token.expose()),
        }
    }

    /// GETs `path` (with its query) of the Upstox API, authenticated and admitted by the
    /// budget: for endpoints outside market data (a job's trades).
    pub fn fetch(&self, path: &str) -> Result<Fetched, ProviderError> {
        self.get(&format!("{}{path}", self.base))
    }

    fn get(&self, url: &str) -> Result<Fetched, ProviderError> {
        let headers = [
            ("Authorization", self.bearer.as_str()),
            ("Accept", "application/json"),
        ];
        self.http
            .get_admitted(url, &headers, self.budget)
            .map_err(|e| match e.status().map(|s| s.as_u16()) {
                Some(status @ (401 | 403)) => ProviderError::Auth {
                    provider: "Upstox",
                    status,
                    hint: TOKEN_HINT.to_string(),
                },
                _ => ProviderError::Http(e),
            })
    }

    fn read<T>(
        &self,
        url: &str,
        parse: impl Fn(&[u8]) -> Result<T, FormatError>,
    ) -> Result<T, ProviderError> {
        let fetched = self.get(url)?;
        parse(&fetched.body).map_err(|error| ProviderError::Format {
            url: url.to_string(),
            error,
        })
    }
}

impl Provider for Upstox<'_> {
    fn source(&self) -> Source {
        Source::Upstox
    }

    fn offers(&self, _interval: Interval) -> bool {
        // `Interval` is what Upstox v3 offers.
        true
    }

    fn offered(&self) -> String {
        "every interval (1 to 300 minutes, 1 to 5 hours, day, week, month)".to_string()
    }

    fn max_span_days(&self, interval: Interval) -> i64 {
        // Upstox v3 refuses longer ranges: one month per request for 1–15 minute bars, a
        // quarter for longer intraday ones, a decade for days, no limit for weeks and months.
        // 28 and 89 days fit in any month and quarter.
        match interval {
            Interval::Minutes(m) if m <= 15 => 28,
            Interval::Minutes(_) => 89,
            Interval::Day => 3650,
            Interval::Week | Interval::Month => 36500,
        }
    }

    fn history_days(&self, _interval: Interval) -> Option<i64> {
        None
    }

    fn candles(
        &self,
        instrument: &Instrument,
        interval: Interval,
        from: NaiveDate,
        to: NaiveDate,
        today: NaiveDate,
    ) -> Result<CandleBatch, ProviderError> {
        let key = instrument.key.url_encoded();
        let mut batch = CandleBatch::default();
        let from = period_begin(from, interval);
        // The historical endpoint ends yesterday; today's bars come from the intraday one,
        // which has no weeks or months: the historical one carries the forming period.
        let historical_to = to.min(today - Days::new(1));
        if from <= historical_to {
            let url = format!(
                "{}/v3/historical-candle/{key}/{}/{historical_to}/{from}",
                self.base,
                interval.upstox_path()
            );
            batch.candles = self.read(&url, parse::candles)?;
        }
        if to >= today && !matches!(interval, Interval::Week | Interval::Month) {
            let url = format!(
                "{}/v3/historical-candle/intraday/{key}/{}",
                self.base,
                interval.upstox_path()
            );
            batch.candles.extend(self.read(&url, parse::candles)?);
        }
        Ok(batch)
    }

    fn quotes(&self, instruments: &[Instrument]) -> Result<Vec<Quote>, ProviderError> {
        let mut quotes = Vec::new();
        for chunk in instruments.chunks(QUOTE_BATCH) {
            let keys: Vec<String> = chunk.iter().map(|i| i.key.url_encoded()).collect();
            let url = format!(
                "{}/v2/market-quote/quotes?instrument_key={}",
                self.base,
                keys.join(",")
            );
            quotes.extend(self.read(&url, parse::quotes)?);
        }
        Ok(quotes)
    }

    fn expiries(&self, underlying: &InstrumentKey) -> Result<Vec<NaiveDate>, ProviderError> {
        let url = format!(
            "{}/v2/option/contract?instrument_key={}",
            self.base,
            underlying.url_encoded()
        );
        self.read(&url, parse::expiries)
    }

    fn option_chain(
        &self,
        underlying: &InstrumentKey,
        expiry: NaiveDate,
    ) -> Result<Vec<OptionRow>, ProviderError> {
        let url = format!(
            "{}/v2/option/chain?instrument_key={}&expiry_date={expiry}",
            self.base,
            underlying.url_encoded()
        );
        self.read(&url, parse::option_chain)
    }
}
