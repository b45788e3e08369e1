//! Files a person names (a saved answer given to `--from-file`, a trade book, a rules file, the
//! configuration, a credential, a holiday list), read whole but never past a bound. A wrong path
//! such as `/dev/zero`, a FIFO or a multi-gigabyte file then ends in one clear error rather than
//! in all the machine's memory. The size on disk is no guard: a device or a pipe has none.

use std::io::Read;
use std::path::Path;

use crate::exit::Exit;
use crate::harness::UnitError;

/// Why a file was not read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// It could not be opened or read (`NotFound` among them, for callers that allow it).
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// It holds more than the bound; the rest was not read.
    #[error("it holds more than {} bytes", .limit)]
    TooLarge {
        /// The bound, in bytes.
        limit: u64,
    },
}

/// The whole of `source`, at most `limit` bytes.
pub fn read_bounded_from(source: impl Read, limit: u64) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::new();
    source
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { limit });
    }
    Ok(bytes)
}

/// The whole of the file at `path`, at most `limit` bytes.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    read_bounded_from(std::fs::File::open(path)?, limit)
}

/// A saved answer given to `--from-file` in place of a download, held to the same
/// `[http] max_body_mib` as a download; `advice` says what the file should be when it is larger.
pub fn saved_answer(path: &Path, max_body_mib: u64, advice: &str) -> Result<Vec<u8>, UnitError> {
    read_bounded(path, max_body_mib.saturating_mul(1024 * 1024)).map_err(|e| match e {
        ReadError::Io(e) => UnitError {
            exit: Exit::IoErr,
            message: format!(
                "cannot read {}: {e}; check the path given to --from-file and that this user can read it",
                path.display()
            ),
        },
        ReadError::TooLarge { .. } => UnitError {
            exit: Exit::DataErr,
            message: format!(
                "{} is larger than [http] max_body_mib ({max_body_mib} MiB): {advice}",
                path.display()
            ),
        },
    })
}

/// [`read_bounded`], as UTF-8 text (anything else is an `InvalidData` error, as
/// `std::fs::read_to_string` gives).
pub fn read_text_bounded(path: &Path, limit: u64) -> Result<String, ReadError> {
    String::from_utf8(read_bounded(path, limit)?).map_err(|_| {
        ReadError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_without_end_stops_at_the_bound() {
        let err = read_bounded(Path::new("/dev/zero"), 1 << 20).unwrap_err();
        assert!(matches!(err, ReadError::TooLarge { limit } if limit == 1 << 20));
    }

    #[test]
    fn a_file_up_to_the_bound_is_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"12345").unwrap();
        assert_eq!(read_bounded(&path, 5).unwrap(), b"12345");
        assert!(matches!(
            read_bounded(&path, 4),
            Err(ReadError::TooLarge { limit: 4 })
        ));
        assert!(matches!(
            read_text_bounded(&dir.path().join("absent"), 5),
            Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound
        ));
    }
}
