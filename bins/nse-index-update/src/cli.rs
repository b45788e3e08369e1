//! The command line.

use std::path::PathBuf;

use common::harness::CommonArgs;

const AFTER_HELP: &str = "\
Exit status:
  0   every index updated (or, with --dry-run, checked)
  1   some indices updated, others failed (partial); each failure is logged
  2   bad command line
  65  the downloaded file failed validation; the previous membership is kept
  69  NSE unavailable after retries (403, 5xx, timeouts)
  73  cannot create the data directory or lock file
  74  database or file I/O error
  75  another run holds the lock, or NSE is rate-limiting; try again later
  78  configuration error
  130/143  stopped by SIGINT/SIGTERM; the index in hand was rolled back

Examples:
  upstox-nse-index-update                              the configured indices (9 by default)
  upstox-nse-index-update --index NIFTY50 --dry-run    who would join and leave NIFTY 50
  upstox-nse-index-update --index NIFTYIT --from-file ~/Downloads/ind_niftyitlist.csv
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
