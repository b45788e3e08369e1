//! upstox-alert-scan: alert rules evaluated every market minute, edge-triggered, told by
//! email, Telegram and the database.
//!
//! - [`cli`]: the command line
//! - [`config`]: the `[jobs.alert-scan]` table
//! - [`rule`]: a rule, as written on the command line and in CSV files
//! - [`store`]: the rules, their state between runs, and the firings
//! - [`rules`]: `rules add|list|remove|enable|disable|import|export`
//! - [`series`]: stored candles plus the forming bar from the latest quote
//! - [`progress`]: how far a forming bar of a day or longer is through its trading time
//! - [`evaluate`]: a condition read off a series, and the edge trigger
//! - [`notice`]: what an alert says
//! - [`scan`]: one symbol's rules read and passed through the edge trigger
//! - [`record`]: the minute's states, firings and messages, in one transaction
//! - [`job`]: the scan, in order, through the common harness
//! - [`explain`]: `explain SYMBOL`

pub mod cli;
pub mod config;
pub mod evaluate;
pub mod explain;
pub mod job;
pub mod notice;
pub mod progress;
pub mod record;
pub mod rule;
pub mod rules;
pub mod scan;
pub mod series;
pub mod store;

pub use cli::{Cli, Command};
