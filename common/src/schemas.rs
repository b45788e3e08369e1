//! The tables common keeps in `market_data.db` for every job, each schema owned by the module
//! whose tables it creates, migrated before any job's own.

use crate::db::Schema;

/// `job_runs` (with `job_requests`), `market_holidays`, `notification_outbox` and `api_requests`, in migration order.
pub const COMMON: [Schema; 4] = [
    crate::runs::SCHEMA,
    crate::calendar::SCHEMA,
    crate::notify::outbox::SCHEMA,
    crate::budget::SCHEMA,
];
