//! `[requests]`: which jobs and flags may be asked for on demand, and how the dispatcher runs
//! them (concurrency, maximum run time, lock wait, retention, spool directory).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::http::check;
use crate::schedule;

/// Where programs in group `upstox` drop request files, unless configured.
pub const DEFAULT_SPOOL_DIR: &str = "/var/spool/upstox-jobs/requests";

/// `[requests]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RequestsConfig {
    /// The spool directory: `*.json` files dropped here become requests.
    pub spool_dir: PathBuf,
    /// The jobs that may be asked for on demand.
    pub jobs: Vec<String>,
    /// How many requested runs the dispatcher runs at once.
    pub concurrency: u32,
    /// Seconds a requested run may take before it is stopped (SIGTERM, then SIGKILL).
    pub max_run_secs: f64,
    /// Seconds between SIGTERM and SIGKILL for a run stopped by the dispatcher.
    pub stop_grace_secs: f64,
    /// Seconds a request waits for its job's lock (a timer's run holds it) before it fails.
    pub lock_wait_secs: f64,
    /// Days a finished request is kept before db-maintenance purges it.
    pub retention_days: u32,
    /// `[requests.job.<job>]`: per-job flags allowed and maximum run time.
    pub job: BTreeMap<String, OnDemand>,
}

/// `[requests.job.<job>]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OnDemand {
    /// The flags a request may give (`--symbols`); unset: every flag of the job but those
    /// that are never allowed on demand.
    pub flags: Option<Vec<String>>,
    /// This job's maximum run time in seconds, instead of `[requests] max_run_secs`.
    pub max_run_secs: Option<f64>,
}

impl Default for RequestsConfig {
    fn default() -> Self {
        RequestsConfig {
            spool_dir: PathBuf::from(DEFAULT_SPOOL_DIR),
            jobs: schedule::names().into_iter().map(String::from).collect(),
            concurrency: 1,
            max_run_secs: 3600.0,
            stop_grace_secs: 30.0,
            lock_wait_secs: 600.0,
            retention_days: 7,
            job: BTreeMap::new(),
        }
    }
}

impl RequestsConfig {
    /// Whether `job` may be asked for on demand.
    pub fn allows(&self, job: &str) -> bool {
        self.jobs.iter().any(|j| j == job)
    }

    /// The flags `job` may be given on demand, when the configuration lists them.
    pub fn flags(&self, job: &str) -> Option<&[String]> {
        self.job.get(job).and_then(|j| j.flags.as_deref())
    }

    /// How long a requested run of `job` may take.
    pub fn max_run(&self, job: &str) -> Duration {
        let secs = self
            .job
            .get(job)
            .and_then(|j| j.max_run_secs)
            .unwrap_or(self.max_run_secs);
        Duration::from_secs_f64(secs)
    }

    /// How long a stopped run has between SIGTERM and SIGKILL.
    pub fn stop_grace(&self) -> Duration {
        Duration::from_secs_f64(self.stop_grace_secs)
    }

    /// How long a request waits for its job's lock.
    pub fn lock_wait(&self) -> Duration {
        Duration::from_secs_f64(self.lock_wait_secs)
    }

    pub(super) fn validate(&self) -> Result<(), String> {
        let names = schedule::names();
        let unknown = |what: &str, name: &str| {
            format!(
                "{what} `{name}` is not a job; the jobs are: {}",
                names.join(", ")
            )
        };
        for job in &self.jobs {
            if !names.contains(&job.as_str()) {
                return Err(unknown("[requests] jobs lists", job));
            }
        }
        if self.spool_dir.as_os_str().is_empty() || self.spool_dir.is_relative() {
            return Err(format!(
                "[requests] spool_dir = \"{}\" is not an absolute path: give one such as \"{DEFAULT_SPOOL_DIR}\"",
                self.spool_dir.display()
            ));
        }
        check(
            "[requests] concurrency",
            f64::from(self.concurrency),
            1.0,
            16.0,
        )?;
        check("[requests] max_run_secs", self.max_run_secs, 1.0, 86_400.0)?;
        check(
            "[requests] stop_grace_secs",
            self.stop_grace_secs,
            0.0,
            600.0,
        )?;
        check(
            "[requests] lock_wait_secs",
            self.lock_wait_secs,
            0.0,
            86_400.0,
        )?;
        check(
            "[requests] retention_days",
            f64::from(self.retention_days),
            1.0,
            3650.0,
        )?;
        for (name, on_demand) in &self.job {
            if !names.contains(&name.as_str()) {
                return Err(unknown("[requests.job]", name));
            }
            if let Some(secs) = on_demand.max_run_secs {
                check(
                    &format!("[requests.job.{name}] max_run_secs"),
                    secs,
                    1.0,
                    86_400.0,
                )?;
            }
            for flag in on_demand.flags.iter().flatten() {
                if !flag.starts_with('-') || flag.contains('=') {
                    return Err(format!(
                        "[requests.job.{name}] flags lists \"{flag}\": give flags as the job spells them, such as \"--symbols\""
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_allow_every_job_and_a_bad_value_names_its_key() {
        let defaults = RequestsConfig::default();
        assert!(defaults.validate().is_ok());
        assert!(defaults.allows("market-sync") && defaults.allows("db-maintenance"));
        assert_eq!(defaults.max_run("market-sync"), Duration::from_secs(3600));
        let mut per_job = defaults.clone();
        per_job.job.insert(
            "market-sync".into(),
            OnDemand {
                flags: Some(vec!["--symbols".into()]),
                max_run_secs: Some(5.0),
            },
        );
        assert_eq!(per_job.max_run("market-sync"), Duration::from_secs(5));
        assert_eq!(
            per_job.flags("market-sync"),
            Some(&["--symbols".into()][..])
        );
        assert_eq!(per_job.flags("db-backup"), None);
        let bad = |edit: fn(&mut RequestsConfig)| {
            let mut c = RequestsConfig::default();
            edit(&mut c);
            c.validate().unwrap_err()
        };
        assert!(bad(|c| c.jobs.push("sync".into())).contains("`sync` is not a job"));
        assert!(bad(|c| c.concurrency = 0).starts_with("[requests] concurrency"));
        assert!(bad(|c| c.spool_dir = "spool".into()).contains("not an absolute path"));
        assert!(
            bad(|c| {
                c.job.insert(
                    "db-backup".into(),
                    OnDemand {
                        flags: Some(vec!["symbols".into()]),
                        max_run_secs: None,
                    },
                );
            })
            .contains("[requests.job.db-backup] flags")
        );
    }
}
