//! The databases a run maintains: which files, opened how, their integrity, pages and size.

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::backups::DEFAULT_DATABASES;
use common::db::{self, MARKET_DATA_DB};
use rusqlite::{Connection, ErrorCode, OpenFlags};

use crate::config::JobConfig;

/// Problems of one database listed in the log; the rest are counted.
pub const PROBLEMS_SHOWN: usize = 10;

/// One database to maintain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Database {
    /// As configured (`market_data.db`, `cache/yahoo_cache.sqlite`): the unit's name.
    pub name: String,
    /// The file.
    pub path: PathBuf,
    /// `market_data.db`, whose tables are purged; the others are only checked and compacted.
    pub is_market_data: bool,
}

/// The configured databases under `data_dir` that exist, and a warning for each one named
/// in the configuration that does not (the default list's absent ones are skipped quietly).
pub fn configured(config: &JobConfig, data_dir: &Path) -> (Vec<Database>, Vec<String>) {
    let explicit = config.databases.is_some();
    let names: Vec<PathBuf> = match &config.databases {
        Some(list) => list.clone(),
        None => DEFAULT_DATABASES.iter().map(PathBuf::from).collect(),
    };
    let market = data_dir.join(MARKET_DATA_DB);
    let mut found = Vec::new();
    let mut warnings = Vec::new();
    for name in names {
        let path = data_dir.join(&name);
        if path.is_file() {
            found.push(Database {
                name: name.display().to_string(),
                is_market_data: path == market,
                path,
            });
        } else if explicit {
            warnings.push(format!(
                "[jobs.db-maintenance] databases: {} does not exist; skipped",
                path.display()
            ));
        }
    }
    (found, warnings)
}

impl Database {
    /// Opens the existing file: for writing, or read-only for a dry run. Never creates it
    /// and never changes its journal mode.
    pub fn open(&self, busy: Duration, read_only: bool) -> rusqlite::Result<Connection> {
        let access = if read_only {
            OpenFlags::SQLITE_OPEN_READ_ONLY
        } else {
            OpenFlags::SQLITE_OPEN_READ_WRITE
        };
        let conn =
            Connection::open_with_flags(&self.path, access | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        conn.busy_timeout(busy)?;
        Ok(conn)
    }

    /// The file and its WAL, in bytes: what the database takes on disk.
    pub fn size_on_disk(&self) -> u64 {
        let mut wal = self.path.as_os_str().to_owned();
        wal.push("-wal");
        [self.path.as_os_str(), wal.as_os_str()]
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum()
    }
}

/// What `PRAGMA integrity_check` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// The first problems, at most [`PROBLEMS_SHOWN`].
    pub first: Vec<String>,
    /// How many it reported in all (it stops at 100).
    pub total: usize,
}

/// Checks the whole file. `Ok(None)`: sound. A file too damaged for the check to run is
/// damage too; any other error (busy, unreadable) is returned.
pub fn integrity(conn: &Connection) -> rusqlite::Result<Option<Damage>> {
    match db::integrity_problems(conn, 100) {
        Ok(lines) if lines.is_empty() => Ok(None),
        Ok(lines) => Ok(Some(Damage {
            total: lines.len(),
            first: lines.into_iter().take(PROBLEMS_SHOWN).collect(),
        })),
        Err(e)
            if matches!(
                e.sqlite_error_code(),
                Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase)
            ) =>
        {
            Ok(Some(Damage {
                first: vec![e.to_string()],
                total: 1,
            }))
        }
        Err(e) => Err(e),
    }
}

/// A database's pages, as SQLite counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pages {
    /// Bytes per page.
    pub size: u64,
    /// Pages in the file.
    pub count: u64,
    /// Pages on the free list: what a VACUUM gives back.
    pub free: u64,
}

impl Pages {
    /// Reads them.
    pub fn of(conn: &Connection) -> rusqlite::Result<Pages> {
        let get = |pragma: &str| conn.query_row(pragma, [], |r| r.get::<_, i64>(0));
        Ok(Pages {
            size: get("PRAGMA page_size")?.max(0) as u64,
            count: get("PRAGMA page_count")?.max(0) as u64,
            free: get("PRAGMA freelist_count")?.max(0) as u64,
        })
    }

    /// The file's bytes.
    pub fn bytes(&self) -> u64 {
        self.count * self.size
    }

    /// The free pages' bytes.
    pub fn free_bytes(&self) -> u64 {
        self.free * self.size
    }

    /// The bytes in use: what a compacted copy takes.
    pub fn used_bytes(&self) -> u64 {
        self.bytes() - self.free_bytes().min(self.bytes())
    }
}

/// `bytes` for people: `812.3 MiB`.
pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}
