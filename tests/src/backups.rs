//! The world of upstox-db-backup's tests: a sandbox whose configuration backs up `desk.db` (a
//! database the test fills) and `market_data.db`, and what is in its backup directory.

use std::path::{Path, PathBuf};

use common::backups::{self, BackupName};
use rusqlite::Connection;

use crate::binary::Sandbox;
use crate::run::{JobRun, Ran};

/// The binary.
pub const BIN: &str = "upstox-db-backup";

/// `[jobs.db-backup]` backing up `desk.db` and `market_data.db`, followed by `extra` lines of
/// the same table.
pub fn config(extra: &str) -> String {
    format!("[jobs.db-backup]\ndatabases = [\"desk.db\", \"market_data.db\"]\n{extra}")
}

/// A sandbox for db-backup.
pub struct BackupWorld {
    /// The sandbox.
    pub sandbox: Sandbox,
}

impl BackupWorld {
    /// A sandbox configured with [`config`]`(extra)` and an empty data directory.
    pub fn new(extra: &str) -> Self {
        let sandbox = Sandbox::new(&config(extra));
        std::fs::create_dir_all(sandbox.data_dir()).expect("data directory");
        BackupWorld { sandbox }
    }

    /// A run of the binary, to add arguments, clock and expectations to.
    pub fn job(&self) -> JobRun<'_> {
        self.sandbox.job(BIN)
    }

    /// Runs with `args` to the end.
    pub fn run(&self, args: &[&str]) -> Ran<'_> {
        self.job().args(args).run()
    }

    /// `desk.db`.
    pub fn desk(&self) -> PathBuf {
        self.sandbox.data_dir().join("desk.db")
    }

    /// The backup directory (the default one).
    pub fn dir(&self) -> PathBuf {
        self.sandbox.data_dir().join("backups")
    }

    /// The file names in the backup directory, sorted.
    pub fn files(&self) -> Vec<String> {
        files(&self.dir())
    }

    /// The backups of `database`, oldest first.
    pub fn backups_of(&self, database: &str) -> Vec<PathBuf> {
        backups::list(&self.dir())
            .expect("the backup directory reads")
            .into_iter()
            .filter(|b| b.name.database == database)
            .map(|b| b.path)
            .collect()
    }
}

/// The file names in `dir`, sorted (none when it is absent).
pub fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| {
                    e.expect("an entry")
                        .file_name()
                        .to_string_lossy()
                        .into_owned()
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Whether any file in `dir` has a backup's or a manifest's final name.
pub fn has_final_names(dir: &Path) -> bool {
    files(dir)
        .iter()
        .any(|f| BackupName::parse(f).is_some() || f.ends_with(".manifest.json"))
}

/// Creates `path` (WAL mode) with `items(id INTEGER PRIMARY KEY, name TEXT, price REAL, blob
/// BLOB, note TEXT)` holding `rows` rows of about `width` bytes each, some with NULLs.
pub fn fill(path: &Path, rows: u64, width: usize) {
    let conn = Connection::open(path).expect("the database opens");
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT NOT NULL,
             price REAL, blob BLOB, note TEXT);
         CREATE INDEX IF NOT EXISTS items_name ON items (name);",
    )
    .expect("schema");
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
         INSERT INTO items (name, price, blob, note)
         SELECT 'SYM' || i, i * 1.25, randomblob(?2),
                CASE WHEN i % 7 = 0 THEN NULL ELSE 'note ' || i END FROM n",
        (rows as i64, width as i64),
    )
    .expect("rows");
}

/// Every row of `table` in `path`, in rowid order, as text (for comparing two files).
pub fn rows(path: &Path, table: &str) -> Vec<String> {
    let conn = Connection::open(path).expect("the database opens");
    let mut stmt = conn
        .prepare(&format!(
            "SELECT quote(t.rowid), t.* FROM {table} t ORDER BY t.rowid"
        ))
        .expect("select");
    let columns = stmt.column_count();
    stmt.query_map([], |r| {
        let mut line = Vec::new();
        for i in 0..columns {
            let value: rusqlite::types::Value = r.get(i)?;
            line.push(format!("{value:?}"));
        }
        Ok(line.join("|"))
    })
    .expect("rows")
    .collect::<rusqlite::Result<_>>()
    .expect("rows read")
}

/// `PRAGMA integrity_check` of `path`.
pub fn integrity(path: &Path) -> String {
    Connection::open(path)
        .expect("the database opens")
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check")
}
