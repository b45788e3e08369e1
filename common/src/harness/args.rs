//! The flags every job takes.

use std::path::PathBuf;

use crate::logging::LogFormat;

/// The flags every job takes.
#[derive(Debug, Clone, clap::Args)]
pub struct CommonArgs {
    /// Configuration file [default: /etc/upstox-jobs/config.toml; built-in defaults when absent]
    #[arg(long, global = true, env = "UPSTOX_JOBS_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Directory of market_data.db and the other databases
    /// [default: data_dir in the configuration, else $STATE_DIRECTORY, else /var/lib/upstox-jobs
    /// where the package made it, else ~/.local/share/upstox-jobs]
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Fetch, parse, validate and report what would change; write nothing
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// Run outside market hours or on holidays, and re-fetch what is already stored
    #[arg(long, global = true)]
    pub force: bool,
    /// More detail (-v debug, -vv trace)
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Less detail (-q warnings and errors only, -qq errors only)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub quiet: u8,
    /// Where log lines go: the journal under systemd, text on a terminal, or JSON
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Auto, value_name = "FORMAT")]
    pub log_format: LogFormat,
    /// Check the command line and exit: 0 when it asks for a run, 2 with the usage when not
    /// (how a request's arguments are checked before it is accepted)
    #[arg(long, global = true, hide = true)]
    pub check_args: bool,
    /// The request this run carries out (the dispatcher sets it): linked in job_runs and
    /// written as REQUEST_ID on every journal line
    #[arg(long, global = true, hide = true, value_name = "ID")]
    pub request: Option<crate::requests::RequestId>,
    /// Write this binary's man page and shell completions under DIR (what `make deb` ships)
    #[arg(long, hide = true, value_name = "DIR")]
    pub generate_docs: Option<PathBuf>,
}
