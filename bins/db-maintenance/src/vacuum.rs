//! Whether a VACUUM runs: only when the free pages are worth it and the disk has room for
//! what it writes, with the reason either way in words a person reads.
//!
//! A VACUUM builds a compacted copy in SQLite's temporary directory, then writes it back
//! through the WAL beside the database before the checkpoint folds it in: the used pages
//! twice, on one file system or two.

use std::path::{Path, PathBuf};

use common::disk::free_bytes;
use rustix::fs::Access;

use crate::database::{Pages, mib};

/// When the free pages are worth a VACUUM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Worth {
    /// This share of the file, in percent …
    pub min_free_percent: u8,
    /// … or this many bytes.
    pub min_free_bytes: u64,
}

/// Free space where a VACUUM writes, and what it needs there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Room {
    /// A directory of the file system.
    pub dir: PathBuf,
    /// Bytes a VACUUM writes there.
    pub needed: u64,
    /// Bytes free there for this user.
    pub free: u64,
}

/// The decision, with its reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Run it.
    Run(String),
    /// Do not.
    Skip(String),
}

impl Decision {
    /// The reason, for the log and the summary.
    pub fn reason(&self) -> &str {
        match self {
            Decision::Run(why) | Decision::Skip(why) => why,
        }
    }
}

/// Decides from the database's pages, the thresholds and the room on its disks (or why that
/// could not be measured).
pub fn decide(pages: Pages, worth: Worth, room: Result<Vec<Room>, String>) -> Decision {
    let free = pages.free_bytes();
    let percent = if pages.bytes() == 0 {
        0.0
    } else {
        free as f64 * 100.0 / pages.bytes() as f64
    };
    let free_words = format!(
        "{} free of {} ({percent:.0}%)",
        mib(free),
        mib(pages.bytes())
    );
    if percent < f64::from(worth.min_free_percent) && free < worth.min_free_bytes {
        return Decision::Skip(format!(
            "no VACUUM: {free_words}, below {}% and {}",
            worth.min_free_percent,
            mib(worth.min_free_bytes)
        ));
    }
    let rooms = match room {
        Ok(rooms) => rooms,
        Err(why) => {
            return Decision::Skip(format!(
                "no VACUUM: {free_words}, but the free disk space is unknown: {why}"
            ));
        }
    };
    if let Some(short) = rooms.iter().find(|r| r.free < r.needed) {
        return Decision::Skip(format!(
            "no VACUUM for lack of disk space: {free_words}, but a VACUUM writes {} on {} and {} is free there",
            mib(short.needed),
            short.dir.display(),
            mib(short.free)
        ));
    }
    let room_words: Vec<String> = rooms
        .iter()
        .map(|r| {
            format!(
                "{} of {} free on {}",
                mib(r.needed),
                mib(r.free),
                r.dir.display()
            )
        })
        .collect();
    Decision::Run(format!(
        "VACUUM: {free_words}; it needs {}",
        room_words.join(", ")
    ))
}

/// What a VACUUM of the database at `path` with `pages` writes, and where: its used pages
/// in SQLite's temporary directory and again in the WAL beside it; twice on one file system
/// when both are on it.
pub fn room(path: &Path, pages: Pages) -> Result<Vec<Room>, String> {
    let used = pages.used_bytes();
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let temp = sqlite_temp_dir();
    let device = |p: &Path| {
        rustix::fs::stat(p)
            .map(|s| s.st_dev)
            .map_err(|e| format!("{}: {e}", p.display()))
    };
    let free = |p: &Path| free_bytes(p).map_err(|e| format!("{}: {e}", p.display()));
    if device(dir)? == device(&temp)? {
        return Ok(vec![Room {
            dir: dir.to_path_buf(),
            needed: used.saturating_mul(2),
            free: free(dir)?,
        }]);
    }
    Ok(vec![
        Room {
            dir: dir.to_path_buf(),
            needed: used,
            free: free(dir)?,
        },
        Room {
            free: free(&temp)?,
            dir: temp,
            needed: used,
        },
    ])
}

/// The directory SQLite's unix VFS puts temporary files in: the first writable one of
/// `$SQLITE_TMPDIR`, `$TMPDIR`, `/var/tmp`, `/usr/tmp`, `/tmp`, else the current directory.
fn sqlite_temp_dir() -> PathBuf {
    let from_env = ["SQLITE_TMPDIR", "TMPDIR"]
        .into_iter()
        .filter_map(std::env::var_os)
        .map(PathBuf::from);
    let fixed = ["/var/tmp", "/usr/tmp", "/tmp"]
        .into_iter()
        .map(PathBuf::from);
    from_env
        .chain(fixed)
        .find(|d| d.is_dir() && rustix::fs::access(d, Access::WRITE_OK | Access::EXEC_OK).is_ok())
        .unwrap_or_else(|| PathBuf::from("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;
    const WORTH: Worth = Worth {
        min_free_percent: 20,
        min_free_bytes: 256 * MIB,
    };

    fn pages(total_mib: u64, free_mib: u64) -> Pages {
        Pages {
            size: 4096,
            count: total_mib * 256,
            free: free_mib * 256,
        }
    }

    fn room(free_mib: u64, needed_mib: u64) -> Result<Vec<Room>, String> {
        Ok(vec![Room {
            dir: PathBuf::from("/var/lib/upstox-jobs"),
            needed: needed_mib * MIB,
            free: free_mib * MIB,
        }])
    }

    #[test]
    fn free_pages_below_both_thresholds_are_not_worth_it() {
        let d = decide(pages(1000, 100), WORTH, room(10_000, 1800));
        assert_eq!(
            d,
            Decision::Skip(
                "no VACUUM: 100.0 MiB free of 1000.0 MiB (10%), below 20% and 256.0 MiB".into()
            )
        );
    }

    #[test]
    fn either_threshold_is_enough() {
        assert!(matches!(
            decide(pages(100, 20), WORTH, room(1000, 160)),
            Decision::Run(_)
        ));
        assert!(matches!(
            decide(pages(10_000, 300), WORTH, room(100_000, 19_400)),
            Decision::Run(_)
        ));
    }

    #[test]
    fn a_disk_without_room_for_the_copy_skips_it_saying_how_much_is_needed_and_free() {
        let d = decide(pages(100, 50), WORTH, room(40, 100));
        let Decision::Skip(why) = d else {
            panic!("ran")
        };
        assert!(
            why.starts_with("no VACUUM for lack of disk space: 50.0 MiB free of 100.0 MiB (50%)")
                && why.contains("writes 100.0 MiB on /var/lib/upstox-jobs and 40.0 MiB is free"),
            "{why}"
        );
    }

    #[test]
    fn an_unmeasured_disk_is_no_vacuum_with_the_reason() {
        let d = decide(pages(100, 50), WORTH, Err("statvfs: EACCES".into()));
        assert!(
            d.reason().contains("free disk space is unknown: statvfs"),
            "{d:?}"
        );
    }

    #[test]
    fn the_room_needed_is_the_used_pages_twice_on_one_file_system() {
        let dir = tempfile::tempdir().unwrap();
        let rooms = super::room(&dir.path().join("x.db"), pages(10, 4)).unwrap();
        let needed: u64 = rooms.iter().map(|r| r.needed).sum();
        assert_eq!(needed, 12 * MIB);
    }
}
