//! The market time a run works for.

use chrono::{DateTime, Utc};

/// The market time a run works for: `started`, or in builds with the `pinned-clock` feature
/// (the whole-binary tests; never a shipped build) the RFC 3339 time in `$UPSTOX_JOBS_NOW`,
/// so a test can be a Friday 15:45 IST run whenever it runs.
pub fn market_now(started: DateTime<Utc>) -> DateTime<Utc> {
    #[cfg(feature = "pinned-clock")]
    if let Some(pinned) = std::env::var("UPSTOX_JOBS_NOW")
        .ok()
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
    {
        return pinned.with_timezone(&Utc);
    }
    started
}
