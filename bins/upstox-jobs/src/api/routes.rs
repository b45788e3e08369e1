//! The route table and what each route answers. Every error is JSON, `{"error", "hint"}`:
//! what was wrong, and what to do.

use serde::Serialize;

use super::Api;
use super::http::{Request, Response};
use super::{auth, jobs, metrics, openapi, page, requests};

/// What a route does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// The status page.
    Page,
    /// The OpenAPI document.
    OpenApi,
    /// The Prometheus metrics.
    Metrics,
    /// Every job's state.
    Jobs,
    /// Ask for a run.
    Submit,
    /// The request queue.
    Queue,
    /// One request.
    Show,
    /// Cancel a request.
    Cancel,
}

/// A route: a method and a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// `GET`, `POST`, `DELETE`.
    pub method: &'static str,
    /// The path; `{id}` stands for one path segment.
    pub path: &'static str,
    /// What it does.
    pub endpoint: Endpoint,
}

/// Every route the server has; the OpenAPI document lists the same (a test checks).
pub const ROUTES: [Route; 8] = [
    Route {
        method: "GET",
        path: "/",
        endpoint: Endpoint::Page,
    },
    Route {
        method: "GET",
        path: "/openapi.json",
        endpoint: Endpoint::OpenApi,
    },
    Route {
        method: "GET",
        path: "/metrics",
        endpoint: Endpoint::Metrics,
    },
    Route {
        method: "GET",
        path: "/v1/jobs",
        endpoint: Endpoint::Jobs,
    },
    Route {
        method: "POST",
        path: "/v1/requests",
        endpoint: Endpoint::Submit,
    },
    Route {
        method: "GET",
        path: "/v1/requests",
        endpoint: Endpoint::Queue,
    },
    Route {
        method: "GET",
        path: "/v1/requests/{id}",
        endpoint: Endpoint::Show,
    },
    Route {
        method: "DELETE",
        path: "/v1/requests/{id}",
        endpoint: Endpoint::Cancel,
    },
];

/// An answer other than success.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiError {
    /// The HTTP status.
    #[serde(skip)]
    pub status: u16,
    /// What was wrong.
    pub error: String,
    /// What to do.
    pub hint: String,
}

impl ApiError {
    /// An error of `status`.
    pub fn new(status: u16, error: impl Into<String>, hint: impl Into<String>) -> Self {
        ApiError {
            status,
            error: error.into(),
            hint: hint.into(),
        }
    }

    /// A failure on our side, logged for the operator.
    pub fn internal(e: &anyhow::Error) -> Self {
        let message = common::redaction::redact(&format!("{e:#}")).to_string();
        eprintln!("upstox-jobs api: error: {message}");
        ApiError::new(
            500,
            message,
            "look at `journalctl -u upstox-jobs-api.service`, and retry",
        )
    }

    /// As a response.
    pub fn response(&self) -> Response {
        Response::json(self.status, self)
    }
}

/// The route of `method` and `path`, and the `{id}` segment if it has one; else the 404 or
/// 405 to answer.
fn find<'p>(method: &str, path: &'p str) -> Result<(Endpoint, Option<&'p str>), Response> {
    let matching: Vec<(&Route, Option<&str>)> = ROUTES
        .iter()
        .filter_map(|r| matches(r.path, path).map(|id| (r, id)))
        .collect();
    if let Some((r, id)) = matching.iter().find(|(r, _)| r.method == method) {
        return Ok((r.endpoint, *id));
    }
    if matching.is_empty() {
        return Err(ApiError::new(
            404,
            format!("no such path: {}", common::text::excerpt(path, 200)),
            "see /openapi.json for the paths this API has",
        )
        .response());
    }
    let allowed: Vec<&str> = matching.iter().map(|(r, _)| r.method).collect();
    Err(ApiError::new(
        405,
        format!(
            "{} is not allowed on {}",
            common::text::excerpt(method, 20),
            common::text::excerpt(path, 200)
        ),
        format!("use {}", allowed.join(" or ")),
    )
    .response()
    .with_header("Allow", allowed.join(", ")))
}

/// `Some(id segment)` when `path` fits `pattern`.
fn matches<'p>(pattern: &str, path: &'p str) -> Option<Option<&'p str>> {
    let (mut want, mut got) = (pattern.split('/'), path.split('/'));
    let mut id = None;
    loop {
        match (want.next(), got.next()) {
            (None, None) => return Some(id),
            (Some("{id}"), Some(segment)) if !segment.is_empty() => id = Some(segment),
            (Some(w), Some(g)) if w == g => {}
            _ => return None,
        }
    }
}

/// Whether `endpoint` is served without a token.
fn public(api: &Api, endpoint: Endpoint) -> bool {
    match endpoint {
        Endpoint::Page => api.config.public_page,
        Endpoint::Metrics => api.config.public_metrics,
        Endpoint::OpenApi
        | Endpoint::Jobs
        | Endpoint::Submit
        | Endpoint::Queue
        | Endpoint::Show
        | Endpoint::Cancel => false,
    }
}

/// The answer to `request`.
pub fn handle(api: &Api, request: &Request) -> Response {
    let (endpoint, id) = match find(&request.method, &request.path) {
        Ok(found) => found,
        Err(response) => return response,
    };
    if !public(api, endpoint)
        && let Err(e) = auth::check(api.token.as_ref(), request.header("authorization"))
    {
        return e
            .response()
            .with_header("WWW-Authenticate", "Bearer realm=\"upstox-jobs\"");
    }
    let internal = |e: anyhow::Error| ApiError::internal(&e);
    let segment = id.unwrap_or_default();
    let answer = match endpoint {
        Endpoint::Page => page::answer(api).map_err(internal),
        Endpoint::OpenApi => Ok(openapi::answer()),
        Endpoint::Metrics => metrics::answer(api).map_err(internal),
        Endpoint::Jobs => jobs::answer(api).map_err(internal),
        Endpoint::Submit => requests::submit(api, request),
        Endpoint::Queue => requests::list(api),
        Endpoint::Show => requests::show(api, segment),
        Endpoint::Cancel => requests::cancel(api, segment),
    };
    answer.unwrap_or_else(|e| e.response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_fit_their_patterns_segment_by_segment() {
        assert_eq!(
            matches("/v1/requests/{id}", "/v1/requests/42"),
            Some(Some("42"))
        );
        assert_eq!(matches("/v1/requests/{id}", "/v1/requests/"), None);
        assert_eq!(matches("/v1/requests/{id}", "/v1/requests/4/2"), None);
        assert_eq!(matches("/", "/"), Some(None));
        assert_eq!(matches("/", "/x"), None);
    }

    #[test]
    fn an_unknown_path_is_404_and_a_wrong_method_405_with_allow() {
        let e = find("GET", "/nope").unwrap_err();
        assert_eq!(e.status, 404);
        let e = find("DELETE", "/metrics").unwrap_err();
        assert_eq!(e.status, 405);
        assert!(e.headers.contains(&("Allow", "GET".to_string())), "{e:?}");
        assert_eq!(find("GET", "/metrics").unwrap(), (Endpoint::Metrics, None));
    }
}
