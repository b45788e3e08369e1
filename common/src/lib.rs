//! What every upstox-jobs binary shares. Nothing here knows about a particular job.
//!
//! - [`harness`]: the `Job` trait and the life of a run (lock, `job_runs` row, gate, signals, summary, exit code)
//! - [`schedule`]: when each job runs and when it has work (its gate), for the harness and `status`
//! - [`config`] and [`credentials`]: the TOML file, its defaults, the providers' table, and secrets
//! - [`backups`]: backup files, their names and manifests, shared by db-backup and db-maintenance
//! - [`db`], [`schemas`] and [`runs`]: opening SQLite files, per-owner migrations, the `job_runs` table
//! - [`disk`]: free space on a file system, before a job writes a whole copy of a database
//! - [`files`]: files a person names, read whole but never past a bound
//! - [`requests`]: runs asked for on demand (CLI, spool, HTTP) and the dispatcher's queue
//! - [`http`]: the polite HTTP client (timeouts, retries, Retry-After, per-host pacing, size cap)
//! - [`budget`]: a provider's request limits, kept across processes
//! - [`logging`]: journald, text or JSON
//! - [`redaction`]: every secret held, kept out of log lines, errors and stored rows
//! - [`notify`]: the notification outbox, email and Telegram
//! - [`calendar`]: the NSE trading calendar in Asia/Kolkata
//! - [`market`]: instruments, intervals, candles and quotes, the Upstox and Yahoo providers, and their tables
//! - [`indicators`]: SMA, EMA, RSI and MACD exactly as TA-Lib computes them
//! - [`lock`]: per-job file locks
//! - [`metrics`]: each run's Prometheus metrics, for node_exporter's textfile collector
//! - [`shutdown`]: SIGTERM and SIGINT, asked before each unit
//! - [`exit`]: the documented exit codes
//! - [`text`]: text from sources, cleaned on the way in and escaped on the way out

pub mod backups;
pub mod budget;
pub mod calendar;
pub mod config;
pub mod credentials;
pub mod db;
pub mod disk;
pub mod exit;
pub mod files;
pub mod harness;
pub mod http;
pub mod indicators;
pub mod lock;
pub mod logging;
pub mod market;
pub mod metrics;
pub mod notify;
pub mod redaction;
pub mod requests;
pub mod runs;
pub mod schedule;
pub mod schemas;
pub mod shutdown;
pub mod text;

pub use exit::Exit;
