//! The OpenAPI 3 document of the API: served at `/openapi.json` and shipped in the package
//! (`/usr/share/upstox-jobs/openapi.json`). A test holds it to the route table.

use super::http::Response;

/// The document.
pub const DOCUMENT: &str = include_str!("../../openapi.json");

/// The answer to `GET /openapi.json`.
pub fn answer() -> Response {
    Response::new(200, "application/json", DOCUMENT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::routes::ROUTES;

    #[test]
    fn every_route_is_documented_and_every_documented_operation_is_a_route() {
        let doc: serde_json::Value = serde_json::from_str(DOCUMENT).unwrap();
        let mut documented: Vec<(String, String)> = doc["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(path, ops)| {
                ops.as_object()
                    .unwrap()
                    .keys()
                    // A path item also holds `parameters`, shared by its operations.
                    .filter(|k| *k != "parameters")
                    .map(move |m| (m.to_ascii_uppercase(), path.clone()))
            })
            .collect();
        let mut served: Vec<(String, String)> = ROUTES
            .iter()
            .map(|r| (r.method.to_string(), r.path.to_string()))
            .collect();
        documented.sort();
        served.sort();
        assert_eq!(documented, served);
    }
}
