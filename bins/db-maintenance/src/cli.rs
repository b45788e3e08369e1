//! The command line.

use chrono::NaiveDate;
use common::harness::{self, CommonArgs, Invocation};

use crate::job::DbMaintenance;

const AFTER_HELP: &str = "\
Every database is checked with PRAGMA integrity_check first: when one is damaged, nothing is
changed in any, the first problems are logged and the run exits 1. Then market_data.db's rows
past retention are deleted in short batches (5 years of market data, 90 days of finished runs,
delivered notifications, API request logs and closed gaps, by default; running jobs, undelivered
notifications and open gaps are never purged), each database is optimized, vacuumed when its
free pages are worth it and the disk has room for the copy, and its WAL is truncated.
db-backup and db-maintenance never run at once: a run waits for the other's databases lock
(lock_wait_secs), then exits 75 naming its holder.

Examples:
  upstox-db-maintenance --dry-run     what would be purged, and whether VACUUM would run
  upstox-db-maintenance               as the Sunday timer runs it";

/// Weekly database maintenance: integrity check, purge of rows past retention, optimize,
/// VACUUM when worth it, WAL checkpoint.
#[derive(Debug, clap::Parser)]
#[command(name = "upstox-db-maintenance", version, after_help = AFTER_HELP)]
pub struct Cli {
    /// The flags every job takes.
    #[command(flatten)]
    pub common: CommonArgs,
}

impl harness::Cli for Cli {
    type Job = DbMaintenance;

    fn common(&self) -> &CommonArgs {
        &self.common
    }

    fn invocation(self, _today: NaiveDate) -> Result<Invocation<DbMaintenance>, String> {
        Ok(Invocation::Run(DbMaintenance, self.common))
    }
}
