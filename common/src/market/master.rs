//! Upstox's instrument master: the daily file that maps NSE symbols to instrument keys.
//! Fetched at most once per IST day and kept in `instruments` (equities and indices only: the
//! option chain brings its own keys).

use std::io::Read;

use crate::http::HttpClient;
use chrono::NaiveDate;
use flate2::read::GzDecoder;
use rusqlite::Connection;

use crate::market::provider::{FormatError, MasterEntry};
use crate::market::store;
use crate::market::upstox::parse;

/// Why the master could not be refreshed (the stored copy, if any, keeps serving).
#[derive(Debug, thiserror::Error)]
pub enum MasterError {
    /// The download failed.
    #[error("instrument master {url}: {error}")]
    Http {
        /// Where from.
        url: String,
        /// Why.
        error: crate::http::HttpError,
    },
    /// The file is not the documented format.
    #[error("instrument master {url}: {error}")]
    Format {
        /// Where from.
        url: String,
        /// What was wrong.
        error: FormatError,
    },
    /// It could not be stored.
    #[error("instrument master: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// Whether the stored master is older than `today`.
pub fn is_stale(conn: &Connection, today: NaiveDate) -> rusqlite::Result<bool> {
    Ok(store::master_date(conn)?.is_none_or(|d| d < today))
}

/// Reads a master body, gzipped or not; keeps NSE equities and indices.
pub fn decode(body: &[u8]) -> Result<Vec<MasterEntry>, FormatError> {
    let json = if body.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(body.len() * 8);
        GzDecoder::new(body)
            .read_to_end(&mut out)
            .map_err(|e| FormatError {
                what: "Upstox instrument master",
                detail: format!("not a valid gzip file: {e}"),
            })?;
        out
    } else {
        body.to_vec()
    };
    let mut entries = parse::instruments(&json)?;
    entries.retain(|e| e.segment == "NSE_EQ" || e.segment == "NSE_INDEX");
    if entries.is_empty() {
        return Err(FormatError {
            what: "Upstox instrument master",
            detail: "no NSE equities or indices in it".to_string(),
        });
    }
    Ok(entries)
}

/// Downloads the master from `url` and stores it as of `today`; returns how many entries.
pub fn refresh(
    conn: &mut Connection,
    http: &HttpClient,
    url: &str,
    today: NaiveDate,
) -> Result<usize, MasterError> {
    let entries = download(http, url)?;
    let tx = conn.transaction()?;
    store::replace_master(&tx, &entries, today)?;
    tx.commit()?;
    Ok(entries.len())
}

/// The master from `url` in an in-memory database of its own, for a run that may not write.
pub fn in_memory(
    http: &HttpClient,
    url: &str,
    today: NaiveDate,
) -> Result<Connection, MasterError> {
    let mut conn = Connection::open_in_memory()?;
    conn.execute_batch(store::SCHEMA.migrations[0])?;
    refresh(&mut conn, http, url, today)?;
    Ok(conn)
}

fn download(http: &HttpClient, url: &str) -> Result<Vec<MasterEntry>, MasterError> {
    let fetched = http
        .get(url, &[("Accept", "application/json, application/gzip")])
        .map_err(|error| MasterError::Http {
            url: url.to_string(),
            error,
        })?;
    decode(&fetched.body).map_err(|error| MasterError::Format {
        url: url.to_string(),
        error,
    })
}
