//! SQLite files: opened the same way by every job (WAL, busy timeout, foreign keys) and brought
//! to the latest schema on open.
//!
//! Several crates own tables in one file (`job_runs` is common's, `nse_index_membership` is
//! nse-index-update's…), so a single `PRAGMA user_version` cannot say which of their
//! migrations ran. Each [`Schema`] is versioned separately in `schema_migrations`, and each
//! migration runs in its own `BEGIN IMMEDIATE` transaction, so two jobs opening one file at
//! once apply it exactly once.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

/// The file every job writes.
pub const MARKET_DATA_DB: &str = "market_data.db";

/// A crate's tables: its name and its migrations in order. Never edit a released migration;
/// append a new one. (The one exception: when tables move to a new owner, the old owner's
/// first migration stops creating them and the new owner [`Adopted`] them, so that a
/// database made either way ends up with the same tables.)
#[derive(Debug, Clone, Copy)]
pub struct Schema {
    /// Who owns the tables (`runs`, `market`, `nse-index-update`, …).
    pub component: &'static str,
    /// SQL batches; migration N (1-based) is `migrations[N-1]`.
    pub migrations: &'static [&'static str],
    /// The component that created these tables in an older release, if another did.
    pub adopted: Option<Adopted>,
}

/// Tables a component took over from another: where `from` is at `version` or later, the
/// adopting component's first migration has in effect been applied (its tables exist), so a
/// database from before counts as current, for a read-only open too.
#[derive(Debug, Clone, Copy)]
pub struct Adopted {
    /// The component that created the tables.
    pub from: &'static str,
    /// Its version from which on they exist.
    pub version: i64,
}

/// Why a database could not be opened or migrated.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// SQLite refused.
    #[error("database {path}: {error}{}", advice(error))]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// SQLite's error (in the message, not a source: one line, said once).
        error: rusqlite::Error,
    },
    /// The file was written by a newer release.
    #[error(
        "database {path}: schema `{component}` is at version {found}, newer than this binary knows ({known}); upgrade the upstox-jobs package"
    )]
    TooNew {
        /// The file.
        path: PathBuf,
        /// The schema.
        component: String,
        /// Version in the file.
        found: i64,
        /// Latest version this binary has.
        known: i64,
    },
    /// A dry run found the file older than this binary.
    #[error(
        "database {path}: schema `{component}` needs migrating; run once without --dry-run first"
    )]
    NeedsMigration {
        /// The file.
        path: PathBuf,
        /// The schema.
        component: String,
    },
    /// The file cannot even be looked at (a directory this user may not enter).
    #[error(
        "cannot read {path}: {error}; the data belongs to user upstox: to read it as yourself, join its group (sudo adduser $USER upstox, then log in again)"
    )]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The file's directory could not be created.
    #[error("cannot create {path}: {error}; give --data-dir a directory this user can write")]
    Create {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
}

impl DbError {
    /// Whether another process holding the database is the cause, so trying later may work.
    pub fn is_busy(&self) -> bool {
        matches!(self, DbError::Sqlite { error, .. } if is_busy(error))
    }
}

/// Whether SQLite gave up waiting for another process's lock.
pub fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// What to do about a SQLite error, where something can be done.
fn advice(error: &rusqlite::Error) -> &'static str {
    match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            "; another process held it longer than [database] busy_timeout_secs: try again later"
        }
        Some(
            rusqlite::ErrorCode::ReadOnly
            | rusqlite::ErrorCode::CannotOpen
            | rusqlite::ErrorCode::PermissionDenied,
        ) => {
            "; check the owner and mode of the file and its directory (the jobs run as user upstox; to read as yourself, join its group: adduser $USER upstox)"
        }
        Some(rusqlite::ErrorCode::DiskFull) => "; free some space on its file system",
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase) => {
            "; restore it from a backup (db-backup) or move it aside"
        }
        _ => "",
    }
}

impl DbError {
    fn sqlite(path: &Path) -> impl FnOnce(rusqlite::Error) -> DbError + '_ {
        move |error| DbError::Sqlite {
            path: path.to_path_buf(),
            error,
        }
    }
}

const BOOKKEEPING: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    component TEXT NOT NULL,
    version INTEGER NOT NULL,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (component, version)
) WITHOUT ROWID;";

/// Opens (creating if needed) `path` for writing and applies every pending migration of `schemas`.
pub fn open(
    path: &Path,
    busy_timeout: Duration,
    schemas: &[Schema],
) -> Result<Connection, DbError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|error| DbError::Create {
            path: dir.to_path_buf(),
            error,
        })?;
    }
    let mut conn = Connection::open(path).map_err(DbError::sqlite(path))?;
    configure(&conn, busy_timeout).map_err(DbError::sqlite(path))?;
    // WAL persists in the file; setting it needs no transaction and is a no-op once set.
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(DbError::sqlite(path))?;
    conn.execute_batch(BOOKKEEPING)
        .map_err(DbError::sqlite(path))?;
    for schema in schemas {
        migrate(&mut conn, path, schema)?;
    }
    Ok(conn)
}

/// Opens an existing file read-only, for `--dry-run` and for people looking: `Ok(None)` when
/// there is no file yet. Creates nothing: with no `-wal` file beside it (no writer at work, the
/// usual case) the file is opened immutable, which needs no `-shm` either, so it also works for
/// a user who may read the directory but not write it. Fails when the file needs a migration,
/// which a read-only open must not apply.
pub fn open_read_only(
    path: &Path,
    busy_timeout: Duration,
    schemas: &[Schema],
) -> Result<Option<Connection>, DbError> {
    match std::fs::metadata(path) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            return Err(DbError::Unreadable {
                path: path.to_path_buf(),
                error,
            });
        }
    }
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    let immutable = if Path::new(&wal).exists() {
        ""
    } else {
        "&immutable=1"
    };
    let uri = format!("file:{}?mode=ro{immutable}", uri_path(path));
    let conn = Connection::open_with_flags(
        uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(DbError::sqlite(path))?;
    configure(&conn, busy_timeout).map_err(DbError::sqlite(path))?;
    for schema in schemas {
        let current = schema_version(&conn, schema).map_err(DbError::sqlite(path))?;
        if current < schema.migrations.len() as i64 {
            return Err(DbError::NeedsMigration {
                path: path.to_path_buf(),
                component: schema.component.to_string(),
            });
        }
    }
    Ok(Some(conn))
}

/// A path as the path part of a `file:` URI: the characters a URI gives meaning to, escaped.
fn uri_path(path: &Path) -> String {
    let mut out = String::new();
    for c in path.to_string_lossy().chars() {
        match c {
            '%' | '?' | '#' => out.push_str(&format!("%{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn configure(conn: &Connection, busy_timeout: Duration) -> rusqlite::Result<()> {
    conn.busy_timeout(busy_timeout)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // NORMAL is durable in WAL mode except for the last commits on power loss, never corrupt.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(())
}

/// `schema`'s version in the file, counting its first migration as applied where it adopted
/// tables that the component they came from had already created.
fn schema_version(conn: &Connection, schema: &Schema) -> rusqlite::Result<i64> {
    let own = current_version(conn, schema.component)?;
    match schema.adopted {
        Some(adopted) if own == 0 && current_version(conn, adopted.from)? >= adopted.version => {
            Ok(1)
        }
        _ => Ok(own),
    }
}

fn current_version(conn: &Connection, component: &str) -> rusqlite::Result<i64> {
    let exists: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations')",
        [],
        |row| row.get(0),
    )?;
    if !exists {
        return Ok(0);
    }
    conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE component = ?1",
        [component],
        |row| row.get(0),
    )
}

fn migrate(conn: &mut Connection, path: &Path, schema: &Schema) -> Result<(), DbError> {
    let known = schema.migrations.len() as i64;
    loop {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(DbError::sqlite(path))?;
        let current = schema_version(&tx, schema).map_err(DbError::sqlite(path))?;
        if current > known {
            return Err(DbError::TooNew {
                path: path.to_path_buf(),
                component: schema.component.to_string(),
                found: current,
                known,
            });
        }
        let recorded = current_version(&tx, schema.component).map_err(DbError::sqlite(path))?;
        if recorded < current {
            // Adopted: the tables exist; record the version the file is in fact at.
            tx.execute(
                "INSERT INTO schema_migrations (component, version) VALUES (?1, 1)",
                [schema.component],
            )
            .map_err(DbError::sqlite(path))?;
            tx.commit().map_err(DbError::sqlite(path))?;
            continue;
        }
        if current == known {
            return Ok(());
        }
        let next = current + 1;
        tx.execute_batch(schema.migrations[(next - 1) as usize])
            .map_err(DbError::sqlite(path))?;
        tx.execute(
            "INSERT INTO schema_migrations (component, version) VALUES (?1, ?2)",
            rusqlite::params![schema.component, next],
        )
        .map_err(DbError::sqlite(path))?;
        tx.commit().map_err(DbError::sqlite(path))?;
        tracing::debug!(
            component = schema.component,
            version = next,
            "applied migration {} {next}",
            schema.component
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Schema = Schema {
        component: "a",
        migrations: &[
            "CREATE TABLE a1 (x INTEGER);",
            "ALTER TABLE a1 ADD COLUMN y TEXT;",
        ],
        adopted: None,
    };
    const B: Schema = Schema {
        component: "b",
        migrations: &["CREATE TABLE b1 (x INTEGER);"],
        adopted: None,
    };

    fn versions(conn: &Connection) -> Vec<(String, i64)> {
        let mut stmt = conn
            .prepare("SELECT component, version FROM schema_migrations ORDER BY 1, 2")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn components_are_versioned_independently_and_reopening_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/x.db");
        let conn = open(&path, Duration::from_secs(1), &[A]).unwrap();
        assert_eq!(versions(&conn), vec![("a".into(), 1), ("a".into(), 2)]);
        drop(conn);
        let conn = open(&path, Duration::from_secs(1), &[B, A]).unwrap();
        assert_eq!(
            versions(&conn),
            vec![("a".into(), 1), ("a".into(), 2), ("b".into(), 1)]
        );
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1);
    }

    #[test]
    fn a_newer_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.db");
        open(&path, Duration::from_secs(1), &[A]).unwrap();
        let older = Schema {
            component: "a",
            migrations: &A.migrations[..1],
            adopted: None,
        };
        let err = open(&path, Duration::from_secs(1), &[older]).unwrap_err();
        assert!(
            matches!(
                err,
                DbError::TooNew {
                    found: 2,
                    known: 1,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("upgrade"));
    }

    #[test]
    fn read_only_open_never_creates_or_migrates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.db");
        assert!(
            open_read_only(&path, Duration::from_secs(1), &[A])
                .unwrap()
                .is_none()
        );
        assert!(!path.exists());
        open(&path, Duration::from_secs(1), &[B]).unwrap();
        let err = open_read_only(&path, Duration::from_secs(1), &[A]).unwrap_err();
        assert!(matches!(err, DbError::NeedsMigration { .. }));
        let files = |dir: &Path| {
            let mut v: Vec<_> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            v.sort();
            v
        };
        let before = files(dir.path());
        let conn = open_read_only(&path, Duration::from_secs(1), &[B])
            .unwrap()
            .unwrap();
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM b1", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0);
        drop(conn);
        assert_eq!(files(dir.path()), before, "no -wal or -shm left behind");
    }

    #[test]
    fn read_only_open_sees_what_a_live_writer_committed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("odd ?#% name.db");
        let writer = open(&path, Duration::from_secs(1), &[B]).unwrap();
        writer.execute("INSERT INTO b1 VALUES (1)", []).unwrap();
        let reader = open_read_only(&path, Duration::from_secs(1), &[B])
            .unwrap()
            .unwrap();
        let n: i64 = reader
            .query_row("SELECT COUNT(*) FROM b1", [], |r| r.get(0))
            .unwrap();
        assert_eq!(
            n, 1,
            "the committed row is in the -wal file, which a read-only open must read"
        );
    }

    #[test]
    fn a_failing_migration_leaves_the_version_where_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.db");
        let broken = Schema {
            component: "a",
            migrations: &[
                "CREATE TABLE a1 (x INTEGER);",
                "CREATE TABLE a1 (x INTEGER);",
            ],
            adopted: None,
        };
        assert!(open(&path, Duration::from_secs(1), &[broken]).is_err());
        let conn = Connection::open(&path).unwrap();
        assert_eq!(versions(&conn), vec![("a".into(), 1)]);
    }

    #[test]
    fn tables_adopted_from_another_component_count_as_migrated_and_are_not_created_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.db");
        let old = Schema {
            component: "old",
            migrations: &["CREATE TABLE t (x INTEGER); CREATE TABLE kept (x INTEGER);"],
            adopted: None,
        };
        open(&path, Duration::from_secs(1), &[old]).unwrap();
        // Without IF NOT EXISTS: running it on the old file would fail.
        let new = Schema {
            component: "new",
            migrations: &[
                "CREATE TABLE t (x INTEGER);",
                "ALTER TABLE t ADD COLUMN y TEXT;",
            ],
            adopted: Some(Adopted {
                from: "old",
                version: 1,
            }),
        };
        let first = Schema {
            migrations: &new.migrations[..1],
            ..new
        };
        assert!(
            open_read_only(&path, Duration::from_secs(1), &[first])
                .unwrap()
                .is_some(),
            "a reader of the old file needs no migration"
        );
        assert!(matches!(
            open_read_only(&path, Duration::from_secs(1), &[new]),
            Err(DbError::NeedsMigration { .. })
        ));
        let conn = open(&path, Duration::from_secs(1), &[new]).unwrap();
        assert_eq!(
            versions(&conn),
            vec![("new".into(), 1), ("new".into(), 2), ("old".into(), 1)]
        );
        conn.execute("INSERT INTO t (x, y) VALUES (1, 'a')", [])
            .unwrap();
        // A fresh file runs the first migration as usual.
        let fresh = open(&dir.path().join("y.db"), Duration::from_secs(1), &[new]).unwrap();
        assert_eq!(versions(&fresh), vec![("new".into(), 1), ("new".into(), 2)]);
    }
}
