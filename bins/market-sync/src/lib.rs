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

use std::process::ExitCode;

use clap::CommandFactory;

pub use cli::{Cli, Command};
use job::{MarketSync, Request};

/// Runs the command line `cli`.
pub fn main(cli: Cli) -> ExitCode {
    #[cfg(feature = "failpoints")]
    let _failpoints = fail::FailScenario::setup();
    if let Some(Command::Gaps { status }) = &cli.command {
        return common::harness::command_exit(
            "upstox-market-sync",
            show::gaps(&cli.common, status),
        );
    }
    let request = match request(&cli) {
        Ok(r) => r,
        Err(message) => Cli::command()
            .error(clap::error::ErrorKind::ArgumentConflict, message)
            .exit(),
    };
    common::harness::main(&cli.common, MarketSync { request })
}

fn request(cli: &Cli) -> Result<Request, String> {
    let today = common::calendar::today(common::harness::market_now(chrono::Utc::now()));
    let to = cli.to.unwrap_or(today);
    let from = match (cli.from, cli.period) {
        (Some(from), _) => Some(from),
        (None, Some(period)) => Some(period.before(to)),
        (None, None) if cli.to.is_some() => {
            return Err("--to needs --from or --period".to_string());
        }
        (None, None) => None,
    };
    if let Some(from) = from
        && from > to
    {
        return Err(format!("--from {from} is after --to {to}"));
    }
    if to > today {
        return Err(format!("--to {to} is in the future (today is {today} IST)"));
    }
    Ok(Request {
        symbols: cli
            .symbols
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        intervals: cli.intervals.clone(),
        range: from.map(|f| (f, to)),
        source: cli.source,
        quotes: !cli.no_quotes,
        options: !cli.no_options,
    })
}
