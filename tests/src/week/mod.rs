//! The simulated trading week (issue 18): every elapse of the shipped timers over a week, in
//! order, each job run as its timer would start it against loopback sources, with what a week
//! must show checked along the way (`tests/tests/trading_week.rs`).
//!
//! - [`timeline`]: when the shipped timers fire, as systemd computes it, with a night the
//!   machine was off
//! - [`world`]: the desk (one sandbox for every job) and its sources, and runs at a moment
//! - [`ledger`]: what the week left: notifications, backups, the database's size by day

pub mod ledger;
pub mod timeline;
pub mod world;

pub use timeline::{Elapse, Timer, shipped_timers, timeline};
pub use world::{Desk, FAKETIME, Special, WATCHED};
