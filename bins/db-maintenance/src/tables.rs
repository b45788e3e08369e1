//! The tables of `market_data.db` that are purged, and how: which rows are old, which are
//! never purged, and the key each batch is found by, so that no batch reads the whole table.

use std::fmt;

use serde::Deserialize;

/// A purged table, as `[jobs.db-maintenance.retention] table_days` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Table {
    /// Bars of every interval (`candles_days` sets a retention per interval).
    Candles,
    /// Quote snapshots.
    Quotes,
    /// Index values.
    IndexValues,
    /// Option chains, kept whole until their expiry is past retention.
    OptionChain,
    /// Daily IV figures per underlying.
    IvAnalysis,
    /// Finished runs (a `running` row is never purged).
    JobRuns,
    /// Finished requests, kept `[requests] retention_days` (a queued or running one is never
    /// purged).
    JobRequests,
    /// Delivered notifications (one not delivered, or given up, is never purged).
    NotificationOutbox,
    /// The request log of the providers' budgets.
    ApiRequests,
    /// Filled and unfillable gaps (an open gap is never purged).
    DataGaps,
}

/// Which retention a table follows unless `table_days` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `market_data_days`.
    MarketData,
    /// `operational_days`.
    Operational,
}

/// How a table stores the time its age is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeColumn {
    /// UTC epoch seconds.
    EpochSeconds,
    /// UTC epoch milliseconds.
    EpochMillis,
    /// `YYYY-MM-DD`.
    Date,
    /// RFC 3339 in UTC with milliseconds, as `common::runs::timestamp` writes it.
    Timestamp,
}

/// How a table is purged: the leading key columns walked one group at a time (each group
/// found by a seek on the key), the rest of the key, and the conditions of a row to purge.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    /// The table.
    pub name: &'static str,
    /// Leading columns of an index or the primary key, walked a group at a time.
    pub group: &'static [&'static str],
    /// The columns that, with the group, name one row.
    pub rest: &'static str,
    /// The indexed column batches are taken in order of, and compared with the cutoff.
    pub age: &'static str,
    /// How `age` is stored.
    pub time: TimeColumn,
    /// Further conditions of a row to purge (`:cutoff` is the cutoff); rows they exclude are
    /// never purged, however old.
    pub also: &'static str,
}

impl Table {
    /// Every purged table, in the order a run purges them: the large market tables first.
    pub const ALL: [Table; 10] = [
        Table::Candles,
        Table::Quotes,
        Table::IndexValues,
        Table::OptionChain,
        Table::IvAnalysis,
        Table::JobRuns,
        Table::JobRequests,
        Table::NotificationOutbox,
        Table::ApiRequests,
        Table::DataGaps,
    ];

    /// Whose retention it follows by default.
    pub fn kind(self) -> Kind {
        match self {
            Table::Candles
            | Table::Quotes
            | Table::IndexValues
            | Table::OptionChain
            | Table::IvAnalysis => Kind::MarketData,
            Table::JobRuns
            | Table::JobRequests
            | Table::NotificationOutbox
            | Table::ApiRequests
            | Table::DataGaps => Kind::Operational,
        }
    }

    /// How it is purged.
    pub fn layout(self) -> Layout {
        let layout = |name, group, rest, age, time, also| Layout {
            name,
            group,
            rest,
            age,
            time,
            also,
        };
        use TimeColumn::*;
        match self {
            Table::Candles => layout(
                "candles",
                &["instrument", "interval"],
                "ts",
                "ts",
                EpochSeconds,
                "",
            ),
            Table::Quotes => layout("quotes", &["instrument"], "ts", "ts", EpochSeconds, ""),
            Table::IndexValues => {
                layout("index_values", &["index_key"], "ts", "ts", EpochSeconds, "")
            }
            // Every row of an expiry goes together: its snapshots are all before the expiry.
            Table::OptionChain => layout(
                "option_chain",
                &["underlying"],
                "expiry, strike, option_type, ts",
                "expiry",
                Date,
                "",
            ),
            Table::IvAnalysis => layout("iv_analysis", &["underlying"], "date", "date", Date, ""),
            // By the `job_runs_by_job` index.
            Table::JobRuns => layout(
                "job_runs",
                &["job"],
                "id",
                "started_at",
                Timestamp,
                "status <> 'running'",
            ),
            // By the `job_requests_finished` index; a request not finished has no finish.
            Table::JobRequests => layout(
                "job_requests",
                &[],
                "id",
                "finished_at",
                Timestamp,
                "finished_at IS NOT NULL",
            ),
            // By the partial index of delivered messages; the others are never purged.
            Table::NotificationOutbox => layout(
                "notification_outbox",
                &[],
                "id",
                "delivered_at",
                Timestamp,
                "delivered_at IS NOT NULL",
            ),
            // By the `api_requests_by_provider` index.
            Table::ApiRequests => layout(
                "api_requests",
                &["provider"],
                "rowid",
                "at_ms",
                EpochMillis,
                "",
            ),
            // A gap ends before it is closed, so one closed before the cutoff began before it:
            // the key's `gap_from` bounds the batch, `updated_at` (when it was closed) decides.
            Table::DataGaps => layout(
                "data_gaps",
                &["instrument", "interval"],
                "gap_from",
                "gap_from",
                EpochSeconds,
                "status <> 'open' AND updated_at < :cutoff",
            ),
        }
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.layout().name)
    }
}
