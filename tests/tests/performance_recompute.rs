//! `--from/--to` recomputes a range idempotently: the second run changes no row and leaves
//! every table as the first left it; `--dry-run` prints the rows and writes none; without
//! `upstox.db` or its `trades` table the run says so and skips.

use testkit::Row;
use testkit::performance::{Desk, GENERIC_HEADER};

const TABLES: [&str; 4] = [
    "daily_performance",
    "monthly_performance",
    "risk_metrics",
    "strategy_performance",
];

fn desk() -> Desk {
    let desk = Desk::default();
    desk.two_weeks();
    let book = format!(
        "{GENERIC_HEADER}\n\
         1,INFY,BUY,20,1500,2026-11-16 10:00:00,2,a\n\
         2,INFY,SELL,10,1505,2026-11-18 10:00:00,2,a\n\
         3,INFY,SELL,10,1535,2026-11-25 10:00:00,2,b\n"
    );
    assert_eq!(desk.import("book.csv", &book, &[]).code, Some(0));
    desk
}

fn snapshot(desk: &Desk) -> Vec<Vec<String>> {
    TABLES.iter().map(|t| desk.rows(t)).collect()
}

#[test]
fn recomputing_a_range_twice_gives_identical_rows() {
    let desk = desk();
    let args = ["--from", "2026-11-16", "--to", "2026-11-27"];
    desk.run(&args).expect(
        0,
        "9 sessions 2026-11-16..2026-11-27",
        Row::status("succeeded"),
    );
    let first = snapshot(&desk);
    // Portfolio and strategies a and b: 9 daily rows, 1 month, 1 risk and 1 trade summary each.
    assert_eq!(first[0].len(), 27);
    assert_eq!(first[1].len(), 3);
    assert_eq!(first[2].len(), 3);
    assert_eq!(first[3].len(), 3);
    let nifty = &first[0][0];
    assert!(nifty.starts_with("|2026-11-16|"), "{nifty}");
    desk.run(&args)
        .expect(0, "3/3 scopes done", Row::status("succeeded").rows(0));
    assert_eq!(snapshot(&desk), first);
    // A narrower range rewrites its own rows only, to the same values.
    desk.run(&["--from", "2026-11-19", "--to", "2026-11-27"])
        .ok();
    let narrower = snapshot(&desk);
    assert_eq!(narrower[0], first[0]);
    assert_eq!(narrower[1], first[1]);
}

#[test]
fn a_dry_run_prints_the_rows_it_would_write_and_writes_none() {
    let desk = desk();
    let run = desk.run(&["--from", "2026-11-16", "--to", "2026-11-20", "--dry-run"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout
            .contains("daily_performance portfolio 2026-11-16: pnl -2 equity 99998"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("risk_metrics a 2026-11-16..2026-11-20"),
        "{}",
        run.stdout
    );
    // Not even the job's tables: the dry run read a copy of the file migrated in memory.
    let tables: i64 = desk
        .sandbox
        .db()
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'daily_performance'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 0);
}

#[test]
fn without_the_trades_database_or_its_table_the_run_says_so_and_skips() {
    let desk = Desk::default();
    let run = desk.run(&["--to", "2026-11-20"]).expect(
        0,
        "no trades database at",
        Row::status("skipped"),
    );
    assert!(
        run.stderr.contains("import-trades FILE.csv"),
        "{}",
        run.stderr
    );
    // An upstox.db the application made without a trades table yet.
    rusqlite::Connection::open(desk.sandbox.data_dir().join("upstox.db"))
        .unwrap()
        .execute_batch("CREATE TABLE orders (id INTEGER)")
        .unwrap();
    desk.run(&["--to", "2026-11-20"])
        .expect(0, "has no trades table", Row::status("skipped"));
}

#[test]
fn a_stored_row_that_is_no_trade_is_named_and_nothing_is_written() {
    let desk = desk();
    desk.upstox_db()
        .execute(
            "INSERT INTO trades (exchange, trade_id, symbol, side, quantity, price, traded_at)
             VALUES ('NSE', '9', 'INFY', 'BUY', 10, '1e40', '2026-11-17T05:00:00Z')",
            [],
        )
        .unwrap();
    let run = desk.run(&["--from", "2026-11-16", "--to", "2026-11-27"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.summary()
            .contains("trade NSE/9: price \"1e40\" is not a number"),
        "{}",
        run.stderr
    );
    assert!(desk.rows("daily_performance").is_empty());
}
