//! upstox-market-sync killed with SIGKILL in the middle of a sync: each instrument is wholly
//! in or out, and the next run completes.

use std::io::{BufRead, BufReader};
use std::process::Child;
use std::time::{Duration, Instant};

use testkit::sync::*;

/// A verbose sync of candles only, started with `failpoints` set, and its log lines as they
/// come.
fn paused(w: &World, failpoints: &str) -> (Child, impl Iterator<Item = String>) {
    let mut child = w
        .job()
        .args(["-v", "--no-options", "--no-quotes"])
        .env("FAILPOINTS", failpoints)
        .spawn();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    (child, stderr.lines().map_while(Result::ok))
}

#[test]
fn kill_9_mid_sync_leaves_each_instrument_wholly_in_or_out_and_the_next_run_completes() {
    let w = World::new();
    let (mut child, lines) = paused(&w, "market-sync::before-commit=1*off->sleep(60000)");
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut committed = 0;
    for line in lines {
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

#[test]
fn sigterm_mid_sync_finishes_the_instrument_in_hand_and_leaves_the_one_fetched_ahead() {
    let w = World::new();
    // RELIANCE pauses inside its transaction; TCS is by then fetched, waiting to be written.
    let (mut child, mut lines) = paused(&w, "market-sync::before-commit=1*sleep(2000)->off");
    assert!(
        lines.any(|line| line.contains("RELIANCE: written, committing")),
        "the run never paused"
    );
    let signalled = Instant::now();
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(143));
    assert!(
        signalled.elapsed() < Duration::from_secs(10),
        "the fetching thread held the run up: {:?}",
        signalled.elapsed()
    );
    // The summary counts what was asked for, not only what was reached.
    let summary = lines.last().unwrap_or_default();
    assert!(
        summary.contains("1 of 3 instruments done, 0 failed, 2 not reached: stopped by SIGTERM"),
        "{summary}"
    );

    let conn = w.db();
    let run = testkit::run::last_run(&conn);
    assert_eq!(
        (run.status.as_str(), run.units_ok, run.exit_code),
        ("interrupted", 1, Some(143))
    );
    let market = w.server.market();
    assert_eq!(
        stored(&conn, RELIANCE, "15minute"),
        market.bars(RELIANCE, "15minute", nov(10), nov(20)),
        "the instrument in hand was finished"
    );
    assert!(
        w.server.requests().iter().any(|r| r
            .path
            .starts_with("/v3/historical-candle/NSE_EQ%7CINE467B01029")),
        "TCS was fetched while RELIANCE was written"
    );
    for key in ["NSE_EQ|INE467B01029", NIFTY] {
        assert!(stored(&conn, key, "15minute").is_empty(), "{key}");
        assert!(stored(&conn, key, "day").is_empty(), "{key}");
    }
}
