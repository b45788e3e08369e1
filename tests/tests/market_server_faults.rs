//! The synthetic market server over real HTTP: the misbehaviour it offers the market-sync
//! tests (a required token, scripted faults, Upstox-style rate limits).

use serde_json::Value;
use std::time::{Duration, Instant};
use testkit::market::Fault;
use testkit::probe::*;

#[test]
fn a_required_token_is_checked_on_upstox_paths_only() {
    let server = server();
    server.require_token("secret");
    let path = hist(RELIANCE, "minutes/1", "2026-11-16", "2026-11-16");
    let denied = get(&server, &path);
    assert_eq!(denied.status, 401);
    assert_eq!(
        String::from_utf8(denied.body).unwrap(),
        r#"{"status":"error","errors":[{"errorCode":"UDAPI100050","message":"Invalid token used to access API","propertyPath":null,"invalidValue":null,"error_code":"UDAPI100050","property_path":null,"invalid_value":null}]}"#
    );
    assert_eq!(
        get_with(&server, &path, &[("Authorization", "Bearer wrong")]).status,
        401
    );
    assert_eq!(
        get_with(&server, &path, &[("Authorization", "Bearer secret")]).status,
        200
    );
    assert_eq!(
        get_with(
            &server,
            "/v2/market-quote/quotes?instrument_key=NSE_EQ%7CINE002A01018",
            &[("authorization", "Bearer secret")]
        )
        .status,
        200
    );
    assert_eq!(
        get(
            &server,
            "/v8/finance/chart/RELIANCE.NS?range=1d&interval=5m"
        )
        .status,
        200
    );
    assert_eq!(get(&server, "/instruments/NSE.json.gz").status, 200);
}

#[test]
fn scripted_faults_come_in_order_then_normal_service_resumes() {
    let server = server();
    let path = hist(RELIANCE, "minutes/1", "2026-11-16", "2026-11-16");
    server.script(
        "/v3/historical-candle",
        vec![
            Fault::Status(503, "busy".into(), Some("text/plain".into())),
            Fault::TooMany {
                retry_after: Some(2),
            },
            Fault::TooMany { retry_after: None },
            Fault::Html(502),
            Fault::Truncated,
            Fault::Delay(Duration::from_millis(150)),
        ],
    );
    server.script(
        "/v8/finance/chart",
        vec![Fault::TooMany { retry_after: None }],
    );

    let r = get(&server, &path);
    assert_eq!((r.status, r.body.as_slice()), (503, b"busy".as_slice()));
    assert_eq!(r.header("Content-Type"), Some("text/plain"));
    let r = get(&server, &path);
    assert_eq!(r.status, 429);
    assert_eq!(r.header("Retry-After"), Some("2"));
    assert_eq!(r.json()["errors"][0]["errorCode"], "UDAPI10005");
    let r = get(&server, &path);
    assert_eq!(r.status, 429);
    assert_eq!(r.header("Retry-After"), None);
    let r = get(&server, &path);
    assert_eq!(r.status, 502);
    assert_eq!(r.header("Content-Type"), Some("text/html"));
    assert!(String::from_utf8_lossy(&r.body).contains("<title>502 Bad Gateway</title>"));
    let r = get(&server, &path);
    assert_eq!(r.status, 200);
    let declared: usize = r.header("Content-Length").unwrap().parse().unwrap();
    assert!(r.body.len() < declared, "{} of {declared}", r.body.len());
    assert!(serde_json::from_slice::<Value>(&r.body).is_err());
    let started = Instant::now();
    let r = get(&server, &path);
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["data"]["candles"].as_array().unwrap().len(), 375);
    assert_eq!(get(&server, &path).status, 200);

    let r = get(
        &server,
        "/v8/finance/chart/RELIANCE.NS?range=1d&interval=1m",
    );
    assert_eq!(
        (r.status, r.body.as_slice()),
        (429, b"Too Many Requests\r\n".as_slice())
    );
    assert_eq!(
        get(
            &server,
            "/v8/finance/chart/RELIANCE.NS?range=1d&interval=1m"
        )
        .status,
        200
    );

    let log = server.requests();
    let statuses: Vec<u16> = log.iter().map(|l| l.status).collect();
    assert_eq!(statuses, [503, 429, 429, 502, 200, 200, 200, 429, 200]);
    assert_eq!(log[0].path, path);
    assert!(
        log.windows(2)
            .all(|w| w[0].instant <= w[1].instant && w[0].at <= w[1].at)
    );
}

#[test]
fn limits_refuse_with_upstox_429_per_api_and_count_violations() {
    let server = server();
    server.enforce_limits(&[(3, Duration::from_secs(5)), (100, Duration::from_secs(60))]);
    let quote = "/v2/market-quote/quotes?instrument_key=NSE_EQ%7CINE002A01018";
    let statuses: Vec<u16> = (0..5).map(|_| get(&server, quote).status).collect();
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    let refused = get(&server, quote);
    assert_eq!(refused.header("Retry-After"), None);
    let v = refused.json();
    assert_eq!(v["errors"][0]["errorCode"], "UDAPI10005");
    assert_eq!(v["errors"][0]["message"], "Too Many Request Sent");
    assert_eq!(server.violations(), 3);
    // Another API has its own window; Yahoo is not Upstox.
    assert_eq!(
        get(
            &server,
            &hist(RELIANCE, "days/1", "2026-11-17", "2026-11-16")
        )
        .status,
        200
    );
    assert_eq!(
        get(
            &server,
            "/v8/finance/chart/RELIANCE.NS?range=1d&interval=1m"
        )
        .status,
        200
    );
    assert_eq!(server.violations(), 3);

    // A window slides: after it passes, requests are served again.
    let server = self::server();
    server.enforce_limits(&[(2, Duration::from_millis(300))]);
    assert_eq!(get(&server, quote).status, 200);
    assert_eq!(get(&server, quote).status, 200);
    std::thread::sleep(Duration::from_millis(350));
    assert_eq!(get(&server, quote).status, 200);
    assert_eq!(server.violations(), 0);
}
