//! Why a fetch failed, and the exit code each kind of failure maps to.

use std::time::Duration;

use reqwest::StatusCode;

use crate::exit::Exit;
use crate::http::Halt;

/// Why a fetch failed. [`HttpError::exit`] maps it to the documented exit code.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// A non-2xx status that retrying will not fix (or that retries did not fix).
    #[error("HTTP {status} from {url}{}", retry_after_text(*.retry_after))]
    Status {
        /// The URL.
        url: String,
        /// The status.
        status: StatusCode,
        /// What `Retry-After` asked for (503 may send it).
        retry_after: Option<Duration>,
        /// The start of the body, its markup dropped, on one line ([`HttpError::gist`]).
        gist: Option<String>,
        /// The start of the body ([`HttpError::body`]); never in the message.
        body: String,
    },
    /// 429 Too Many Requests.
    #[error("rate limited (HTTP 429) by {url}{}", retry_after_text(*.retry_after))]
    RateLimited {
        /// The URL.
        url: String,
        /// What `Retry-After` asked for.
        retry_after: Option<Duration>,
        /// The start of the body ([`HttpError::body`]); never in the message.
        body: String,
    },
    /// No complete response within the timeout.
    #[error("no response from {url} within {}s", .after.as_secs_f64())]
    Timeout {
        /// The URL.
        url: String,
        /// The timeout.
        after: Duration,
    },
    /// The connection failed or broke.
    #[error("connection to {url} failed: {detail}")]
    Connection {
        /// The URL.
        url: String,
        /// What went wrong.
        detail: String,
        /// Whether it failed while connecting, so the server never saw the request.
        connect: bool,
    },
    /// The body is larger than `[http] max_body_mib`.
    #[error("response from {url} is larger than the {limit}-byte limit ([http] max_body_mib)")]
    TooLarge {
        /// The URL.
        url: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// The URL is not a valid http(s) URL.
    #[error("invalid URL {url}: {detail}")]
    InvalidUrl {
        /// The URL.
        url: String,
        /// Why.
        detail: String,
    },
    /// The request was not sent: the request budget it must pass could not be kept (its
    /// table in the database failed).
    #[error("{url} was not requested: {detail}")]
    NotAdmitted {
        /// The URL.
        url: String,
        /// What failed, and what to do.
        detail: String,
        /// Whether another process held the database, so trying again may work.
        busy: bool,
    },
    /// SIGTERM/SIGINT arrived while waiting.
    #[error("stopped by a signal while fetching {url}")]
    Interrupted {
        /// The URL.
        url: String,
    },
    /// The run stopped asking: the host stopped answering or rate-limited the run for
    /// longer than it waits, or the run's deadline came.
    #[error("{halt}")]
    Halted {
        /// The URL.
        url: String,
        /// Why.
        halt: Halt,
        /// Whether this request was sent (and so the unit it was for was tried).
        sent: bool,
    },
    /// Retries ran out.
    #[error("{last} (gave up after {attempts} attempts)")]
    GaveUp {
        /// Attempts made.
        attempts: u32,
        /// The last error.
        last: Box<HttpError>,
    },
}

/// At most 120 characters of a body's text: tags, scripts and styles dropped, whitespace
/// collapsed; `None` when nothing readable is left.
pub(crate) fn gist_of(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let mut plain = String::new();
    let mut rest = text.as_ref();
    while let Some(open) = rest.find('<') {
        plain.push_str(&rest[..open]);
        plain.push(' ');
        let tag = &rest[open..];
        let lower = tag.get(..8).unwrap_or(tag).to_ascii_lowercase();
        // A script's or style's content is code, not words.
        let end_marker = if lower.starts_with("<script") {
            "</script>"
        } else if lower.starts_with("<style") {
            "</style>"
        } else {
            ">"
        };
        rest = match tag.to_ascii_lowercase().find(end_marker) {
            Some(end) => &tag[end + end_marker.len()..],
            None => "",
        };
    }
    plain.push_str(rest);
    let words = plain.split_whitespace().collect::<Vec<_>>().join(" ");
    (!words.is_empty()).then(|| crate::text::excerpt(&words, 120))
}

fn retry_after_text(retry_after: Option<Duration>) -> String {
    match retry_after {
        Some(d) => format!(", Retry-After {}s", d.as_secs()),
        None => String::new(),
    }
}

impl HttpError {
    /// Whether another attempt may succeed. A request that is not idempotent (a POST that
    /// sends a message) is retried only when the server surely did not act on it: the
    /// connection was refused, or it said to come back later (429, or 503 with
    /// `Retry-After`). A 500 may come after the message went out; sent again, it arrives twice.
    pub(crate) fn is_transient(&self, idempotent: bool) -> bool {
        match self {
            HttpError::Status {
                status,
                retry_after,
                ..
            } if !idempotent => *status == StatusCode::SERVICE_UNAVAILABLE && retry_after.is_some(),
            HttpError::Status { status, .. } => {
                status.is_server_error() || *status == StatusCode::REQUEST_TIMEOUT
            }
            HttpError::RateLimited { .. } => true,
            HttpError::Connection { connect, .. } => idempotent || *connect,
            HttpError::Timeout { .. } => idempotent,
            HttpError::NotAdmitted { busy, .. } => *busy,
            _ => false,
        }
    }

    /// The exit code a run ends with when this is why it failed.
    pub fn exit(&self) -> Exit {
        match self {
            HttpError::GaveUp { last, .. } => last.exit(),
            HttpError::RateLimited { .. } => Exit::TempFail,
            HttpError::TooLarge { .. } => Exit::DataErr,
            HttpError::InvalidUrl { .. } => Exit::Config,
            HttpError::NotAdmitted { busy: true, .. } => Exit::TempFail,
            HttpError::NotAdmitted { busy: false, .. } => Exit::IoErr,
            HttpError::Interrupted { .. } => Exit::Terminated,
            HttpError::Halted { halt, .. } => halt.exit(),
            _ => Exit::Unavailable,
        }
    }

    /// Why the run stopped asking, and whether this request was sent, when it did: the job
    /// stops taking units ([`crate::harness::Context::halt`]).
    pub fn halt(&self) -> Option<(&Halt, bool)> {
        match self {
            HttpError::GaveUp { last, .. } => last.halt(),
            HttpError::Halted { halt, sent, .. } => Some((halt, *sent)),
            _ => None,
        }
    }

    /// What the server said with a refusal, in one line: the start of its body, markup
    /// dropped ("Oops No authorization token was found"), for a message that says what a
    /// source answered.
    pub fn gist(&self) -> Option<&str> {
        match self {
            HttpError::GaveUp { last, .. } => last.gist(),
            HttpError::Status { gist, .. } => gist.as_deref(),
            _ => None,
        }
    }

    /// The start of the body the server answered an error status with (up to 16 KiB), as
    /// sent, for a source that says why in a structured body (NewsAPI's JSON); `None` when it
    /// did not answer.
    pub fn body(&self) -> Option<&str> {
        match self {
            HttpError::GaveUp { last, .. } => last.body(),
            HttpError::Status { body, .. } | HttpError::RateLimited { body, .. } => Some(body),
            _ => None,
        }
    }

    /// What to do about it, for after the message: the next step whatever the job, so a
    /// failed fetch never ends a line without one. `None` where the message already says it
    /// (a halt, a refused admission).
    pub fn hint(&self) -> Option<&'static str> {
        Some(match self {
            HttpError::GaveUp { last, .. } => return last.hint(),
            HttpError::Halted { .. } | HttpError::NotAdmitted { .. } => return None,
            HttpError::Status { status, .. } => match status.as_u16() {
                401 | 403 => {
                    "the source refused this machine or its credential: check the credential \
                     ([credentials]) and the source's URL in the configuration"
                }
                404 | 410 => {
                    "nothing at that address: check the URL in the configuration, or whether \
                     the source moved it"
                }
                400..=499 => {
                    "the source refused the request: check the job's settings and URL in the \
                     configuration"
                }
                _ => "the source failed on its side; the next run retries",
            },
            HttpError::RateLimited { .. } => {
                "the next run retries; if it keeps happening, lower [http] requests_per_second"
            }
            HttpError::Timeout { .. } => {
                "the source is slow or down; the next run retries (raise [http] timeout_secs if \
                 it is only slow)"
            }
            HttpError::Connection { .. } => {
                "check the network and the source's address (DNS, proxy, firewall); the next \
                 run retries"
            }
            HttpError::TooLarge { .. } => {
                "if the source really serves that much, raise [http] max_body_mib"
            }
            HttpError::InvalidUrl { .. } => "correct the URL in the configuration",
            HttpError::Interrupted { .. } => "the next run fetches it again",
        })
    }

    /// The message and, after it, what to do ([`HttpError::hint`]): the one line a failed
    /// unit or run shows.
    pub fn worded(&self) -> String {
        match self.hint() {
            Some(hint) => format!("{self}; {hint}"),
            None => self.to_string(),
        }
    }

    /// The HTTP status, if the server answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            HttpError::GaveUp { last, .. } => last.status(),
            HttpError::Status { status, .. } => Some(*status),
            HttpError::RateLimited { .. } => Some(StatusCode::TOO_MANY_REQUESTS),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One of each kind of failure, and each kind of status.
    fn every_kind() -> Vec<HttpError> {
        let url = || "https://example.com/x".to_string();
        let status = |code: u16| HttpError::Status {
            url: url(),
            status: StatusCode::from_u16(code).unwrap(),
            retry_after: None,
            gist: None,
            body: String::new(),
        };
        let mut all: Vec<HttpError> = [400, 401, 403, 404, 410, 422, 500, 502, 503]
            .into_iter()
            .map(status)
            .collect();
        all.extend([
            HttpError::RateLimited {
                url: url(),
                retry_after: None,
                body: String::new(),
            },
            HttpError::Timeout {
                url: url(),
                after: Duration::from_secs(30),
            },
            HttpError::Connection {
                url: url(),
                detail: "refused".into(),
                connect: true,
            },
            HttpError::TooLarge {
                url: url(),
                limit: 1,
            },
            HttpError::InvalidUrl {
                url: url(),
                detail: "no host".into(),
            },
            HttpError::Interrupted { url: url() },
            HttpError::GaveUp {
                attempts: 3,
                last: Box::new(status(500)),
            },
        ]);
        all
    }

    #[test]
    fn every_failed_fetch_says_what_to_do_after_what_went_wrong() {
        for e in every_kind() {
            let hint = e.hint().unwrap_or_else(|| panic!("no next step for {e}"));
            assert_eq!(e.worded(), format!("{e}; {hint}"));
        }
    }

    #[test]
    fn a_halt_and_a_refused_admission_say_it_in_their_own_words() {
        let halted = HttpError::Halted {
            url: "https://example.com/x".into(),
            halt: Halt::Deadline {
                budget: Duration::from_secs(60),
            },
            sent: false,
        };
        assert_eq!(halted.hint(), None);
        assert!(halted.worded().contains("the next run goes on"), "{halted}");
    }
}
