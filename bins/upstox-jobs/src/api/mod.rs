//! `upstox-jobs api`: the HTTP API and the status page, started by systemd on the first
//! connection to `upstox-jobs-api.socket` and gone again after `[api] idle_secs` without one.
//!
//! - [`server`]: the socket (systemd's or `--listen`), the connection threads, the idle exit
//! - [`http`]: one HTTP/1.1 exchange, read within bounds
//! - [`auth`]: the bearer token
//! - [`routes`]: the route table and what each route answers
//! - [`requests`]: asking for a run, following it, cancelling it
//! - [`jobs`]: every job's last run, next run and overdue flag, as `upstox-jobs status` has them
//! - [`freshness`]: the newest candle, announcement, article and backup
//! - [`metrics`]: the jobs' Prometheus metrics, as one exposition
//! - [`page`]: the status page
//! - [`openapi`]: the OpenAPI document of the routes

pub mod auth;
pub mod freshness;
pub mod http;
pub mod jobs;
pub mod metrics;
pub mod openapi;
pub mod page;
pub mod requests;
pub mod routes;
pub mod server;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use common::Exit;
use common::calendar::TradingCalendar;
use common::config::{ApiConfig, Config, MetricsTarget};
use common::credentials::Secret;
use common::requests::Requests;
use rusqlite::Connection;
use serde::de::IgnoredAny;

/// What every route has at hand.
pub struct Api {
    /// `[api]`.
    pub config: ApiConfig,
    /// `market_data.db`.
    pub db: PathBuf,
    /// How long a read waits for a writer.
    pub busy: Duration,
    /// The trading calendar of the configured holidays file (the database's list is added
    /// per request: a job may have refreshed it since).
    pub calendar: TradingCalendar,
    /// Where the backups are.
    pub backups: PathBuf,
    /// Where the jobs write their metrics.
    pub metrics: MetricsTarget,
    /// The bearer token, if one is configured.
    pub token: Option<Secret>,
    /// Where requests go and how they are checked.
    pub requests: Requests,
}

impl Api {
    /// The database read-only, `None` before any job created it.
    pub fn read(&self) -> anyhow::Result<Option<Connection>> {
        Ok(common::db::open_read_only(&self.db, self.busy, &[])?)
    }
}

/// Serves until idle: `listen` binds an address, else systemd's socket is used.
pub fn run(
    config: &Config<IgnoredAny>,
    db: PathBuf,
    data_dir: PathBuf,
    listen: Option<SocketAddr>,
) -> anyhow::Result<Exit> {
    let (listener, source) = server::listener(listen)?;
    let token = common::credentials::load(
        auth::CREDENTIAL,
        common::credentials::systemd_directory().as_deref(),
        &config.credentials,
    )
    .map_err(|e| common::harness::Fatal::new(Exit::Config, e.to_string()))?;
    if token.is_none() {
        eprintln!(
            "upstox-jobs api: no credential {} (see /etc/upstox-jobs/{0}): every route but the public ones answers 401",
            auth::CREDENTIAL
        );
    }
    let api = Api {
        config: config.api.clone(),
        db,
        busy: Duration::from_secs_f64(config.database.busy_timeout_secs),
        calendar: TradingCalendar::load(&config.calendar.holidays_file)?,
        backups: config.backups.dir(&data_dir),
        metrics: config
            .metrics
            .target(std::path::Path::new(common::config::COLLECTOR_DIR)),
        token,
        requests: Requests::new(config, &data_dir),
    };
    eprintln!(
        "upstox-jobs api: serving on {}; exits after {} s without a request",
        server::describe(&listener, source),
        api.config.idle_secs
    );
    server::serve(listener, api)?;
    eprintln!("upstox-jobs api: idle: exiting");
    Ok(Exit::Success)
}
