//! The configuration file: `/etc/upstox-jobs/config.toml` unless `--config` or
//! `UPSTOX_JOBS_CONFIG` names another. One file serves every job: common tables at the top,
//! each job's own table under `[jobs.<job>]`. Every key has a built-in default, so a missing
//! default file is not an error, and an unknown key is (a typo must not silently do nothing).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::files::ReadError;
use crate::schedule;

mod api;
mod backups;
mod http;
mod metrics;
mod notify;
mod position;
mod providers;
mod requests;

pub use api::ApiConfig;
pub use backups::BackupsConfig;
use http::check;
pub use http::{HostConfig, HttpConfig};
pub use metrics::{COLLECTOR_DIR, MetricsConfig, MetricsTarget};
pub use notify::{EmailConfig, NotifyConfig, SmtpSecurity, TelegramConfig};
pub use providers::{
    Limit, ProvidersConfig, UpstoxConfig, YahooConfig, upstox_standard, validate_limits,
};
pub use requests::{DEFAULT_SPOOL_DIR, OnDemand, RequestsConfig};

/// Where the configuration is read from when neither `--config` nor the environment says.
pub const DEFAULT_PATH: &str = "/etc/upstox-jobs/config.toml";

/// A configuration error: names the file and the key, and says what to do.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct ConfigError {
    /// The file at fault (or `built-in defaults`).
    pub file: String,
    /// What is wrong, naming the key.
    pub message: String,
}

impl ConfigError {
    fn new(file: &Path, message: impl Into<String>) -> Self {
        ConfigError {
            file: file.display().to_string(),
            message: message.into(),
        }
    }
}

/// Everything a job is configured with: the common tables and the job's own `J`.
#[derive(Debug, Clone)]
pub struct Config<J> {
    /// The file read, or `None` when the built-in defaults serve.
    pub file: Option<PathBuf>,
    /// `data_dir`: where the databases live (see `harness::resolve_data_dir`).
    pub data_dir: Option<PathBuf>,
    /// `[http]`.
    pub http: HttpConfig,
    /// `[database]`.
    pub database: DatabaseConfig,
    /// `[calendar]`.
    pub calendar: CalendarConfig,
    /// `[credentials]`: credential name → file holding the secret.
    pub credentials: BTreeMap<String, PathBuf>,
    /// `[notify.email]` and `[notify.telegram]`: where notifications go.
    pub notify: NotifyConfig,
    /// `[pings]`: job → dead-man's-switch URL (healthchecks style).
    pub pings: BTreeMap<String, String>,
    /// `[metrics]`: where each run's Prometheus metrics go.
    pub metrics: MetricsConfig,
    /// `[backups]`: where the database backups are.
    pub backups: BackupsConfig,
    /// `[api]`: the HTTP API and status page.
    pub api: ApiConfig,
    /// `[providers.upstox]` and `[providers.yahoo]`: the market-data providers every job shares.
    pub providers: ProvidersConfig,
    /// `[requests]`: runs asked for on demand.
    pub requests: RequestsConfig,
    /// `[jobs.<this job>]`.
    pub job: J,
    /// `[jobs.<this job>] deadline_secs`, when set: see [`Config::deadline_secs`].
    pub deadline: Option<f64>,
    /// Old keys that still worked, each with the key that replaces it: the harness warns.
    pub deprecated: Vec<String>,
}

/// `[database]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// How long a writer waits for another process's lock before giving up.
    pub busy_timeout_secs: f64,
}

impl DatabaseConfig {
    fn validate(&self) -> Result<(), String> {
        check(
            "[database] busy_timeout_secs",
            self.busy_timeout_secs,
            0.0,
            3600.0,
        )
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            busy_timeout_secs: 30.0,
        }
    }
}

/// `[calendar]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CalendarConfig {
    /// NSE's holiday list in the `holiday-master` JSON format; the copy built into the
    /// binary serves when the file is absent.
    pub holidays_file: PathBuf,
}

impl Default for CalendarConfig {
    fn default() -> Self {
        CalendarConfig {
            holidays_file: PathBuf::from("/usr/share/upstox-jobs/nse-holidays.json"),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLayout {
    data_dir: Option<PathBuf>,
    #[serde(default)]
    http: HttpConfig,
    #[serde(default)]
    database: DatabaseConfig,
    #[serde(default)]
    calendar: CalendarConfig,
    #[serde(default)]
    credentials: BTreeMap<String, PathBuf>,
    #[serde(default)]
    notify: NotifyConfig,
    #[serde(default)]
    pings: BTreeMap<String, String>,
    #[serde(default)]
    metrics: MetricsConfig,
    #[serde(default)]
    backups: BackupsConfig,
    #[serde(default)]
    api: ApiConfig,
    #[serde(default)]
    providers: FileProviders,
    #[serde(default)]
    requests: RequestsConfig,
    #[serde(default)]
    jobs: BTreeMap<String, toml::Table>,
}

/// `[providers]` as written: a table left out takes its defaults.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileProviders {
    upstox: Option<UpstoxConfig>,
    yahoo: Option<YahooConfig>,
}

/// The provider tables that lived under market-sync's and alert-scan's own before
/// `[providers]`: still read, for one more release, with a warning.
const LEGACY_PROVIDER_TABLES: [&str; 2] = ["upstox", "yahoo"];

/// Which file to read: one the user named must exist; the default one may be absent.
#[derive(Debug, Clone)]
pub enum ConfigPath {
    /// Named by `--config` or `UPSTOX_JOBS_CONFIG`.
    Explicit(PathBuf),
    /// [`DEFAULT_PATH`] (or a test's stand-in for it).
    Default(PathBuf),
}

impl ConfigPath {
    /// The file `--config` (or `UPSTOX_JOBS_CONFIG`) names, else [`DEFAULT_PATH`].
    pub fn from_flag(flag: Option<&Path>) -> Self {
        match flag {
            Some(path) => ConfigPath::Explicit(path.to_path_buf()),
            None => ConfigPath::Default(PathBuf::from(DEFAULT_PATH)),
        }
    }
}

/// The most a configuration file may hold; the shipped one, every section commented, is about
/// 20 KiB.
const CONFIG_MAX_BYTES: u64 = 1024 * 1024;

/// Reads the configuration of job `job` (a name in [`crate::schedule::CATALOGUE`]).
pub fn load<J: DeserializeOwned + Default>(
    path: &ConfigPath,
    job: &str,
) -> Result<Config<J>, ConfigError> {
    let (file, explicit) = match path {
        ConfigPath::Explicit(p) => (p, true),
        ConfigPath::Default(p) => (p, false),
    };
    let text = match crate::files::read_text_bounded(file, CONFIG_MAX_BYTES) {
        Ok(text) => text,
        Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
            return Ok(Config::defaults());
        }
        Err(ReadError::TooLarge { .. }) => {
            return Err(ConfigError::new(
                file,
                format!(
                    "the configuration file is larger than {} KiB: not a configuration; check the path given with --config or UPSTOX_JOBS_CONFIG",
                    CONFIG_MAX_BYTES >> 10
                ),
            ));
        }
        Err(ReadError::Io(e)) => {
            return Err(ConfigError::new(
                file,
                format!(
                    "cannot read the configuration file: {e}; check the path given with --config or UPSTOX_JOBS_CONFIG"
                ),
            ));
        }
    };
    parse(&text, file, job)
}

/// Parses configuration text; `file` is only used in error messages.
pub fn parse<J: DeserializeOwned + Default>(
    text: &str,
    file: &Path,
    job: &str,
) -> Result<Config<J>, ConfigError> {
    let layout: FileLayout =
        toml::from_str(text).map_err(|e| ConfigError::new(file, position::describe(&e, text)))?;
    layout
        .http
        .validate()
        .and(layout.database.validate())
        .and(layout.backups.validate())
        .and(layout.api.validate())
        .and(layout.requests.validate())
        .map_err(|e| ConfigError::new(file, e))?;
    for (name, url) in &layout.pings {
        if !schedule::names().contains(&name.as_str()) {
            return Err(ConfigError::new(
                file,
                format!(
                    "[pings] `{name}` is not a job; the jobs are: {}",
                    schedule::names().join(", ")
                ),
            ));
        }
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(ConfigError::new(
                file,
                format!("[pings] {name} = \"{url}\" is not an http(s) URL"),
            ));
        }
    }
    if let Some(email) = &layout.notify.email {
        if email.to.is_empty() {
            return Err(ConfigError::new(
                file,
                "[notify.email] to is empty: name at least one recipient",
            ));
        }
        if email.port == Some(0) {
            return Err(ConfigError::new(
                file,
                "[notify.email] port = 0 is out of range: use the SMTP server's port, 1 to 65535",
            ));
        }
    }
    let mut job_config = None;
    let mut deadline = None;
    let mut providers = layout.providers;
    let mut deprecated = Vec::new();
    let mut legacy = Vec::new();
    for (name, mut table) in layout.jobs {
        if !schedule::names().contains(&name.as_str()) {
            return Err(ConfigError::new(
                file,
                format!(
                    "unknown table [jobs.{name}]; the jobs are: {}",
                    schedule::names().join(", ")
                ),
            ));
        }
        if name == job {
            // Every job has it, so the harness reads it, not the job's own table.
            if let Some(value) = table.remove("deadline_secs") {
                let key = format!("[jobs.{name}] deadline_secs");
                let secs = value
                    .as_float()
                    .or_else(|| value.as_integer().map(|n| n as f64))
                    .unwrap_or(f64::NAN);
                check(&key, secs, 1.0, 86_400.0).map_err(|e| {
                    ConfigError::new(
                        file,
                        format!("{e}; keep it below the unit's TimeoutStartSec, with a margin"),
                    )
                })?;
                deadline = Some(secs);
            }
            for provider in LEGACY_PROVIDER_TABLES {
                if table.remove(provider).is_none() {
                    continue;
                }
                let old_key = format!("[jobs.{name}.{provider}]");
                let set = match provider {
                    "upstox" => providers.upstox.is_some(),
                    _ => providers.yahoo.is_some(),
                };
                if set {
                    return Err(ConfigError::new(
                        file,
                        format!(
                            "{old_key} and [providers.{provider}] are both set; [providers.{provider}] \
                             replaces the old table: merge it there and remove {old_key}"
                        ),
                    ));
                }
                let bad = |e| ConfigError::new(file, e);
                let path = ["jobs", name.as_str(), provider];
                match provider {
                    "upstox" => providers.upstox = table_at(text, &path, &[]).map_err(bad)?,
                    _ => providers.yahoo = table_at(text, &path, &[]).map_err(bad)?,
                }
                legacy.push((provider, old_key.clone()));
                deprecated.push(format!(
                    "{}: {old_key} is deprecated and stops working in the next release; \
                     rename it to [providers.{provider}], one table for every job",
                    file.display()
                ));
            }
            let [upstox, yahoo] = LEGACY_PROVIDER_TABLES;
            job_config = table_at(text, &["jobs", &name], &[upstox, yahoo, "deadline_secs"])
                .map_err(|e| ConfigError::new(file, e))?;
        }
    }
    let providers = ProvidersConfig {
        upstox: providers.upstox.unwrap_or_default(),
        yahoo: providers.yahoo.unwrap_or_default(),
    };
    providers.validate().map_err(|e| {
        // Name the key the file has: a value from an old table is reported under it.
        let message = legacy.iter().fold(e, |e, (provider, old_key)| {
            e.replace(&format!("[providers.{provider}]"), old_key)
        });
        ConfigError::new(file, message)
    })?;
    Ok(Config {
        file: Some(file.to_path_buf()),
        data_dir: layout.data_dir,
        http: layout.http,
        database: layout.database,
        calendar: layout.calendar,
        credentials: layout.credentials,
        notify: layout.notify,
        pings: layout.pings,
        metrics: layout.metrics,
        backups: layout.backups,
        api: layout.api,
        providers,
        requests: layout.requests,
        job: job_config.unwrap_or_default(),
        deadline,
        deprecated,
    })
}

/// The table at `path` (`["jobs", "market-sync"]`), `None` when absent, read from the text
/// itself rather than from the parsed table so that an error names its line and key like any
/// other. `skip` names keys in it that are not `T`'s (the providers' old tables in a job's).
fn table_at<T: DeserializeOwned>(
    text: &str,
    path: &[&str],
    skip: &[&str],
) -> Result<Option<T>, String> {
    let describe = |e: toml::de::Error| position::describe(&e, text);
    let mut table = toml::de::DeTable::parse(text)
        .map_err(describe)?
        .into_inner();
    let Some((last, parents)) = path.split_last() else {
        return Ok(None);
    };
    for key in parents {
        match table.remove(*key).map(|v| v.into_inner()) {
            Some(toml::de::DeValue::Table(inner)) => table = inner,
            _ => return Ok(None),
        }
    }
    let Some(mut value) = table.remove(*last) else {
        return Ok(None);
    };
    if let toml::de::DeValue::Table(inner) = value.get_mut() {
        for key in skip {
            inner.remove(*key);
        }
    }
    T::deserialize(toml::de::ValueDeserializer::from(value))
        .map(Some)
        .map_err(describe)
}

impl<J: Default> Config<J> {
    /// The built-in defaults, used when the default file is absent.
    pub fn defaults() -> Self {
        Config {
            file: None,
            data_dir: None,
            http: HttpConfig::default(),
            database: DatabaseConfig::default(),
            calendar: CalendarConfig::default(),
            credentials: BTreeMap::new(),
            notify: NotifyConfig::default(),
            pings: BTreeMap::new(),
            metrics: MetricsConfig::default(),
            backups: BackupsConfig::default(),
            api: ApiConfig::default(),
            providers: ProvidersConfig::default(),
            requests: RequestsConfig::default(),
            job: J::default(),
            deadline: None,
            deprecated: Vec::new(),
        }
    }

    /// The time budget of a run of `job`, in seconds: `[jobs.<job>] deadline_secs`, else the
    /// job's default ([`schedule::JobSchedule::deadline`]), below its unit's `TimeoutStartSec`.
    pub fn deadline_secs(&self, job: &str) -> f64 {
        self.deadline.unwrap_or_else(|| {
            // Every job is in the catalogue; a name that is not gets the longest budget allowed.
            schedule::of(job).map_or(86_400.0, |s| s.deadline.num_seconds() as f64)
        })
    }

    /// How the configuration file is named in messages.
    pub fn source(&self) -> String {
        match &self.file {
            Some(path) => path.display().to_string(),
            None => "built-in defaults".to_string(),
        }
    }
}

#[cfg(test)]
mod tests;
