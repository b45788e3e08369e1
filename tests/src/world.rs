//! What the test worlds of the jobs share: the configuration pieces every job's file repeats,
//! and [`MarketWorld`], the synthetic market on loopback with a sandbox pointed at it and a
//! valid Upstox token, for the jobs that read prices. A new job's world is its own
//! configuration section plus a call of [`MarketWorld::start`] (see `sync.rs`, `alerts.rs`).

use std::path::Path;

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use crate::binary::Sandbox;
use crate::market::{Market, MarketServer};
use crate::run::{JobRun, Ran};

/// The token the sandbox's credential file holds and the server requires.
pub const TOKEN: &str = "test-access-token";

/// `[http]` for a loopback server: no request pacing to speak of, `retries` retries 10 ms
/// apart growing to `backoff_max_secs`, 2-second timeouts (so a delayed reply times out).
pub fn fast_http(retries: u32, backoff_max_secs: f64) -> String {
    format!(
        "[http]\nrequests_per_second = 10000\nretries = {retries}\nbackoff_initial_ms = 10\n\
         backoff_max_secs = {backoff_max_secs}\ntimeout_secs = 2\nconnect_timeout_secs = 2\n"
    )
}

/// `[credentials]` naming the Upstox token file of the sandbox in `dir`.
pub fn upstox_credentials(dir: &Path) -> String {
    format!(
        "[credentials]\nupstox_token = \"{}\"\n",
        dir.join("upstox_token").display()
    )
}

/// `[notify.email]` to desk@desk.example through an SMTP server on 127.0.0.1:`port`, unencrypted.
pub fn email(port: u16, from: &str) -> String {
    format!(
        "[notify.email]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\n\
         from = \"{from}\"\nto = [\"desk@desk.example\"]\n"
    )
}

/// `[<section>]` pointing a provider (Upstox or Yahoo) at `url`, with limits it never reaches.
pub fn provider(section: &str, url: &str, extra: &str) -> String {
    format!(
        "[{section}]\nbase_url = \"{url}\"\n{extra}limits = [{{ requests = 10000, per_secs = 1.0 }}]\n"
    )
}

/// A free TCP port on 127.0.0.1 (free when asked; nothing holds it afterwards).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A market server, a sandbox configured for it with a valid token, the binary under test and
/// the market clock of its next run (the server's "now" too).
pub struct MarketWorld {
    /// The server.
    pub server: MarketServer,
    /// The sandbox (config, token file, data directory).
    pub sandbox: Sandbox,
    /// The pinned market time of the next run.
    pub now: DateTime<Utc>,
    bin: &'static str,
}

impl MarketWorld {
    /// Serves `market` requiring [`TOKEN`], writes the token file and the configuration
    /// `config(server url, sandbox dir)`, and sets the clock to `now`.
    pub fn start(
        bin: &'static str,
        market: Market,
        now: DateTime<Utc>,
        config: impl FnOnce(&str, &Path) -> String,
    ) -> Self {
        let server = MarketServer::start(market).expect("the market server starts");
        server.require_token(TOKEN);
        let sandbox = Sandbox::new("");
        sandbox.write_config(&config(server.url(), sandbox.path()));
        std::fs::write(sandbox.path().join("upstox_token"), format!("{TOKEN}\n")).expect("token");
        let mut world = MarketWorld {
            server,
            sandbox,
            now,
            bin,
        };
        world.set_now(now);
        world
    }

    /// Moves the clock of the binary and the server.
    pub fn set_now(&mut self, now: DateTime<Utc>) {
        self.now = now;
        self.server.set_now(now);
    }

    /// A run of the binary at the pinned time, to add arguments and expectations to.
    pub fn job(&self) -> JobRun<'_> {
        self.sandbox.job(self.bin).at(self.now)
    }

    /// Runs to the end.
    pub fn run(&self, args: &[&str]) -> Ran<'_> {
        self.job().args(args).run()
    }

    /// Runs and expects exit 0.
    pub fn run_ok(&self, args: &[&str]) -> Ran<'_> {
        self.run(args).ok()
    }

    /// The database.
    pub fn db(&self) -> Connection {
        self.sandbox.db()
    }

    /// The paths (with query) of the requests received so far that start with `prefix`.
    pub fn paths(&self, prefix: &str) -> Vec<String> {
        self.server
            .requests()
            .into_iter()
            .map(|r| r.path)
            .filter(|p| p.starts_with(prefix))
            .collect()
    }

    /// Takes the Upstox token away (file and configuration), as on a desk without an account.
    pub fn without_token(&self) {
        std::fs::remove_file(self.sandbox.path().join("upstox_token")).expect("token removed");
        let config = self.sandbox.path().join("config.toml");
        let text = std::fs::read_to_string(config).expect("config read");
        self.sandbox
            .write_config(&text.replace("upstox_token = ", "# upstox_token = "));
    }
}
