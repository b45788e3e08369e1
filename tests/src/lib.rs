//! What the whole-binary tests share: a loopback HTTP server that serves the sources' real
//! formats (and misbehaves on request), and a runner for the built binaries.

pub mod alert_cases;
pub mod alerts;
pub mod api;
pub mod backups;
pub mod binary;
pub mod corporate;
pub mod deb;
pub mod demo;
pub mod faults;
pub mod gzip;
pub mod jobs;
pub mod maintenance;
pub mod market;
pub mod namespace;
pub mod news;
pub mod nse;
pub mod performance;
pub mod probe;
pub mod promtool;
pub mod requests;
pub mod run;
pub mod server;
pub mod smtp;
pub mod sync;
pub mod week;
pub mod world;

pub use binary::{Outcome, Sandbox};
pub use market::{Fault, Market, MarketServer};
pub use run::{JobRun, Ran, Row};
pub use server::{FixtureServer, Reply};
pub use smtp::{SmtpServer, SmtpTls, test_ca};
