//! The command line.

use std::path::PathBuf;

use chrono::NaiveDate;
use common::harness::{self, CommonArgs, Invocation};

use crate::index::IndexName;
use crate::job::{NseIndexUpdate, Selection};
use crate::show;

const AFTER_HELP: &str = "\
A downloaded file that fails validation (65) keeps the previous membership of its index.

Examples:
  upstox-nse-index-update                              the configured indices (9 by default)
  upstox-nse-index-update --index NIFTY50 --dry-run    who would join and leave NIFTY 50
  upstox-nse-index-update --index NIFTYIT --from-file ~/Downloads/ind_niftyitlist.csv
  upstox-nse-index-update --index NIFTY50 --from-file ind_nifty50list.csv --as-of 2026-03-27
  upstox-nse-index-update show --index NIFTY50 --history";

/// Download NSE index constituents; keep membership history (joins and exits) and each
/// security's sector and industry.
#[derive(Debug, clap::Parser)]
#[command(name = "upstox-nse-index-update", version, after_help = AFTER_HELP)]
pub struct Cli {
    /// The flags every job takes.
    #[command(flatten)]
    pub common: CommonArgs,
    /// Index to update, as NSE's file names spell it (NIFTY50, NIFTYNEXT50, NIFTYBANK…);
    /// repeatable [default: the configured list]
    #[arg(long = "index", value_name = "NAME")]
    pub indices: Vec<String>,
    /// Import this constituent CSV (downloaded by hand) instead of downloading; needs exactly
    /// one --index, which may then be any name
    #[arg(long, value_name = "PATH")]
    pub from_file: Option<PathBuf>,
    /// The IST date the files describe, for loading an archived one: joins and exits are
    /// dated by it [default: today]. History is written in date order, so it may not be
    /// before a change already stored for the index
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<NaiveDate>,
    /// What to do instead of updating.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Print the stored membership: a line per index, or the members of one
    Show {
        /// The index whose members to list
        #[arg(long = "index", value_name = "NAME")]
        index: Option<String>,
        /// Include past members, with the dates they joined and left
        #[arg(long, requires = "index")]
        history: bool,
    },
}

impl harness::Cli for Cli {
    type Job = NseIndexUpdate;

    fn common(&self) -> &CommonArgs {
        &self.common
    }

    fn invocation(self, today: NaiveDate) -> Result<Invocation<NseIndexUpdate>, String> {
        if let Some(Command::Show { index, history }) = self.command {
            return Ok(Invocation::command(self.common, move |args| {
                show::run(args, index.as_deref(), history)
            }));
        }
        if let Some(date) = self.as_of.filter(|d| *d > today) {
            return Err(format!(
                "--as-of {date} is after today ({today}): give the date the file was published"
            ));
        }
        let selection = match &self.from_file {
            Some(path) => match self.indices.as_slice() {
                [one] => Selection::File(
                    IndexName::parse_any(one).map_err(|e| e.to_string())?,
                    path.clone(),
                ),
                _ => {
                    return Err(
                        "--from-file imports one index: give exactly one --index NAME".to_string(),
                    );
                }
            },
            None if self.indices.is_empty() => Selection::Configured,
            None => Selection::Named(
                self.indices
                    .iter()
                    .map(|n| IndexName::parse_known(n).map_err(|e| e.to_string()))
                    .collect::<Result<_, _>>()?,
            ),
        };
        let job = NseIndexUpdate {
            selection,
            as_of: self.as_of,
        };
        Ok(Invocation::Run(job, self.common))
    }
}
