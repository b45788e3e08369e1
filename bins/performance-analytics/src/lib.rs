//! upstox-performance-analytics: daily P&L by FIFO lot matching, trade statistics and risk
//! metrics per portfolio and strategy, stored, reported and charted.
//!
//! - [`cli`]: the command line (the run, `import-trades`, `report`)
//! - [`commands`]: `import-trades` and `report`
//! - [`config`]: the `[jobs.performance-analytics]` table: capital, cash flows, rates, email
//! - [`trade`]: a fill, its side and product
//! - [`trades`]: the `trades` table of `upstox.db`, read by the run, written by `import-trades`
//! - [`import`]: broker trade books (Upstox's export and a generic CSV), all or nothing
//! - [`upstox`]: the day's and historical trades from Upstox's API, with a token
//! - [`charges`]: Indian equity charges from a configurable schedule
//! - [`fifo`]: FIFO lot matching for one symbol in one strategy
//! - [`ledger`]: the books marked at each session's close, and the equity curve
//! - [`market`]: the closes the books are marked at, and the benchmark's
//! - [`returns`]: risk statistics of a return series, as empyrical defines them
//! - [`tradestats`]: statistics of closed trades
//! - [`analysis`]: a scope's sessions, months and statistics over a window
//! - [`performance`]: from the trades to every scope's analysis
//! - [`store`]: the job's tables and their upserts
//! - [`report`]: the report as text, JSON or CSV
//! - [`chart`]: the equity curve, drawdown and benchmark as PNG or SVG
//! - [`job`]: the run, through the common harness

pub mod analysis;
pub mod charges;
pub mod chart;
pub mod cli;
pub mod commands;
pub mod config;
pub mod fifo;
pub mod import;
pub mod job;
pub mod ledger;
pub mod market;
pub mod performance;
pub mod report;
pub mod returns;
pub mod store;
pub mod trade;
pub mod trades;
pub mod tradestats;
pub mod upstox;

pub use cli::Cli;
