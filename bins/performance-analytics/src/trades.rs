//! The `trades` table of `upstox.db`, the trading application's database: its schema (which
//! the application and `import-trades` migrate the way the jobs migrate theirs), the rows
//! written by `import-trades`, and what the run reads. The run only reads this file.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use common::db::{self, DbError, Schema};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use rust_decimal::Decimal;

use crate::trade::{Product, Side, Trade};

/// `trades`, one row per fill, keyed by (exchange, trade_id) as the exchange numbers fills.
/// Prices and charges are decimal text (exact, as on the contract note); `traded_at` is UTC,
/// ISO-8601 with a `Z`; `strategy` is the application's tag ('' untagged); `source` says who
/// wrote the row (`app`, `import:<file name>`, `upstox-api`).
pub const SCHEMA: Schema = Schema {
    component: "trades",
    migrations: &["CREATE TABLE IF NOT EXISTS trades (
            exchange TEXT NOT NULL,
            trade_id TEXT NOT NULL,
            order_id TEXT,
            symbol TEXT NOT NULL,
            instrument_key TEXT,
            side TEXT NOT NULL CHECK (side = 'BUY' OR side = 'SELL'),
            quantity INTEGER NOT NULL CHECK (quantity > 0),
            price TEXT NOT NULL,
            charges TEXT,
            traded_at TEXT NOT NULL,
            product TEXT NOT NULL DEFAULT 'D' CHECK (product = 'D' OR product = 'I'),
            strategy TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL DEFAULT 'app',
            PRIMARY KEY (exchange, trade_id)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS trades_by_time ON trades (traded_at);"],
    adopted: None,
};

/// Why the run has no trades to read.
#[derive(Debug, thiserror::Error)]
pub enum Unreadable {
    /// No `upstox.db` at all.
    #[error(
        "no trades database at {0}: the trading application writes it; or load a broker trade book with `upstox-performance-analytics import-trades FILE.csv`"
    )]
    NoDatabase(PathBuf),
    /// The file has no `trades` table.
    #[error(
        "{0} has no trades table: the trading application has not recorded a trade yet; or load a broker trade book with `upstox-performance-analytics import-trades FILE.csv`"
    )]
    NoTable(PathBuf),
    /// SQLite could not open or read it.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Opens `path` to read the trades: never creates, never migrates.
pub fn open_for_reading(path: &Path, busy: Duration) -> Result<Connection, Unreadable> {
    let conn = db::open_read_only(path, busy, &[])?
        .ok_or_else(|| Unreadable::NoDatabase(path.to_path_buf()))?;
    let has_table = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'trades'",
            [],
            |_| Ok(()),
        )
        .optional()
        .map_err(|error| DbError::Sqlite {
            path: path.to_path_buf(),
            error,
        })?
        .is_some();
    if has_table {
        Ok(conn)
    } else {
        Err(Unreadable::NoTable(path.to_path_buf()))
    }
}

/// Opens (creating and migrating) `path` to add trades: `import-trades` only.
pub fn open_for_writing(path: &Path, busy: Duration) -> Result<Connection, DbError> {
    db::open(path, busy, &[SCHEMA])
}

/// `traded_at` as stored.
pub fn stored_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Inserts `trades` whose (exchange, trade_id) is not stored yet; returns how many were new.
/// A trade already stored is left as it is: importing a file twice changes nothing.
pub fn insert(tx: &Transaction, trades: &[Trade], source: &str) -> rusqlite::Result<u64> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO trades (exchange, trade_id, order_id, symbol, instrument_key, side, quantity,
                             price, charges, traded_at, product, strategy, source)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (exchange, trade_id) DO NOTHING",
    )?;
    let mut added = 0;
    for t in trades {
        added += stmt.execute(params![
            t.exchange,
            t.trade_id,
            t.order_id,
            t.symbol,
            t.instrument_key,
            t.side.as_str(),
            t.quantity,
            t.price.to_string(),
            t.charges.map(|c| c.to_string()),
            stored_time(t.traded_at),
            t.product.as_str(),
            t.strategy,
            source
        ])? as u64;
    }
    Ok(added)
}

/// A stored row that is not a trade.
#[derive(Debug, thiserror::Error)]
#[error("{path}: trade {exchange}/{trade_id}: {why}; correct the row in the application")]
pub struct BadRow {
    path: PathBuf,
    exchange: String,
    trade_id: String,
    why: String,
}

/// Every trade filled on or before `until` (IST), in fill order.
pub fn load(conn: &Connection, path: &Path, until: NaiveDate) -> anyhow::Result<Vec<Trade>> {
    let bound = until
        .succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|t| t.and_local_timezone(common::calendar::IST).single())
        .map(|t| stored_time(t.with_timezone(&Utc)))
        .unwrap_or_else(|| "9999".to_string());
    let mut stmt = conn.prepare(
        "SELECT exchange, trade_id, order_id, symbol, instrument_key, side, quantity, price,
                charges, traded_at, product, strategy
         FROM trades WHERE traded_at < ?1 ORDER BY traded_at, exchange, trade_id",
    )?;
    let mut rows = stmt.query([bound])?;
    let mut trades = Vec::new();
    while let Some(r) = rows.next()? {
        let exchange: String = r.get(0)?;
        let trade_id: String = r.get(1)?;
        let bad = |why: String| BadRow {
            path: path.to_path_buf(),
            exchange: exchange.clone(),
            trade_id: trade_id.clone(),
            why,
        };
        let side: String = r.get(5)?;
        let price: String = r.get(7)?;
        let charges: Option<String> = r.get(8)?;
        let traded_at: String = r.get(9)?;
        let product: String = r.get(10)?;
        let trade = Trade {
            order_id: r.get(2)?,
            symbol: r.get(3)?,
            instrument_key: r.get(4)?,
            side: Side::parse(&side).ok_or_else(|| bad(format!("side {side:?}")))?,
            quantity: r.get(6)?,
            price: price
                .parse()
                .map_err(|_| bad(format!("price {price:?} is not a number")))?,
            charges: charges
                .map(|c| {
                    c.parse()
                        .map_err(|_| bad(format!("charges {c:?} is not a number")))
                })
                .transpose()?,
            traded_at: DateTime::parse_from_rfc3339(&traded_at)
                .map_err(|_| bad(format!("traded_at {traded_at:?} is not ISO-8601")))?
                .with_timezone(&Utc),
            product: Product::parse(&product).ok_or_else(|| bad(format!("product {product:?}")))?,
            strategy: r.get(11)?,
            exchange: exchange.clone(),
            trade_id: trade_id.clone(),
        };
        if let Some(why) = crate::trade::implausible(trade.quantity, trade.price) {
            return Err(bad(why).into());
        }
        if trade
            .charges
            .is_some_and(|c| c.is_sign_negative() || c > Decimal::from(crate::trade::MAX_PRICE))
        {
            return Err(bad("charges are negative or above 1e9 rupees".to_string()).into());
        }
        trades.push(trade);
    }
    Ok(trades)
}

/// How many of `trades` are stored already (by exchange and trade id).
pub fn count_known(conn: &Connection, trades: &[Trade]) -> rusqlite::Result<u64> {
    let mut stmt =
        conn.prepare_cached("SELECT 1 FROM trades WHERE exchange = ?1 AND trade_id = ?2")?;
    let mut known = 0;
    for t in trades {
        if stmt.exists(params![t.exchange, t.trade_id])? {
            known += 1;
        }
    }
    Ok(known)
}
