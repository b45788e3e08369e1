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

use crate::exit::Exit;

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
    #[error("{}", worded(path, error))]
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
        "database {path}: schema `{component}` is older than this binary and needs migrating; run the job once (not --dry-run) to migrate it"
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

/// Whether SQLite gave up waiting for another process's lock.
pub fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// A SQLite error on `path` as a person reads it: the file, SQLite's words, and what to do.
pub fn worded(path: &Path, error: &rusqlite::Error) -> String {
    format!("database {}: {error}{}", path.display(), advice(error))
}

/// The exit code of a SQLite error: 75 when another process held the file (trying later may
/// work), else 74.
pub fn sqlite_exit(error: &rusqlite::Error) -> Exit {
    if is_busy(error) {
        Exit::TempFail
    } else {
        Exit::IoErr
    }
}

/// What to do about a SQLite error, where something can be done.
pub(crate) fn advice(error: &rusqlite::Error) -> &'static str {
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
        let (_, current) = schema_version(&conn, schema).map_err(DbError::sqlite(path))?;
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

/// `schema`'s version as `schema_migrations` records it, and as the file is in fact: its
/// first migration counts as applied where it adopted tables that the component they came
/// from had already created.
fn schema_version(conn: &Connection, schema: &Schema) -> rusqlite::Result<(i64, i64)> {
    let recorded = current_version(conn, schema.component)?;
    let effective = match schema.adopted {
        Some(adopted)
            if recorded == 0 && current_version(conn, adopted.from)? >= adopted.version =>
        {
            1
        }
        _ => recorded,
    };
    Ok((recorded, effective))
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
        let (recorded, current) = schema_version(&tx, schema).map_err(DbError::sqlite(path))?;
        if current > known {
            return Err(DbError::TooNew {
                path: path.to_path_buf(),
                component: schema.component.to_string(),
                found: current,
                known,
            });
        }
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
mod tests;
