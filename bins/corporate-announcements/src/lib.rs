//! upstox-corporate-announcements: NSE and BSE corporate actions, announcements and results
//! calendar, typed and stored; watched symbols notified; the exchange calendar kept current.
//!
//! - [`cli`]: the command line
//! - [`config`]: the `[jobs.corporate-announcements]` table
//! - [`source`]: the six sources, their URLs and names
//! - [`fetch`]: a source's answer: NSE's session, BSE's pages, Upstox's budget, saved files
//! - [`body`]: a source's answer read as JSON rows, HTML and renamed fields refused
//! - [`sources`]: each exchange's answers read into typed records
//! - [`money`]: amounts as the exchanges write them, held exactly
//! - [`subject`]: the free-text subject read into typed actions
//! - [`record`]: announcements' actions and results dates, typed
//! - [`store`]: the tables, revisions kept, BSE scrips mapped to NSE
//! - [`notice`]: notifications for watched symbols, in a trader's words
//! - [`holidays`]: NSE's and Upstox's holiday lists, checked, for `market_holidays`
//! - [`job`]: the run, through the common harness
//! - [`show`]: what is stored, for people

pub mod body;
pub mod cli;
pub mod config;
pub mod fetch;
pub mod holidays;
pub mod job;
pub mod money;
pub mod notice;
pub mod record;
pub mod show;
pub mod source;
pub mod sources;
pub mod store;
pub mod subject;

pub use cli::{Cli, Command};
