//! The request routes: `POST /v1/requests` (accepted 202, with its `Location`),
//! `GET /v1/requests` (the queue), `GET /v1/requests/ID` and `DELETE /v1/requests/ID`, all
//! through `common::requests`, as the CLI and the spool are.

use common::requests::{self, Origin, RequestDoc, RequestError, RequestId};

use super::Api;
use super::freshness::has_table;
use super::http::{Request, Response};
use super::routes::ApiError;

/// Requests `GET /v1/requests` lists.
const LISTED: usize = 100;

/// What to do about a refusal, by its status.
fn refused(e: &RequestError) -> ApiError {
    let status = e.http_status();
    let hint = match status {
        400 => "correct the request and send it again; /openapi.json describes the document",
        404 => "GET /v1/requests lists the requests kept",
        409 => "nothing to do: GET /v1/requests/ID shows how it ended",
        _ => "look at `journalctl -u upstox-jobs-api.service`, and retry",
    };
    ApiError::new(status, e.to_string(), hint)
}

/// The id in the path.
fn id(segment: &str) -> Result<RequestId, ApiError> {
    segment.parse().map_err(|e: String| {
        ApiError::new(
            400,
            e,
            "use the id POST /v1/requests answered, as in /v1/requests/42",
        )
    })
}

/// `POST /v1/requests`.
pub fn submit(api: &Api, request: &Request) -> Result<Response, ApiError> {
    let doc = RequestDoc::from_json(&request.body).map_err(|e| refused(&e))?;
    let id = requests::accept(&api.requests, doc, Origin::Http).map_err(|e| refused(&e))?;
    Ok(Response::json(202, &serde_json::json!({ "id": id }))
        .with_header("Location", format!("/v1/requests/{id}")))
}

/// `GET /v1/requests/ID`.
pub fn show(api: &Api, segment: &str) -> Result<Response, ApiError> {
    let id = id(segment)?;
    let missing = || refused(&RequestError::NotFound(id));
    let conn = api
        .read()
        .map_err(|e| ApiError::internal(&e))?
        .ok_or_else(missing)?;
    if !has_table(&conn, "job_requests").map_err(|e| ApiError::internal(&e.into()))? {
        return Err(missing());
    }
    let view = requests::view(&conn, id)
        .map_err(|e| refused(&e))?
        .ok_or_else(missing)?;
    Ok(Response::json(200, &view))
}

/// `DELETE /v1/requests/ID`: 200 when it was dequeued, 202 when its run is being stopped.
pub fn cancel(api: &Api, segment: &str) -> Result<Response, ApiError> {
    let id = id(segment)?;
    let view = requests::cancel(&api.requests, id).map_err(|e| refused(&e))?;
    let status = if view.state.is_finished() { 200 } else { 202 };
    Ok(Response::json(status, &view))
}

/// `GET /v1/requests`: queued and running first, then the newest finished.
pub fn list(api: &Api) -> Result<Response, ApiError> {
    let listed = queued(api, LISTED)?;
    Ok(Response::json(
        200,
        &serde_json::json!({ "requests": listed }),
    ))
}

/// Up to `limit` requests, none before the first was made.
pub fn queued(api: &Api, limit: usize) -> Result<Vec<requests::RequestView>, ApiError> {
    let Some(conn) = api.read().map_err(|e| ApiError::internal(&e))? else {
        return Ok(Vec::new());
    };
    if !has_table(&conn, "job_requests").map_err(|e| ApiError::internal(&e.into()))? {
        return Ok(Vec::new());
    }
    requests::queue(&conn, limit).map_err(|e| refused(&e))
}
