//! The command line.

use std::path::PathBuf;

use common::Exit;
use common::logging::LogFormat;

/// What `upstox-jobs` exits with: a subset of the jobs' codes, meaning what they mean here.
pub const EXITS: [(Exit, &str); 6] = [
    (
        Exit::Success,
        "status: every job ran as expected; runs: listed",
    ),
    (
        Exit::Failure,
        "status: a job failed, was partial or interrupted, or is overdue; runs: no database yet",
    ),
    (Exit::Usage, "bad command line"),
    (
        Exit::IoErr,
        "the database cannot be read, or notify-failure could not queue the report",
    ),
    (
        Exit::TempFail,
        "notify-failure: the database was busy; the report was not queued",
    ),
    (Exit::Config, "configuration error"),
];

const AFTER_HELP: &str = "\
Examples:
  upstox-jobs status                       the state of every job at a glance
  upstox-jobs runs --failed --since 7d     what failed this week
  upstox-jobs runs --job nse-index-update  the history of one job
  upstox-jobs request market-sync --wait -- --symbols INFY,TCS --force
                                           sync two symbols now, and wait for the result
  upstox-jobs api --listen 127.0.0.1:8765  the HTTP API and status page, by hand";

/// See what the upstox-jobs background jobs did, whether any stopped running, and when each
/// runs next.
#[derive(Debug, clap::Parser)]
#[command(name = "upstox-jobs", version, after_help = AFTER_HELP, arg_required_else_help = true)]
pub struct Cli {
    /// Configuration file [default: /etc/upstox-jobs/config.toml; built-in defaults when absent]
    #[arg(long, global = true, env = "UPSTOX_JOBS_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Directory of market_data.db [default: as the jobs find it]
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Where the log lines of request and dispatch go: the journal under systemd, text on a
    /// terminal, or JSON
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Auto, value_name = "FORMAT")]
    pub log_format: LogFormat,
    /// Write this binary's man page and shell completions under DIR (what `make deb` ships)
    #[arg(long, hide = true, value_name = "DIR")]
    pub generate_docs: Option<PathBuf>,
    /// What to show.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Per job: the last run, whether a run is overdue, and the next run from its timer
    Status,
    /// List runs from job_runs, newest first
    Runs {
        /// Only this job
        #[arg(long, value_name = "JOB", value_parser = clap::builder::PossibleValuesParser::new(common::schedule::names()))]
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
    /// Serve the HTTP API and the status page (what upstox-jobs-api.service runs)
    ///
    /// upstox-jobs-api.socket listens on 127.0.0.1:8765 and starts the service on the first
    /// connection; it serves on the socket systemd passes (LISTEN_FDS) and exits after
    /// [api] idle_secs (300) without a request. By hand or in a test, --listen binds an
    /// address instead.
    ///
    /// Routes: POST /v1/requests (a request document as the body: 202, its id and Location;
    /// 400 with the job's usage when refused), GET /v1/requests (the queue), GET and DELETE
    /// /v1/requests/ID (show, cancel), GET / (the status page), GET /metrics (Prometheus
    /// text), GET /v1/jobs (what `status` shows, as JSON), GET /openapi.json (the OpenAPI
    /// document, also in /usr/share/upstox-jobs/openapi.json). Every route but / and /metrics (see [api]
    /// public_page, public_metrics) needs `Authorization: Bearer TOKEN`, the credential
    /// api-token: /etc/upstox-jobs/api-token under systemd, made at install and readable by
    /// group upstox, else the file [credentials] api-token names. Bodies over [api]
    /// max_body_bytes (64 KiB) are refused with 413; every error is JSON, {"error", "hint"}.
    Api {
        /// Listen on this address instead of systemd's socket (by hand, in tests)
        #[arg(long, value_name = "ADDR")]
        listen: Option<std::net::SocketAddr>,
    },
    /// Ask for a run of a job now, and follow it (show, wait, cancel, list)
    Request(crate::request::RequestArgs),
    /// Run the queued requests, then exit (what upstox-jobs-dispatch.service runs)
    Dispatch,
    /// Report a failed unit by email and Telegram (what upstox-job-failure@.service runs)
    NotifyFailure {
        /// The unit that failed, e.g. upstox-market-sync.service
        #[arg(value_name = "UNIT")]
        unit: String,
    },
}
