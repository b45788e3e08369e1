//! What the db-maintenance whole-binary tests share: a data directory whose `market_data.db`
//! has every table the job purges, rows written at chosen ages, and readers of what is left.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, params};

use crate::Sandbox;
use crate::run::JobRun;

/// The binary.
pub const BIN: &str = "upstox-db-maintenance";

/// The instant every run works for (its pinned market clock): a Sunday, 02:30 IST.
pub fn now() -> DateTime<Utc> {
    "2026-11-28T21:00:00Z".parse().unwrap()
}

/// Market data's default retention: five years.
pub const MARKET_DAYS: i64 = 1825;
/// Operational rows' default retention.
pub const OPERATIONAL_DAYS: i64 = 90;

/// `days` before [`now`], moved by `seconds`.
pub fn ago(days: i64, seconds: i64) -> DateTime<Utc> {
    now() - Duration::days(days) + Duration::seconds(seconds)
}

/// A sandbox with `config` and a `market_data.db` at the latest schemas of common and
/// market-sync (whose tables the job purges).
pub struct Maintenance {
    /// The sandbox.
    pub sandbox: Sandbox,
}

impl Maintenance {
    /// A data directory with an empty, migrated `market_data.db`.
    pub fn new(config: &str) -> Self {
        let sandbox = Sandbox::new(config);
        let schemas: Vec<common::db::Schema> = common::schemas::COMMON
            .into_iter()
            .chain([common::market::store::SCHEMA, market_sync::store::SCHEMA])
            .collect();
        common::db::open(
            &sandbox.db_path(),
            std::time::Duration::from_secs(5),
            &schemas,
        )
        .expect("market_data.db is created");
        Maintenance { sandbox }
    }

    /// `market_data.db`.
    pub fn db(&self) -> Connection {
        self.sandbox.db()
    }

    /// A run at [`now`].
    pub fn job(&self) -> JobRun<'_> {
        self.sandbox.job(BIN).at(now())
    }

    /// A bar of `instrument` at `at`, its interval given as the table's code (1, 5, 1440…).
    pub fn candle(&self, instrument: &str, interval: i64, at: DateTime<Utc>) {
        self.db()
            .execute(
                "INSERT INTO candles VALUES (?1, ?2, ?3, 100, 101, 99, 100, 10, NULL, 1)",
                params![instrument, interval, at.timestamp()],
            )
            .unwrap();
    }

    /// `n` one-minute bars of `instrument`, a minute apart, the first at `from`.
    pub fn minutes(&self, instrument: &str, from: DateTime<Utc>, n: i64) {
        let mut conn = self.db();
        let tx = conn.transaction().unwrap();
        for i in 0..n {
            tx.execute(
                "INSERT INTO candles VALUES (?1, 1, ?2, 100, 101, 99, 100, 10, NULL, 1)",
                params![instrument, from.timestamp() + 60 * i],
            )
            .unwrap();
        }
        tx.commit().unwrap();
    }

    /// A quote of `instrument` at `at`.
    pub fn quote(&self, instrument: &str, at: DateTime<Utc>) {
        self.db()
            .execute(
                "INSERT INTO quotes (instrument, ts, ltp, source) VALUES (?1, ?2, 100, 'upstox')",
                params![instrument, at.timestamp()],
            )
            .unwrap();
    }

    /// An option of `underlying` expiring on `at`'s date in IST, seen at `at`.
    pub fn option(&self, underlying: &str, at: DateTime<Utc>) {
        self.db()
            .execute(
                "INSERT INTO option_chain (underlying, expiry, strike, option_type, ts, instrument, spot)
                 VALUES (?1, ?2, 24000, 'CE', ?3, 'NSE_FO|1', 24000)",
                params![underlying, common::calendar::today(at).to_string(), at.timestamp()],
            )
            .unwrap();
    }

    /// A `job_runs` row of `job` started at `at`, with `status`.
    pub fn run_row(&self, job: &str, status: &str, at: DateTime<Utc>) {
        self.db()
            .execute(
                "INSERT INTO job_runs (job, status, started_at, pid, host) VALUES (?1, ?2, ?3, 1, 'desk')",
                params![job, status, common::runs::timestamp(at)],
            )
            .unwrap();
    }

    /// A notification created at `created`, delivered at `delivered` (or not yet).
    pub fn notification(
        &self,
        key: &str,
        created: DateTime<Utc>,
        delivered: Option<DateTime<Utc>>,
    ) {
        let stamp = common::runs::timestamp;
        self.db()
            .execute(
                "INSERT INTO notification_outbox (dedupe_key, channel, subject, body, created_at,
                     next_attempt_at, delivered_at)
                 VALUES (?1, 'email', 's', 'b', ?2, ?2, ?3)",
                params![key, stamp(created), delivered.map(stamp)],
            )
            .unwrap();
    }

    /// A request to `provider` at `at`.
    pub fn request(&self, provider: &str, at: DateTime<Utc>) {
        self.db()
            .execute(
                "INSERT INTO api_requests (provider, at_ms, done_ms) VALUES (?1, ?2, ?2)",
                params![provider, at.timestamp_millis()],
            )
            .unwrap();
    }

    /// A `job_requests` row of db-backup in `state`, created a year before [`now`] and
    /// finished at `finished` (or not).
    pub fn job_request(&self, state: &str, finished: Option<DateTime<Utc>>) {
        let stamp = common::runs::timestamp;
        self.db()
            .execute(
                "INSERT INTO job_requests (job, args, requested_by, origin, state, created_at,
                     finished_at)
                 VALUES ('db-backup', '[]', 'alice', 'cli', ?1, ?2, ?3)",
                params![state, stamp(ago(365, 0)), finished.map(stamp)],
            )
            .unwrap();
    }

    /// A gap of `instrument`'s 1-minute bars from `from`, `status`, last updated at `updated`.
    pub fn gap(&self, instrument: &str, from: DateTime<Utc>, status: &str, updated: DateTime<Utc>) {
        self.db()
            .execute(
                "INSERT INTO data_gaps (instrument, interval, gap_from, gap_to, bars, status,
                     detected_at, updated_at)
                 VALUES (?1, '1minute', ?2, ?2 + 60, 1, ?3, ?2, ?4)",
                params![instrument, from.timestamp(), status, updated.timestamp()],
            )
            .unwrap();
    }

    /// Rows of `table`.
    pub fn count(&self, table: &str) -> i64 {
        self.db()
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    }

    /// Every row of the purged tables but `job_runs` (which each run adds to), as text: two
    /// equal snapshots are equal data.
    pub fn snapshot(&self) -> Vec<String> {
        let conn = self.db();
        let mut all = Vec::new();
        for table in [
            "candles",
            "quotes",
            "index_values",
            "option_chain",
            "iv_analysis",
            "notification_outbox",
            "api_requests",
            "data_gaps",
        ] {
            let mut stmt = conn
                .prepare(&format!("SELECT * FROM {table} ORDER BY 1, 2, 3"))
                .unwrap();
            let width = stmt.column_count();
            let rows = stmt
                .query_map([], |r| {
                    let values: Vec<String> = (0..width)
                        .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                        .collect();
                    Ok(format!("{table}: {}", values.join(", ")))
                })
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            all.extend(rows);
        }
        all
    }
}
