//! The market data every job reads: what is traded, its bars and quotes, the two providers
//! that serve them, and the tables they are kept in. market-sync fills the tables; alert-scan,
//! news-sentiment and performance-analytics read them.
//!
//! - [`interval`] and [`instrument`]: what is fetched, named the way each provider spells it
//! - [`candle`]: the bar, and the checks it passes before it is stored
//! - [`quote`]: the checks a quote passes before it is stored or a rule reads it
//! - [`provider`]: the trait both providers implement; [`upstox`] and [`yahoo`] implement it
//! - [`source`]: which provider a run talks to (`[providers]` in `crate::config` says where
//!   they are), with its shared request budget
//! - [`master`]: Upstox's instrument master (symbol → instrument key), refreshed daily
//! - [`universe`]: symbols and keys resolved to instruments
//! - [`store`]: the `candles`, `quotes`, `index_values` and `instruments` tables

pub mod candle;
pub mod instrument;
pub mod interval;
pub mod master;
pub mod provider;
pub mod quote;
pub mod source;
pub mod store;
pub mod universe;
pub mod upstox;
pub mod yahoo;
