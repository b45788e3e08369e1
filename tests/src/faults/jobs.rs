//! The table of jobs the fault suite runs: for each, how to make its world (the job's own test
//! world, servers and seeded data, from the kit), the tables it writes, the names its errors
//! give its sources, its credential, and the exit codes its documentation allows for a source
//! that misbehaves.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::alert_cases::flat_closes;
use crate::alerts::AlertWorld;
use crate::backups::{BackupWorld, fill};
use crate::binary::Sandbox;
use crate::faults::server::HttpFault;
use crate::news::{NewsWorld, rss};
use crate::performance::{self, Desk};
use crate::run::JobRun;
use crate::server::{FixtureServer, Reply};
use crate::world::{TOKEN, fast_http, provider, upstox_credentials};
use crate::{corporate, nse, sync};

/// A job's test world, whatever its type: the suite needs only its sandbox.
pub trait Held {
    /// The sandbox (configuration, credentials, data directory).
    fn sandbox(&self) -> &Sandbox;
}

impl Held for nse::Setup {
    fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }
}

impl Held for corporate::Setup {
    fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }
}

impl Held for sync::World {
    fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }
}

impl Held for NewsWorld {
    fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }
}

impl Held for AlertWorld {
    fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }
}

impl Held for BackupWorld {
    fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }
}

/// performance-analytics' desk with the loopback Upstox it reads fills from.
struct PerformanceWorld {
    _upstox: FixtureServer,
    desk: Desk,
}

impl Held for PerformanceWorld {
    fn sandbox(&self) -> &Sandbox {
        &self.desk.sandbox
    }
}

/// A job's world, ready for a clean run: its servers, its sandbox and the run's clock and
/// arguments.
pub struct World {
    held: Box<dyn Held>,
    /// The base URL every source of the configuration points at, if the job has sources.
    pub upstream: Option<String>,
    now: Option<DateTime<Utc>>,
    args: Vec<&'static str>,
    bin: &'static str,
}

impl World {
    /// The sandbox.
    pub fn sandbox(&self) -> &Sandbox {
        self.held.sandbox()
    }

    /// The scheduled run, as the timer would start it (at the world's pinned clock).
    pub fn job(&self) -> JobRun<'_> {
        self.sandbox()
            .job(self.bin)
            .at_opt(self.now)
            .args(self.args.iter().copied())
    }

    /// The configuration file's text.
    pub fn config(&self) -> String {
        std::fs::read_to_string(self.sandbox().path().join("config.toml")).expect("config read")
    }
}

/// One row of the table.
pub struct JobSpec {
    /// The job's name, as `job_runs` and the units name it.
    pub job: &'static str,
    /// A fresh world.
    pub world: fn() -> World,
    /// The tables the job writes, compared with a clean run's after a kill (empty: the job
    /// writes files, not tables).
    pub tables: &'static [&'static str],
    /// Words one of which a source error must contain (the source's name or host).
    pub sources: &'static [&'static str],
    /// The credential file the world gives it, in the sandbox directory.
    pub credential: Option<&'static str>,
    /// Whether the job talks to a server the suite can fault.
    pub talks: bool,
    /// For a job with no source to stall: the failpoint (`FAILPOINTS` syntax) that pauses it
    /// in the middle of its work, so that SIGTERM finds it there rather than after its last
    /// unit, where the signal changes nothing (and the run is rightly `succeeded`).
    pub hold: Option<&'static str>,
}

impl JobSpec {
    /// The shipped service unit.
    pub fn unit(&self) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../systemd")
            .join(format!("upstox-{}.service", self.job))
    }

    /// The exit codes the documentation (common/src/exit.rs, DESIGN's harness point 10)
    /// allows when every request of a run meets `fault`: a token refused is a configuration
    /// matter (78) for a source that takes one (Upstox answers 403 to a token without the
    /// permission); a rate limit is temporary (75); anything else
    /// that keeps a source from answering is "unavailable after retries" (69); a body that
    /// arrives but is not the data is bad source data (65). A job of several units whose
    /// units all failed may report that as failed (1), the code for failed units.
    pub fn documented(&self, fault: HttpFault) -> &'static [i32] {
        match fault {
            HttpFault::Unauthorized | HttpFault::Forbidden if self.credential.is_some() => {
                &[78, 69, 1]
            }
            HttpFault::TooMany | HttpFault::TooManyRetryAfter => &[75, 69, 1],
            HttpFault::Html | HttpFault::Truncated => &[65, 69, 1],
            HttpFault::Oversized | HttpFault::Bomb => &[65, 69, 1],
            _ => &[69, 1],
        }
    }
}

/// Every job that talks to the outside, and db-backup (whose offsite copy is a directory, so
/// only its local faults apply).
pub fn table() -> Vec<JobSpec> {
    vec![
        JobSpec {
            job: "nse-index-update",
            world: nse_world,
            tables: &["nse_index_membership", "nse_sector_info"],
            sources: &["127.0.0.1", "nse", "NSE"],
            credential: None,
            talks: true,
            hold: None,
        },
        JobSpec {
            job: "corporate-announcements",
            world: corporate_world,
            tables: &["corporate_announcements", "earnings_calendar"],
            sources: &["127.0.0.1", "NSE", "BSE", "nse", "bse"],
            credential: Some("upstox_token"),
            talks: true,
            hold: None,
        },
        JobSpec {
            job: "market-sync",
            world: market_world,
            tables: &["candles", "instruments", "index_values"],
            sources: &["127.0.0.1", "upstox", "Upstox", "yahoo", "Yahoo"],
            credential: Some("upstox_token"),
            talks: true,
            hold: None,
        },
        JobSpec {
            job: "news-sentiment",
            world: news_world,
            tables: &["news_articles", "sentiment_history"],
            sources: &["127.0.0.1", "NewsAPI", "newsapi", "feed"],
            credential: Some("newsapi_key"),
            talks: true,
            hold: None,
        },
        JobSpec {
            job: "alert-scan",
            world: alert_world,
            tables: &["alert_events"],
            sources: &["127.0.0.1", "upstox", "Upstox"],
            credential: Some("upstox_token"),
            talks: true,
            hold: None,
        },
        JobSpec {
            job: "performance-analytics",
            world: performance_world,
            tables: &["daily_performance", "risk_metrics", "strategy_performance"],
            sources: &["127.0.0.1", "upstox", "Upstox"],
            credential: Some("upstox_token"),
            talks: true,
            hold: None,
        },
        JobSpec {
            job: "db-backup",
            world: backup_world,
            tables: &[],
            sources: &[],
            credential: None,
            talks: false,
            hold: Some("db-backup::compressing=sleep(2000)"),
        },
    ]
}

fn nse_world() -> World {
    let setup = nse::setup();
    let upstream = Some(setup.server.url().to_string());
    World {
        held: Box::new(setup),
        upstream,
        // Pinned: the rows are dated by the run's day, and the suite's minute may cross
        // midnight in India (18:30 UTC), after which every run would differ from the clean one.
        now: Some(crate::run::Moment::instant("2026-12-04 19:00 IST")),
        args: vec![],
        bin: nse::BIN,
    }
}

fn corporate_world() -> World {
    let setup = corporate::setup();
    let upstream = Some(setup.server.url().to_string());
    World {
        held: Box::new(setup),
        upstream,
        now: Some(crate::run::Moment::instant(corporate::NOW)),
        args: vec![],
        bin: corporate::BIN,
    }
}

fn market_world() -> World {
    let world = sync::World::new();
    let (upstream, now) = (Some(world.server.url().to_string()), Some(world.now));
    World {
        held: Box::new(world),
        upstream,
        now,
        args: vec![],
        bin: sync::BIN,
    }
}

fn news_world() -> World {
    let world = NewsWorld::start(&["et", "mc"], true, "");
    let story = |n: u32| {
        (
            format!("Infosys shares rise {n}% after results beat estimates"),
            format!("https://news.example/infosys-{n}"),
        )
    };
    let items: Vec<(String, String)> = (1..=5).map(story).collect();
    let rows: Vec<(&str, &str, &str, &str)> = items
        .iter()
        .map(|(t, l)| {
            (
                t.as_str(),
                l.as_str(),
                "Tue, 03 Feb 2026 09:54:00 +0530",
                "Markets.",
            )
        })
        .collect();
    world.server.set_feed("et", rss(&rows[..3]));
    world.server.set_feed("mc", rss(&rows[2..]));
    let upstream = Some(world.server.url().to_string());
    World {
        held: Box::new(world),
        upstream,
        now: Some(crate::run::Moment::instant("2026-02-03 12:00 IST")),
        args: vec![],
        bin: crate::news::BIN,
    }
}

fn alert_world() -> World {
    let world = AlertWorld::new();
    world.day_candles("RELIANCE", &flat_closes(60));
    world.add_rule("RELIANCE", "price-above", &["level=2500"], &[]);
    world.price("RELIANCE", 2512.25);
    let (upstream, now) = (Some(world.server.url().to_string()), Some(world.now));
    World {
        held: Box::new(world),
        upstream,
        now,
        args: vec![],
        bin: crate::alerts::BIN,
    }
}

fn performance_world() -> World {
    let upstox = FixtureServer::start(&std::env::temp_dir(), 0).expect("a loopback port");
    upstox.script(
        "v2/order/trades/get-trades-for-day",
        vec![Reply::Body(
            br#"{"status":"success","data":[{"exchange":"NSE","product":"D","trading_symbol":"INFY-EQ","tradingsymbol":"INFY-EQ","instrument_token":"NSE_EQ|INE009A01021","order_type":"MARKET","transaction_type":"BUY","quantity":10,"exchange_order_id":"1501","order_id":"2501","exchange_timestamp":"27-Nov-2026 10:00:00","average_price":1540.0,"trade_id":"501","order_ref_id":"udapi-x","order_timestamp":"27-Nov-2026 10:00:00"}]}"#.to_vec(),
        )],
    );
    let desk = Desk::default();
    let config = performance::config("").replace(
        "[jobs.performance-analytics]",
        &format!(
            "{}{}\n{}\n[jobs.performance-analytics]",
            fast_http(1, 0.1),
            upstox_credentials(desk.sandbox.path()),
            provider("providers.upstox", upstox.url(), "")
        ),
    );
    desk.sandbox.write_config(&config);
    std::fs::write(
        desk.sandbox.path().join("upstox_token"),
        format!("{TOKEN}\n"),
    )
    .expect("token");
    desk.two_weeks();
    let upstream = Some(upstox.url().to_string());
    World {
        held: Box::new(PerformanceWorld {
            _upstox: upstox,
            desk,
        }),
        upstream,
        now: Some(crate::sync::ist(crate::sync::nov(27), 17, 0)),
        args: vec![],
        bin: performance::BIN,
    }
}

fn backup_world() -> World {
    let world = BackupWorld::new("");
    fill(&world.desk(), 2_000, 100);
    World {
        held: Box::new(world),
        upstream: None,
        now: None,
        args: vec![],
        bin: crate::backups::BIN,
    }
}
