//! What a market-data provider answers, whoever it is: the trait both providers implement,
//! the records they return, and how they fail.

use crate::Exit;
use crate::harness::UnitError;
use crate::http::HttpError;
use chrono::NaiveDate;

use crate::market::candle::Candle;
use crate::market::instrument::{Instrument, InstrumentKey};
use crate::market::interval::Interval;

/// Candles as a provider returned them, before [`crate::market::candle::check`].
#[derive(Debug, Default, Clone)]
pub struct CandleBatch {
    /// The bars, in the provider's order.
    pub candles: Vec<Candle>,
    /// Bars the provider sent with nulls (Yahoo does, for minutes without trades): dropped.
    pub nulls: usize,
}

/// A price snapshot of one instrument.
#[derive(Debug, Clone, PartialEq)]
pub struct Quote {
    /// The instrument.
    pub instrument: InstrumentKey,
    /// When the price was last traded (UTC epoch seconds).
    pub ts: i64,
    /// Last traded price (for an index: its value).
    pub ltp: f64,
    /// Today's open, high, low so far.
    pub open: Option<f64>,
    /// Today's high.
    pub high: Option<f64>,
    /// Today's low.
    pub low: Option<f64>,
    /// The previous session's close.
    pub prev_close: Option<f64>,
    /// Today's volume.
    pub volume: Option<i64>,
    /// Open interest (derivatives).
    pub oi: Option<i64>,
    /// Best bid.
    pub bid: Option<f64>,
    /// Best ask.
    pub ask: Option<f64>,
}

/// Call or put.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    /// A call (CE).
    Call,
    /// A put (PE).
    Put,
}

impl Side {
    /// `CE` or `PE`, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Call => "CE",
            Side::Put => "PE",
        }
    }
}

/// One option of a chain: a strike's call or put, with its market data and greeks.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionRow {
    /// The underlying (`NSE_INDEX|Nifty 50`).
    pub underlying: InstrumentKey,
    /// The underlying's spot price when the chain was read.
    pub spot: f64,
    /// Expiry date.
    pub expiry: NaiveDate,
    /// Strike price.
    pub strike: f64,
    /// Call or put.
    pub side: Side,
    /// The option's own instrument key (`NSE_FO|51059`).
    pub instrument: String,
    /// Last traded price.
    pub ltp: Option<f64>,
    /// Best bid.
    pub bid: Option<f64>,
    /// Best ask.
    pub ask: Option<f64>,
    /// Volume.
    pub volume: Option<i64>,
    /// Open interest.
    pub oi: Option<i64>,
    /// Implied volatility, in percent (Upstox's unit).
    pub iv: Option<f64>,
    /// Delta.
    pub delta: Option<f64>,
    /// Gamma.
    pub gamma: Option<f64>,
    /// Theta.
    pub theta: Option<f64>,
    /// Vega.
    pub vega: Option<f64>,
}

/// One row of Upstox's instrument master (the daily BOD file).
#[derive(Debug, Clone, PartialEq)]
pub struct MasterEntry {
    /// `NSE_EQ|INE002A01018`.
    pub key: InstrumentKey,
    /// `RELIANCE`.
    pub trading_symbol: String,
    /// The company or index name.
    pub name: String,
    /// The ISIN, for equities.
    pub isin: Option<String>,
    /// `NSE_EQ`, `NSE_INDEX`, …
    pub segment: String,
    /// `EQ`, `INDEX`, `CE`, …
    pub instrument_type: String,
    /// Lot size.
    pub lot_size: Option<i64>,
    /// Tick size (in rupees).
    pub tick_size: Option<f64>,
}

/// A response that is not in the provider's documented format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: {detail}")]
pub struct FormatError {
    /// What was being read ("Upstox candles").
    pub what: &'static str,
    /// What was wrong with it.
    pub detail: String,
}

/// Why a provider call failed.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The credentials were refused (HTTP 401/403): nothing else will work this run.
    #[error("{provider} refused the access token (HTTP {status}): {hint}")]
    Auth {
        /// Provider name.
        provider: &'static str,
        /// 401 or 403.
        status: u16,
        /// What to do.
        hint: String,
    },
    /// The request failed.
    #[error(transparent)]
    Http(#[from] HttpError),
    /// The response could not be read.
    #[error("{url}: {error}")]
    Format {
        /// Where it came from.
        url: String,
        /// What was wrong.
        error: FormatError,
    },
    /// The provider has no such data (Yahoo has no option chains).
    #[error("{0}")]
    Unsupported(String),
}

impl ProviderError {
    /// The documented exit code.
    pub fn exit(&self) -> Exit {
        match self {
            ProviderError::Auth { .. } => Exit::Config,
            ProviderError::Http(e) => e.exit(),
            ProviderError::Format { .. } => Exit::DataErr,
            ProviderError::Unsupported(_) => Exit::Success,
        }
    }
}

impl ProviderError {
    /// The message and what to do about it: one line for a failed unit or run.
    pub fn worded(&self) -> String {
        match self {
            ProviderError::Http(e) => e.worded(),
            ProviderError::Format { .. } => format!(
                "{self}; the stored data is kept and the next run retries; if it keeps \
                 failing, the provider changed its format: upgrade the upstox-jobs package"
            ),
            ProviderError::Auth { .. } | ProviderError::Unsupported(_) => self.to_string(),
        }
    }
}

impl From<&ProviderError> for UnitError {
    fn from(e: &ProviderError) -> Self {
        UnitError {
            exit: e.exit(),
            message: e.worded(),
        }
    }
}

/// Where stored market data came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// Upstox's API.
    Upstox,
    /// Yahoo Finance's chart API.
    Yahoo,
}

impl Source {
    /// The name shown to people (and in the `candles_ist` view).
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Upstox => "upstox",
            Source::Yahoo => "yahoo",
        }
    }

    /// The integer stored in `candles.source`.
    pub fn code(self) -> i64 {
        match self {
            Source::Upstox => 1,
            Source::Yahoo => 2,
        }
    }
}

/// A source of market data; `Sync`, so that one thread may fetch while another writes.
pub trait Provider: Sync {
    /// Who answers.
    fn source(&self) -> Source;

    /// `upstox` or `yahoo`: the source's name, in logs, budgets and text tables.
    fn name(&self) -> &'static str {
        self.source().as_str()
    }

    /// Whether the provider has bars of `interval`.
    fn offers(&self, interval: Interval) -> bool;

    /// The intervals it has, for a refusal: "1minute, 2minute, …".
    fn offered(&self) -> String;

    /// The longest span of days one candle request may cover for `interval`.
    fn max_span_days(&self, interval: Interval) -> i64;

    /// How many days back the provider keeps `interval`'s history, if limited.
    fn history_days(&self, interval: Interval) -> Option<i64>;

    /// The candles of `instrument` for the IST dates `from..=to`; `today` is the current IST
    /// date (some providers serve today's bars from another endpoint).
    fn candles(
        &self,
        instrument: &Instrument,
        interval: Interval,
        from: NaiveDate,
        to: NaiveDate,
        today: NaiveDate,
    ) -> Result<CandleBatch, ProviderError>;

    /// Current quotes of `instruments`, in as few requests as the provider allows.
    fn quotes(&self, instruments: &[Instrument]) -> Result<Vec<Quote>, ProviderError>;

    /// The expiry dates of `underlying`'s options, soonest first.
    fn expiries(&self, underlying: &InstrumentKey) -> Result<Vec<NaiveDate>, ProviderError>;

    /// The option chain of `underlying` for `expiry`.
    fn option_chain(
        &self,
        underlying: &InstrumentKey,
        expiry: NaiveDate,
    ) -> Result<Vec<OptionRow>, ProviderError>;
}
