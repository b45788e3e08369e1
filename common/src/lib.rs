//! What every upstox-jobs binary shares. Nothing here knows about a particular job.
//!
//! - [`harness`]: the common flags and the life of a run (lock, `job_runs` row, signals, summary, exit code)
//! - [`config`] and [`credentials`]: the TOML file, its defaults, and secrets
//! - [`db`] and [`runs`]: opening SQLite files, per-component migrations, the `job_runs` table
//! - [`http`]: the polite HTTP client (timeouts, retries, Retry-After, per-host pacing, size cap)
//! - [`budget`]: a provider's request limits, kept across processes
//! - [`logging`]: journald, text or JSON
//! - [`notify`]: the notification outbox, email and Telegram
//! - [`calendar`]: the NSE trading calendar in Asia/Kolkata
//! - [`market`]: instruments, intervals, candles and quotes, the Upstox and Yahoo providers, and their tables
//! - [`indicators`]: SMA, EMA, RSI and MACD exactly as TA-Lib computes them
//! - [`lock`]: per-job file locks
//! - [`exit`]: the documented exit codes

pub mod budget;
pub mod calendar;
pub mod config;
pub mod credentials;
pub mod db;
pub mod exit;
pub mod harness;
pub mod http;
pub mod indicators;
pub mod lock;
pub mod logging;
pub mod market;
pub mod notify;
pub mod runs;
pub mod schedule;
pub mod schemas;
pub mod shutdown;

pub use exit::Exit;
