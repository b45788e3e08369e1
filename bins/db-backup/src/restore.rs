//! `restore FILE --to PATH`: the backup decompressed beside PATH under a hidden name, checked
//! against its manifest, fsynced and renamed over PATH. A database some process has open for
//! writing is refused unless `--force`, and then replaced only while every job's lock is held,
//! so no job writes during the swap; its stale `-wal` and `-shm` go with it, or SQLite would
//! replay the old WAL onto the restored file.

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::Exit;
use common::backups::{BackupName, Manifest, temporary_name};
use common::harness::Fatal;
use common::lock::{self, JobLock, LockError};
use common::schedule;
use rusqlite::{Connection, OpenFlags};

use crate::check::{self, Problem};
use crate::copy::sync_dir;

/// What to restore, where, and whether to replace a database in use.
#[derive(Debug, Clone)]
pub struct Restore<'a> {
    /// The backup file.
    pub file: &'a Path,
    /// The database to write.
    pub to: &'a Path,
    /// `--force`.
    pub force: bool,
    /// The data directory, where the jobs' locks are.
    pub data_dir: &'a Path,
    /// Who restores, written in the locks for a job that finds them held.
    pub holder: &'a str,
}

/// Restores; a line saying what was restored.
pub fn restore(req: &Restore) -> anyhow::Result<String> {
    let file_name = req.file.file_name().and_then(|f| f.to_str()).unwrap_or("");
    let name = BackupName::parse(file_name).ok_or_else(|| {
        Fatal::new(
            Exit::Usage,
            format!(
                "{} is not a backup: its name is not NAME-YYYYmmdd-HHMMSS.db.zst; \
                 `upstox-db-backup list` shows them",
                req.file.display()
            ),
        )
    })?;
    let bad = |p: Problem| {
        Fatal::new(
            p.exit(),
            format!(
                "cannot restore {}: {p}; pick another backup (`upstox-db-backup list` shows them)",
                req.file.display()
            ),
        )
    };
    let manifest = Manifest::read(&req.file.with_file_name(name.manifest_name()))
        .map_err(|e| bad(e.into()))?;
    let to_name = req.to.file_name().ok_or_else(|| {
        Fatal::new(
            Exit::Usage,
            format!(
                "--to {} names no file: give the database file to restore into, e.g. --to /var/lib/upstox-jobs/market_data.db",
                req.to.display()
            ),
        )
    })?;
    let dir = match req.to.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = dir.join(temporary_name(&to_name.to_string_lossy()));
    let _ = std::fs::remove_file(&tmp);
    let decompressed = check::decompress(req.file, &manifest, &tmp);
    if let Err(p) = decompressed {
        let _ = std::fs::remove_file(&tmp);
        return Err(bad(p).into());
    }
    let swapped = swap(req, &tmp);
    if swapped.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    swapped?;
    let rows: u64 = manifest.tables.values().sum();
    Ok(format!(
        "restored {} to {}: {} tables, {rows} rows, schema version {}",
        req.file.display(),
        req.to.display(),
        manifest.tables.len(),
        manifest.user_version
    ))
}

/// Renames `tmp` over `req.to`, refusing a database in use unless forced, holding the jobs'
/// locks when a database is replaced.
fn swap(req: &Restore, tmp: &Path) -> anyhow::Result<()> {
    let _locks = if req.to.exists() {
        if let Some(why) = in_use(req.to)
            && !req.force
        {
            return Err(Fatal::new(
                Exit::TempFail,
                format!(
                    "{} is open for writing ({why}): stop what writes it and try again, or add \
                     --force to replace it while every job's lock is held",
                    req.to.display()
                ),
            )
            .into());
        }
        every_lock(req.data_dir, req.holder)?
    } else {
        Vec::new()
    };
    for suffix in ["-wal", "-shm"] {
        let side = sidecar(req.to, suffix);
        match std::fs::remove_file(&side) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(Fatal::new(
                    Exit::IoErr,
                    format!(
                        "cannot remove {} before the restore: {e}; check the directory's owner (the jobs run as user upstox) and restore again",
                        side.display()
                    ),
                )
                .into());
            }
            _ => {}
        }
    }
    let dir = tmp.parent().unwrap_or(Path::new("."));
    std::fs::rename(tmp, req.to)
        .and_then(|()| sync_dir(dir))
        .map_err(|e| {
            Fatal::new(
                Exit::IoErr,
                format!(
                    "cannot rename the restored copy to {}: {e}; check the directory's owner and free space, and restore again",
                    req.to.display()
                ),
            )
        })?;
    Ok(())
}

/// `path` with `suffix` appended (`market_data.db-wal`).
fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Why the database at `path` looks open for writing, if it does: its WAL exists (a
/// connection is open, or one was killed before its checkpoint), or its write lock is held.
pub fn in_use(path: &Path) -> Option<String> {
    if sidecar(path, "-wal").exists() {
        return Some("its -wal file exists".to_string());
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .ok()?;
    conn.busy_timeout(Duration::ZERO).ok()?;
    match conn.execute_batch("BEGIN IMMEDIATE; ROLLBACK;") {
        Err(e) if common::db::is_busy(&e) => Some("a process holds its write lock".to_string()),
        _ => None,
    }
}

/// Every job's lock (and the databases' shared lock), taken without waiting: a job that runs
/// now is named, and nothing is replaced.
fn every_lock(data_dir: &Path, holder: &str) -> anyhow::Result<Vec<JobLock>> {
    let locks = data_dir.join("locks");
    let mut held = Vec::new();
    for name in schedule::names().into_iter().chain([lock::DATABASES]) {
        let path = locks.join(format!("{name}.lock"));
        match JobLock::acquire(&path, holder) {
            Ok(lock) => held.push(lock),
            Err(e @ LockError::Held { .. }) => {
                return Err(Fatal::new(
                    Exit::TempFail,
                    format!("{name} is running, so nothing was replaced: {e}"),
                )
                .into());
            }
            Err(e) => return Err(Fatal::new(Exit::CantCreate, e.to_string()).into()),
        }
    }
    Ok(held)
}
