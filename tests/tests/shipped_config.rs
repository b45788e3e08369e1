//! The shipped /etc/upstox-jobs/config.toml documents every default truthfully: as shipped it
//! parses, and with every commented key switched on it still parses and equals the defaults.

use std::path::{Path, PathBuf};

use common::config::{self, Config};
use nse_index_update::job::JobConfig;

fn shipped() -> String {
    std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../packaging/config.toml"),
    )
    .unwrap()
}

/// Uncomments `# key = value` and `# [table]` lines, leaving prose comments alone.
fn switched_on(text: &str) -> String {
    text.lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest)
                if rest.starts_with('[')
                    || rest
                        .split_once(" = ")
                        .is_some_and(|(k, _)| !k.contains(' ')) =>
            {
                rest
            }
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_shipped_file_parses_and_its_documented_defaults_are_the_real_ones() {
    let file = Path::new("/etc/upstox-jobs/config.toml");
    let as_shipped: Config<JobConfig> =
        config::parse(&shipped(), file, "nse-index-update").unwrap();
    let on = switched_on(&shipped());
    assert!(
        on.lines()
            .filter(|l| !l.starts_with('#') && l.contains(" = "))
            .count()
            >= 14,
        "{on}"
    );
    let documented: Config<JobConfig> =
        config::parse(&on, file, "nse-index-update").unwrap_or_else(|e| panic!("{e}\n{on}"));
    let defaults = Config::<JobConfig>::defaults();
    assert_eq!(documented.job.indices, defaults.job.indices);
    assert_eq!(documented.job.base_url, defaults.job.base_url);
    assert_eq!(
        format!("{:?}", as_shipped.http),
        format!("{:?}", defaults.http)
    );
    let mut documented_http = documented.http.clone();
    documented_http.hosts.clear();
    assert_eq!(
        format!("{documented_http:?}"),
        format!("{:?}", defaults.http)
    );
    assert_eq!(
        format!("{:?}", documented.providers),
        format!("{:?}", defaults.providers)
    );
    assert!(
        documented.deprecated.is_empty(),
        "{:?}",
        documented.deprecated
    );
    assert_eq!(
        documented.data_dir.as_deref(),
        Some(Path::new("/var/lib/upstox-jobs"))
    );
    assert_eq!(
        documented.calendar.holidays_file,
        defaults.calendar.holidays_file
    );
    assert_eq!(
        documented.database.busy_timeout_secs,
        defaults.database.busy_timeout_secs
    );
    assert_eq!(as_shipped.api, defaults.api);
    assert_eq!(documented.api, defaults.api);
    assert_eq!(as_shipped.requests, defaults.requests);
    // The example table of one job's flags is the one key switched on that is not a default.
    let mut documented_requests = documented.requests.clone();
    let example = documented_requests
        .job
        .remove("market-sync")
        .expect("[requests.job.market-sync] is documented");
    assert_eq!(example.max_run_secs, Some(3000.0));
    assert_eq!(documented_requests, defaults.requests);
    // Unset means the collector's directory when it exists: the line documents which.
    assert_eq!(as_shipped.metrics.textfile_dir, None);
    assert_eq!(defaults.metrics.textfile_dir, None);
    assert_eq!(
        documented.metrics.textfile_dir.as_deref(),
        Some(Path::new(config::COLLECTOR_DIR))
    );
}

/// A job's `[jobs.NAME]` section: with every key switched on it equals the defaults (its
/// deadline too), and as shipped it parses to them.
fn documented_defaults_are_real<J>(job: &str, switched_on_means: J)
where
    J: serde::de::DeserializeOwned + Default + std::fmt::Debug,
{
    let file = Path::new("/etc/upstox-jobs/config.toml");
    let on = switched_on(&shipped());
    let documented: Config<J> =
        config::parse(&on, file, job).unwrap_or_else(|e| panic!("{job}: {e}\n{on}"));
    assert_eq!(
        format!("{:?}", documented.job),
        format!("{switched_on_means:?}"),
        "{job}"
    );
    assert_eq!(
        documented.deadline_secs(job),
        Config::<J>::defaults().deadline_secs(job),
        "{job}"
    );
    let as_shipped: Config<J> = config::parse(&shipped(), file, job).unwrap();
    assert_eq!(
        format!("{:?}", as_shipped.job),
        format!("{:?}", J::default()),
        "{job}"
    );
}

#[test]
fn the_documented_market_sync_defaults_are_the_real_ones() {
    documented_defaults_are_real("market-sync", market_sync::config::JobConfig::default());
}

#[test]
fn the_documented_alert_scan_defaults_are_the_real_ones() {
    documented_defaults_are_real("alert-scan", alert_scan::config::JobConfig::default());
}

#[test]
fn the_documented_db_maintenance_defaults_are_the_real_ones() {
    use common::backups::DEFAULT_DATABASES;
    use db_maintenance::config::JobConfig;
    // The list switched on names the databases that unset means.
    let named = JobConfig {
        databases: Some(DEFAULT_DATABASES.iter().map(PathBuf::from).collect()),
        ..JobConfig::default()
    };
    documented_defaults_are_real("db-maintenance", named);
}

#[test]
fn the_documented_corporate_announcements_defaults_are_the_real_ones() {
    documented_defaults_are_real(
        "corporate-announcements",
        corporate_announcements::config::JobConfig::default(),
    );
}

#[test]
fn the_documented_performance_analytics_defaults_are_the_real_ones() {
    documented_defaults_are_real(
        "performance-analytics",
        performance_analytics::config::JobConfig::default(),
    );
}

#[test]
fn the_documented_news_sentiment_defaults_are_the_real_ones() {
    use news_sentiment::config::JobConfig;
    let file = Path::new("/etc/upstox-jobs/config.toml");
    let on = switched_on(&shipped());
    let documented: Config<JobConfig> =
        config::parse(&on, file, "news-sentiment").unwrap_or_else(|e| panic!("{e}\n{on}"));
    assert_eq!(
        format!("{:?}", documented.job),
        format!("{:?}", JobConfig::default())
    );
    assert_eq!(
        documented.deadline_secs("news-sentiment"),
        Config::<JobConfig>::defaults().deadline_secs("news-sentiment")
    );
    let as_shipped: Config<JobConfig> = config::parse(&shipped(), file, "news-sentiment").unwrap();
    assert_eq!(
        format!("{:?}", as_shipped.job),
        format!("{:?}", JobConfig::default())
    );
}
