//! Where the databases are.

use std::path::{Path, PathBuf};

/// What a data directory is wanted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// A job that writes.
    Write,
    /// A person looking (`status`, `show`): the system directory serves whenever it exists.
    Read,
}

/// The data directory: `--data-dir`, else `data_dir` in the configuration, else systemd's
/// `$STATE_DIRECTORY`, else `/var/lib/upstox-jobs` when this user may write there (or, to
/// read, when it exists), else the user's XDG data directory (so an ad hoc run by a normal
/// user works).
pub fn resolve_data_dir(
    flag: Option<&Path>,
    configured: Option<&Path>,
    access: Access,
) -> Option<PathBuf> {
    if let Some(p) = flag.or(configured) {
        return Some(p.to_path_buf());
    }
    if let Some(state) = std::env::var_os("STATE_DIRECTORY") {
        // systemd passes one path per StateDirectory= entry, colon-separated.
        if let Some(first) = state.to_string_lossy().split(':').find(|s| !s.is_empty()) {
            return Some(PathBuf::from(first));
        }
    }
    let system = Path::new("/var/lib/upstox-jobs");
    if (access == Access::Read && system.is_dir()) || is_writable_dir(system) {
        return Some(system.to_path_buf());
    }
    let xdg = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(xdg.join("upstox-jobs"))
}

fn is_writable_dir(dir: &Path) -> bool {
    if !dir.is_dir() {
        return false;
    }
    let probe = dir.join(format!(".write-probe-{}", std::process::id()));
    match std::fs::File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            true
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_dir_prefers_flag_then_config() {
        let flag = Path::new("/tmp/a");
        let conf = Path::new("/tmp/b");
        assert_eq!(
            resolve_data_dir(Some(flag), Some(conf), Access::Write).unwrap(),
            flag
        );
        assert_eq!(
            resolve_data_dir(None, Some(conf), Access::Read).unwrap(),
            conf
        );
    }
}
