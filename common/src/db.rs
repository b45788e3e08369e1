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

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::exit::Exit;

/// The file every job writes.
pub const MARKET_DATA_DB: &str = "market_data.db";

/// The trading application's database (its trades and orders), which performance-analytics
/// reads.
pub const UPSTOX_DB: &str = "upstox.db";

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
    /// The file or its directory could not be created.
    #[error("cannot create {path}: {error}; give --data-dir a directory this user can write")]
    Create {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
}

/// `PRAGMA integrity_check(max)`: the problems it reports, at most `max`; none when the file
/// is sound (SQLite's single `ok` row).
pub fn integrity_problems(conn: &Connection, max: usize) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(&format!("PRAGMA integrity_check({max})"))?;
    let lines: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(if lines == ["ok"] { Vec::new() } else { lines })
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

/// The size, in bytes, a WAL is cut back to when a writer restarts it: four times what
/// SQLite's automatic checkpoint at 1,000 pages lets it reach in ordinary use.
pub const WAL_SIZE_LIMIT: i64 = 16 * 1024 * 1024;

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
    // SQLite creates a database 0644 whatever the umask allows, and gives its WAL and SHM the
    // database's mode: created here first, it gets 0666 less the umask, so a group-shared data
    // directory (see `harness::data_dir`) keeps all three writable for the group.
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(error) => {
            return Err(DbError::Create {
                path: path.to_path_buf(),
                error,
            });
        }
    }
    let mut conn = open_writer(path, busy_timeout).map_err(DbError::sqlite(path))?;
    switch_to_wal(&conn, busy_timeout).map_err(DbError::sqlite(path))?;
    // The usual open finds every schema current: one read instead of a write transaction per
    // schema, so a run does not wait for another job's write lock before it has work.
    if !all_current(&conn, schemas).map_err(DbError::sqlite(path))? {
        migrate_all(&mut conn, path, schemas)?;
        // A migration can rewrite a whole table (the candles rebuild: 858 MiB of WAL for a
        // 1 GB file): fold it into the file and empty the WAL now, rather than leave it on
        // disk until later writes restart it. The result only says whether a reader kept
        // part of it, which the next checkpoint takes.
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(DbError::sqlite(path))?;
    }
    Ok(conn)
}

/// Puts `conn`'s file in WAL mode, which persists in the file: a no-op once set.
///
/// On a new file the switch writes the header while other processes may be opening it too,
/// and SQLite answers BUSY at once there rather than through the busy handler (a connection
/// that holds a read lock and wants to write is never made to wait: it could deadlock). So
/// the switch is retried here, within the same busy timeout a write lock gets.
fn switch_to_wal(conn: &Connection, busy_timeout: Duration) -> rusqlite::Result<()> {
    let deadline = std::time::Instant::now() + busy_timeout;
    let mut pause = Duration::from_millis(1);
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Err(error) if is_busy(&error) && std::time::Instant::now() < deadline => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            done => return done,
        }
    }
}

/// Whether `schema_migrations` records every one of `schemas` at its latest version. Versions
/// only grow, so what is current stays current; anything else (a new file, a pending or
/// adopted migration, a newer file) goes through [`migrate`].
fn all_current(conn: &Connection, schemas: &[Schema]) -> rusqlite::Result<bool> {
    if !has_bookkeeping(conn)? {
        return Ok(false);
    }
    let mut stmt =
        conn.prepare("SELECT component, MAX(version) FROM schema_migrations GROUP BY component")?;
    let recorded = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(schemas.iter().all(|schema| {
        recorded.iter().any(|(component, version)| {
            component == schema.component && *version == schema.migrations.len() as i64
        })
    }))
}

/// Opens an existing file read-only, for `--dry-run` and for people looking: `Ok(None)` when
/// there is no file yet. Creates nothing: with no `-wal` file beside it (one that a tool other
/// than the jobs checkpointed and closed) the file is opened immutable, which needs no `-shm`
/// either, so it also works for a user who may read the directory but not write it; the jobs
/// leave their `-wal` and `-shm` in place ([`open`]), which SQLite reads with read-only
/// access. Fails when the file needs a migration, which a read-only open must not apply.
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
    if let Some(schema) = behind(&conn, schemas).map_err(DbError::sqlite(path))? {
        return Err(DbError::NeedsMigration {
            path: path.to_path_buf(),
            component: schema.component.to_string(),
        });
    }
    Ok(Some(conn))
}

/// Opens an existing file for a run that writes nothing (`--dry-run`) or a command that only
/// reads, at the latest `schemas` whatever release made it: `Ok(None)` when there is no file
/// yet. A current file is opened as [`open_read_only`] opens it. An older one is copied into
/// memory and the copy migrated, as a real run would migrate the file, so that what is read
/// is what a real run would read; the file itself is only read. The copy costs memory the
/// size of the file, once per upgrade until a run migrates the file.
pub fn open_as_migrated(
    path: &Path,
    busy_timeout: Duration,
    schemas: &[Schema],
) -> Result<Option<Connection>, DbError> {
    let Some(file) = open_read_only(path, busy_timeout, &[])? else {
        return Ok(None);
    };
    if behind(&file, schemas)
        .map_err(DbError::sqlite(path))?
        .is_none()
    {
        return Ok(Some(file));
    }
    let mut copy = Connection::open_in_memory().map_err(DbError::sqlite(path))?;
    // In one step, as DESIGN says of backups: a stepped copy restarts at each foreign commit.
    rusqlite::backup::Backup::new(&file, &mut copy)
        .and_then(|b| b.run_to_completion(i32::MAX, Duration::from_millis(50), None))
        .map_err(DbError::sqlite(path))?;
    drop(file);
    tracing::debug!(
        "{} is older than this binary: reading a copy migrated in memory",
        path.display()
    );
    migrate_all(&mut copy, path, schemas)?;
    Ok(Some(copy))
}

/// An empty database in memory at the latest `schemas`: what a command that only reads sees
/// before any job has made the file. `path` is the file it stands for, named in errors.
pub fn open_empty(path: &Path, schemas: &[Schema]) -> Result<Connection, DbError> {
    let mut conn = Connection::open_in_memory().map_err(DbError::sqlite(path))?;
    migrate_all(&mut conn, path, schemas)?;
    Ok(conn)
}

/// The first of `schemas` that the file is older than, if any.
fn behind<'s>(conn: &Connection, schemas: &'s [Schema]) -> rusqlite::Result<Option<&'s Schema>> {
    for schema in schemas {
        let (_, current) = schema_version(conn, schema)?;
        if current < schema.migrations.len() as i64 {
            return Ok(Some(schema));
        }
    }
    Ok(None)
}

/// Applies every pending migration of `schemas` to `conn`, the database `path` names.
fn migrate_all(conn: &mut Connection, path: &Path, schemas: &[Schema]) -> Result<(), DbError> {
    conn.execute_batch(BOOKKEEPING)
        .map_err(DbError::sqlite(path))?;
    for schema in schemas {
        migrate(conn, path, schema)?;
    }
    Ok(())
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

/// A connection that writes `path` (an existing file, or one SQLite creates), set up as every
/// writer of the jobs' files is: [`open`]'s, and the request budget's beside it.
pub(crate) fn open_writer(path: &Path, busy_timeout: Duration) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    configure(&conn, busy_timeout)?;
    // A checkpoint at close fsyncs the WAL and the file and deletes the WAL, which the next
    // run creates again, fsyncing it and its directory: measured, most of a short run (about
    // 20 of a skipped run's 30 ms on ext4). Left open, the WAL is checkpointed by the commit
    // that takes it past 1,000 pages, as SQLite does anyway; durability is synchronous=NORMAL's
    // either way.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)?;
    // A WAL that stays is reused, not shrunk: one large transaction (a backfill of years of
    // minutes) would leave a WAL as large as itself on disk for good. With a limit, the
    // writer that restarts the log after a checkpoint cuts it back to this size.
    conn.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)?;
    Ok(conn)
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

/// Whether the file has `schema_migrations` (a new file has nothing yet).
fn has_bookkeeping(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations')",
        [],
        |row| row.get(0),
    )
}

fn current_version(conn: &Connection, component: &str) -> rusqlite::Result<i64> {
    if !has_bookkeeping(conn)? {
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
