//! market-sync's own tables (option chains, IV analysis, gaps) and every read and write of
//! them; the candles, quotes and instruments it fills are common's (`common::market::store`).
//! Writes are upserts on natural keys that change a row only when a value differs, so a rerun
//! reports 0 rows changed.

use chrono::NaiveDate;
use common::db::Schema;
use common::market::instrument::InstrumentKey;
use common::market::interval::Interval;
use common::market::provider::OptionRow;
use rusqlite::{Connection, Transaction, params};

use crate::gaps::{GapRow, GapStatus};
use crate::volatility::IvRecord;

/// The tables. Until the market tables moved to common, this first migration also created
/// them; a database from then has both, and common's `market` schema adopts them.
///
/// 2: IVs and greeks stored as 0.0 where Upstox had computed none become NULL, by the rule
/// the parser now follows (an IV of 0 or none, and each 0 greek beside it), and `iv_analysis`
/// rows without a single figure go; so old and new rows read the same way.
pub const SCHEMA: Schema = Schema {
    component: "market-sync",
    migrations: &[
        "CREATE TABLE option_chain (
            underlying TEXT NOT NULL,
            expiry TEXT NOT NULL,
            strike REAL NOT NULL,
            option_type TEXT NOT NULL CHECK (option_type IN ('CE', 'PE')),
            ts INTEGER NOT NULL,
            instrument TEXT NOT NULL,
            spot REAL NOT NULL,
            ltp REAL,
            bid REAL,
            ask REAL,
            volume INTEGER,
            oi INTEGER,
            iv REAL,
            delta REAL,
            gamma REAL,
            theta REAL,
            vega REAL,
            PRIMARY KEY (underlying, expiry, strike, option_type, ts)
        ) WITHOUT ROWID;
        CREATE TABLE iv_analysis (
            underlying TEXT NOT NULL,
            date TEXT NOT NULL,
            expiry TEXT,
            iv REAL,
            iv_rank REAL,
            iv_percentile REAL,
            iv_sessions INTEGER NOT NULL,
            hv20 REAL,
            hv30 REAL,
            PRIMARY KEY (underlying, date)
        ) WITHOUT ROWID;
        CREATE TABLE data_gaps (
            instrument TEXT NOT NULL,
            interval TEXT NOT NULL,
            gap_from INTEGER NOT NULL,
            gap_to INTEGER NOT NULL,
            bars INTEGER NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('open', 'filled', 'unfillable')),
            attempts INTEGER NOT NULL DEFAULT 0,
            detected_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (instrument, interval, gap_from)
        ) WITHOUT ROWID;",
        "UPDATE option_chain SET iv = NULL, delta = NULLIF(delta, 0), gamma = NULLIF(gamma, 0),
                theta = NULLIF(theta, 0), vega = NULLIF(vega, 0)
         WHERE (iv IS NULL OR iv = 0)
           AND (iv = 0 OR delta = 0 OR gamma = 0 OR theta = 0 OR vega = 0);
         DELETE FROM iv_analysis WHERE iv IS NULL AND hv20 IS NULL AND hv30 IS NULL;",
    ],
    adopted: None,
};

/// The recorded gaps of (instrument, interval) that are open or unfillable.
pub fn gaps(
    conn: &Connection,
    key: &InstrumentKey,
    interval: Interval,
) -> rusqlite::Result<Vec<GapRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT gap_from, gap_to, bars, status, attempts, detected_at FROM data_gaps
         WHERE instrument = ?1 AND interval = ?2 AND status IN ('open', 'unfillable')
         ORDER BY gap_from",
    )?;
    stmt.query_map(params![key.as_str(), interval.to_string()], |r| {
        let status: String = r.get(3)?;
        Ok(GapRow {
            from: r.get(0)?,
            to: r.get(1)?,
            bars: r.get(2)?,
            status: GapStatus::parse(&status),
            attempts: r.get(4)?,
            detected_at: r.get(5)?,
        })
    })?
    .collect()
}

/// Replaces the open and unfillable gaps of (instrument, interval) that reach into the
/// checked window (bars from `window_start` on) with `rows`; a recorded gap none of them
/// overlaps has been filled. Returns rows changed.
pub fn replace_gaps(
    tx: &Transaction,
    key: &InstrumentKey,
    interval: Interval,
    window_start: i64,
    rows: &[GapRow],
    now: i64,
) -> rusqlite::Result<u64> {
    let old = gaps(tx, key, interval)?;
    let mut changed = 0;
    let replaced = old
        .iter()
        .filter(|o| o.to >= window_start && !rows.iter().any(|r| r.from == o.from));
    for gone in replaced {
        changed += if !rows.iter().any(|r| r.overlaps(gone)) {
            tx.execute(
                "UPDATE data_gaps SET status = 'filled', bars = 0, updated_at = ?4
                 WHERE instrument = ?1 AND interval = ?2 AND gap_from = ?3",
                params![key.as_str(), interval.to_string(), gone.from, now],
            )?
        } else {
            tx.execute(
                "DELETE FROM data_gaps WHERE instrument = ?1 AND interval = ?2 AND gap_from = ?3",
                params![key.as_str(), interval.to_string(), gone.from],
            )?
        } as u64;
    }
    let mut stmt = tx.prepare_cached(
        "INSERT INTO data_gaps (instrument, interval, gap_from, gap_to, bars, status, attempts, detected_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (instrument, interval, gap_from) DO UPDATE SET
             gap_to = excluded.gap_to, bars = excluded.bars, status = excluded.status,
             attempts = excluded.attempts, updated_at = excluded.updated_at
         WHERE (gap_to, bars, status, attempts) IS NOT
               (excluded.gap_to, excluded.bars, excluded.status, excluded.attempts)",
    )?;
    for r in rows {
        changed += stmt.execute(params![
            key.as_str(),
            interval.to_string(),
            r.from,
            r.to,
            r.bars,
            r.status.as_str(),
            r.attempts,
            r.detected_at,
            now
        ])? as u64;
    }
    Ok(changed)
}

/// Stores one read of an option chain, stamped `ts`. Returns rows changed.
pub fn upsert_chain(tx: &Transaction, rows: &[OptionRow], ts: i64) -> rusqlite::Result<u64> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO option_chain (underlying, expiry, strike, option_type, ts, instrument, spot,
                                   ltp, bid, ask, volume, oi, iv, delta, gamma, theta, vega)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
         ON CONFLICT (underlying, expiry, strike, option_type, ts) DO NOTHING",
    )?;
    let mut changed = 0;
    for r in rows {
        changed += stmt.execute(params![
            r.underlying.as_str(),
            r.expiry.to_string(),
            r.strike,
            r.side.as_str(),
            ts,
            r.instrument,
            r.spot,
            r.ltp,
            r.bid,
            r.ask,
            r.volume,
            r.oi,
            r.iv,
            r.delta,
            r.gamma,
            r.theta,
            r.vega
        ])? as u64;
    }
    Ok(changed)
}

/// The stored daily IVs of `underlying` before `date`, oldest first, at most `n`.
pub fn iv_history(
    conn: &Connection,
    underlying: &InstrumentKey,
    date: NaiveDate,
    n: usize,
) -> rusqlite::Result<Vec<f64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT iv FROM iv_analysis WHERE underlying = ?1 AND date < ?2 AND iv IS NOT NULL
         ORDER BY date DESC LIMIT ?3",
    )?;
    let mut ivs = stmt
        .query_map(
            params![underlying.as_str(), date.to_string(), n as i64],
            |r| r.get(0),
        )?
        .collect::<rusqlite::Result<Vec<f64>>>()?;
    ivs.reverse();
    Ok(ivs)
}

/// Stores the day's IV analysis of an underlying: the latest run of the day wins, but for an
/// IV it could not read. Returns rows changed.
pub fn upsert_iv(tx: &Transaction, record: &IvRecord) -> rusqlite::Result<u64> {
    // A day's row is rewritten by every run of that day, but a later run that finds no ATM IV
    // (the chain's grid off spot, no expiry ahead) keeps the IV an earlier run read: the day's
    // best figure beats none. Its HVs, from the day's closes, are always the latest.
    Ok(tx.execute(
        "INSERT INTO iv_analysis (underlying, date, expiry, iv, iv_rank, iv_percentile, iv_sessions, hv20, hv30)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (underlying, date) DO UPDATE SET
             expiry = iif(excluded.iv IS NULL AND iv IS NOT NULL, expiry, excluded.expiry),
             iv = iif(excluded.iv IS NULL AND iv IS NOT NULL, iv, excluded.iv),
             iv_rank = iif(excluded.iv IS NULL AND iv IS NOT NULL, iv_rank, excluded.iv_rank),
             iv_percentile = iif(excluded.iv IS NULL AND iv IS NOT NULL, iv_percentile, excluded.iv_percentile),
             iv_sessions = iif(excluded.iv IS NULL AND iv IS NOT NULL, iv_sessions, excluded.iv_sessions),
             hv20 = excluded.hv20, hv30 = excluded.hv30
         WHERE (hv20, hv30) IS NOT (excluded.hv20, excluded.hv30)
            OR (NOT (excluded.iv IS NULL AND iv IS NOT NULL)
                AND (expiry, iv, iv_rank, iv_percentile, iv_sessions) IS NOT
                    (excluded.expiry, excluded.iv, excluded.iv_rank, excluded.iv_percentile,
                     excluded.iv_sessions))",
        params![
            record.underlying.as_str(),
            record.date.to_string(),
            record.expiry.map(|d| d.to_string()),
            record.iv,
            record.iv_rank,
            record.iv_percentile,
            record.iv_sessions,
            record.hv20,
            record.hv30
        ],
    )? as u64)
}

#[cfg(test)]
mod tests;
