//! One mapping from what went wrong to the exit code and the words a person reads, used by
//! every job: a busy database is 75 (the next run retries; units treat 75 as success) from
//! any job, a full disk or a corrupt file is 74 with what to do about it, and so on.

use std::path::Path;

use crate::config::ConfigError;
use crate::db::{self, DbError};
use crate::exit::Exit;
use crate::harness::{Fatal, UnitError};
use crate::http::HttpError;

impl UnitError {
    /// A database error in one unit: busy or locked → 75 (another process held it: the next
    /// run retries), anything else → 74. The message names the file and says what to do
    /// (free space, restore from a backup, check the owner…), as [`DbError`] words it.
    pub fn database(path: &Path, error: rusqlite::Error) -> UnitError {
        UnitError {
            exit: db::sqlite_exit(&error),
            message: db::worded(path, &error),
        }
    }
}

impl UnitError {
    /// A failed fetch with the caller's own next step in place of [`HttpError::hint`]: a
    /// job that knows its source says better what to do about it.
    pub fn http(error: &HttpError, hint: &str) -> UnitError {
        UnitError {
            exit: error.exit(),
            message: format!("{error}; {hint}"),
        }
    }
}

impl From<&HttpError> for UnitError {
    fn from(e: &HttpError) -> Self {
        UnitError {
            exit: e.exit(),
            message: e.worded(),
        }
    }
}

/// The exit code for an error that stopped the whole run (or a command of a binary's own).
pub fn exit_for(error: &anyhow::Error) -> Exit {
    for cause in error.chain() {
        if let Some(f) = cause.downcast_ref::<Fatal>() {
            return f.exit;
        }
        if let Some(e) = cause.downcast_ref::<DbError>() {
            return db_exit(e);
        }
        if let Some(e) = cause.downcast_ref::<rusqlite::Error>() {
            return db::sqlite_exit(e);
        }
        if cause.downcast_ref::<ConfigError>().is_some() {
            return Exit::Config;
        }
        if let Some(e) = cause.downcast_ref::<HttpError>() {
            return e.exit();
        }
    }
    Exit::Failure
}

/// Whether `error` is stdout closed by the program reading it (`| head`), which is where
/// output ends, not a failure.
pub(crate) fn is_closed_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The words for an error that stopped the run: its chain on one line, and where SQLite's
/// own text is all there is, the file it concerns and what to do (as [`DbError`] says it);
/// a failed fetch ends with what to do about it ([`HttpError::hint`]).
pub(crate) fn describe(error: &anyhow::Error, database: &Path) -> String {
    if error.chain().any(|c| c.is::<DbError>()) {
        return format!("{error:#}");
    }
    let mut parts = Vec::new();
    for cause in error.chain() {
        if let Some(e) = cause.downcast_ref::<rusqlite::Error>() {
            parts.push(db::worded(database, e));
            break;
        }
        parts.push(cause.to_string());
    }
    with_http_hint(parts.join(": "), error)
}

/// `text` followed by the next step of a failed fetch in `error`'s chain, when it has one
/// and the text does not already say it: one place, so no command or run that passes an
/// [`HttpError`] up ends its line without what to do.
pub(crate) fn with_http_hint(text: String, error: &anyhow::Error) -> String {
    let hint = error
        .chain()
        .find_map(|c| c.downcast_ref::<HttpError>())
        .and_then(HttpError::hint);
    match hint {
        Some(hint) if !text.contains(hint) => format!("{text}; {hint}"),
        _ => text,
    }
}

/// The exit code of a database that could not be opened or used.
pub(crate) fn db_exit(error: &DbError) -> Exit {
    match error {
        DbError::Create { .. } => Exit::CantCreate,
        DbError::Unreadable { .. } => Exit::IoErr,
        DbError::TooNew { .. } | DbError::NeedsMigration { .. } => Exit::Failure,
        DbError::Sqlite { error, .. } => db::sqlite_exit(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::ffi;

    fn sqlite(code: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(ffi::Error::new(code), None)
    }

    #[test]
    fn fatal_errors_keep_their_exit_code_through_context() {
        let e = anyhow::Error::new(Fatal::new(Exit::DataErr, "bad")).context("outer");
        assert_eq!(exit_for(&e), Exit::DataErr);
        assert_eq!(exit_for(&anyhow::anyhow!("plain")), Exit::Failure);
    }

    #[test]
    fn one_database_condition_is_one_exit_code_and_says_what_to_do() {
        let path = Path::new("/var/lib/upstox-jobs/market_data.db");
        for (code, exit, advice) in [
            (ffi::SQLITE_BUSY, Exit::TempFail, "try again later"),
            (ffi::SQLITE_LOCKED, Exit::TempFail, "try again later"),
            (ffi::SQLITE_FULL, Exit::IoErr, "free some space"),
            (ffi::SQLITE_CORRUPT, Exit::IoErr, "restore it from a backup"),
            (ffi::SQLITE_NOTADB, Exit::IoErr, "restore it from a backup"),
            (ffi::SQLITE_READONLY, Exit::IoErr, "check the owner"),
        ] {
            let unit = UnitError::database(path, sqlite(code));
            assert_eq!(unit.exit, exit, "{code}: {}", unit.message);
            assert!(
                unit.message
                    .starts_with("database /var/lib/upstox-jobs/market_data.db: ")
                    && unit.message.contains(advice),
                "{code}: {}",
                unit.message
            );
            let run = anyhow::Error::new(sqlite(code)).context("storing candles");
            assert_eq!(exit_for(&run), exit, "{code}");
            let text = describe(&run, path);
            assert!(
                text.starts_with("storing candles: database /var/lib/upstox-jobs/market_data.db: ")
                    && text.contains(advice),
                "{text}"
            );
        }
    }

    #[test]
    fn errors_that_are_not_sqlites_are_described_as_they_are() {
        let e = anyhow::anyhow!("no index named X").context("reading the configuration");
        assert_eq!(
            describe(&e, Path::new("/x.db")),
            "reading the configuration: no index named X"
        );
    }
}
