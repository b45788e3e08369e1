//! Why a request was refused or could not be handled: one type for the CLI (exit code) and the
//! HTTP API (status), each message saying what to do.

use crate::exit::Exit;
use crate::requests::{RequestId, RequestState};

/// Why a request was refused or could not be handled.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The document is malformed or out of bounds.
    #[error("{0}")]
    Invalid(String),
    /// No job of that name.
    #[error("`{job}` is not a job; the jobs are: {known}")]
    UnknownJob {
        /// The name asked for.
        job: String,
        /// The jobs there are, comma-separated.
        known: String,
    },
    /// The configuration does not allow the job on demand.
    #[error(
        "{job} may not be run on demand here: [requests] jobs in the configuration does not list it; ask an administrator to add it"
    )]
    JobNotAllowed {
        /// The job.
        job: String,
    },
    /// A flag that is never allowed, or that the configuration does not allow for the job.
    #[error("{job}: {flag} is not allowed on demand: {why}")]
    FlagNotAllowed {
        /// The job.
        job: String,
        /// The flag as given.
        flag: String,
        /// Why, and what to do.
        why: String,
    },
    /// The job's own command line refused the arguments: its usage message.
    #[error("upstox-{job} refused the arguments:\n{usage}")]
    BadArgs {
        /// The job.
        job: String,
        /// What the job said (clap's error and usage lines).
        usage: String,
    },
    /// No request with that id.
    #[error("there is no request {0}: `upstox-jobs request list` shows the requests kept")]
    NotFound(RequestId),
    /// The request already finished, so it cannot be cancelled.
    #[error("request {id} has already finished ({state}); nothing to cancel")]
    Finished {
        /// The request.
        id: RequestId,
        /// How it ended.
        state: RequestState,
    },
    /// The database or a file could not be read or written.
    #[error("{0}")]
    Storage(String),
    /// The job's binary could not be run to check the arguments.
    #[error("{0}")]
    Checker(String),
}

impl RequestError {
    /// The HTTP status that says it: 400 for a request to correct, 404, 409, else 500.
    pub fn http_status(&self) -> u16 {
        match self {
            RequestError::Invalid(_)
            | RequestError::UnknownJob { .. }
            | RequestError::JobNotAllowed { .. }
            | RequestError::FlagNotAllowed { .. }
            | RequestError::BadArgs { .. } => 400,
            RequestError::NotFound(_) => 404,
            RequestError::Finished { .. } => 409,
            RequestError::Storage(_) | RequestError::Checker(_) => 500,
        }
    }

    /// The exit code of `upstox-jobs request` that says it: 2 for a request to correct, 1 for
    /// one not found or finished, 74 when the database or a binary failed.
    pub fn exit(&self) -> Exit {
        match self.http_status() {
            400 => Exit::Usage,
            404 | 409 => Exit::Failure,
            _ => Exit::IoErr,
        }
    }

    /// A database error on `path`, worded as every job words it.
    pub(crate) fn storage(path: &std::path::Path, e: &rusqlite::Error) -> RequestError {
        RequestError::Storage(crate::db::worded(path, e))
    }
}
