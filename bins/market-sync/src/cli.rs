//! The command line.

use chrono::{Months, NaiveDate};
use common::harness::{self, CommonArgs, Invocation};

use common::market::interval::Interval;
use common::market::source::SourceChoice;

use crate::job::{MarketSync, Request};
use crate::show;

const AFTER_HELP: &str = "\
Outside market hours and on NSE holidays a scheduled run is skipped (exit 0), unless --force;
a run with --from or --period is a backfill a person asked for and is never skipped.
Bad candles and quotes are dropped, counted and reported; an answer with nothing valid, or
more invalid than [jobs.market-sync] max_invalid_share (0.5), fails its instrument (or the
quotes) with 65 and stores none of it. A refused Upstox token (expired: log in again) is a
configuration error (78).

Examples:
  upstox-market-sync                                     the configured universe, what is missing
  upstox-market-sync --symbols RELIANCE,TCS --interval 1minute --dry-run
  upstox-market-sync --symbols RELIANCE --interval day --period 2y   backfill two years
  upstox-market-sync --source yahoo --symbols \"NSE_INDEX|Nifty 50\"
  upstox-market-sync gaps --status open";

/// Sync OHLCV candles (any interval from 1 minute to a month), quotes, option chains with
/// greeks and index values from Upstox (or Yahoo Finance without a token); find gaps against
/// the NSE calendar and backfill them.
#[derive(Debug, clap::Parser)]
#[command(name = "upstox-market-sync", version, after_help = AFTER_HELP)]
pub struct Cli {
    /// The flags every job takes.
    #[command(flatten)]
    pub common: CommonArgs,
    /// NSE symbols or instrument keys to sync, comma-separated (RELIANCE,TCS or
    /// "NSE_INDEX|Nifty 50") [default: the configured universe]
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub symbols: Vec<String>,
    /// Candle interval: N minute (1-300, e.g. 30minute), N hour (1-5), day, week or month; repeatable [default: the configured ones]
    #[arg(long = "interval", value_name = "INTERVAL")]
    pub intervals: Vec<Interval>,
    /// Backfill from this IST date (YYYY-MM-DD)
    #[arg(long, value_name = "DATE", conflicts_with = "period")]
    pub from: Option<NaiveDate>,
    /// Backfill up to this IST date [default: today]
    #[arg(long, value_name = "DATE")]
    pub to: Option<NaiveDate>,
    /// Backfill this far back from --to: 30d, 12w, 6m, 2y
    #[arg(long, value_name = "SPAN")]
    pub period: Option<Period>,
    /// Which provider [default: the configured one; auto = Upstox with a token, else Yahoo]
    #[arg(long, value_enum)]
    pub source: Option<SourceChoice>,
    /// Do not store quote snapshots this run
    #[arg(long)]
    pub no_quotes: bool,
    /// Do not fetch option chains this run
    #[arg(long)]
    pub no_options: bool,
    /// What to do instead of syncing.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List the recorded gaps in stored candles
    Gaps {
        /// Which: open, unfillable, filled or all
        #[arg(long, default_value = "open", value_parser = ["open", "unfillable", "filled", "all"])]
        status: String,
    },
}

/// A span back in time: days, weeks, months or years.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// Days.
    Days(u32),
    /// Months (a year is 12).
    Months(u32),
}

impl Period {
    /// The date this span before `end`.
    pub fn before(self, end: NaiveDate) -> NaiveDate {
        match self {
            Period::Days(n) => end - chrono::Days::new(u64::from(n)),
            Period::Months(n) => end
                .checked_sub_months(Months::new(n))
                .unwrap_or(NaiveDate::MIN),
        }
    }
}

impl std::str::FromStr for Period {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad =
            || format!("{s:?} is not a span: use a number and d, w, m or y (30d, 12w, 6m, 2y)");
        let s = s.trim();
        let unit = s.chars().last().ok_or_else(bad)?;
        let n: u32 = s[..s.len() - unit.len_utf8()].parse().map_err(|_| bad())?;
        if n == 0 || n > 50 * 366 {
            return Err(bad());
        }
        match unit.to_ascii_lowercase() {
            'd' => Ok(Period::Days(n)),
            'w' => Ok(Period::Days(n * 7)),
            'm' => Ok(Period::Months(n)),
            'y' => Ok(Period::Months(n * 12)),
            _ => Err(bad()),
        }
    }
}

impl harness::Cli for Cli {
    type Job = MarketSync;

    fn common(&self) -> &CommonArgs {
        &self.common
    }

    fn invocation(self, today: NaiveDate) -> Result<Invocation<MarketSync>, String> {
        if let Some(Command::Gaps { status }) = self.command {
            return Ok(Invocation::command(self.common, move |args| {
                show::gaps(args, &status)
            }));
        }
        let to = self.to.unwrap_or(today);
        let from = match (self.from, self.period) {
            (Some(from), _) => Some(from),
            (None, Some(period)) => Some(period.before(to)),
            (None, None) if self.to.is_some() => {
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
        let request = Request {
            symbols: self
                .symbols
                .iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            intervals: self.intervals.clone(),
            range: from.map(|f| (f, to)),
            source: self.source,
            quotes: !self.no_quotes,
            options: !self.no_options,
        };
        Ok(Invocation::Run(MarketSync { request }, self.common))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_parse_and_count_back() {
        let end = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let two_years: Period = "2y".parse().unwrap();
        assert_eq!(
            two_years.before(end),
            NaiveDate::from_ymd_opt(2024, 11, 23).unwrap()
        );
        let weeks: Period = "2w".parse().unwrap();
        assert_eq!(
            weeks.before(end),
            NaiveDate::from_ymd_opt(2026, 11, 9).unwrap()
        );
        for bad in ["", "y", "0d", "3x", "-2d"] {
            assert!(bad.parse::<Period>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
