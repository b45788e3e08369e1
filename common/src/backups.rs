//! Database backups as db-backup writes them and db-maintenance reads them: the default
//! databases, the backup directory, the file names, the manifest beside each backup, and the
//! listing. A backup is `<name>-<YYYYmmdd-HHMMSS>.db.zst` (the time in IST, which has no DST,
//! so names sort as times do) with `<name>-<YYYYmmdd-HHMMSS>.manifest.json` beside it; files in
//! progress have hidden names (`.….tmp`) that never match either.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::IST;

/// The backup directory under the data directory when `[backups] dir` is unset.
pub const DEFAULT_DIR: &str = "backups";

/// The databases backed up when none are configured, relative to the data directory.
pub const DEFAULT_DATABASES: [&str; 3] =
    ["market_data.db", "upstox.db", "cache/yahoo_cache.sqlite"];

const BACKUP_SUFFIX: &str = ".db.zst";
const MANIFEST_SUFFIX: &str = ".manifest.json";
const STAMP: &str = "%Y%m%d-%H%M%S";
/// `-YYYYmmdd-HHMMSS`.
const STAMP_LEN: usize = 16;
/// A manifest is a few hundred bytes; anything far larger is not one of ours.
const MANIFEST_MAX_BYTES: u64 = 1 << 20;

/// The name backups of the database at `path` go by: its file stem (`market_data`,
/// `yahoo_cache`).
pub fn database_name(path: &Path) -> String {
    let file = path.file_name().map(|f| f.to_string_lossy().into_owned());
    let file = file.unwrap_or_default();
    match file.split_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem.to_string(),
        _ => file,
    }
}

/// Which database a backup is of, and when it was taken (to the second).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct BackupName {
    /// The database's name ([`database_name`]).
    pub database: String,
    /// When the copy was taken.
    pub taken: DateTime<Utc>,
}

impl BackupName {
    /// The backup of `database` taken at `taken` (fractions of a second dropped).
    pub fn new(database: &str, taken: DateTime<Utc>) -> Self {
        let seconds = Utc.timestamp_opt(taken.timestamp(), 0).single();
        BackupName {
            database: database.to_string(),
            taken: seconds.unwrap_or(taken),
        }
    }

    fn stem(&self) -> String {
        let stamp = self.taken.with_timezone(&IST).format(STAMP);
        format!("{}-{stamp}", self.database)
    }

    /// `<name>-<YYYYmmdd-HHMMSS>.db.zst`.
    pub fn file_name(&self) -> String {
        format!("{}{BACKUP_SUFFIX}", self.stem())
    }

    /// `<name>-<YYYYmmdd-HHMMSS>.manifest.json`.
    pub fn manifest_name(&self) -> String {
        format!("{}{MANIFEST_SUFFIX}", self.stem())
    }

    /// The backup a file name names, if it is a backup's.
    pub fn parse(file_name: &str) -> Option<BackupName> {
        let stem = file_name.strip_suffix(BACKUP_SUFFIX)?;
        let split = stem.len().checked_sub(STAMP_LEN)?;
        let (database, stamp) = (stem.get(..split)?, stem.get(split..)?);
        let stamp = stamp.strip_prefix('-')?;
        let local = NaiveDateTime::parse_from_str(stamp, STAMP).ok()?;
        let taken = IST.from_local_datetime(&local).single()?;
        (!database.is_empty() && !database.starts_with('.')).then(|| BackupName {
            database: database.to_string(),
            taken: taken.with_timezone(&Utc),
        })
    }
}

/// The hidden name a file is written under before it is renamed to `final_name`.
pub fn temporary_name(final_name: &str) -> String {
    format!(".{final_name}.tmp")
}

/// Whether `file_name` is a file in progress ([`temporary_name`]), or the `-wal`, `-shm` or
/// `-journal` SQLite keeps beside one: what a killed run left.
pub fn is_temporary(file_name: &str) -> bool {
    let name = ["-wal", "-shm", "-journal"]
        .iter()
        .find_map(|side| file_name.strip_suffix(side))
        .unwrap_or(file_name);
    name.starts_with('.') && name.ends_with(".tmp")
}

/// What a backup holds and how it was made, written beside it as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The database's name ([`database_name`]).
    pub database: String,
    /// The database file copied.
    pub source: PathBuf,
    /// Its size in bytes when copied (without its WAL).
    pub source_bytes: u64,
    /// The copy's page size.
    pub page_size: u64,
    /// The copy's page count.
    pub page_count: u64,
    /// Rows in each table of the copy.
    pub tables: BTreeMap<String, u64>,
    /// The schema version (`PRAGMA user_version`).
    pub user_version: i64,
    /// The SQLite library that made the copy.
    pub sqlite_version: String,
    /// When the copy was taken.
    pub taken_at: DateTime<Utc>,
    /// How long the backup took, in milliseconds.
    pub duration_ms: u64,
    /// The uncompressed copy's size.
    pub copy_bytes: u64,
    /// The compressed file's size.
    pub compressed_bytes: u64,
    /// SHA-256 of the compressed file, lowercase hex.
    pub sha256: String,
    /// The zstd level.
    pub zstd_level: i32,
    /// The copy passed `PRAGMA integrity_check` before it was compressed.
    pub verified: bool,
}

/// Why a manifest could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file is absent.
    #[error("its manifest {0} is missing")]
    Missing(PathBuf),
    /// The file could not be read.
    #[error("cannot read its manifest {path}: {error}")]
    Io {
        /// The manifest.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// The file is not a manifest.
    #[error("its manifest {path} is damaged: {reason}")]
    Invalid {
        /// The manifest.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

impl Manifest {
    /// Reads the manifest at `path`, refusing anything larger than a manifest can be.
    pub fn read(path: &Path) -> Result<Manifest, ManifestError> {
        let io = |error: std::io::Error| match error.kind() {
            std::io::ErrorKind::NotFound => ManifestError::Missing(path.to_path_buf()),
            _ => ManifestError::Io {
                path: path.to_path_buf(),
                error,
            },
        };
        let mut text = String::new();
        std::fs::File::open(path)
            .map_err(io)?
            .take(MANIFEST_MAX_BYTES)
            .read_to_string(&mut text)
            .map_err(io)?;
        serde_json::from_str(&text).map_err(|e| ManifestError::Invalid {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
    }

    /// The manifest as written: pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// A backup found in a directory.
#[derive(Debug)]
pub struct Backup {
    /// Its database and time.
    pub name: BackupName,
    /// The compressed file.
    pub path: PathBuf,
    /// Its manifest, or why there is none to trust.
    pub manifest: Result<Manifest, ManifestError>,
}

impl Backup {
    /// The manifest's path.
    pub fn manifest_path(&self) -> PathBuf {
        self.path.with_file_name(self.name.manifest_name())
    }

    /// Whether its manifest says it was verified.
    pub fn verified(&self) -> bool {
        self.manifest.as_ref().is_ok_and(|m| m.verified)
    }
}

/// Every backup in `dir`, by database then oldest first; none when the directory is absent.
pub fn list(dir: &Path) -> std::io::Result<Vec<Backup>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().and_then(BackupName::parse) else {
            continue;
        };
        let path = entry.path();
        let manifest = Manifest::read(&path.with_file_name(name.manifest_name()));
        found.push(Backup {
            name,
            path,
            manifest,
        });
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

/// The newest backup of `database` in `dir` whose manifest says it was verified: what to
/// restore a damaged database from. `None` when there is none (or the directory cannot be
/// read).
pub fn newest_verified(dir: &Path, database: &str) -> Option<Backup> {
    list(dir)
        .ok()?
        .into_iter()
        .filter(|b| b.name.database == database && b.verified())
        .max_by(|a, b| a.name.cmp(&b.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn manifest(database: &str, taken_at: DateTime<Utc>, verified: bool) -> Manifest {
        Manifest {
            database: database.to_string(),
            source: PathBuf::from("/d/market_data.db"),
            source_bytes: 8192,
            page_size: 4096,
            page_count: 2,
            tables: BTreeMap::from([("candles".to_string(), 3)]),
            user_version: 4,
            sqlite_version: "3.50.0".to_string(),
            taken_at,
            duration_ms: 12,
            copy_bytes: 8192,
            compressed_bytes: 300,
            sha256: "00".repeat(32),
            zstd_level: 3,
            verified,
        }
    }

    #[test]
    fn database_names_are_file_stems() {
        assert_eq!(database_name(Path::new("/d/market_data.db")), "market_data");
        assert_eq!(
            database_name(Path::new("/d/cache/yahoo_cache.sqlite")),
            "yahoo_cache"
        );
        assert_eq!(database_name(Path::new("plain")), "plain");
    }

    #[test]
    fn names_are_in_ist_and_parse_back() {
        let name = BackupName::new("market-data", at("2026-12-04T20:30:05.250Z"));
        assert_eq!(name.file_name(), "market-data-20261205-020005.db.zst");
        assert_eq!(
            name.manifest_name(),
            "market-data-20261205-020005.manifest.json"
        );
        assert_eq!(BackupName::parse(&name.file_name()), Some(name.clone()));
        assert_eq!(name.taken, at("2026-12-04T20:30:05Z"));
        for other in [
            "market_data-20261205-020005.manifest.json",
            ".market_data-20261205-020005.db.zst.tmp",
            "-20261205-020005.db.zst",
            "market_data-2026120-020005.db.zst",
            "market_data-20261345-020005.db.zst",
            "x.db.zst",
            "drills.json",
        ] {
            assert_eq!(BackupName::parse(other), None, "{other}");
        }
        assert!(is_temporary(&temporary_name(&name.file_name())));
        assert!(is_temporary(
            ".market_data-20261205-020005.db.zst.copy.tmp-wal"
        ));
        assert!(!is_temporary("market_data.db-wal"));
        assert!(!is_temporary(&name.file_name()));
    }

    #[test]
    fn the_newest_verified_backup_is_found_per_database() {
        let dir = tempfile::tempdir().unwrap();
        let write = |database: &str, taken: &str, verified: Option<bool>| {
            let name = BackupName::new(database, at(taken));
            std::fs::write(dir.path().join(name.file_name()), b"zstd").unwrap();
            if let Some(v) = verified {
                let m = manifest(database, name.taken, v);
                std::fs::write(dir.path().join(name.manifest_name()), m.to_json()).unwrap();
            }
        };
        write("market_data", "2026-12-01T20:30:00Z", Some(true));
        write("market_data", "2026-12-02T20:30:00Z", Some(true));
        write("market_data", "2026-12-03T20:30:00Z", Some(false));
        write("market_data", "2026-12-04T20:30:00Z", None);
        write("upstox", "2026-12-04T20:30:00Z", Some(true));
        std::fs::write(dir.path().join(".market_data-x.db.zst.tmp"), b"").unwrap();

        let all = list(dir.path()).unwrap();
        assert_eq!(all.len(), 5);
        assert!(matches!(all[3].manifest, Err(ManifestError::Missing(_))));
        let newest = newest_verified(dir.path(), "market_data").unwrap();
        assert_eq!(newest.name.taken, at("2026-12-02T20:30:00Z"));
        assert_eq!(newest.manifest.unwrap().tables["candles"], 3);
        assert!(newest_verified(dir.path(), "yahoo_cache").is_none());
        assert!(newest_verified(&dir.path().join("absent"), "upstox").is_none());
    }

    #[test]
    fn a_damaged_or_huge_manifest_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.manifest.json");
        std::fs::write(&path, "{\"database\": ").unwrap();
        assert!(matches!(
            Manifest::read(&path),
            Err(ManifestError::Invalid { .. })
        ));
        std::fs::write(&path, vec![b' '; (MANIFEST_MAX_BYTES + 10) as usize]).unwrap();
        assert!(matches!(
            Manifest::read(&path),
            Err(ManifestError::Invalid { .. })
        ));
    }
}
