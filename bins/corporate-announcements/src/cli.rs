//! The command line.

use std::path::PathBuf;

use chrono::{Duration, NaiveDate};
use common::harness::{self, CommonArgs, Invocation};

use crate::job::{CorporateAnnouncements, Selection};
use crate::show;
use crate::source::{Exchange, Source};

const AFTER_HELP: &str = "\
Sources (each a unit; one failing does not stop the others): nse-actions, nse-announcements,
nse-board-meetings, bse-announcements, bse-actions, bse-results; then NSE's holiday master
(and Upstox's, with a token) into market_holidays, unless --from-file, --symbols or
--source bse narrows the run. A source whose answer fails validation (65) stores nothing.

Examples:
  upstox-corporate-announcements                                   the last 7 and next 30 days
  upstox-corporate-announcements --source nse --from 2026-01-01 --to 2026-03-31 --dry-run
  upstox-corporate-announcements --from-file nse-actions=~/Downloads/actions.json
  upstox-corporate-announcements show RELIANCE
  upstox-corporate-announcements show --from 2026-08-01 --to 2026-08-31";

/// NSE and BSE corporate actions, announcements and results calendar, typed and stored;
/// watched symbols notified; the exchange holiday calendar kept current.
#[derive(Debug, clap::Parser)]
#[command(name = "upstox-corporate-announcements", version, after_help = AFTER_HELP)]
pub struct Cli {
    /// The flags every job takes.
    #[command(flatten)]
    pub common: CommonArgs,
    /// First date asked for (ex-dates, meetings, announcements) [default: 7 days ago]
    #[arg(long, value_name = "DATE")]
    pub from: Option<NaiveDate>,
    /// Last date asked for [default: 30 days ahead]
    #[arg(long, value_name = "DATE")]
    pub to: Option<NaiveDate>,
    /// Only this exchange's sources; repeatable [default: both]
    #[arg(long = "source", value_enum, value_name = "EXCHANGE")]
    pub sources: Vec<Exchange>,
    /// Only these NSE symbols, comma-separated (the holiday calendar is then not refreshed)
    #[arg(long, value_delimiter = ',', value_name = "SYMBOLS")]
    pub symbols: Vec<String>,
    /// Import a saved answer of SOURCE (e.g. nse-actions=actions.json, saved from a browser
    /// when NSE refuses this host) instead of fetching it; repeatable
    #[arg(long, value_name = "SOURCE=FILE")]
    pub from_file: Vec<String>,
    /// What to do instead of fetching.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List what is stored for a symbol or a date range, upcoming ex-dates first
    Show {
        /// An NSE symbol, or BSE:<scrip code> for an unmapped BSE scrip
        symbol: Option<String>,
        /// From this date [default: 30 days ago]
        #[arg(long, value_name = "DATE")]
        from: Option<NaiveDate>,
        /// To this date [default: 90 days ahead]
        #[arg(long, value_name = "DATE")]
        to: Option<NaiveDate>,
    },
}

impl harness::Cli for Cli {
    type Job = CorporateAnnouncements;

    fn common(&self) -> &CommonArgs {
        &self.common
    }

    fn invocation(self, today: NaiveDate) -> Result<Invocation<CorporateAnnouncements>, String> {
        if let Some(Command::Show { symbol, from, to }) = self.command {
            let query = show::Query {
                symbol: symbol.map(|s| s.trim().to_uppercase()),
                from: from.unwrap_or(today - Duration::days(30)),
                to: to.unwrap_or(today + Duration::days(90)),
                today,
            };
            if query.from > query.to {
                return Err(format!(
                    "--from {} is after --to {}: give the earlier date first",
                    query.from, query.to
                ));
            }
            return Ok(Invocation::command(self.common, move |args| {
                show::run(args, &query)
            }));
        }
        if let (Some(from), Some(to)) = (self.from, self.to)
            && from > to
        {
            return Err(format!(
                "--from {from} is after --to {to}: give the earlier date first"
            ));
        }
        let span = |from: NaiveDate, to: NaiveDate| (to - from).num_days();
        if let (Some(from), Some(to)) = (self.from, self.to)
            && span(from, to) > 366
        {
            return Err(format!(
                "--from {from} --to {to} spans {} days: ask for a year at most per run",
                span(from, to)
            ));
        }
        let mut files = Vec::new();
        for spec in &self.from_file {
            let (name, path) = spec.split_once('=').ok_or_else(|| {
                format!(
                    "--from-file {spec}: write SOURCE=FILE, SOURCE one of {}",
                    Source::names()
                )
            })?;
            let source = Source::parse(name.trim()).ok_or_else(|| {
                format!(
                    "--from-file {spec}: unknown source `{name}`; use one of {}",
                    Source::names()
                )
            })?;
            if files.iter().any(|(s, _)| *s == source) {
                return Err(format!(
                    "--from-file names {source} twice: give one file per source"
                ));
            }
            files.push((source, PathBuf::from(path)));
        }
        let symbols = self
            .symbols
            .iter()
            .map(|s| s.trim().to_uppercase())
            .filter(|s| !s.is_empty())
            .collect();
        let job = CorporateAnnouncements {
            selection: Selection {
                from: self.from,
                to: self.to,
                exchanges: self.sources,
                symbols,
                files,
            },
        };
        Ok(Invocation::Run(job, self.common))
    }
}
