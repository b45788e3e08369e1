//! Which instruments a run syncs, and the instrument key of each: `--symbols`, or the active
//! members of an index (nse-index-update's table) plus the watchlist plus the main indices.
//! An NSE symbol's key comes from Upstox's instrument master, else from the ISIN
//! nse-index-update stored.

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension};

use crate::market::instrument::{Instrument, InstrumentKey};
use crate::market::store;

/// The resolved universe.
#[derive(Debug, Default)]
pub struct Universe {
    /// What will be synced, in order, without duplicates.
    pub instruments: Vec<Instrument>,
    /// Names that could not be resolved, with the reason.
    pub unresolved: Vec<(String, String)>,
}

impl Universe {
    fn push(&mut self, instrument: Instrument) {
        if !self.instruments.iter().any(|i| i.key == instrument.key) {
            self.instruments.push(instrument);
        }
    }

    /// Adds `name`: an instrument key (`NSE_INDEX|Nifty 50`, `NSE_EQ|INE…`) or an NSE symbol,
    /// looked up in `lookups` in order.
    pub fn add(&mut self, lookups: &[&Connection], name: &str) {
        let name = name.trim();
        if name.contains('|') {
            match InstrumentKey::parse(name) {
                Ok(key) if key.is_index() => self.push(Instrument::index(key)),
                Ok(key) => {
                    let symbol = lookups
                        .iter()
                        .find_map(|c| symbol_of(c, &key).ok().flatten())
                        .unwrap_or_else(|| {
                            name.split_once('|').map_or(name, |(_, id)| id).to_string()
                        });
                    self.push(Instrument::equity(&symbol, key));
                }
                Err(e) => self.unresolved.push((name.to_string(), e.to_string())),
            }
            return;
        }
        let symbol = name.to_ascii_uppercase();
        let found = lookups
            .iter()
            .map(|c| key_of(c, &symbol))
            .find(|r| !matches!(r, Ok(None)));
        match found {
            Some(Ok(Some(key))) => self.push(Instrument::equity(&symbol, key)),
            Some(Err(e)) => self.unresolved.push((symbol, format!("cannot look it up: {e}"))),
            _ => self.unresolved.push((
                symbol,
                "no instrument key: it is neither in Upstox's instrument master nor in an NSE index \
                 upstox-nse-index-update has stored; give its key instead (NSE_EQ|<ISIN>)"
                    .to_string(),
            )),
        }
    }
}

/// The instrument key of NSE symbol `symbol`.
fn key_of(conn: &Connection, symbol: &str) -> rusqlite::Result<Option<InstrumentKey>> {
    // A connection no job with the market tables has opened has no master.
    if has_table(conn, "instruments")?
        && let Some(key) = store::master_key(conn, symbol)?
    {
        return Ok(Some(key));
    }
    if !has_table(conn, "nse_index_membership")? {
        return Ok(None);
    }
    let isin: Option<String> = conn
        .prepare_cached(
            "SELECT isin FROM nse_index_membership WHERE symbol = ?1
             ORDER BY left_on IS NULL DESC, joined_on DESC LIMIT 1",
        )?
        .query_row([symbol], |r| r.get(0))
        .optional()?;
    Ok(isin.map(|i| InstrumentKey::nse_equity(&i)))
}

/// The NSE symbol of an equity key, from the master or the membership table.
fn symbol_of(conn: &Connection, key: &InstrumentKey) -> rusqlite::Result<Option<String>> {
    let symbol: Option<String> = if has_table(conn, "instruments")? {
        conn.prepare_cached("SELECT trading_symbol FROM instruments WHERE instrument_key = ?1")?
            .query_row([key.as_str()], |r| r.get(0))
            .optional()?
    } else {
        None
    };
    if symbol.is_some() || !has_table(conn, "nse_index_membership")? {
        return Ok(symbol);
    }
    let isin = key.as_str().split_once('|').map_or("", |(_, id)| id);
    conn.prepare_cached(
        "SELECT symbol FROM nse_index_membership WHERE isin = ?1 ORDER BY joined_on DESC LIMIT 1",
    )?
    .query_row([isin], |r| r.get(0))
    .optional()
}

fn has_table(conn: &Connection, name: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1")?
        .query_row([name], |r| r.get::<_, i64>(0))
        .map(|n| n > 0)
}

/// The active members of `index` (as nse-index-update names it, e.g. `NIFTY50`) on `date`.
/// `None` when nse-index-update has never stored that index.
pub fn members(
    conn: &Connection,
    index: &str,
    date: NaiveDate,
) -> rusqlite::Result<Option<Vec<(String, String)>>> {
    if !has_table(conn, "nse_index_membership")? {
        return Ok(None);
    }
    let mut stmt = conn.prepare(
        "SELECT symbol, isin FROM nse_index_membership
         WHERE index_name = ?1 AND joined_on <= ?2 AND (left_on IS NULL OR left_on > ?2)
         ORDER BY symbol",
    )?;
    let rows = stmt
        .query_map([index, &date.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<Vec<(String, String)>>>()?;
    Ok((!rows.is_empty()).then_some(rows))
}

/// The configured universe: `index`'s members on `date` (from `conn`), then `watchlist`,
/// then `indices`, their keys looked up in `lookups`.
pub fn configured(
    lookups: &[&Connection],
    conn: Option<&Connection>,
    index: &str,
    date: NaiveDate,
    watchlist: &[String],
    indices: &[String],
) -> rusqlite::Result<Universe> {
    let mut universe = Universe::default();
    match conn.map(|c| members(c, index, date)).transpose()?.flatten() {
        Some(members) => {
            for (symbol, isin) in members {
                let mut key = None;
                for c in lookups {
                    key = key.or(store::master_key(c, &symbol)?);
                }
                let key = key.unwrap_or_else(|| InstrumentKey::nse_equity(&isin));
                universe.push(Instrument::equity(&symbol, key));
            }
        }
        None => tracing::warn!(
            "the members of {index} are not stored yet: run upstox-nse-index-update first; \
             syncing the watchlist and the indices only"
        ),
    }
    for name in watchlist.iter().chain(indices) {
        universe.add(lookups, name);
    }
    Ok(universe)
}
