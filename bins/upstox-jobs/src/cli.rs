//! The command line.

use std::path::PathBuf;

const AFTER_HELP: &str = "\
Exit status:
  0   status: every job ran as expected; runs: listed
  1   status: a job's last run failed, was partial or interrupted, or a run is overdue;
      runs: no database yet
  74/75  notify-failure: the report could not be queued (database error or busy)
  2   bad command line
  74  the database cannot be read
  78  configuration error

Examples:
  upstox-jobs status                       the state of every job at a glance
  upstox-jobs runs --failed --since 7d     what failed this week
  upstox-jobs runs --job nse-index-update  the history of one job";

/// See what the upstox-jobs background jobs did, whether any stopped running, and when each
/// runs next.
#[derive(Debug, clap::Parser)]
#[command(name = "upstox-jobs", version, after_help = AFTER_HELP)]
pub struct Cli {
    /// Configuration file [default: /etc/upstox-jobs/config.toml; built-in defaults when absent]
    #[arg(long, global = true, env = "UPSTOX_JOBS_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Directory of market_data.db [default: as the jobs find it]
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// What to show.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Per job: the last run, whether a run is overdue, and the next run from its timer
    Status,
    /// List runs from job_runs, newest first
    Runs {
        /// Only this job
        #[arg(long, value_name = "JOB", value_parser = clap::builder::PossibleValuesParser::new(common::config::JOB_NAMES))]
        job: Option<String>,
        /// Only runs that failed, were partial or were interrupted
        #[arg(long)]
        failed: bool,
        /// Only runs since then: a span (30m, 24h, 7d) or an IST date (2026-11-20)
        #[arg(long, value_name = "WHEN")]
        since: Option<String>,
        /// At most this many
        #[arg(long, default_value_t = 20, value_name = "N")]
        limit: usize,
    },
    /// Report a failed unit by email and Telegram (what upstox-job-failure@.service runs)
    NotifyFailure {
        /// The unit that failed, e.g. upstox-market-sync.service
        #[arg(value_name = "UNIT")]
        unit: String,
    },
    /// Write man pages and shell completions for every binary into DIR (for packaging)
    #[command(hide = true)]
    GenerateDocs {
        /// Where to write man1/, bash/, zsh/ and fish/
        #[arg(value_name = "DIR")]
        out: PathBuf,
    },
}
