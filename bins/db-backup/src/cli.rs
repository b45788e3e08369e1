//! The command line.

use std::path::PathBuf;

use chrono::NaiveDate;
use common::harness::{self, CommonArgs, Invocation};

use crate::commands;
use crate::job::{DbBackup, Request};

const AFTER_HELP: &str = "\
Each configured database (market_data.db, upstox.db and cache/yahoo_cache.sqlite under the data
directory by default; a missing one is a warning) is copied in one step of SQLite's online
backup while others keep writing, checked with PRAGMA integrity_check, compressed with zstd and renamed into place as
NAME-YYYYmmdd-HHMMSS.db.zst (IST) with NAME-YYYYmmdd-HHMMSS.manifest.json beside it, in
[backups] dir (default DATA_DIR/backups). A copy that fails its check is deleted, the run fails
and earlier backups stay. Files in progress have hidden names; the next run removes them.

Retention, per database, after a run in which every backup succeeded: the newest backup of each
of the last 7 days, 4 ISO weeks and 12 months that have backups (restic's keep-daily, -weekly,
-monthly; days in IST), and always the newest. --dry-run prints each file kept or removed and
the rules that keep it. When the last restore drill of a database is 7 days old, the run
restores its newest backup to a scratch directory and checks it: a unit of the run.

Examples:
  upstox-db-backup                         back up, apply retention, drill when due
  upstox-db-backup --dry-run               what would be backed up, kept and removed
  upstox-db-backup list
  upstox-db-backup verify                  the newest backup of each database, in full
  upstox-db-backup restore /var/lib/upstox-jobs/backups/upstox-20261205-020000.db.zst \\
      --to /var/lib/upstox-jobs/upstox.db --force";

/// Back up the SQLite databases online: copied under writes, verified, compressed, kept 7
/// daily / 4 weekly / 12 monthly, and restored in a weekly drill.
#[derive(Debug, clap::Parser)]
#[command(name = "upstox-db-backup", version, after_help = AFTER_HELP)]
pub struct Cli {
    /// The flags every job takes.
    #[command(flatten)]
    pub common: CommonArgs,
    /// What to do instead of a backup.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Every backup: database, time, age, size, compression ratio, verified
    List,
    /// Check FILE, or the newest backup of each database, in full (65 when one is bad)
    ///
    /// The checksum and length against the manifest, a full decompression, PRAGMA
    /// integrity_check on the result, and its row counts against the manifest's.
    Verify {
        /// A backup file (NAME-YYYYmmdd-HHMMSS.db.zst)
        file: Option<PathBuf>,
    },
    /// Restore FILE to PATH: over a database in use only with --force
    ///
    /// The backup is decompressed beside PATH under a hidden name, checked against its
    /// manifest, synced and renamed over PATH. A database a process has open for writing (its
    /// -wal file exists, or its write lock is held) is refused unless --force; then it is
    /// replaced while every job's lock is held, with its stale -wal and -shm removed.
    Restore {
        /// A backup file (NAME-YYYYmmdd-HHMMSS.db.zst)
        file: PathBuf,
        /// The database file to write
        #[arg(long, value_name = "PATH")]
        to: PathBuf,
    },
    /// Run the restore drill now, recorded in job_runs
    ///
    /// The newest backup of each database restored to a scratch directory, checked with
    /// PRAGMA integrity_check and compared with its manifest.
    Drill,
}

impl harness::Cli for Cli {
    type Job = DbBackup;

    fn common(&self) -> &CommonArgs {
        &self.common
    }

    fn invocation(self, _today: NaiveDate) -> Result<Invocation<DbBackup>, String> {
        let request = match self.command {
            None => Request::Backup,
            Some(Command::Drill) => Request::Drill,
            Some(Command::List) => {
                return Ok(Invocation::command(self.common, commands::list));
            }
            Some(Command::Verify { file }) => {
                return Ok(Invocation::command(self.common, move |args| {
                    commands::verify(args, file.as_deref())
                }));
            }
            Some(Command::Restore { file, to }) => {
                return Ok(Invocation::command(self.common, move |args| {
                    commands::restore(args, &file, &to)
                }));
            }
        };
        Ok(Invocation::Run(DbBackup { request }, self.common))
    }
}
