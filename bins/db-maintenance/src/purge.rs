//! Rows past retention, counted or deleted. Each table is walked a group at a time (an
//! instrument and interval, a job, a provider), each group found by a seek on its key, and
//! its old rows deleted oldest first by a range of the same key; batches of at most
//! `batch_rows` rows, each its own short transaction, with a pause between them so a writer
//! never waits long, and a stop asked for between any two.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, Utc};
use common::market::interval::Interval;
use common::{calendar, runs};
use rusqlite::types::Value;
use rusqlite::{Connection, ToSql};

use crate::config::Retention;
use crate::tables::{Layout, Table, TimeColumn};

/// Rows purged (or that a dry run would purge), per table and candle interval
/// (`candles 1minute`), in the order of the tables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts(pub BTreeMap<(Table, Option<Interval>), u64>);

impl Counts {
    /// All rows.
    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }

    fn add(&mut self, group: &Group, rows: u64) {
        *self.0.entry((group.table, group.interval)).or_default() += rows;
    }

    /// `candles 1minute 1200, job_runs 40`; `nothing` when empty.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self
            .0
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|((table, interval), n)| match interval {
                Some(i) => format!("{table} {i} {n}"),
                None => format!("{table} {n}"),
            })
            .collect();
        if parts.is_empty() {
            "nothing".to_string()
        } else {
            parts.join(", ")
        }
    }
}

/// How a purge ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// Every old row is gone.
    Complete,
    /// A stop was asked for between two batches; every batch before it is committed.
    Stopped,
}

/// The SQL of a table's purge.
#[derive(Debug, Clone)]
pub struct Statements {
    /// The first group.
    pub first: String,
    /// The group after `:g0, :g1`.
    pub next: String,
    /// Deletes up to `:limit` of a group's rows older than `:cutoff`, oldest first.
    pub delete: String,
    /// Counts a group's rows older than `:cutoff`.
    pub count: String,
}

impl Statements {
    /// The statements for `table`.
    pub fn of(table: Table) -> Statements {
        let Layout {
            name,
            group,
            rest,
            age,
            also,
            ..
        } = table.layout();
        let columns = group.join(", ");
        let placeholders: Vec<String> = (0..group.len()).map(|i| format!(":g{i}")).collect();
        let in_group: String = group
            .iter()
            .zip(&placeholders)
            .map(|(c, p)| format!("{c} = {p} AND "))
            .collect();
        let also = if also.is_empty() {
            String::new()
        } else {
            format!(" AND {also}")
        };
        let old = format!("{in_group}{age} < :cutoff{also}");
        let (first, next) = if group.is_empty() {
            (String::new(), String::new())
        } else {
            (
                format!("SELECT {columns} FROM {name} ORDER BY {columns} LIMIT 1"),
                format!(
                    "SELECT {columns} FROM {name} WHERE ({columns}) > ({}) ORDER BY {columns} LIMIT 1",
                    placeholders.join(", ")
                ),
            )
        };
        Statements {
            first,
            next,
            delete: format!(
                "DELETE FROM {name} WHERE {in_group}({rest}) IN \
                 (SELECT {rest} FROM {name} WHERE {old} ORDER BY {age} LIMIT :limit)"
            ),
            count: format!("SELECT count(*) FROM {name} WHERE {old}"),
        }
    }
}

/// One group of a table's rows, and the cutoff its rows are older than when purged.
struct Group {
    table: Table,
    key: Vec<Value>,
    interval: Option<Interval>,
    cutoff: Value,
}

/// What a run purges: the tables present, the retention, and the time it works for.
pub struct Purge<'a> {
    /// How long rows are kept.
    pub retention: &'a Retention,
    /// How long finished requests are kept (`[requests] retention_days`), unless
    /// `table_days` names `job_requests`.
    pub requests_days: u32,
    /// The run's time.
    pub now: DateTime<Utc>,
}

impl Purge<'_> {
    /// Rows a purge would delete now, per table and interval; nothing is changed.
    pub fn count(&self, conn: &Connection) -> rusqlite::Result<Counts> {
        let mut counts = Counts::default();
        for table in present(conn)? {
            let sql = Statements::of(table);
            let mut groups = Groups::new(conn, table, &sql);
            while let Some(group) = groups.next(self)? {
                let mut stmt = conn.prepare_cached(&sql.count)?;
                let n: i64 = stmt.query_row(&*named(&group, None), |r| r.get(0))?;
                counts.add(&group, n as u64);
            }
        }
        Ok(counts)
    }

    /// Deletes the rows past retention in batches of `batch_rows`, each a transaction of its
    /// own, calling `between` after each full batch: it pauses, and returns false to stop.
    /// `purged` has what was committed, also when an error ends it.
    pub fn run(
        &self,
        conn: &Connection,
        batch_rows: u32,
        between: &mut dyn FnMut() -> bool,
        purged: &mut Counts,
    ) -> rusqlite::Result<Ended> {
        let mut batch = Batch {
            conn,
            size: u64::from(batch_rows),
            left: u64::from(batch_rows),
            pending: Counts::default(),
            open: false,
        };
        let ended = self.run_batches(&mut batch, between, purged);
        match ended {
            Ok(ended) => {
                batch.commit(purged)?;
                Ok(ended)
            }
            Err(e) => {
                batch.rollback();
                Err(e)
            }
        }
    }

    fn run_batches(
        &self,
        batch: &mut Batch<'_>,
        between: &mut dyn FnMut() -> bool,
        purged: &mut Counts,
    ) -> rusqlite::Result<Ended> {
        for table in present(batch.conn)? {
            let sql = Statements::of(table);
            let mut groups = Groups::new(batch.conn, table, &sql);
            while let Some(group) = groups.next(self)? {
                loop {
                    let asked = batch.left;
                    let deleted = batch.delete(&sql.delete, &group)?;
                    if deleted < asked {
                        break;
                    }
                    batch.commit(purged)?;
                    if !between() {
                        return Ok(Ended::Stopped);
                    }
                }
            }
        }
        Ok(Ended::Complete)
    }

    /// The cutoff of `table`'s rows (of `interval`, for candles), as the table stores times.
    fn cutoff(&self, table: Table, interval: Option<Interval>) -> Value {
        let days = match table {
            Table::JobRequests if !self.retention.table_days.contains_key(&table) => {
                self.requests_days
            }
            _ => self.retention.days(table, interval),
        };
        let at = self
            .now
            .checked_sub_days(Days::new(u64::from(days)))
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        match table.layout().time {
            TimeColumn::EpochSeconds => Value::Integer(at.timestamp()),
            TimeColumn::EpochMillis => Value::Integer(at.timestamp_millis()),
            TimeColumn::Date => Value::Text(calendar::today(at).to_string()),
            TimeColumn::Timestamp => Value::Text(runs::timestamp(at)),
        }
    }
}

/// The purged tables this database has (market-sync's are absent until it has run).
fn present(conn: &Connection) -> rusqlite::Result<Vec<Table>> {
    let mut stmt =
        conn.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1")?;
    let mut found = Vec::new();
    for table in Table::ALL {
        let n: i64 = stmt.query_row([table.layout().name], |r| r.get(0))?;
        if n > 0 {
            found.push(table);
        }
    }
    Ok(found)
}

/// The parameters of a group's statements: its key, the cutoff, and the limit if any.
fn named<'a>(group: &'a Group, limit: Option<&'a i64>) -> Vec<(&'static str, &'a dyn ToSql)> {
    const NAMES: [&str; 2] = [":g0", ":g1"];
    let mut params: Vec<(&'static str, &'a dyn ToSql)> = NAMES
        .iter()
        .zip(&group.key)
        .map(|(n, v)| (*n, v as &dyn ToSql))
        .collect();
    params.push((":cutoff", &group.cutoff));
    if let Some(limit) = limit {
        params.push((":limit", limit));
    }
    params
}

/// A table's groups, one seek each.
struct Groups<'c, 's> {
    conn: &'c Connection,
    table: Table,
    sql: &'s Statements,
    last: Option<Vec<Value>>,
    done: bool,
}

impl<'c, 's> Groups<'c, 's> {
    fn new(conn: &'c Connection, table: Table, sql: &'s Statements) -> Self {
        Groups {
            conn,
            table,
            sql,
            last: None,
            done: false,
        }
    }

    fn next(&mut self, purge: &Purge<'_>) -> rusqlite::Result<Option<Group>> {
        if self.done {
            return Ok(None);
        }
        let width = self.table.layout().group.len();
        let key = if width == 0 {
            self.done = true;
            Some(Vec::new())
        } else {
            let row = |r: &rusqlite::Row<'_>| (0..width).map(|i| r.get(i)).collect();
            let found: rusqlite::Result<Vec<Value>> = match &self.last {
                None => self
                    .conn
                    .prepare_cached(&self.sql.first)?
                    .query_row([], row),
                Some(last) => {
                    let params: Vec<(&str, &dyn ToSql)> = [":g0", ":g1"]
                        .into_iter()
                        .zip(last.iter().map(|v| v as &dyn ToSql))
                        .collect();
                    self.conn
                        .prepare_cached(&self.sql.next)?
                        .query_row(&*params, row)
                }
            };
            match found {
                Ok(key) => Some(key),
                Err(rusqlite::Error::QueryReturnedNoRows) => None,
                Err(e) => return Err(e),
            }
        };
        let Some(key) = key else {
            self.done = true;
            return Ok(None);
        };
        self.last = Some(key.clone());
        let interval = match (self.table, key.get(1)) {
            (Table::Candles, Some(Value::Integer(code))) => Interval::from_code(*code),
            _ => None,
        };
        Ok(Some(Group {
            table: self.table,
            cutoff: purge.cutoff(self.table, interval),
            key,
            interval,
        }))
    }
}

/// The batch in hand: a transaction with room for `left` more rows.
struct Batch<'c> {
    conn: &'c Connection,
    size: u64,
    left: u64,
    /// Deleted in the open transaction, counted once it commits.
    pending: Counts,
    open: bool,
}

impl Batch<'_> {
    /// Deletes up to the room left of `group`'s old rows; returns how many went.
    fn delete(&mut self, sql: &str, group: &Group) -> rusqlite::Result<u64> {
        if !self.open {
            // IMMEDIATE: the write lock is taken (or waited for) before anything is read, so
            // the batch never has to upgrade a read lock that a writer's commit invalidated.
            self.conn.execute_batch("BEGIN IMMEDIATE")?;
            self.open = true;
        }
        let limit = self.left as i64;
        let deleted = self
            .conn
            .prepare_cached(sql)?
            .execute(&*named(group, Some(&limit)))? as u64;
        self.pending.add(group, deleted);
        self.left -= deleted;
        Ok(deleted)
    }

    fn commit(&mut self, purged: &mut Counts) -> rusqlite::Result<()> {
        if self.open {
            self.conn.execute_batch("COMMIT")?;
            self.open = false;
        }
        for (key, n) in std::mem::take(&mut self.pending).0 {
            *purged.0.entry(key).or_default() += n;
        }
        self.left = self.size;
        Ok(())
    }

    fn rollback(&mut self) {
        if self.open {
            let _ = self.conn.execute_batch("ROLLBACK");
            self.open = false;
        }
        self.pending = Counts::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-11-28T21:00:00Z".parse().unwrap()
    }

    #[test]
    fn each_table_gets_its_cutoff_as_it_stores_times() {
        let retention = Retention::default();
        let purge = Purge {
            retention: &retention,
            requests_days: 7,
            now: now(),
        };
        let five_years = now() - chrono::Duration::days(1825);
        assert_eq!(
            purge.cutoff(Table::Candles, Some(Interval::Day)),
            Value::Integer(five_years.timestamp())
        );
        // 21:00 UTC is 02:30 the next day in IST, where expiries are dated.
        assert_eq!(
            purge.cutoff(Table::OptionChain, None),
            Value::Text("2021-11-30".into())
        );
        assert_eq!(
            purge.cutoff(Table::JobRuns, None),
            Value::Text("2026-08-30T21:00:00.000Z".into())
        );
        assert_eq!(
            purge.cutoff(Table::ApiRequests, None),
            Value::Integer((now() - chrono::Duration::days(90)).timestamp_millis())
        );
    }

    #[test]
    fn batches_hold_at_most_batch_rows_and_a_stop_keeps_the_batches_committed() {
        let path = std::path::Path::new("market_data.db");
        let conn = common::db::open_empty(path, &[common::runs::SCHEMA]).unwrap();
        for i in 0..25 {
            conn.execute(
                "INSERT INTO job_runs (job, status, started_at, pid, host)
                 VALUES ('market-sync', 'succeeded', ?1, 1, 'desk')",
                [format!("2020-01-01T00:00:{i:02}.000Z")],
            )
            .unwrap();
        }
        let retention = Retention::default();
        let purge = Purge {
            retention: &retention,
            requests_days: 7,
            now: now(),
        };
        assert_eq!(purge.count(&conn).unwrap().total(), 25);
        let mut pauses = 0;
        let mut purged = Counts::default();
        let ended = purge
            .run(
                &conn,
                10,
                &mut || {
                    pauses += 1;
                    pauses < 2
                },
                &mut purged,
            )
            .unwrap();
        assert_eq!((ended, purged.total(), pauses), (Ended::Stopped, 20, 2));
        assert_eq!(purged.describe(), "job_runs 20");
        let mut rest = Counts::default();
        let ended = purge.run(&conn, 10, &mut || true, &mut rest).unwrap();
        assert_eq!((ended, rest.total()), (Ended::Complete, 5));
        assert_eq!(purge.count(&conn).unwrap().describe(), "nothing");
    }
}
