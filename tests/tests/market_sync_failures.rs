//! upstox-market-sync when things go wrong: a refused token, 429 with and without
//! Retry-After, 5xx storms, timeouts, HTML error pages, the shared request budget under two
//! processes, and kill -9 in the middle of a sync.

use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant, SystemTime};

use testkit::sync::*;
use testkit::{Fault, Row};

const RELIANCE: &str = "NSE_EQ|INE002A01018";

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

#[test]
fn processes_together_never_exceed_the_configured_limits_however_late_requests_arrive() {
    let limits = "limits = [{ requests = 4, per_secs = 1.0 }, { requests = 12, per_secs = 4.0 }]";
    let w = World::new();
    let config = std::fs::read_to_string(w.sandbox.path().join("config.toml")).unwrap();
    let (head, tail) = config.split_once("[providers.yahoo]").unwrap();
    let head = head.replace("limits = [{ requests = 10000, per_secs = 1.0 }]", limits);
    w.sandbox
        .write_config(&format!("{head}[providers.yahoo]{tail}"));
    w.server
        .enforce_limits(&[(4, Duration::from_secs(1)), (12, Duration::from_secs(4))]);
    // Every third request is 300 ms slow on the way, so requests arrive out of the
    // order and spacing they were sent in: a budget that counted from sending would break
    // the limits.
    w.server.delay_arrivals(3, Duration::from_millis(300));
    // A real run and two dry runs (which take no lock) spend one budget: 3 × 8 requests
    // of 15-minute bars (3 spans of 28 days each, and intraday, for RELIANCE and TCS).
    let args = [
        "--no-options",
        "--no-quotes",
        "--symbols",
        "RELIANCE,TCS",
        "--interval",
        "15minute",
        "--period",
        "80d",
    ];
    let first = w.job().args(args).command().output().unwrap();
    let mut dry = args.to_vec();
    dry.push("--dry-run");
    let runs: Vec<_> = [&args[..], &dry, &dry]
        .iter()
        .map(|a| w.job().args(*a).command().spawn().unwrap())
        .collect();
    let outputs: Vec<_> = runs
        .into_iter()
        .map(|r| r.wait_with_output().unwrap())
        .chain([first])
        .collect();
    for o in &outputs {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert_eq!(
        w.server.violations(),
        0,
        "the server saw a window over its limit"
    );
    let mut arrivals: Vec<SystemTime> = w
        .server
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/v3") || r.path.starts_with("/v2"))
        .map(|r| r.at)
        .collect();
    // The log is in the order the server's threads wrote it, not quite the order of arrival.
    arrivals.sort();
    assert!(arrivals.len() >= 24, "{}", arrivals.len());
    for (n, window) in [(4, Duration::from_secs(1)), (12, Duration::from_secs(4))] {
        for (i, start) in arrivals.iter().enumerate() {
            let inside = arrivals[i..]
                .iter()
                .filter(|t| t.duration_since(*start).unwrap_or_default() < window)
                .count();
            assert!(inside <= n, "{inside} requests within {window:?}");
        }
    }
}

#[test]
fn kill_9_mid_sync_leaves_each_instrument_wholly_in_or_out_and_the_next_run_completes() {
    let w = World::new();
    let mut child = w
        .job()
        .args(["-v", "--no-options", "--no-quotes"])
        .env(
            "FAILPOINTS",
            "market-sync::before-commit=1*off->sleep(60000)",
        )
        .spawn();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut committed = 0;
    for line in stderr.lines().map_while(Result::ok) {
        assert!(Instant::now() < deadline, "the run never paused");
        if line.contains(": written, committing") {
            committed += 1;
            if committed == 2 {
                break;
            }
        }
    }
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        child.try_wait().unwrap().is_none(),
        "build with --features market-sync/failpoints (make test does)"
    );
    child.kill().unwrap();
    child.wait().unwrap();

    let conn = w.db();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let market = w.server.market();
    // RELIANCE was committed before the pause; TCS was paused inside its transaction.
    assert_eq!(
        stored(&conn, RELIANCE, "15minute"),
        market.bars(RELIANCE, "15minute", nov(10), nov(20))
    );
    assert!(stored(&conn, "NSE_EQ|INE467B01029", "15minute").is_empty());
    assert!(stored(&conn, "NSE_EQ|INE467B01029", "day").is_empty());
    drop(conn);
    w.run_ok(&["--no-options", "--no-quotes"]);
    let conn = w.db();
    for (key, _, _) in INSTRUMENTS {
        assert_eq!(
            stored(&conn, key, "15minute"),
            market.bars(key, "15minute", nov(10), nov(20)),
            "{key}"
        );
    }
}
