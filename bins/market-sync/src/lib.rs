//! upstox-market-sync: candles, quotes, option chains and index values, with gaps found and filled.
//!
//! - [`cli`]: the command line
//! - [`config`]: the `[jobs.market-sync]` table
//! - [`gaps`]: missing bars against the NSE calendar, and when to give up on them
//! - [`volatility`]: ATM IV, IV rank and percentile, historical volatility
//! - [`store`]: its own tables (option chains, IV, gaps); the candles it writes are
//!   `common::market`'s, like the providers it calls
//! - [`job`]: the run, through the common harness
//! - [`show`]: the recorded gaps, for people

pub mod cli;
pub mod config;
pub mod gaps;
pub mod job;
pub mod show;
pub mod store;
pub mod volatility;

pub use cli::{Cli, Command};
