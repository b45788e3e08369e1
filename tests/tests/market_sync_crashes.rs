//! upstox-market-sync killed with SIGKILL in the middle of a sync: each instrument is wholly
//! in or out, and the next run completes.

use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use testkit::sync::*;

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
