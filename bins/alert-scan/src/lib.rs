//! upstox-alert-scan: alert rules evaluated every market minute, edge-triggered, told by
//! email, Telegram and the database.
//!
//! - [`cli`]: the command line
//! - [`config`]: the `[jobs.alert-scan]` table
//! - [`rule`]: a rule, as written on the command line and in CSV files
//! - [`store`]: the rules, their state between runs, and the firings
//! - [`rules`]: `rules add|list|remove|enable|disable|import|export`
//! - [`series`]: stored candles plus the forming bar from the latest quote
//! - [`evaluate`]: a condition read off a series, and the edge trigger
//! - [`notice`]: what an alert says
//! - [`job`]: the scan, through the common harness
//! - [`explain`]: `explain SYMBOL`

pub mod cli;
pub mod config;
pub mod evaluate;
pub mod explain;
pub mod job;
pub mod notice;
pub mod rule;
pub mod rules;
pub mod series;
pub mod store;

use std::process::ExitCode;

pub use cli::{Cli, Command};
use job::{AlertScan, Request};

/// Runs the command line `cli`.
pub fn main(cli: Cli) -> ExitCode {
    let mut common = cli.common.clone();
    let explain = match cli.command {
        Some(Command::Rules { action }) => {
            return common::harness::command_exit(
                "upstox-alert-scan",
                rules::run(&cli.common, &action),
            );
        }
        Some(Command::Explain { symbol }) => {
            // Explaining writes nothing, whatever the market is doing.
            common.dry_run = true;
            common.force = true;
            Some(symbol)
        }
        None => None,
    };
    let request = Request {
        symbols: cli.symbols,
        source: cli.source,
        explain,
    };
    common::harness::main(&common, AlertScan { request })
}
