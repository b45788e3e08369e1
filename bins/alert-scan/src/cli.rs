//! The command line.

use chrono::NaiveDate;
use common::harness::{self, CommonArgs, Invocation};
use common::market::source::SourceChoice;

use crate::job::{AlertScan, Request};
use crate::rule;
use crate::rules::{self, RulesCommand};

const AFTER_HELP: &str = "\
Outside market hours and on NSE holidays a scheduled run is skipped (exit 0), unless --force.
A rule fires when its condition becomes true, then not again until its cooldown has passed and
the condition has been false in between, and at most once a bar. Every firing is a row in alert_events, unique per rule
and bar; email and Telegram messages go through the notification outbox.

Rule kinds and their parameters (defaults shown):
  price-above level=PRICE            price-below level=PRICE
  rsi-above period=14 level=70       rsi-below period=14 level=30
  volume-spike factor=2 period=20    (volume above factor x the average of the previous bars)
  macd-cross-up fast=12 slow=26 signal=9      macd-cross-down fast=12 slow=26 signal=9
  resistance-break level=PRICE | period=20    support-break level=PRICE | period=20

A volume spike on bars of a day, a week or a month compares the volume so far with the
average pro-rated to the share of the bar's trading time gone by (at 12:22 IST a day is half
over: factor x half the average), from 15 minutes into the bar (before, the opening auction
outweighs it). Trading is heavier near the open and close than in between, so pro-rated, a
morning is crossed more easily than the middle of the day.

A bad rule or rules file is refused with the line and the reason (65), and nothing is stored.
A latest price that fails validation (not a positive number, outside the day's high and low,
in the future) is refused: no rule of that symbol is evaluated on it, and the symbol fails (65).

Examples:
  upstox-alert-scan rules add RELIANCE rsi-above period=14 level=70 --interval 15minute
  upstox-alert-scan rules add TCS price-below level=3200 --channels telegram --cooldown 1h
  upstox-alert-scan rules import rules.csv
  upstox-alert-scan rules list
  upstox-alert-scan --dry-run --force       what would fire now
  upstox-alert-scan explain RELIANCE";

/// Evaluate alert rules (price levels, RSI, volume spikes, MACD crosses, support and
/// resistance breaks) against the latest prices and stored candles; notify by email,
/// Telegram and the database.
#[derive(Debug, clap::Parser)]
#[command(name = "upstox-alert-scan", version, after_help = AFTER_HELP)]
pub struct Cli {
    /// The flags every job takes.
    #[command(flatten)]
    pub common: CommonArgs,
    /// Evaluate only the rules of these symbols, comma-separated
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub symbols: Vec<String>,
    /// Which provider gives the latest prices [default: the configured one]
    #[arg(long, value_enum)]
    pub source: Option<SourceChoice>,
    /// What to do instead of a scan.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Add, list, remove, enable, disable, import or export alert rules
    Rules {
        /// What to do.
        #[command(subcommand)]
        action: RulesCommand,
    },
    /// Print the current indicator values and every rule's state for SYMBOL (writes nothing)
    Explain {
        /// An NSE symbol (RELIANCE) or instrument key
        symbol: String,
    },
}

impl harness::Cli for Cli {
    type Job = AlertScan;

    fn common(&self) -> &CommonArgs {
        &self.common
    }

    fn invocation(self, _today: NaiveDate) -> Result<Invocation<AlertScan>, String> {
        let mut common = self.common;
        let explain = match self.command {
            Some(Command::Rules { action }) => {
                return Ok(Invocation::command(common, move |args| {
                    rules::run(args, &action)
                }));
            }
            Some(Command::Explain { symbol }) => {
                // Explaining writes nothing, whatever the market is doing.
                common.dry_run = true;
                common.force = true;
                Some(rule::parse_symbol(&symbol)?)
            }
            None => None,
        };
        let request = Request {
            symbols: self.symbols,
            source: self.source,
            explain,
        };
        Ok(Invocation::Run(AlertScan { request }, common))
    }
}
