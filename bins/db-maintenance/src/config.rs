//! `[jobs.db-maintenance]`: which databases, how long rows are kept, how purges are paced,
//! when a VACUUM is worth it, and how long a run waits for db-backup.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use common::harness::Validate;
use common::market::interval::Interval;
use common::schedule;
use serde::Deserialize;

use crate::tables::{Kind, Table};

/// `[jobs.db-maintenance]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobConfig {
    /// The databases, relative to the data directory or absolute; unset: the list db-backup
    /// backs up too ([`common::backups::DEFAULT_DATABASES`]), the absent ones skipped quietly.
    pub databases: Option<Vec<PathBuf>>,
    /// Seconds to wait for db-backup to release the databases before giving up (75).
    pub lock_wait_secs: u64,
    /// Rows deleted in one transaction.
    pub batch_rows: u32,
    /// Milliseconds between two batches, for writers to take their turn.
    pub batch_pause_ms: u64,
    /// A VACUUM is worth it when free pages make up this share of the file (percent) …
    pub vacuum_min_free_percent: u8,
    /// … or at least this many MiB.
    pub vacuum_min_free_mib: u64,
    /// How long rows are kept.
    pub retention: Retention,
}

impl Default for JobConfig {
    fn default() -> Self {
        JobConfig {
            databases: None,
            lock_wait_secs: 3600,
            batch_rows: 5000,
            batch_pause_ms: 200,
            vacuum_min_free_percent: 20,
            vacuum_min_free_mib: 256,
            retention: Retention::default(),
        }
    }
}

impl JobConfig {
    /// How long to wait for db-backup.
    pub fn lock_wait(&self) -> Duration {
        Duration::from_secs(self.lock_wait_secs)
    }

    /// The pause between two batches.
    pub fn batch_pause(&self) -> Duration {
        Duration::from_millis(self.batch_pause_ms)
    }
}

/// `[jobs.db-maintenance.retention]`: days a row is kept, by table and candle interval.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Retention {
    /// Candles, quotes, index values, option chains (by expiry) and IV analysis.
    pub market_data_days: u32,
    /// Finished job runs, delivered notifications, API request logs and closed gaps.
    pub operational_days: u32,
    /// Candles of these intervals, instead of the table's retention.
    pub candles_days: BTreeMap<CandleInterval, u32>,
    /// These tables, instead of their kind's retention.
    pub table_days: BTreeMap<Table, u32>,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            market_data_days: 5 * 365,
            operational_days: 90,
            candles_days: BTreeMap::new(),
            table_days: BTreeMap::new(),
        }
    }
}

impl Retention {
    /// Days `table`'s rows are kept; for candles, those of `interval` when it is known.
    pub fn days(&self, table: Table, interval: Option<Interval>) -> u32 {
        let named = interval.and_then(|i| self.candles_days.get(&CandleInterval(i)));
        let by_table = self.table_days.get(&table);
        named.or(by_table).copied().unwrap_or(match table.kind() {
            Kind::MarketData => self.market_data_days,
            Kind::Operational => self.operational_days,
        })
    }
}

/// A candle interval as a `candles_days` key: any spelling `Interval` reads (`1minute`, `day`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct CandleInterval(pub Interval);

impl TryFrom<String> for CandleInterval {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        text.parse().map(CandleInterval).map_err(|_| {
            format!("candles_days: {text:?} is not an interval (1minute, 30minute, 1hour, day, week, month)")
        })
    }
}

/// Days kept: at least one, at most a hundred years.
const DAYS: std::ops::RangeInclusive<u32> = 1..=36_500;

impl Validate for JobConfig {
    fn validate(&self) -> Result<(), String> {
        let key = |k: &str| format!("[jobs.db-maintenance] {k}");
        // The longest a run may wait for db-backup: the job's deadline in the catalogue.
        let max_wait =
            schedule::of("db-maintenance").map_or(0, |s| s.deadline.num_seconds().max(0) as u64);
        if !(1..=max_wait).contains(&self.lock_wait_secs) {
            return Err(format!(
                "{} = {}: use 1 to {max_wait} (the job's deadline)",
                key("lock_wait_secs"),
                self.lock_wait_secs
            ));
        }
        if !(1..=100_000).contains(&self.batch_rows) {
            return Err(format!(
                "{} = {}: use 1 to 100000",
                key("batch_rows"),
                self.batch_rows
            ));
        }
        if self.batch_pause_ms > 60_000 {
            return Err(format!(
                "{} = {}: use 0 to 60000",
                key("batch_pause_ms"),
                self.batch_pause_ms
            ));
        }
        if !(1..=100).contains(&self.vacuum_min_free_percent) {
            return Err(format!(
                "{} = {}: use 1 to 100",
                key("vacuum_min_free_percent"),
                self.vacuum_min_free_percent
            ));
        }
        if !(1..=1_048_576).contains(&self.vacuum_min_free_mib) {
            return Err(format!(
                "{} = {}: use 1 to 1048576",
                key("vacuum_min_free_mib"),
                self.vacuum_min_free_mib
            ));
        }
        if self.databases.as_ref().is_some_and(Vec::is_empty) {
            return Err(format!(
                "{} is empty: name at least one database, or remove the key for the default list",
                key("databases")
            ));
        }
        let r = &self.retention;
        let days = [
            ("market_data_days".to_string(), r.market_data_days),
            ("operational_days".to_string(), r.operational_days),
        ]
        .into_iter()
        .chain(
            r.candles_days
                .iter()
                .map(|(i, d)| (format!("candles_days.\"{}\"", i.0), *d)),
        )
        .chain(
            r.table_days
                .iter()
                .map(|(t, d)| (format!("table_days.{t}"), *d)),
        );
        for (name, value) in days {
            if !DAYS.contains(&value) {
                return Err(format!(
                    "[jobs.db-maintenance.retention] {name} = {value}: use 1 to 36500 days"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> JobConfig {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn an_interval_named_wins_over_its_table_and_a_table_over_its_kind() {
        let c = parse(
            "[retention]\nmarket_data_days = 1000\noperational_days = 30\n\
             candles_days = { \"1minute\" = 365, \"1m\" = 365, day = 3650 }\n\
             table_days = { candles = 2000, job_runs = 7 }\n",
        );
        let r = &c.retention;
        let one = Some(Interval::Minutes(1));
        assert_eq!(r.days(Table::Candles, one), 365);
        assert_eq!(r.days(Table::Candles, Some(Interval::Day)), 3650);
        assert_eq!(r.days(Table::Candles, Some(Interval::Minutes(5))), 2000);
        assert_eq!(r.days(Table::Quotes, None), 1000);
        assert_eq!(r.days(Table::JobRuns, None), 7);
        assert_eq!(r.days(Table::ApiRequests, None), 30);
        assert!(c.validate().is_ok());
    }

    #[test]
    fn the_defaults_are_five_years_of_market_data_and_ninety_days_of_the_rest() {
        let c = JobConfig::default();
        assert_eq!(c.retention.days(Table::Candles, Some(Interval::Day)), 1825);
        assert_eq!(c.retention.days(Table::DataGaps, None), 90);
        assert!(c.validate().is_ok());
    }

    #[test]
    fn bad_values_are_refused_naming_the_key_and_the_range() {
        for (text, words) in [
            ("lock_wait_secs = 0", "lock_wait_secs = 0: use 1 to 6000"),
            ("batch_rows = 0", "batch_rows = 0: use 1 to 100000"),
            ("databases = []", "databases is empty"),
            (
                "[retention]\ncandles_days = { \"1minute\" = 0 }",
                "candles_days.\"1minute\" = 0: use 1 to 36500 days",
            ),
            (
                "[retention]\ntable_days = { job_runs = 0 }",
                "table_days.job_runs = 0: use 1 to 36500 days",
            ),
        ] {
            let err = parse(text).validate().unwrap_err();
            assert!(err.contains(words), "{text}: {err}");
        }
        let unknown = toml::from_str::<JobConfig>("[retention]\ncandles_days = { fortnight = 3 }")
            .unwrap_err()
            .to_string();
        assert!(
            unknown.contains("\"fortnight\" is not an interval"),
            "{unknown}"
        );
        let table = toml::from_str::<JobConfig>("[retention]\ntable_days = { trades = 3 }")
            .unwrap_err()
            .to_string();
        assert!(table.contains("unknown variant `trades`"), "{table}");
    }
}
