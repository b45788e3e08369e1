//! upstox-market-sync's shared request budget: processes together never exceed the account's
//! limits, however late their requests arrive.

use std::time::{Duration, SystemTime};

use testkit::sync::*;

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
    // A violation has been seen once in CI and never here: say what happened when it recurs.
    let log = w.server.requests();
    let timeline: Vec<String> = log
        .iter()
        .map(|r| {
            let ms = r.instant.duration_since(log[0].instant).as_millis();
            format!("{ms:>6} ms {} {}", r.status, r.path)
        })
        .collect();
    assert_eq!(
        w.server.violations(),
        0,
        "the server saw a window over its limit; it served:\n{}\nthe runs said:\n{}",
        timeline.join("\n"),
        outputs
            .iter()
            .map(|o| String::from_utf8_lossy(&o.stderr))
            .collect::<Vec<_>>()
            .join("\n---\n")
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

/// Requests the shared budget still counts as in flight, and all it logged.
fn in_flight(w: &World) -> (i64, i64) {
    w.db()
        .query_row(
            "SELECT count(*) - count(done_ms), count(*) FROM api_requests",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
}

#[test]
fn slots_taken_ahead_for_the_fetching_thread_are_all_recorded_when_a_run_ends() {
    // Left in flight, a slot would hold the budget of every other process until its
    // timeout. A run that completes, and one stopped at once by a refused token (its
    // fetcher had slots taken ahead for the instruments after the first).
    let w = World::new();
    w.run_ok(&["--no-options", "--no-quotes"]);
    let (flying, logged) = in_flight(&w);
    assert!(logged >= 6, "{logged}");
    assert_eq!(flying, 0);

    std::fs::write(w.sandbox.path().join("upstox_token"), "expired-token\n").unwrap();
    let out = w
        .job()
        .args(["--no-options", "--no-quotes"])
        .command()
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    let (flying, again) = in_flight(&w);
    assert!(again > logged, "the refused run was counted");
    assert_eq!(flying, 0);
}
