//! The prices the books are marked at, from the shared market tables: each traded symbol's
//! daily closes and the benchmark's.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use common::market::candle::{ist_date, ist_epoch};
use common::market::instrument::InstrumentKey;
use common::market::interval::Interval;
use common::market::store::master_key;
use rusqlite::{Connection, params};
use rust_decimal::Decimal;

use crate::trade::Trade;

/// Daily closes of `key` from `from` to `to` (IST dates), by date.
fn closes(
    conn: &Connection,
    key: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> rusqlite::Result<Vec<(NaiveDate, f64)>> {
    let midnight = chrono::NaiveTime::MIN;
    let end = to.succ_opt().unwrap_or(to);
    let mut stmt = conn.prepare_cached(
        "SELECT ts, close FROM candles WHERE instrument = ?1 AND interval = ?2
         AND ts >= ?3 AND ts < ?4 ORDER BY ts",
    )?;
    stmt.query_map(
        params![
            key,
            Interval::Day.code(),
            ist_epoch(from, midnight),
            ist_epoch(end, midnight)
        ],
        |r| Ok((ist_date(r.get(0)?), r.get(1)?)),
    )?
    .collect()
}

/// The daily closes of every symbol in `trades`, from `from` to `to`, by (symbol, date): the
/// trade's instrument key, else the NSE equity of that symbol in the instrument master. A
/// close is a double in the table; as money it is the decimal that prints the same (a close
/// is at most 2 decimals), so marking stays exact.
pub fn symbol_closes(
    conn: Option<&Connection>,
    trades: &[Trade],
    from: NaiveDate,
    to: NaiveDate,
) -> rusqlite::Result<BTreeMap<(String, NaiveDate), Decimal>> {
    let mut out = BTreeMap::new();
    let Some(conn) = conn else {
        return Ok(out);
    };
    let mut keys: BTreeMap<&str, Option<String>> = BTreeMap::new();
    for t in trades {
        keys.entry(&t.symbol)
            .or_insert_with(|| t.instrument_key.clone());
    }
    for (symbol, key) in keys {
        let key = match key {
            Some(k) => Some(k),
            None => master_key(conn, symbol)?.map(|k| k.as_str().to_string()),
        };
        let Some(key) = key else { continue };
        for (date, close) in closes(conn, &key, from, to)? {
            // A close that is no price is no close: the session is then reported unmarkable.
            if let Ok(price) = close.to_string().parse::<Decimal>()
                && crate::trade::implausible(1, price).is_none()
            {
                out.insert((symbol.to_string(), date), price);
            }
        }
    }
    Ok(out)
}

/// The benchmark's daily closes from a week before `from` (for the first session's return)
/// to `to`.
pub fn benchmark_closes(
    conn: Option<&Connection>,
    key: &InstrumentKey,
    from: NaiveDate,
    to: NaiveDate,
) -> rusqlite::Result<BTreeMap<NaiveDate, f64>> {
    let Some(conn) = conn else {
        return Ok(BTreeMap::new());
    };
    let before = from - chrono::Duration::days(10);
    Ok(closes(conn, key.as_str(), before, to)?
        .into_iter()
        .collect())
}
