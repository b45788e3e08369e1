//! The command line.

use std::path::PathBuf;

use chrono::NaiveDate;
use common::harness::{self, CommonArgs, Invocation};

use crate::commands;
use crate::job::{PerformanceAnalytics, Request};
use crate::report::Format;

const AFTER_HELP: &str = "\
Reads the trades the trading application records in upstox.db (or that import-trades loaded),
matches them FIFO per symbol and strategy, marks open positions at each session's close from
the candles market-sync stores, and writes daily_performance, monthly_performance,
risk_metrics and strategy_performance for the portfolio and each strategy. A run recomputes
from the first trade to --to (today) and rewrites the rows of --from..--to; a row changes only
when a value differs. Each metric's definition:
/usr/share/doc/upstox-jobs/performance-analytics.md.gz.

Examples:
  upstox-performance-analytics                          as the 16:00 timer runs it
  upstox-performance-analytics --from 2026-11-01 --to 2026-11-30 --dry-run
  upstox-performance-analytics import-trades tradebook.csv --strategy swing
  upstox-performance-analytics report --from 2026-04-01 --chart fy.png
  upstox-performance-analytics report --strategy swing --format json";

/// Daily trading performance: FIFO P&L, trade statistics and risk metrics (Sharpe, Sortino,
/// drawdown, alpha and beta against NIFTY 50) per portfolio and strategy.
#[derive(Debug, clap::Parser)]
#[command(name = "upstox-performance-analytics", version, after_help = AFTER_HELP)]
pub struct Cli {
    /// The flags every job takes.
    #[command(flatten)]
    pub common: CommonArgs,
    /// Recompute and rewrite from this IST date [default: the first trade's]
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub from: Option<NaiveDate>,
    /// Recompute up to this IST date [default: today]
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub to: Option<NaiveDate>,
    /// What to do instead of a run.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Load a trade book CSV (Upstox's export or generic) into upstox.db, all or nothing
    ImportTrades {
        /// The CSV file
        file: PathBuf,
        /// Tag the trades with this strategy, where a row has none
        #[arg(long, value_name = "NAME", default_value = "")]
        strategy: String,
    },
    /// Print every metric of the portfolio and each strategy (writes nothing)
    Report {
        /// From this IST date [default: the first trade's]
        #[arg(long, value_name = "YYYY-MM-DD")]
        from: Option<NaiveDate>,
        /// Up to this IST date [default: today]
        #[arg(long, value_name = "YYYY-MM-DD")]
        to: Option<NaiveDate>,
        /// Only this strategy (and not the portfolio)
        #[arg(long, value_name = "NAME")]
        strategy: Option<String>,
        /// How to print it
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Also draw the equity curve, drawdown and NIFTY 50 to FILE (.png or .svg)
        #[arg(long, value_name = "FILE")]
        chart: Option<PathBuf>,
    },
}

/// The dates asked for, checked: `from` ≤ `to` ≤ today.
fn dates(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<(Option<NaiveDate>, NaiveDate), String> {
    let to = to.unwrap_or(today);
    if to > today {
        return Err(format!("--to {to} is in the future (today is {today} IST)"));
    }
    if let Some(from) = from
        && from > to
    {
        return Err(format!("--from {from} is after --to {to}"));
    }
    Ok((from, to))
}

impl harness::Cli for Cli {
    type Job = PerformanceAnalytics;

    fn common(&self) -> &CommonArgs {
        &self.common
    }

    fn invocation(self, today: NaiveDate) -> Result<Invocation<PerformanceAnalytics>, String> {
        match self.command {
            Some(Command::ImportTrades { file, strategy }) => {
                Ok(Invocation::command(self.common, move |args| {
                    commands::import_trades(args, &file, &strategy)
                }))
            }
            Some(Command::Report {
                from,
                to,
                strategy,
                format,
                chart,
            }) => {
                let (from, to) = dates(from, to, today)?;
                let request = commands::ReportRequest {
                    from,
                    to,
                    strategy,
                    format,
                    chart,
                };
                Ok(Invocation::command(self.common, move |args| {
                    commands::report(args, &request)
                }))
            }
            None => {
                let asked = self.from.is_some() || self.to.is_some();
                let (from, to) = dates(self.from, self.to, today)?;
                Ok(Invocation::Run(
                    PerformanceAnalytics {
                        request: Request {
                            from,
                            to: asked.then_some(to),
                        },
                    },
                    self.common,
                ))
            }
        }
    }
}
