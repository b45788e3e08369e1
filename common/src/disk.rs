//! Free space on the file system that holds a path, as the jobs that write whole copies of a
//! database (db-backup's backups, db-maintenance's VACUUM) check it before they start.

use std::path::Path;

/// The bytes an unprivileged process may still write on the file system holding `path`
/// (statvfs' `f_bavail`: the blocks reserved for root do not count).
pub fn free_bytes(path: &Path) -> std::io::Result<u64> {
    let stat = rustix::fs::statvfs(path)?;
    Ok(stat.f_bavail.saturating_mul(stat.f_frsize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_has_some_free_space_and_a_missing_one_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(free_bytes(dir.path()).unwrap() > 0);
        assert!(free_bytes(&dir.path().join("absent")).is_err());
    }
}
