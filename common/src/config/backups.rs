//! `[backups]`: where db-backup writes its backups and where db-maintenance looks for them.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// `[backups]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackupsConfig {
    /// The backup directory: unset means `<data_dir>/backups`.
    pub dir: Option<PathBuf>,
}

impl BackupsConfig {
    /// The backup directory for the data directory `data_dir`.
    pub fn dir(&self, data_dir: &Path) -> PathBuf {
        self.dir
            .clone()
            .unwrap_or_else(|| data_dir.join(crate::backups::DEFAULT_DIR))
    }

    /// A relative path would move with the working directory of whoever runs a job, so each
    /// run would back up somewhere else.
    pub(super) fn validate(&self) -> Result<(), String> {
        match &self.dir {
            Some(dir) if dir.as_os_str().is_empty() || dir.is_relative() => Err(format!(
                "[backups] dir = \"{}\" is not an absolute path: give one such as \
                 \"/var/lib/upstox-jobs/backups\", or remove the key for <data_dir>/backups",
                dir.display()
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_is_under_the_data_dir_and_a_relative_path_is_refused() {
        let unset = BackupsConfig::default();
        assert_eq!(unset.dir(Path::new("/d")), PathBuf::from("/d/backups"));
        assert!(unset.validate().is_ok());
        let absolute = BackupsConfig {
            dir: Some(PathBuf::from("/mnt/b")),
        };
        assert_eq!(absolute.dir(Path::new("/d")), PathBuf::from("/mnt/b"));
        assert!(absolute.validate().is_ok());
        for bad in ["backups", ""] {
            let relative = BackupsConfig {
                dir: Some(PathBuf::from(bad)),
            };
            let e = relative.validate().unwrap_err();
            assert!(e.starts_with("[backups] dir = "), "{e}");
        }
    }
}
