//! The API's bearer token: every route but the page and the metrics needs it; a missing or
//! wrong one is 401 with a JSON error saying what to send; the public routes can be closed.

use testkit::Sandbox;
use testkit::api::{self, ApiServer, TOKEN};

#[test]
fn a_missing_or_wrong_token_is_401_and_the_right_one_is_served() {
    let sandbox = Sandbox::new("");
    sandbox.write_config(&api::config(sandbox.path(), ""));
    let server = ApiServer::start(&sandbox);
    for path in ["/v1/jobs", "/openapi.json"] {
        let none = server.get(path, None);
        assert_eq!(none.status, 401, "{path}: {}", none.body);
        assert_eq!(none.error(), "this needs a bearer token");
        assert_eq!(
            none.header("www-authenticate"),
            Some("Bearer realm=\"upstox-jobs\"")
        );
        let wrong = server.get(path, Some("api-test-token-012345678"));
        assert_eq!(wrong.status, 401, "{path}: {}", wrong.body);
        assert_eq!(wrong.error(), "the bearer token is wrong");
        let right = server.get(path, Some(TOKEN));
        assert_eq!(right.status, 200, "{path}: {}", right.body);
    }
    let jobs = server.get("/v1/jobs", Some(TOKEN)).json();
    assert_eq!(jobs["jobs"].as_array().unwrap().len(), 8, "{jobs}");
    // Public by default: Prometheus and a browser send no token.
    assert_eq!(server.get("/metrics", None).status, 200);
    assert_eq!(server.get("/", None).status, 200);
}

#[test]
fn the_page_and_the_metrics_need_the_token_when_configured_so() {
    let sandbox = Sandbox::new("");
    sandbox.write_config(&api::config(
        sandbox.path(),
        "public_page = false\npublic_metrics = false\n",
    ));
    let server = ApiServer::start(&sandbox);
    for path in ["/", "/metrics"] {
        assert_eq!(server.get(path, None).status, 401, "{path}");
        assert_eq!(server.get(path, Some(TOKEN)).status, 200, "{path}");
    }
}

#[test]
fn without_a_token_configured_nothing_protected_is_served() {
    let sandbox = Sandbox::new("");
    let server = ApiServer::start(&sandbox);
    let reply = server.get("/v1/jobs", Some(TOKEN));
    assert_eq!(reply.status, 401);
    assert_eq!(reply.error(), "no API token is configured on this server");
    assert!(
        server.log().contains("no credential api-token"),
        "{}",
        server.log()
    );
    assert_eq!(server.get("/", None).status, 200);
}
