//! upstox-db-maintenance: the databases checked, purged past retention, optimized,
//! vacuumed when worth it and checkpointed, weekly.
//!
//! - [`cli`]: the command line
//! - [`config`]: the `[jobs.db-maintenance]` table and its retention
//! - [`database`]: which files, opened how, their integrity, pages and size
//! - [`tables`]: the purged tables, and the key each is purged by
//! - [`purge`]: rows past retention, counted or deleted in batches
//! - [`vacuum`]: whether a VACUUM is worth it and has room
//! - [`job`]: the run, through the common harness

pub mod cli;
pub mod config;
pub mod database;
pub mod job;
pub mod purge;
pub mod tables;
pub mod vacuum;

pub use cli::Cli;
