//! Retention applied to a backup directory, one database at a time: what the rules keep
//! stays, the rest is removed with its manifest; or, for a dry run, printed with the rules
//! that keep each file.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use common::Exit;
use common::backups::{self, BackupName};
use common::harness::UnitError;

use crate::copy::{io_error, sync_dir};
use crate::retention::{self, Keep, Reason};

/// A backup and why it is kept (no reasons: it is removed).
#[derive(Debug, Clone)]
pub struct Entry {
    /// The backup.
    pub name: BackupName,
    /// Its file, or `None` for the backup a dry run would make.
    pub path: Option<PathBuf>,
    /// The rules that keep it.
    pub reasons: Vec<Reason>,
}

/// What the rules `keep` decide for `database`'s backups in `dir`, oldest first, counting
/// also a backup about to be made at `coming` (a dry run's).
pub fn plan(
    dir: &Path,
    database: &str,
    keep: &Keep,
    coming: Option<DateTime<Utc>>,
) -> std::io::Result<Vec<Entry>> {
    let mut entries: Vec<Entry> = backups::list(dir)?
        .into_iter()
        .filter(|b| b.name.database == database)
        .map(|b| Entry {
            name: b.name,
            path: Some(b.path),
            reasons: Vec::new(),
        })
        .collect();
    if let Some(at) = coming {
        // First, so that it is the newest even when an earlier backup has the same second.
        entries.insert(
            0,
            Entry {
                name: BackupName::new(database, at),
                path: None,
                reasons: Vec::new(),
            },
        );
    }
    let taken: Vec<DateTime<Utc>> = entries.iter().map(|e| e.name.taken).collect();
    for (entry, reasons) in entries.iter_mut().zip(retention::decide(&taken, keep)) {
        entry.reasons = reasons;
    }
    entries.sort_by_key(|e| (e.name.taken, e.path.is_none()));
    Ok(entries)
}

/// Removes the backups `entries` do not keep, each with its manifest; how many.
pub fn apply(dir: &Path, entries: &[Entry]) -> Result<usize, UnitError> {
    let mut removed = 0;
    for entry in entries.iter().filter(|e| e.reasons.is_empty()) {
        let Some(path) = &entry.path else { continue };
        // The backup first: a manifest without its backup is never taken for one.
        std::fs::remove_file(path).map_err(|e| io_error(Exit::IoErr, "cannot remove", path, &e))?;
        let manifest = dir.join(entry.name.manifest_name());
        match std::fs::remove_file(&manifest) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(io_error(Exit::IoErr, "cannot remove", &manifest, &e));
            }
            _ => {}
        }
        removed += 1;
    }
    if removed > 0 {
        sync_dir(dir).map_err(|e| io_error(Exit::IoErr, "cannot sync", dir, &e))?;
    }
    Ok(removed)
}

/// Prints each entry: `keep` or `remove`, the file, and the rules that keep it.
pub fn print(out: &mut impl Write, entries: &[Entry]) -> std::io::Result<()> {
    for entry in entries {
        let file = entry.name.file_name();
        let file = match entry.path {
            Some(_) => file,
            None => format!("{file} (this run's)"),
        };
        if entry.reasons.is_empty() {
            writeln!(out, "remove  {file}")?;
        } else {
            let why: Vec<String> = entry.reasons.iter().map(Reason::to_string).collect();
            writeln!(out, "keep    {file}  ({})", why.join(", "))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_not_kept_is_removed_with_its_manifest_and_other_files_stay() {
        let dir = tempfile::tempdir().unwrap();
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let days = [
            "2026-12-01T20:30:00Z",
            "2026-12-01T21:30:00Z",
            "2026-12-02T20:30:00Z",
        ];
        for day in days {
            let name = BackupName::new("upstox", at(day));
            std::fs::write(dir.path().join(name.file_name()), b"z").unwrap();
            std::fs::write(dir.path().join(name.manifest_name()), b"{}").unwrap();
        }
        let other = BackupName::new("market_data", at(days[0]));
        std::fs::write(dir.path().join(other.file_name()), b"z").unwrap();
        let keep = Keep {
            daily: 7,
            weekly: 0,
            monthly: 0,
        };
        let entries = plan(
            dir.path(),
            "upstox",
            &keep,
            Some(at("2026-12-03T20:30:00Z")),
        )
        .unwrap();
        let mut printed = Vec::new();
        print(&mut printed, &entries).unwrap();
        assert_eq!(
            String::from_utf8(printed).unwrap(),
            "remove  upstox-20261202-020000.db.zst\n\
             keep    upstox-20261202-030000.db.zst  (daily 2026-12-02)\n\
             keep    upstox-20261203-020000.db.zst  (daily 2026-12-03)\n\
             keep    upstox-20261204-020000.db.zst (this run's)  (newest, daily 2026-12-04)\n"
        );
        assert_eq!(apply(dir.path(), &entries).unwrap(), 1);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 5);
    }
}
