//! One database backed up while other processes keep writing it: the online backup in one step
//! (`step(-1)`) into a hidden file in the backup directory (one read transaction, so no foreign
//! commit restarts it and no writer waits), then `PRAGMA integrity_check` on that copy in a second thread while this one
//! compresses it with zstd and hashes the output; the manifest, fsync of the files and the
//! directory, and renames into place. Until the renames nothing has a final name, so a kill at
//! any moment leaves only hidden files, which the next run removes.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use common::Exit;
use common::backups::{BackupName, Manifest, temporary_name};
use common::harness::UnitError;
use common::shutdown::Shutdown;
use rusqlite::Connection;
use rusqlite::backup::{Backup, StepResult};

use crate::check::{self, Contents, Problem};
use crate::databases::Database;
use crate::hashing::HashingWriter;

/// What to back up, where, when and how.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The database.
    pub database: &'a Database,
    /// The backup directory (exists).
    pub dir: &'a Path,
    /// The backup's time, in its name.
    pub taken: DateTime<Utc>,
    /// zstd level.
    pub level: i32,
    /// How long to wait for a writer that holds the database exclusively (a checkpoint).
    pub busy: Duration,
    /// SIGTERM/SIGINT: compression stops at the next MiB rather than finishing a copy of
    /// gigabytes after systemd asked the unit to stop.
    pub stop: &'a Shutdown,
}

/// Removes the hidden files of a backup in progress, whatever way it ends; after the renames
/// they are gone and there is nothing to remove.
struct Temporaries(Vec<PathBuf>);

impl Drop for Temporaries {
    fn drop(&mut self) {
        for path in &self.0 {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Backs up `req.database` into `req.dir`: its manifest, once it is there under its final name.
pub fn back_up(req: &Request) -> Result<Manifest, UnitError> {
    let clock = Instant::now();
    let source = &req.database.path;
    let name = BackupName::new(&req.database.name, req.taken);
    let copy = req
        .dir
        .join(temporary_name(&format!("{}.copy", name.file_name())));
    let compressed = req.dir.join(temporary_name(&name.file_name()));
    let manifest_tmp = req.dir.join(temporary_name(&name.manifest_name()));
    let _temporaries = Temporaries(vec![copy.clone(), compressed.clone(), manifest_tmp.clone()]);

    let database_error = |e| UnitError::database(source, e);
    let source_bytes = std::fs::metadata(source)
        .map_err(|e| io_error(Exit::IoErr, "cannot read", source, &e))?
        .len();
    let conn = check::open_read_only(source).map_err(database_error)?;
    conn.busy_timeout(req.busy).map_err(database_error)?;
    copy_pages(&conn, &copy, req.busy).map_err(database_error)?;
    drop(conn);

    // The check reads the copy while this thread compresses it: on 2 cores the pair takes as
    // long as the longer of the two, not their sum.
    let checker = check::open_read_only(&copy).map_err(|e| UnitError::database(&copy, e))?;
    let interrupt = checker.get_interrupt_handle();
    let inspection = std::thread::spawn(move || check::inspect(&checker));
    let written = compress(&copy, &compressed, req.level, req.stop);
    if !matches!(written, Ok(Some(_))) {
        interrupt.interrupt();
    }
    let inspected = inspection.join().unwrap_or_else(|_| {
        Err(Problem::Integrity(
            "the check of the copy stopped unexpectedly".to_string(),
        ))
    });
    let written = written
        .map_err(|e| io_error(Exit::IoErr, "cannot write", &compressed, &e))?
        .ok_or_else(|| UnitError {
            exit: Exit::Terminated,
            message: format!(
                "stopped while compressing the copy of {}: no backup of it was made this run; \
                 earlier backups are untouched",
                source.display()
            ),
        })?;
    let contents: Contents = inspected.map_err(|p| UnitError {
        exit: p.exit(),
        message: format!(
            "the copy of {} was deleted because it failed its check ({p}): the database \
             itself may be damaged; run `sqlite3 {} 'PRAGMA integrity_check'`; earlier \
             backups are untouched",
            source.display(),
            source.display()
        ),
    })?;
    let _ = std::fs::remove_file(&copy);

    let manifest = Manifest {
        database: req.database.name.clone(),
        source: source.clone(),
        source_bytes,
        page_size: contents.page_size,
        page_count: contents.page_count,
        tables: contents.tables,
        user_version: contents.user_version,
        sqlite_version: rusqlite::version().to_string(),
        taken_at: name.taken,
        duration_ms: clock.elapsed().as_millis() as u64,
        copy_bytes: written.copy_bytes,
        compressed_bytes: written.compressed_bytes,
        sha256: written.sha256,
        zstd_level: req.level,
        verified: true,
    };
    write_synced(&manifest_tmp, manifest.to_json().as_bytes())
        .map_err(|e| io_error(Exit::IoErr, "cannot write", &manifest_tmp, &e))?;
    // The manifest first: a backup under its final name always has its manifest beside it.
    let finals = [
        (&manifest_tmp, req.dir.join(name.manifest_name())),
        (&compressed, req.dir.join(name.file_name())),
    ];
    for (from, to) in &finals {
        std::fs::rename(from, to).map_err(|e| io_error(Exit::IoErr, "cannot rename", from, &e))?;
    }
    sync_dir(req.dir).map_err(|e| io_error(Exit::IoErr, "cannot sync", req.dir, &e))?;
    Ok(manifest)
}

/// Copies every page of `source` into the new file `copy` in one step of the online backup:
/// one read transaction, so no foreign commit restarts it (as it restarts a stepped backup)
/// and, in WAL mode, no writer waits for it. Waits up to `busy` while the source is locked.
fn copy_pages(source: &Connection, copy: &Path, busy: Duration) -> rusqlite::Result<()> {
    let mut out = Connection::open(copy)?;
    // A scratch file: the compressed file is what is synced.
    out.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")?;
    let backup = Backup::new(source, &mut out)?;
    let give_up = Instant::now() + busy;
    loop {
        match backup.step(-1)? {
            StepResult::Done => break,
            StepResult::More => {}
            StepResult::Busy | StepResult::Locked if Instant::now() < give_up => {
                std::thread::sleep(Duration::from_millis(50));
            }
            _ => {
                return Err(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                    Some("the database stayed locked for the whole busy timeout".to_string()),
                ));
            }
        }
    }
    drop(backup);
    // The pages carry the source's WAL flag: a copy opened in WAL mode grows -wal and -shm
    // files (even read-only), so it becomes a plain file, as a restored database starts.
    out.pragma_update(None, "journal_mode", "DELETE")
}

/// What compressing a copy wrote.
struct Written {
    copy_bytes: u64,
    compressed_bytes: u64,
    sha256: String,
}

/// Compresses `copy` into the new file `out`, hashing what is written, and fsyncs it; `None`
/// when a stop was asked for before it finished (the caller's temporaries go with it).
fn compress(copy: &Path, out: &Path, level: i32, stop: &Shutdown) -> io::Result<Option<Written>> {
    let mut input = File::open(copy)?;
    let file = File::create_new(out)?;
    let mut encoder =
        zstd::stream::write::Encoder::new(HashingWriter::new(BufWriter::new(file)), level)?;
    encoder.include_checksum(true)?;
    let mut buf = vec![0u8; 1 << 20];
    let mut copy_bytes = 0u64;
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        encoder.write_all(&buf[..n])?;
        copy_bytes += n as u64;
        // The crash tests pause here, with the hidden files half written, and kill -9.
        fail::fail_point!("db-backup::compressing");
        if stop.requested() {
            return Ok(None);
        }
    }
    let (writer, sha256, compressed_bytes) = encoder.finish()?.finish();
    let file = writer.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    Ok(Some(Written {
        copy_bytes,
        compressed_bytes,
        sha256,
    }))
}

/// Writes `bytes` to the new file `path` and fsyncs it.
pub fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = File::create_new(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Fsyncs a directory, so the renames in it survive a power cut.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// A unit's I/O error on `path`: `what` ("cannot write"), the cause and what to do.
pub fn io_error(exit: Exit, what: &str, path: &Path, error: &io::Error) -> UnitError {
    let advice = match error.kind() {
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => {
            "; the disk is full: free some space there or set [backups] dir to a larger disk"
        }
        io::ErrorKind::PermissionDenied => "; let the user upstox write there",
        _ => "",
    };
    UnitError {
        exit,
        message: format!("{what} {}: {error}{advice}", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database(dir: &Path) -> Database {
        let path = dir.join("market_data.db");
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA user_version = 7;
             CREATE TABLE candles (k INTEGER PRIMARY KEY, v TEXT);
             CREATE TABLE \"odd \"\"name\" (x);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
             INSERT INTO candles SELECT i, hex(randomblob(20)) FROM n;",
        )
        .unwrap();
        Database {
            name: "market_data".to_string(),
            path,
        }
    }

    #[test]
    fn a_backup_is_complete_verified_and_alone_under_its_final_names() {
        let dir = tempfile::tempdir().unwrap();
        let db = database(dir.path());
        let out = dir.path().join("backups");
        std::fs::create_dir(&out).unwrap();
        let taken = DateTime::parse_from_rfc3339("2026-12-04T20:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let req = Request {
            database: &db,
            dir: &out,
            taken,
            level: 3,
            busy: Duration::from_secs(1),
            stop: &Shutdown::never(),
        };
        let manifest = back_up(&req).unwrap();
        assert!(manifest.verified);
        assert_eq!(manifest.user_version, 7);
        assert_eq!(manifest.tables["candles"], 5000);
        assert_eq!(manifest.tables["odd \"name"], 0);
        let mut names: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "market_data-20261205-020000.db.zst",
                "market_data-20261205-020000.manifest.json"
            ]
        );
        let backup = common::backups::list(&out).unwrap().remove(0);
        let scratch = tempfile::tempdir().unwrap();
        let contents = check::check(&backup, scratch.path()).unwrap();
        assert_eq!(contents.tables, manifest.tables);
    }

    #[test]
    fn a_file_that_is_not_a_database_fails_the_unit_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("upstox.db");
        std::fs::write(&path, vec![b'x'; 8192]).unwrap();
        let db = Database {
            name: "upstox".to_string(),
            path,
        };
        let req = Request {
            database: &db,
            dir: dir.path(),
            taken: Utc::now(),
            level: 3,
            busy: Duration::from_secs(1),
            stop: &Shutdown::never(),
        };
        let e = back_up(&req).unwrap_err();
        assert_eq!(e.exit, Exit::IoErr, "{}", e.message);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_stop_asked_for_ends_the_backup_without_leaving_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let db = database(dir.path());
        let out = dir.path().join("backups");
        std::fs::create_dir(&out).unwrap();
        let stop = Shutdown::never();
        stop.trigger(signal_hook::consts::SIGTERM);
        let req = Request {
            database: &db,
            dir: &out,
            taken: Utc::now(),
            level: 3,
            busy: Duration::from_secs(1),
            stop: &stop,
        };
        let e = back_up(&req).unwrap_err();
        assert_eq!(e.exit, Exit::Terminated, "{}", e.message);
        assert!(
            e.message.contains("earlier backups are untouched"),
            "{}",
            e.message
        );
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);
    }
}
