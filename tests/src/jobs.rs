//! Everything the kit takes from the job crates (`bins/*`), in one place, so that when their
//! code moves (market data into `common::market`) only these lines change.

/// market-sync's tables (`candles`, `instruments`, `quotes`, …), for worlds that fill
/// `market_data.db` as market-sync would leave it.
pub use market_sync::store::SCHEMA as MARKET_SCHEMA;

/// The ISIN check digit of a 11-character body, for synthetic ISINs NSE would accept.
pub use nse_index_update::security::check_digit as isin_check_digit;
