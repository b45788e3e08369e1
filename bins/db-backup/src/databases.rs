//! Which database files are backed up: `[jobs.db-backup] databases`, relative to the data
//! directory or absolute, each under the name its backups carry.

use std::path::{Path, PathBuf};

use common::backups::database_name;

use crate::config::JobConfig;

/// A database to back up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Database {
    /// The name its backups carry (`market_data`).
    pub name: String,
    /// The file.
    pub path: PathBuf,
}

/// The configured databases, in the configured order.
pub fn configured(config: &JobConfig, data_dir: &Path) -> Vec<Database> {
    config
        .databases
        .iter()
        .map(|p| Database {
            name: database_name(p),
            path: data_dir.join(p),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_are_under_the_data_dir() {
        let mut config = JobConfig::default();
        config.databases.push("/srv/app/orders.db".into());
        let all = configured(&config, Path::new("/var/lib/upstox-jobs"));
        let names: Vec<_> = all.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["market_data", "upstox", "yahoo_cache", "orders"]);
        assert_eq!(
            all[2].path,
            PathBuf::from("/var/lib/upstox-jobs/cache/yahoo_cache.sqlite")
        );
        assert_eq!(all[3].path, PathBuf::from("/srv/app/orders.db"));
    }
}
