//! How fresh the data is: the newest candle, corporate announcement, news article and backup,
//! read from the tables and the directory the jobs write. A table no job has made yet is
//! "none yet", not an error.

use std::path::Path;

use chrono::{DateTime, Utc};
use common::market::interval::Interval;
use common::market::store;
use rusqlite::{Connection, OptionalExtension};

/// The newest item of each kind of data.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Freshness {
    /// The newest candle's bar start, any instrument, any interval.
    pub candle: Option<DateTime<Utc>>,
    /// The newest corporate announcement (when announced, else first seen).
    pub announcement: Option<DateTime<Utc>>,
    /// The newest news article's publication.
    pub article: Option<DateTime<Utc>>,
    /// The newest backup's time.
    pub backup: Option<DateTime<Utc>>,
}

/// The candle intervals market-sync stores.
const INTERVALS: [&str; 4] = ["1minute", "5minute", "15minute", "day"];

/// Reads them from `conn` (none before the first run) and the backup directory `backups`.
pub fn read(conn: Option<&Connection>, backups: &Path) -> anyhow::Result<Freshness> {
    let mut out = Freshness {
        backup: common::backups::list(backups)
            .ok()
            .and_then(|found| found.into_iter().map(|b| b.name.taken).max()),
        ..Freshness::default()
    };
    let Some(conn) = conn else {
        return Ok(out);
    };
    if has_table(conn, "candles")? {
        for name in INTERVALS {
            let interval: Interval = name.parse()?;
            let newest =
                store::newest_bar(conn, interval)?.and_then(|t| DateTime::from_timestamp(t, 0));
            out.candle = out.candle.max(newest);
        }
    }
    if has_table(conn, "corporate_announcements")? {
        out.announcement = newest_text(
            conn,
            "SELECT max(COALESCE(announced_at, first_seen)) FROM corporate_announcements",
        )?;
    }
    if has_table(conn, "news_articles")? {
        out.article = newest_text(conn, "SELECT max(published_at) FROM news_articles")?;
    }
    Ok(out)
}

/// Whether table `name` exists (a job or a request made it).
pub fn has_table(conn: &Connection, name: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1",
        [name],
        |_| Ok(()),
    )
    .optional()
    .map(|found| found.is_some())
}

/// The time `sql` selects, stored as text in either of the two forms the jobs write.
fn newest_text(conn: &Connection, sql: &str) -> rusqlite::Result<Option<DateTime<Utc>>> {
    let text: Option<String> = conn.query_row(sql, [], |r| r.get(0))?;
    Ok(text.as_deref().and_then(parse_stored))
}

/// RFC 3339 (`2026-11-20T10:00:00Z`) or rusqlite's chrono form (`2026-11-20 10:00:00+00:00`).
fn parse_stored(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%:z"))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_stored_time_forms_are_read() {
        let want = DateTime::parse_from_rfc3339("2026-11-20T10:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(parse_stored("2026-11-20T10:00:00Z"), Some(want));
        assert_eq!(parse_stored("2026-11-20 10:00:00+00:00"), Some(want));
        assert_eq!(parse_stored("2026-11-20 15:30:00.000+05:30"), Some(want));
        assert_eq!(parse_stored("yesterday"), None);
    }

    #[test]
    fn tables_not_made_yet_are_none_not_errors() {
        let conn = Connection::open_in_memory().unwrap();
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            read(Some(&conn), &dir.path().join("absent")).unwrap(),
            Freshness::default()
        );
    }
}
