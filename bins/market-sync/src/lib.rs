//! upstox-market-sync: candles, quotes, option chains and index values, with gaps found and filled.
//!
//! - [`cli`]: the command line
//! - [`config`]: the `[jobs.market-sync]` table
//! - [`gaps`]: missing bars against the NSE calendar, and when to give up on them
//! - [`atm`]: the at-the-money IV of a chain, and how far from spot its strike may be
//! - [`volatility`]: IV rank and percentile, historical volatility
//! - [`store`]: its own tables (option chains, IV, gaps); the candles it writes are
//!   `common::market`'s, like the providers it calls
//! - [`job`]: the run, in order, through the common harness
//! - [`sync`]: one instrument's candles, checked, gaps filled, written in one transaction
//! - [`fetch`]: the next instrument's candles fetched and checked on a second thread
//! - [`backfill`]: gaps found against the calendar and filled while the budget lasts
//! - [`quotes`]: quote snapshots and index values
//! - [`options`]: option chains and their IV analysis
//! - [`totals`]: what a run did, for its summary
//! - [`show`]: the recorded gaps, for people

pub mod atm;
pub mod backfill;
pub mod cli;
pub mod config;
pub mod fetch;
pub mod gaps;
pub mod job;
pub mod options;
pub mod quotes;
pub mod show;
pub mod store;
pub mod sync;
pub mod totals;
pub mod volatility;

pub use cli::{Cli, Command};
