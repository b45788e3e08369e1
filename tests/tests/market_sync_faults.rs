//! upstox-market-sync when its provider misbehaves: a refused token, 429 with and without
//! Retry-After, 5xx storms, timeouts and HTML error pages.

use std::time::Duration;

use testkit::sync::*;
use testkit::{Fault, Row};

#[test]
fn a_refused_token_stops_the_run_with_78_and_says_how_to_renew_it() {
    let w = World::new();
    std::fs::write(w.sandbox.path().join("upstox_token"), "expired-token\n").unwrap();
    let out = w.run(&["--no-options"]).expect(
        78,
        "refused the access token (HTTP 401)",
        Row::status("failed").units(0, 0),
    );
    let last = out.summary();
    assert!(
        last.contains("refused the access token (HTTP 401)"),
        "{last}"
    );
    assert!(
        last.contains("log in again") && last.contains("upstox_token"),
        "{last}"
    );
    assert!(
        !out.stderr.contains("expired-token"),
        "the token is never logged"
    );
}

#[test]
fn rate_limits_with_and_without_retry_after_are_waited_out() {
    let w = World::new();
    w.server.script(
        "/v3/historical-candle",
        vec![
            Fault::TooMany {
                retry_after: Some(1),
            },
            Fault::TooMany { retry_after: None },
        ],
    );
    let out = w.run_ok(&["--no-options", "--interval", "day"]);
    assert!(
        out.stderr.contains("rate limited (HTTP 429)"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("Retry-After 1s"), "{}", out.stderr);
    let log = w.server.requests();
    let candles: Vec<_> = log
        .iter()
        .filter(|r| r.path.starts_with("/v3/historical-candle"))
        .collect();
    assert_eq!(
        (candles[0].status, candles[1].status, candles[2].status),
        (429, 429, 200)
    );
    assert!(
        candles[1].instant - candles[0].instant >= Duration::from_millis(990),
        "Retry-After: 1 was honoured"
    );
    assert_eq!(
        stored(&w.db(), RELIANCE, "day"),
        w.server
            .market()
            .bars(RELIANCE, "day", nov(20) - chrono::Days::new(45), nov(20))
    );
}

#[test]
fn a_5xx_storm_fails_the_instruments_it_hits_and_the_next_run_completes_them() {
    let w = World::new();
    // Three attempts (retries = 2) of RELIANCE's first request, all 503.
    w.server.script(
        "/v3/historical-candle",
        vec![Fault::Status(503, "{}".to_string(), None); 3],
    );
    let out = w.run(&["--no-options", "--no-quotes"]).expect(
        1,
        "2/3 instruments done",
        Row::status("partial")
            .units(2, 1)
            .error("RELIANCE: HTTP 503"),
    );
    let summary = out.summary();
    assert!(
        summary.contains("partial") && summary.contains("2/3 instruments done"),
        "{summary}"
    );
    assert!(
        summary.contains("RELIANCE: HTTP 503") && summary.contains("gave up after 3 attempts"),
        "{summary}"
    );
    assert!(
        stored(&w.db(), RELIANCE, "15minute").is_empty(),
        "nothing half-written"
    );
    w.run_ok(&["--no-options", "--no-quotes"]);
    assert_eq!(
        stored(&w.db(), RELIANCE, "15minute"),
        w.server
            .market()
            .bars(RELIANCE, "15minute", nov(10), nov(20))
    );
}

#[test]
fn timeouts_are_retried_and_html_error_pages_are_named() {
    let w = World::new();
    w.server.script(
        "/v3/historical-candle",
        vec![Fault::Delay(Duration::from_secs(3))],
    );
    let out = w.run_ok(&[
        "--no-options",
        "--no-quotes",
        "--symbols",
        "RELIANCE",
        "--interval",
        "day",
    ]);
    assert!(out.stderr.contains("no response from"), "{}", out.stderr);

    // A proxy's HTML page instead of JSON, with status 200: a data error, named as such.
    w.server.script(
        "/v3/historical-candle",
        vec![Fault::Status(
            200,
            "<!DOCTYPE html><html><body>Service temporarily unavailable</body></html>".to_string(),
            Some("text/html".to_string()),
        )],
    );
    let tcs_day = [
        "--no-options",
        "--no-quotes",
        "--symbols",
        "TCS",
        "--interval",
        "day",
        "--force",
    ];
    w.run(&tcs_day).expect(
        65,
        "not JSON: starts with `<!DOCTYPE html>",
        Row::status("failed").units(0, 1),
    );
    // And a 502 HTML page, three times: unavailable.
    w.server
        .script("/v3/historical-candle", vec![Fault::Html(502); 3]);
    w.run(&tcs_day)
        .expect(69, "HTTP 502", Row::status("failed").units(0, 1));
}
