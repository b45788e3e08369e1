//! The tables common keeps in `market_data.db` for every job, each schema owned by the module
//! whose tables it creates, migrated before any job's own.

use crate::db::Schema;

/// `job_runs`, `market_holidays`, `notification_outbox` and `api_requests`, in migration order.
pub const COMMON: [Schema; 4] = [
    crate::runs::SCHEMA,
    crate::calendar::SCHEMA,
    crate::notify::outbox::SCHEMA,
    crate::budget::SCHEMA,
];

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use rusqlite::Connection;

    use super::COMMON;

    fn objects(conn: &Connection) -> Vec<(String, String)> {
        let mut stmt = conn
            .prepare(
                "SELECT name, sql FROM sqlite_master
                 WHERE name NOT LIKE 'sqlite_%' AND name != 'schema_migrations' ORDER BY name",
            )
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, String>(1)?)))
            .unwrap()
            .map(|r| {
                let (name, sql) = r.unwrap();
                (name, sql.replace(" IF NOT EXISTS", ""))
            })
            .collect()
    }

    #[test]
    fn a_database_from_before_the_split_by_owner_opens_with_the_same_tables() {
        let dir = tempfile::tempdir().unwrap();
        // Until then one `common` component created all four tables, at version 3.
        let old = dir.path().join("old.db");
        let conn = Connection::open(&old).unwrap();
        for schema in COMMON {
            conn.execute_batch(&schema.migrations[0].replace(" IF NOT EXISTS", ""))
                .unwrap();
        }
        conn.execute_batch(
            "CREATE TABLE schema_migrations (component TEXT NOT NULL, version INTEGER NOT NULL,
                 applied_at TEXT NOT NULL DEFAULT '', PRIMARY KEY (component, version)) WITHOUT ROWID;
             INSERT INTO schema_migrations (component, version) VALUES ('common', 1), ('common', 2), ('common', 3);
             INSERT INTO job_runs (job, status, started_at, pid, host) VALUES ('market-sync', 'succeeded', 'x', 1, 'h');",
        )
        .unwrap();
        drop(conn);
        let upgraded = crate::db::open(&old, Duration::from_secs(1), &COMMON).unwrap();
        let fresh =
            crate::db::open(&dir.path().join("new.db"), Duration::from_secs(1), &COMMON).unwrap();
        assert_eq!(objects(&upgraded), objects(&fresh));
        assert_eq!(objects(&fresh).len(), 7, "{:?}", objects(&fresh));
        let runs: i64 = upgraded
            .query_row("SELECT count(*) FROM job_runs", [], |r| r.get(0))
            .unwrap();
        assert_eq!(runs, 1, "the history is kept");
    }
}
