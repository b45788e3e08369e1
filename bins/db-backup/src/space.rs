//! Free space in the backup directory against what a backup needs, checked before copying:
//! a backup that fills the disk would fail late and take the databases' disk with it.

use std::path::Path;

use common::Exit;
use common::disk::free_bytes;
use common::harness::UnitError;

/// Room left besides the copy and its compressed form: the manifest, and the file system's
/// own reserve for metadata.
const MARGIN: u64 = 16 << 20;

/// What a backup of a database of `bytes` needs at its peak: the uncompressed copy, and its
/// compressed form written beside it (SQLite pages rarely compress to more than half).
pub fn needed(bytes: u64) -> u64 {
    bytes.saturating_add(bytes / 2).saturating_add(MARGIN)
}

/// Refuses (73) when `dir` has less free space than a backup of `database` (`bytes` long)
/// needs, saying how much is needed and how much is free.
pub fn check(dir: &Path, database: &Path, bytes: u64) -> Result<(), UnitError> {
    let need = needed(bytes);
    let free = free_bytes(dir).map_err(|e| UnitError {
        exit: Exit::IoErr,
        message: format!("cannot read the free space of {}: {e}", dir.display()),
    })?;
    if free < need {
        return Err(UnitError {
            exit: Exit::CantCreate,
            message: format!(
                "not enough space in {}: a backup of {} ({}) needs {} free and {} is; free \
                 some space there or set [backups] dir to a larger disk",
                dir.display(),
                database.display(),
                human(bytes),
                human(need),
                human(free)
            ),
        });
    }
    Ok(())
}

/// `bytes` for a person: `512 B`, `3.4 MiB`, `1.2 GiB`.
pub fn human(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_a_person_writes_them() {
        assert_eq!(human(512), "512 B");
        assert_eq!(human(3 * 1024 * 1024 + 400 * 1024), "3.4 MiB");
        assert_eq!(human(5 << 40), "5.0 TiB");
    }

    #[test]
    fn a_backup_needs_its_copy_and_half_again() {
        assert_eq!(needed(1 << 30), (1 << 30) + (1 << 29) + MARGIN);
        assert_eq!(needed(u64::MAX), u64::MAX);
    }

    #[test]
    fn a_directory_too_small_is_refused_with_73_and_both_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let free = free_bytes(dir.path()).unwrap();
        assert!(check(dir.path(), Path::new("/d/a.db"), 1024).is_ok());
        let e = check(dir.path(), Path::new("/d/a.db"), free).unwrap_err();
        assert_eq!(e.exit, Exit::CantCreate);
        assert!(
            e.message.contains("needs ") && e.message.contains(" free and "),
            "{}",
            e.message
        );
    }
}
