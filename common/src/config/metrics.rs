//! `[metrics]`: where each run leaves its Prometheus metrics.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// node_exporter's textfile collector directory on Debian
/// (`prometheus-node-exporter`'s `--collector.textfile.directory`).
pub const COLLECTOR_DIR: &str = "/var/lib/prometheus/node-exporter";

/// `[metrics]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// The directory a run writes `upstox-jobs-<job>.prom` into: unset means [`COLLECTOR_DIR`]
    /// when it exists, else none; an empty path turns metrics off.
    pub textfile_dir: Option<PathBuf>,
}

/// Where a run's metrics go, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricsTarget {
    /// Nowhere: turned off, or left to the default and the collector is not installed.
    Off,
    /// A directory named in the configuration: a failure to write there is warned about.
    Configured(PathBuf),
    /// The collector's directory, found by default.
    Collector(PathBuf),
}

impl MetricsConfig {
    /// Where metrics go, looking for the collector's directory at `collector` when unset.
    pub fn target(&self, collector: &Path) -> MetricsTarget {
        match &self.textfile_dir {
            Some(dir) if dir.as_os_str().is_empty() => MetricsTarget::Off,
            Some(dir) => MetricsTarget::Configured(dir.clone()),
            None if collector.is_dir() => MetricsTarget::Collector(collector.to_path_buf()),
            None => MetricsTarget::Off,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_is_the_collector_directory_only_when_it_exists() {
        let dir = tempfile::tempdir().unwrap();
        let unset = MetricsConfig::default();
        assert_eq!(
            unset.target(dir.path()),
            MetricsTarget::Collector(dir.path().to_path_buf())
        );
        assert_eq!(unset.target(&dir.path().join("absent")), MetricsTarget::Off);
    }

    #[test]
    fn an_empty_path_is_off_and_a_named_one_is_used_even_when_absent() {
        let dir = tempfile::tempdir().unwrap();
        let off = MetricsConfig {
            textfile_dir: Some(PathBuf::new()),
        };
        assert_eq!(off.target(dir.path()), MetricsTarget::Off);
        let named = MetricsConfig {
            textfile_dir: Some(PathBuf::from("/nonexistent/prom")),
        };
        assert_eq!(
            named.target(dir.path()),
            MetricsTarget::Configured(PathBuf::from("/nonexistent/prom"))
        );
    }
}
