//! upstox-nse-index-update: NSE index constituents, membership history and sectors.
//!
//! - [`cli`]: the command line
//! - [`index`]: index names, NSE's file for each, plausible sizes
//! - [`security`]: `Symbol`, `Isin` (check digit verified), `Series`
//! - [`constituents`]: the constituent CSV, parsed and validated whole
//! - [`membership`]: who joins, leaves, is renamed or re-issued
//! - [`store`]: the tables, one transaction per index
//! - [`job`]: the run, through the common harness
//! - [`show`]: the stored membership, for people

pub mod cli;
pub mod constituents;
pub mod index;
pub mod job;
pub mod membership;
pub mod security;
pub mod show;
pub mod store;

pub use cli::{Cli, Command};
