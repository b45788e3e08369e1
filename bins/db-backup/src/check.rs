//! A backup checked as a restore would use it: its size and SHA-256 against the manifest, fully
//! decompressed (never past the size the manifest gives), `PRAGMA integrity_check` on the
//! result, and its schema version and row counts compared with the manifest's. `verify`, the
//! drill and `restore` all go through here.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use common::Exit;
use common::backups::{Backup, Manifest, ManifestError};
use common::db;
use rusqlite::{Connection, OpenFlags};

use crate::hashing::HashingReader;
use crate::writeback::Writeback;

/// How many of `integrity_check`'s problems are named.
const PROBLEMS_SHOWN: usize = 5;

/// What a SQLite file holds, as a manifest records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contents {
    /// `PRAGMA page_size`.
    pub page_size: u64,
    /// `PRAGMA page_count`.
    pub page_count: u64,
    /// `PRAGMA user_version`: the schema version.
    pub user_version: i64,
    /// Rows in each table.
    pub tables: BTreeMap<String, u64>,
}

/// What is wrong with a backup, or why it could not be checked.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    /// No manifest to check against.
    #[error("{0}")]
    Manifest(#[from] ManifestError),
    /// The backup file could not be read.
    #[error("cannot read it: {0}")]
    Read(io::Error),
    /// Its length is not the manifest's.
    #[error(
        "it is {found} bytes long and its manifest says {expected}: it was truncated or \
         written to after the backup"
    )]
    Length {
        /// The manifest's.
        expected: u64,
        /// The file's.
        found: u64,
    },
    /// Its SHA-256 is not the manifest's.
    #[error(
        "its SHA-256 is {found} and its manifest says {expected}: the file was damaged after \
         the backup"
    )]
    Checksum {
        /// The manifest's.
        expected: String,
        /// The file's.
        found: String,
    },
    /// It does not decompress.
    #[error("it does not decompress: {0}")]
    Decompress(io::Error),
    /// It decompresses to another size than the manifest's.
    #[error("it decompresses to {found} bytes and its manifest says {expected}")]
    Size {
        /// The manifest's.
        expected: u64,
        /// What came out (stopped just past the manifest's size).
        found: u64,
    },
    /// The decompressed copy fails SQLite's check.
    #[error("the copy fails PRAGMA integrity_check: {0}")]
    Integrity(String),
    /// SQLite cannot read the copy at all.
    #[error("SQLite cannot read the copy: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A table's rows are not the manifest's.
    #[error("table {table} holds {found} rows and its manifest says {expected}")]
    Rows {
        /// The table.
        table: String,
        /// The manifest's count (absent: the table is not in the manifest).
        expected: String,
        /// The copy's.
        found: String,
    },
    /// The schema version is not the manifest's.
    #[error("its schema version (user_version) is {found} and its manifest says {expected}")]
    Schema {
        /// The manifest's.
        expected: i64,
        /// The copy's.
        found: i64,
    },
    /// The scratch copy could not be written.
    #[error("cannot write the decompressed copy {path}: {error}")]
    Scratch {
        /// The file.
        path: PathBuf,
        /// Why.
        error: io::Error,
    },
}

impl Problem {
    /// 65 for a bad backup; 74 when it could not be read or the copy not written.
    pub fn exit(&self) -> Exit {
        match self {
            Problem::Read(_) | Problem::Scratch { .. } => Exit::IoErr,
            Problem::Manifest(ManifestError::Io { .. }) => Exit::IoErr,
            _ => Exit::DataErr,
        }
    }
}

/// Opens a SQLite file for reading only.
pub fn open_read_only(path: &Path) -> rusqlite::Result<Connection> {
    Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
}

/// `PRAGMA integrity_check`, then what the file holds. Interruptible through the
/// connection's interrupt handle.
pub fn inspect(conn: &Connection) -> Result<Contents, Problem> {
    let found = db::integrity_problems(conn, PROBLEMS_SHOWN)?;
    if !found.is_empty() {
        return Err(Problem::Integrity(found.join("; ")));
    }
    let pragma = |name: &str| conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get::<_, i64>(0));
    let mut tables = BTreeMap::new();
    let names: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for name in names {
        let quoted = name.replace('"', "\"\"");
        let rows: i64 = conn.query_row(&format!("SELECT count(*) FROM \"{quoted}\""), [], |r| {
            r.get(0)
        })?;
        tables.insert(name, rows.max(0) as u64);
    }
    Ok(Contents {
        page_size: pragma("page_size")?.max(0) as u64,
        page_count: pragma("page_count")?.max(0) as u64,
        user_version: pragma("user_version")?,
        tables,
    })
}

/// Whether `contents` are what `manifest` recorded.
pub fn compare(manifest: &Manifest, contents: &Contents) -> Result<(), Problem> {
    if manifest.user_version != contents.user_version {
        return Err(Problem::Schema {
            expected: manifest.user_version,
            found: contents.user_version,
        });
    }
    let names = manifest.tables.keys().chain(contents.tables.keys());
    for table in names {
        let (expected, found) = (manifest.tables.get(table), contents.tables.get(table));
        if expected != found {
            let say = |n: Option<&u64>| n.map_or("no table".to_string(), u64::to_string);
            return Err(Problem::Rows {
                table: table.clone(),
                expected: say(expected),
                found: say(found),
            });
        }
    }
    Ok(())
}

/// Decompresses the backup at `file` into the new file `out` (fsynced), checking its length,
/// SHA-256 and decompressed size against `manifest`. `out` is left for the caller to remove
/// on error.
pub fn decompress(file: &Path, manifest: &Manifest, out: &Path) -> Result<(), Problem> {
    let input = File::open(file).map_err(Problem::Read)?;
    let length = input.metadata().map_err(Problem::Read)?.len();
    if length != manifest.compressed_bytes {
        return Err(Problem::Length {
            expected: manifest.compressed_bytes,
            found: length,
        });
    }
    let scratch = |error| Problem::Scratch {
        path: out.to_path_buf(),
        error,
    };
    let file = File::create_new(out).map_err(scratch)?;
    let mut writer = BufWriter::new(Writeback::new(file).map_err(scratch)?);
    let mut decoder =
        zstd::stream::read::Decoder::with_buffer(BufReader::new(HashingReader::new(input)))
            .map_err(Problem::Decompress)?;
    // Never more than the manifest promises, so a damaged file cannot fill the disk.
    let limit = manifest.copy_bytes.saturating_add(1);
    let mut written = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    let decoded: Result<(), Problem> = loop {
        let n = match decoder.read(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => n.min((limit - written) as usize),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => break Err(Problem::Decompress(e)),
        };
        writer.write_all(&buf[..n]).map_err(scratch)?;
        written += n as u64;
        if written >= limit {
            break Ok(());
        }
    };
    let (digest, _) = decoder
        .finish()
        .into_inner()
        .finish()
        .map_err(Problem::Read)?;
    if digest != manifest.sha256 {
        return Err(Problem::Checksum {
            expected: manifest.sha256.clone(),
            found: digest,
        });
    }
    decoded?;
    if written != manifest.copy_bytes {
        return Err(Problem::Size {
            expected: manifest.copy_bytes,
            found: written,
        });
    }
    let file = writer.into_inner().map_err(|e| scratch(e.into_error()))?;
    file.finish().map_err(scratch)?;
    Ok(())
}

/// Checks `backup` in full, decompressing it under `scratch` (a directory of the caller's,
/// removed by it): what the copy holds when all is well.
pub fn check(backup: &Backup, scratch: &Path) -> Result<Contents, Problem> {
    let manifest = Manifest::read(&backup.manifest_path())?;
    let out = scratch.join(format!("{}.db", backup.name.database));
    decompress(&backup.path, &manifest, &out)?;
    let contents = inspect(&open_read_only(&out)?)?;
    compare(&manifest, &contents)?;
    Ok(contents)
}
