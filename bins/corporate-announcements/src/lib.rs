//! upstox-corporate-announcements: NSE and BSE corporate actions, announcements and results
//! calendar, typed; the exchange's holiday calendar kept current.
//!
//! - [`money`]: amounts as the exchanges write them, held exactly
//! - [`subject`]: the free-text subject read into typed actions

pub mod body;
pub mod money;
pub mod record;
pub mod source;
pub mod sources;
pub mod subject;
