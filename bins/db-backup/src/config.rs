//! `[jobs.db-backup]`: which databases, how hard to compress, how many backups to keep, how
//! often to drill a restore, and the optional second destination. Where the backups are is
//! `[backups] dir`, shared with db-maintenance.

use std::collections::BTreeSet;
use std::path::PathBuf;

use common::backups::{DEFAULT_DATABASES, database_name};
use common::harness::Validate;
use serde::Deserialize;

use crate::retention::Keep;

/// The job's deadline (common::schedule's catalogue): a wait for the shared lock longer than
/// it would leave no time to back anything up.
const DEADLINE_SECS: u64 = 50 * 60;

/// `[jobs.db-backup]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobConfig {
    /// The databases, relative to the data directory or absolute.
    pub databases: Vec<PathBuf>,
    /// zstd level, 1 (fastest) to 19.
    pub zstd_level: i32,
    /// Keep the newest backup of each of this many days that have backups.
    pub keep_daily: u32,
    /// … of each of this many ISO weeks.
    pub keep_weekly: u32,
    /// … of each of this many months.
    pub keep_monthly: u32,
    /// Restore the newest backup of each database to a scratch directory when the last
    /// successful drill is this many days old.
    pub drill_every_days: u32,
    /// How long a run waits for db-maintenance to release the databases.
    pub lock_wait_secs: u64,
    /// A second destination (an NFS or USB mount) that receives a copy of each backup.
    pub offsite_dir: Option<PathBuf>,
    /// `keep_daily` in `offsite_dir`.
    pub offsite_keep_daily: u32,
    /// `keep_weekly` in `offsite_dir`.
    pub offsite_keep_weekly: u32,
    /// `keep_monthly` in `offsite_dir`.
    pub offsite_keep_monthly: u32,
}

impl Default for JobConfig {
    fn default() -> Self {
        JobConfig {
            databases: DEFAULT_DATABASES.iter().map(PathBuf::from).collect(),
            zstd_level: 3,
            keep_daily: 7,
            keep_weekly: 4,
            keep_monthly: 12,
            drill_every_days: 7,
            lock_wait_secs: 1800,
            offsite_dir: None,
            offsite_keep_daily: 7,
            offsite_keep_weekly: 4,
            offsite_keep_monthly: 12,
        }
    }
}

impl JobConfig {
    /// The local retention rules.
    pub fn keep(&self) -> Keep {
        Keep {
            daily: self.keep_daily,
            weekly: self.keep_weekly,
            monthly: self.keep_monthly,
        }
    }

    /// The second destination's retention rules.
    pub fn offsite_keep(&self) -> Keep {
        Keep {
            daily: self.offsite_keep_daily,
            weekly: self.offsite_keep_weekly,
            monthly: self.offsite_keep_monthly,
        }
    }
}

impl Validate for JobConfig {
    fn validate(&self) -> Result<(), String> {
        let key = |k: &str| format!("[jobs.db-backup] {k}");
        if self.databases.is_empty() {
            return Err(format!(
                "{} is empty: name at least one database, or remove the key for the defaults",
                key("databases")
            ));
        }
        let mut names = BTreeSet::new();
        for path in &self.databases {
            let name = database_name(path);
            if name.is_empty() || !names.insert(name.clone()) {
                return Err(format!(
                    "{}: \"{}\" would be backed up under the name `{name}`, which another \
                     database has or which is empty: the backups' names come from the file \
                     names without extension, so give each database a distinct file name",
                    key("databases"),
                    path.display()
                ));
            }
        }
        if !(1..=19).contains(&self.zstd_level) {
            return Err(format!(
                "{} = {}: use 1 to 19 (3 is zstd's default)",
                key("zstd_level"),
                self.zstd_level
            ));
        }
        for (name, value) in [
            ("keep_daily", self.keep_daily),
            ("keep_weekly", self.keep_weekly),
            ("keep_monthly", self.keep_monthly),
            ("offsite_keep_daily", self.offsite_keep_daily),
            ("offsite_keep_weekly", self.offsite_keep_weekly),
            ("offsite_keep_monthly", self.offsite_keep_monthly),
        ] {
            if value > 1000 {
                return Err(format!("{} = {value}: use 0 to 1000", key(name)));
            }
        }
        if !(1..=365).contains(&self.drill_every_days) {
            return Err(format!(
                "{} = {}: use 1 to 365",
                key("drill_every_days"),
                self.drill_every_days
            ));
        }
        if !(1..=DEADLINE_SECS).contains(&self.lock_wait_secs) {
            return Err(format!(
                "{} = {}: use 1 to {DEADLINE_SECS} (the run's deadline)",
                key("lock_wait_secs"),
                self.lock_wait_secs
            ));
        }
        if let Some(dir) = &self.offsite_dir
            && !dir.is_absolute()
        {
            return Err(format!(
                "{} = \"{}\" is not an absolute path: give the mount point, such as \
                 \"/mnt/backup/upstox-jobs\"",
                key("offsite_dir"),
                dir.display()
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(change: impl FnOnce(&mut JobConfig)) -> String {
        let mut config = JobConfig::default();
        change(&mut config);
        config.validate().unwrap_err()
    }

    #[test]
    fn defaults_are_valid_and_back_up_the_three_databases() {
        let config = JobConfig::default();
        assert!(config.validate().is_ok());
        assert_eq!(config.databases.len(), 3);
        assert_eq!(
            config.keep(),
            Keep {
                daily: 7,
                weekly: 4,
                monthly: 12
            }
        );
    }

    #[test]
    fn every_key_is_checked_naming_it() {
        let cases = [
            (refused(|c| c.databases.clear()), "databases is empty"),
            (
                refused(|c| c.databases.push("other/market_data.sqlite".into())),
                "under the name `market_data`",
            ),
            (refused(|c| c.zstd_level = 0), "zstd_level = 0: use 1 to 19"),
            (refused(|c| c.keep_weekly = 5000), "keep_weekly = 5000"),
            (refused(|c| c.drill_every_days = 0), "drill_every_days = 0"),
            (
                refused(|c| c.lock_wait_secs = 0),
                "lock_wait_secs = 0: use 1 to 3000",
            ),
            (
                refused(|c| c.offsite_dir = Some("usb".into())),
                "offsite_dir = \"usb\" is not an absolute path",
            ),
        ];
        for (message, part) in cases {
            assert!(message.starts_with("[jobs.db-backup] "), "{message}");
            assert!(message.contains(part), "{part} not in: {message}");
        }
    }
}
