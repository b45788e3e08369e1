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

/// Why the master could not be refreshed; the stored copy, if any, is kept.
#[derive(Debug, thiserror::Error)]
pub enum MasterError {
    /// The download failed.
    #[error("instrument master {url}: {}", .error.worded())]
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
    /// Gunzipped, it is larger than `[providers.upstox] instruments_max_mib`: a person must
    /// look, so the run stops (exit 65) rather than quietly keep an ever older copy.
    #[error(
        "instrument master {url} inflates to more than {limit_mib} MiB ([providers.upstox] instruments_max_mib): refused, the stored copy is kept; if Upstox's file really grew, raise the limit"
    )]
    TooLarge {
        /// Where from.
        url: String,
        /// The limit in MiB.
        limit_mib: u64,
    },
    /// It could not be stored.
    #[error("instrument master: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// Whether the stored master is older than `today`.
pub fn is_stale(conn: &Connection, today: NaiveDate) -> rusqlite::Result<bool> {
    Ok(store::master_date(conn)?.is_none_or(|d| d < today))
}

/// Why a master body was refused.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// Not the documented format.
    #[error(transparent)]
    Format(#[from] FormatError),
    /// Larger than the limit once gunzipped.
    #[error("it inflates to more than {0} bytes")]
    TooLarge(u64),
}

/// Reads a master body, gzipped or not, of at most `max_bytes` once gunzipped; keeps NSE
/// equities and indices.
pub fn decode(body: &[u8], max_bytes: u64) -> Result<Vec<MasterEntry>, Refused> {
    let gunzipped;
    let json = if body.starts_with(&[0x1f, 0x8b]) {
        gunzipped = inflate(body, max_bytes)?;
        &gunzipped[..]
    } else if body.len() as u64 > max_bytes {
        return Err(Refused::TooLarge(max_bytes));
    } else {
        body
    };
    let mut entries = parse::instruments(json)?;
    entries.retain(|e| e.segment == "NSE_EQ" || e.segment == "NSE_INDEX");
    if entries.is_empty() {
        return Err(FormatError {
            what: "Upstox instrument master",
            detail: "no NSE equities or indices in it".to_string(),
        }
        .into());
    }
    Ok(entries)
}

/// Gunzips `body`, stopping one byte past `max_bytes`: a few megabytes of gzip can inflate to
/// gigabytes.
fn inflate(body: &[u8], max_bytes: u64) -> Result<Vec<u8>, Refused> {
    // Sized for the usual ratio of about 8, within the limit.
    let guess = (body.len() as u64).saturating_mul(8).min(max_bytes);
    let mut out = Vec::with_capacity(usize::try_from(guess).unwrap_or(0));
    GzDecoder::new(body)
        .take(max_bytes.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| FormatError {
            what: "Upstox instrument master",
            detail: format!("not a valid gzip file: {e}"),
        })?;
    if out.len() as u64 > max_bytes {
        return Err(Refused::TooLarge(max_bytes));
    }
    Ok(out)
}

/// Downloads the master from `url` (at most `max_mib` MiB gunzipped) and stores it as of
/// `today`; returns how many entries.
pub fn refresh(
    conn: &mut Connection,
    http: &HttpClient,
    url: &str,
    max_mib: u64,
    today: NaiveDate,
) -> Result<usize, MasterError> {
    let entries = download(http, url, max_mib)?;
    let tx = conn.transaction()?;
    store::replace_master(&tx, &entries, today)?;
    tx.commit()?;
    Ok(entries.len())
}

/// The master from `url` in an in-memory database of its own, for a run that may not write.
pub fn in_memory(
    http: &HttpClient,
    url: &str,
    max_mib: u64,
    today: NaiveDate,
) -> Result<Connection, MasterError> {
    let mut conn = Connection::open_in_memory()?;
    conn.execute_batch(store::SCHEMA.migrations[0])?;
    refresh(&mut conn, http, url, max_mib, today)?;
    Ok(conn)
}

fn download(http: &HttpClient, url: &str, max_mib: u64) -> Result<Vec<MasterEntry>, MasterError> {
    let fetched = http
        .get(url, &[("Accept", "application/json, application/gzip")])
        .map_err(|error| MasterError::Http {
            url: url.to_string(),
            error,
        })?;
    decode(&fetched.body, max_mib.saturating_mul(1024 * 1024)).map_err(|refused| match refused {
        Refused::Format(error) => MasterError::Format {
            url: url.to_string(),
            error,
        },
        Refused::TooLarge(_) => MasterError::TooLarge {
            url: url.to_string(),
            limit_mib: max_mib,
        },
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(bytes).unwrap();
        gz.finish().unwrap()
    }

    const ONE: &str = r#"[{"segment":"NSE_EQ","name":"RELIANCE INDUSTRIES LTD","isin":"INE002A01018","instrument_type":"EQ","instrument_key":"NSE_EQ|INE002A01018","trading_symbol":"RELIANCE"}]"#;

    #[test]
    fn a_master_within_the_limit_is_read_gzipped_or_not() {
        let limit = ONE.len() as u64;
        assert_eq!(decode(&gzip(ONE.as_bytes()), limit).unwrap().len(), 1);
        assert_eq!(decode(ONE.as_bytes(), limit).unwrap().len(), 1);
    }

    #[test]
    fn a_master_that_inflates_past_the_limit_is_refused_without_inflating_it_all() {
        // 1 MiB of white space after the array: valid JSON, 1 KiB of gzip.
        let mut padded = ONE.as_bytes().to_vec();
        padded.resize(padded.len() + 1024 * 1024, b' ');
        let bomb = gzip(&padded);
        assert!(bomb.len() < 16 * 1024, "{}", bomb.len());
        let err = decode(&bomb, 64 * 1024).unwrap_err();
        assert!(matches!(err, Refused::TooLarge(65_536)), "{err}");
        assert!(matches!(
            decode(&padded, 64 * 1024),
            Err(Refused::TooLarge(_))
        ));
        assert_eq!(decode(&bomb, padded.len() as u64).unwrap().len(), 1);
    }

    #[test]
    fn broken_gzip_is_a_format_error() {
        let mut cut = gzip(ONE.as_bytes());
        cut.truncate(cut.len() / 2);
        let err = decode(&cut, 1 << 20).unwrap_err();
        assert!(err.to_string().contains("not a valid gzip file"), "{err}");
    }
}
