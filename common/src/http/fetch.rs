//! One attempt of a request, start to end, on the thread `HttpClient::attempt` gives it: the
//! status mapped to an [`HttpError`], `Retry-After` read, the body read within its cap.

use std::io::Read;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, ETAG, HeaderMap, LAST_MODIFIED, RETRY_AFTER};

use crate::config::HttpConfig;
use crate::http::{Fetched, HttpError, Validators};

/// How much of an error response's body is read: enough for a JSON error object or the
/// words of an HTML refusal.
const ERROR_HEAD: u64 = 16 * 1024;

/// One request of `url` (a POST when there is a `body`), start to end.
pub(super) fn fetch_once(
    client: &reqwest::blocking::Client,
    config: &HttpConfig,
    url: &reqwest::Url,
    headers: &[(String, String)],
    body: Option<Vec<u8>>,
    timeout: Duration,
) -> Result<Fetched, HttpError> {
    let text = url.as_str();
    let mut request = match body {
        Some(body) => client.post(url.clone()).body(body),
        None => client.get(url.clone()),
    };
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let mut response = request
        .timeout(timeout)
        .send()
        .map_err(|e| transport_error(timeout, text, e))?;
    let status = response.status();
    let validators = Validators {
        etag: header_text(response.headers(), ETAG),
        last_modified: header_text(response.headers(), LAST_MODIFIED),
    };
    if status == StatusCode::NOT_MODIFIED {
        return Ok(Fetched {
            url: response.url().to_string(),
            content_type: None,
            body: Vec::new(),
            attempts: 0,
            not_modified: true,
            validators,
        });
    }
    if status == StatusCode::TOO_MANY_REQUESTS {
        let header = retry_after(response.headers());
        let mut head = Vec::new();
        let _ = (&mut response).take(ERROR_HEAD).read_to_end(&mut head);
        let body = String::from_utf8_lossy(&head).into_owned();
        // The Telegram Bot API says how long to wait in its JSON body, not in a header.
        let retry_after = header.or_else(|| {
            let json: serde_json::Value = serde_json::from_str(&body).ok()?;
            json["parameters"]["retry_after"]
                .as_u64()
                .map(Duration::from_secs)
        });
        return Err(HttpError::RateLimited {
            url: text.to_string(),
            retry_after,
            body,
        });
    }
    if !status.is_success() {
        let retry_after = retry_after(response.headers());
        let mut head = Vec::new();
        let _ = (&mut response).take(ERROR_HEAD).read_to_end(&mut head);
        return Err(HttpError::Status {
            url: text.to_string(),
            status,
            retry_after,
            gist: super::error::gist_of(&head),
            body: String::from_utf8_lossy(&head).into_owned(),
        });
    }
    let limit = config.max_body_mib.saturating_mul(1024 * 1024);
    let too_large = || HttpError::TooLarge {
        url: text.to_string(),
        limit,
    };
    if response.content_length().is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let final_url = response.url().to_string();
    // Sized once when the length is announced: grown by doubling, a body took up to twice
    // its size, and copies on the way.
    let announced = response.content_length().unwrap_or(0).min(limit);
    let mut body = Vec::with_capacity(usize::try_from(announced).unwrap_or(0));
    (&mut response)
        .take(limit + 1)
        .read_to_end(&mut body)
        .map_err(|e| {
            match e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<reqwest::Error>())
            {
                Some(re) if re.is_timeout() => HttpError::Timeout {
                    url: text.to_string(),
                    after: timeout,
                },
                _ => HttpError::Connection {
                    url: text.to_string(),
                    detail: format!("the body broke off: {e}"),
                    connect: false,
                },
            }
        })?;
    if body.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(Fetched {
        url: final_url,
        content_type,
        body,
        attempts: 0,
        not_modified: false,
        validators,
    })
}

/// A header's value as text, when it is text.
fn header_text(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn transport_error(timeout: Duration, url: &str, e: reqwest::Error) -> HttpError {
    if e.is_timeout() {
        HttpError::Timeout {
            url: url.to_string(),
            after: timeout,
        }
    } else {
        HttpError::Connection {
            url: url.to_string(),
            detail: error_chain(&e),
            connect: e.is_connect(),
        }
    }
}

/// `Retry-After` as seconds or an HTTP date (RFC 9110 §10.2.3).
pub(super) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// The error and its causes on one line: reqwest's top-level message alone hides the reason.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
