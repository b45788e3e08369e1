//! Everything the kit takes from the job crates (`bins/*`), in one place.

use common::db::Schema;
use common::harness::Job;

/// The tables market-sync leaves in `market_data.db` (common's `candles`, `instruments`,
/// `quotes`…, then its own), for worlds that fill it as market-sync would.
pub const MARKET_SYNC_SCHEMAS: &[Schema] = <market_sync::job::MarketSync as Job>::SCHEMAS;

/// The ISIN check digit of a 11-character body, for synthetic ISINs NSE would accept.
pub use nse_index_update::security::check_digit as isin_check_digit;
