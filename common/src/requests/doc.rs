//! The JSON document of a request, the same from a spool file, an HTTP body or the CLI, and
//! the names a request goes by (its id, where it came from).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::requests::RequestError;

/// Largest request document accepted, in bytes (a spool file, an HTTP body).
pub const MAX_DOC_BYTES: usize = 64 * 1024;
/// Most arguments a request may give its job.
pub const MAX_ARGS: usize = 64;
/// Longest single argument, in bytes.
pub const MAX_ARG_BYTES: usize = 1024;
/// Longest `requested_by`, in bytes.
pub const MAX_REQUESTER_BYTES: usize = 128;
/// Priorities run from -`MAX_PRIORITY` to `MAX_PRIORITY`; higher runs first.
pub const MAX_PRIORITY: i32 = 100;

/// A request: `{"job": "market-sync", "args": ["--symbols", "INFY,TCS"], "requested_by":
/// "alice", "priority": 0, "deadline": "2026-12-05T10:00:00Z"}`. `priority` (higher first,
/// -100 to 100, default 0) and `deadline` (expired if not started by then) are optional;
/// unknown fields are refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestDoc {
    /// The job (`market-sync`), as `upstox-jobs status` names it.
    pub job: String,
    /// The job's arguments, as on its command line.
    #[serde(default)]
    pub args: Vec<String>,
    /// Who asked: a person or an application.
    pub requested_by: String,
    /// Higher runs first.
    #[serde(default)]
    pub priority: i32,
    /// When a request not yet started by then is given up (`expired`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<DateTime<Utc>>,
}

impl RequestDoc {
    /// Reads a document from JSON text, refusing one too large or not of this shape.
    pub fn from_json(bytes: &[u8]) -> Result<RequestDoc, RequestError> {
        if bytes.len() > MAX_DOC_BYTES {
            return Err(RequestError::Invalid(format!(
                "the request is {} bytes, more than the {MAX_DOC_BYTES} allowed: send fewer or shorter arguments",
                bytes.len()
            )));
        }
        serde_json::from_slice(bytes).map_err(|e| {
            RequestError::Invalid(format!(
                "the request is not a valid request document: {e}; send {{\"job\": \"market-sync\", \"args\": [\"--symbols\", \"INFY\"], \"requested_by\": \"you\"}}"
            ))
        })
    }

    /// Checks the sizes and characters of every field.
    pub fn check_bounds(&self) -> Result<(), RequestError> {
        let invalid = |m: String| Err(RequestError::Invalid(m));
        if self.args.len() > MAX_ARGS {
            return invalid(format!(
                "{} arguments are more than the {MAX_ARGS} allowed: ask for fewer, or split the request",
                self.args.len()
            ));
        }
        if let Some(long) = self.args.iter().find(|a| a.len() > MAX_ARG_BYTES) {
            return invalid(format!(
                "an argument of {} bytes is longer than the {MAX_ARG_BYTES} allowed (it starts {:?}): split the request",
                long.len(),
                long.chars().take(20).collect::<String>()
            ));
        }
        if let Some(bad) = self.args.iter().find(|a| a.chars().any(char::is_control)) {
            return invalid(format!(
                "the argument {bad:?} holds a control character: remove it"
            ));
        }
        let who = self.requested_by.trim();
        if who.is_empty() || who.len() > MAX_REQUESTER_BYTES || who.chars().any(char::is_control) {
            return invalid(format!(
                "requested_by must name who asks, in 1 to {MAX_REQUESTER_BYTES} printable characters"
            ));
        }
        if self.priority.abs() > MAX_PRIORITY {
            return invalid(format!(
                "priority {} is out of range: use a number from -{MAX_PRIORITY} to {MAX_PRIORITY} (higher runs first)",
                self.priority
            ));
        }
        Ok(())
    }
}

/// A request's number, as `upstox-jobs request` prints it and `/v1/requests/ID` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RequestId(pub i64);

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for RequestId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().parse::<i64>() {
            Ok(n) if n > 0 => Ok(RequestId(n)),
            _ => Err(format!(
                "`{s}` is not a request id: give the number `upstox-jobs request` printed"
            )),
        }
    }
}

/// Where a request came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// `upstox-jobs request` from a shell.
    Cli,
    /// A file in the spool directory.
    Spool,
    /// The HTTP API.
    Http,
}

impl Origin {
    /// As stored in `job_requests.origin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Cli => "cli",
            Origin::Spool => "spool",
            Origin::Http => "http",
        }
    }

    /// The origin stored as `text`.
    pub fn parse(text: &str) -> Option<Origin> {
        [Origin::Cli, Origin::Spool, Origin::Http]
            .into_iter()
            .find(|o| o.as_str() == text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(json: &str) -> Result<RequestDoc, RequestError> {
        RequestDoc::from_json(json.as_bytes()).and_then(|d| d.check_bounds().map(|()| d))
    }

    #[test]
    fn a_document_round_trips_and_unknown_fields_or_bad_sizes_are_refused() {
        let d = doc(r#"{"job": "market-sync", "args": ["--symbols", "INFY,TCS"], "requested_by": "alice", "priority": 5, "deadline": "2026-12-05T10:00:00Z"}"#)
            .unwrap();
        assert_eq!(d.args, ["--symbols", "INFY,TCS"]);
        assert_eq!(d.priority, 5);
        let again: RequestDoc = serde_json::from_str(&serde_json::to_string(&d).unwrap()).unwrap();
        assert_eq!(again, d);
        let minimal = doc(r#"{"job": "db-backup", "requested_by": "cron"}"#).unwrap();
        assert_eq!(
            (minimal.args.len(), minimal.priority, minimal.deadline),
            (0, 0, None)
        );
        for (json, says) in [
            (
                r#"{"job": "db-backup", "requested_by": "a", "user": "root"}"#,
                "unknown field `user`",
            ),
            (r#"{"job": "db-backup"}"#, "missing field `requested_by`"),
            (
                r#"{"job": "db-backup", "requested_by": " "}"#,
                "requested_by must name",
            ),
            (
                r#"{"job": "db-backup", "requested_by": "a", "priority": 101}"#,
                "priority 101",
            ),
            (
                r#"{"job": "db-backup", "requested_by": "a", "args": ["a\nb"]}"#,
                "control character",
            ),
            ("<html>", "not a valid request document"),
        ] {
            let e = doc(json).unwrap_err().to_string();
            assert!(e.contains(says), "{json}: {e}");
        }
        let many = format!(
            r#"{{"job": "db-backup", "requested_by": "a", "args": [{}]}}"#,
            vec!["\"-v\""; MAX_ARGS + 1].join(",")
        );
        assert!(
            doc(&many)
                .unwrap_err()
                .to_string()
                .contains("more than the 64")
        );
        let huge = format!(
            r#"{{"job": "{}", "requested_by": "a"}}"#,
            "x".repeat(MAX_DOC_BYTES)
        );
        assert!(
            doc(&huge)
                .unwrap_err()
                .to_string()
                .contains("bytes, more than")
        );
    }

    #[test]
    fn ids_and_origins_read_what_they_write() {
        assert_eq!("42".parse::<RequestId>(), Ok(RequestId(42)));
        assert!("0".parse::<RequestId>().is_err() && "x".parse::<RequestId>().is_err());
        assert_eq!(serde_json::to_string(&RequestId(7)).unwrap(), "7");
        for o in [Origin::Cli, Origin::Spool, Origin::Http] {
            assert_eq!(Origin::parse(o.as_str()), Some(o));
        }
    }
}
