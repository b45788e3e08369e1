//! upstox-db-backup: online, verified, compressed backups of every configured SQLite database,
//! kept 7 daily / 4 weekly / 12 monthly, restored in a weekly drill.
//!
//! - [`cli`]: the command line
//! - [`config`]: the `[jobs.db-backup]` table
//! - [`databases`]: which database files are backed up
//! - [`space`]: free space in the backup directory against what a backup needs
//! - [`hashing`]: SHA-256 computed as bytes pass through
//! - [`copy`]: one database copied under writes, checked, compressed and renamed into place
//! - [`writeback`]: a file sent to disk as it is written, so its final fsync is short
//! - [`check`]: a backup decompressed and checked against its manifest (`verify`, the drill)
//! - [`retention`]: which backups the daily, weekly and monthly rules keep
//! - [`prune`]: retention applied to a directory, or printed for a dry run
//! - [`drill`]: the restore drill and when it is due
//! - [`offsite`]: the copy of each backup in a second directory
//! - [`restore`]: `restore FILE --to PATH`
//! - [`commands`]: `list`, `verify`, `restore`
//! - [`job`]: the run, in order, through the common harness

pub mod check;
pub mod cli;
pub mod commands;
pub mod config;
pub mod copy;
pub mod databases;
pub mod drill;
pub mod hashing;
pub mod job;
pub mod offsite;
pub mod prune;
pub mod restore;
pub mod retention;
pub mod space;
pub mod writeback;

pub use cli::{Cli, Command};
