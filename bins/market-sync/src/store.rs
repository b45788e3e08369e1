//! market-sync's tables, and every read and write of them. Writes are upserts on natural keys
//! that change a row only when a value differs, so a rerun reports 0 rows changed.

use std::collections::HashSet;

use chrono::NaiveDate;
use common::db::Schema;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::candle::Candle;
use crate::gaps::{GapRow, GapStatus};
use crate::instrument::InstrumentKey;
use crate::interval::Interval;
use crate::provider::{MasterEntry, OptionRow, Quote};
use crate::volatility::IvRecord;

/// The tables. Times are UTC epoch seconds (bar starts for candles); the `candles_ist` view
/// shows them in IST for people.
pub const SCHEMA: Schema = Schema {
    component: "market-sync",
    migrations: &["CREATE TABLE candles (
            instrument TEXT NOT NULL,
            interval TEXT NOT NULL CHECK (interval IN ('1minute', '5minute', '15minute', 'day')),
            ts INTEGER NOT NULL,
            open REAL NOT NULL,
            high REAL NOT NULL,
            low REAL NOT NULL,
            close REAL NOT NULL,
            volume INTEGER NOT NULL CHECK (volume >= 0),
            oi INTEGER,
            source TEXT NOT NULL,
            CHECK (high >= max(open, close) AND low <= min(open, close)),
            PRIMARY KEY (instrument, interval, ts)
        ) WITHOUT ROWID;
        CREATE VIEW candles_ist AS
            SELECT instrument, interval, datetime(ts, 'unixepoch', '+5 hours', '+30 minutes') AS ts_ist,
                   open, high, low, close, volume, oi, source
            FROM candles;
        CREATE TABLE quotes (
            instrument TEXT NOT NULL,
            ts INTEGER NOT NULL,
            ltp REAL NOT NULL,
            open REAL,
            high REAL,
            low REAL,
            prev_close REAL,
            volume INTEGER,
            oi INTEGER,
            bid REAL,
            ask REAL,
            source TEXT NOT NULL,
            PRIMARY KEY (instrument, ts)
        ) WITHOUT ROWID;
        CREATE TABLE index_values (
            index_key TEXT NOT NULL,
            ts INTEGER NOT NULL,
            value REAL NOT NULL,
            open REAL,
            high REAL,
            low REAL,
            prev_close REAL,
            source TEXT NOT NULL,
            PRIMARY KEY (index_key, ts)
        ) WITHOUT ROWID;
        CREATE TABLE option_chain (
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
        ) WITHOUT ROWID;
        CREATE TABLE instruments (
            instrument_key TEXT PRIMARY KEY,
            trading_symbol TEXT NOT NULL,
            name TEXT NOT NULL,
            isin TEXT,
            segment TEXT NOT NULL,
            instrument_type TEXT NOT NULL,
            lot_size INTEGER,
            tick_size REAL,
            fetched_on TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX instruments_by_symbol ON instruments (segment, trading_symbol);"],
};

/// Upserts `candles` of one (instrument, interval); returns the rows inserted or changed.
pub fn upsert_candles(
    tx: &Transaction,
    key: &InstrumentKey,
    interval: Interval,
    candles: &[Candle],
    source: &str,
) -> rusqlite::Result<u64> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO candles (instrument, interval, ts, open, high, low, close, volume, oi, source)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (instrument, interval, ts) DO UPDATE SET
             open = excluded.open, high = excluded.high, low = excluded.low,
             close = excluded.close, volume = excluded.volume, oi = excluded.oi,
             source = excluded.source
         WHERE (open, high, low, close, volume, source) IS NOT
               (excluded.open, excluded.high, excluded.low, excluded.close, excluded.volume, excluded.source)
            OR oi IS NOT excluded.oi",
    )?;
    let mut changed = 0;
    for c in candles {
        changed += stmt.execute(params![
            key.as_str(),
            interval.as_str(),
            c.ts,
            c.open,
            c.high,
            c.low,
            c.close,
            c.volume,
            c.oi,
            source
        ])? as u64;
    }
    Ok(changed)
}

/// The newest stored bar start of (instrument, interval).
pub fn last_bar(
    conn: &Connection,
    key: &InstrumentKey,
    interval: Interval,
) -> rusqlite::Result<Option<i64>> {
    conn.query_row(
        "SELECT max(ts) FROM candles WHERE instrument = ?1 AND interval = ?2",
        params![key.as_str(), interval.as_str()],
        |r| r.get(0),
    )
}

/// The stored bar starts of (instrument, interval) in `from..=to`, and the oldest stored at all.
pub fn stored_bars(
    conn: &Connection,
    key: &InstrumentKey,
    interval: Interval,
    from: i64,
    to: i64,
) -> rusqlite::Result<(HashSet<i64>, Option<i64>)> {
    let mut stmt = conn.prepare_cached(
        "SELECT ts FROM candles WHERE instrument = ?1 AND interval = ?2 AND ts BETWEEN ?3 AND ?4",
    )?;
    let set = stmt
        .query_map(params![key.as_str(), interval.as_str(), from, to], |r| {
            r.get(0)
        })?
        .collect::<rusqlite::Result<HashSet<i64>>>()?;
    let first = conn.query_row(
        "SELECT min(ts) FROM candles WHERE instrument = ?1 AND interval = ?2",
        params![key.as_str(), interval.as_str()],
        |r| r.get(0),
    )?;
    Ok((set, first))
}

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
    stmt.query_map(params![key.as_str(), interval.as_str()], |r| {
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
                params![key.as_str(), interval.as_str(), gone.from, now],
            )?
        } else {
            tx.execute(
                "DELETE FROM data_gaps WHERE instrument = ?1 AND interval = ?2 AND gap_from = ?3",
                params![key.as_str(), interval.as_str(), gone.from],
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
            interval.as_str(),
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

/// Stores quotes; index quotes also go to `index_values`. Returns rows changed.
pub fn upsert_quotes(tx: &Transaction, quotes: &[Quote], source: &str) -> rusqlite::Result<u64> {
    let mut quote = tx.prepare_cached(
        "INSERT INTO quotes (instrument, ts, ltp, open, high, low, prev_close, volume, oi, bid, ask, source)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT (instrument, ts) DO NOTHING",
    )?;
    let mut index = tx.prepare_cached(
        "INSERT INTO index_values (index_key, ts, value, open, high, low, prev_close, source)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (index_key, ts) DO NOTHING",
    )?;
    let mut changed = 0;
    for q in quotes {
        changed += quote.execute(params![
            q.instrument.as_str(),
            q.ts,
            q.ltp,
            q.open,
            q.high,
            q.low,
            q.prev_close,
            q.volume,
            q.oi,
            q.bid,
            q.ask,
            source
        ])? as u64;
        if q.instrument.is_index() {
            changed += index.execute(params![
                q.instrument.as_str(),
                q.ts,
                q.ltp,
                q.open,
                q.high,
                q.low,
                q.prev_close,
                source
            ])? as u64;
        }
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

/// The daily closes of `key` up to `date`, oldest first, at most `n`.
pub fn daily_closes(
    conn: &Connection,
    key: &InstrumentKey,
    until: i64,
    n: usize,
) -> rusqlite::Result<Vec<f64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT close FROM candles WHERE instrument = ?1 AND interval = 'day' AND ts <= ?2
         ORDER BY ts DESC LIMIT ?3",
    )?;
    let mut closes = stmt
        .query_map(params![key.as_str(), until, n as i64], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<f64>>>()?;
    closes.reverse();
    Ok(closes)
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

/// Stores the day's IV analysis of an underlying (the latest run of the day wins).
pub fn upsert_iv(tx: &Transaction, record: &IvRecord) -> rusqlite::Result<u64> {
    Ok(tx.execute(
        "INSERT INTO iv_analysis (underlying, date, expiry, iv, iv_rank, iv_percentile, iv_sessions, hv20, hv30)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (underlying, date) DO UPDATE SET
             expiry = excluded.expiry, iv = excluded.iv, iv_rank = excluded.iv_rank,
             iv_percentile = excluded.iv_percentile, iv_sessions = excluded.iv_sessions,
             hv20 = excluded.hv20, hv30 = excluded.hv30
         WHERE (expiry, iv, iv_rank, iv_percentile, iv_sessions, hv20, hv30) IS NOT
               (excluded.expiry, excluded.iv, excluded.iv_rank, excluded.iv_percentile,
                excluded.iv_sessions, excluded.hv20, excluded.hv30)",
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

/// The date the instrument master was last stored, if ever.
pub fn master_date(conn: &Connection) -> rusqlite::Result<Option<NaiveDate>> {
    let date: Option<String> = conn
        .query_row("SELECT max(fetched_on) FROM instruments", [], |r| r.get(0))
        .optional()?
        .flatten();
    Ok(date.and_then(|d| d.parse().ok()))
}

/// Replaces the instrument master with `entries`, fetched on `date`.
pub fn replace_master(
    tx: &Transaction,
    entries: &[MasterEntry],
    date: NaiveDate,
) -> rusqlite::Result<u64> {
    tx.execute("DELETE FROM instruments", [])?;
    let mut stmt = tx.prepare_cached(
        "INSERT OR REPLACE INTO instruments (instrument_key, trading_symbol, name, isin, segment,
                                             instrument_type, lot_size, tick_size, fetched_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for e in entries {
        stmt.execute(params![
            e.key.as_str(),
            e.trading_symbol,
            e.name,
            e.isin,
            e.segment,
            e.instrument_type,
            e.lot_size,
            e.tick_size,
            date.to_string()
        ])?;
    }
    Ok(entries.len() as u64)
}

/// The instrument key of NSE equity `symbol` in the stored master.
pub fn master_key(conn: &Connection, symbol: &str) -> rusqlite::Result<Option<InstrumentKey>> {
    let key: Option<String> = conn
        .prepare_cached(
            "SELECT instrument_key FROM instruments
             WHERE segment = 'NSE_EQ' AND trading_symbol = ?1 LIMIT 1",
        )?
        .query_row([symbol], |r| r.get(0))
        .optional()?;
    Ok(key.and_then(|k| InstrumentKey::parse(&k).ok()))
}
