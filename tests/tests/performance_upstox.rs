//! With an Upstox token, the run reads the fills Upstox reports, served here on loopback in
//! the documented JSON: the day's (get-trades-for-day) for the daily run, the paged history
//! for `--from/--to`, each request through the shared budget (`api_requests`); a fill already
//! in upstox.db is not counted twice, and a broken reply fails that unit alone.

use testkit::performance::{Desk, GENERIC_HEADER};
use testkit::server::{FixtureServer, Reply};
use testkit::world::{provider, upstox_credentials};

fn day_fill(id: &str, side: &str, qty: i64, price: f64, at: &str) -> String {
    format!(
        r#"{{"exchange":"NSE","product":"D","trading_symbol":"INFY-EQ","tradingsymbol":"INFY-EQ","instrument_token":"NSE_EQ|INE009A01021","order_type":"MARKET","transaction_type":"{side}","quantity":{qty},"exchange_order_id":"1{id}","order_id":"2{id}","exchange_timestamp":"{at}","average_price":{price},"trade_id":"{id}","order_ref_id":"udapi-x","order_timestamp":"{at}"}}"#
    )
}

fn past_fill(id: &str, date: &str, side: &str, qty: i64, price: f64) -> String {
    format!(
        r#"{{"exchange":"NSE","segment":"EQ","option_type":"","quantity":{qty},"amount":0,"trade_id":"{id}","trade_date":"{date}","transaction_type":"{side}","scrip_name":"INFOSYS","strike_price":"0.0","expiry":"","price":{price},"isin":"INE009A01021","symbol":"INFY","instrument_token":"NSE_EQ|INE009A01021"}}"#
    )
}

fn page(fills: &[String], number: u32, pages: u32) -> Reply {
    Reply::Body(
        format!(
            r#"{{"status":"success","data":[{}],"errors":null,"meta_data":{{"page":{{"page_number":{number},"page_size":500,"total_records":3,"total_pages":{pages}}}}}}}"#,
            fills.join(",")
        )
        .into_bytes(),
    )
}

fn desk(server: &FixtureServer) -> Desk {
    let desk = Desk::default();
    let config = testkit::performance::config("").replace(
        "[jobs.performance-analytics]",
        &format!(
            "{}\n{}\n[jobs.performance-analytics]",
            upstox_credentials(desk.sandbox.path()),
            provider("providers.upstox", server.url(), "")
        ),
    );
    desk.sandbox.write_config(&config);
    std::fs::write(desk.sandbox.path().join("upstox_token"), "test-token\n").unwrap();
    desk.two_weeks();
    desk
}

fn upstox_requests(desk: &Desk) -> i64 {
    desk.sandbox
        .db()
        .query_row(
            "SELECT count(*) FROM api_requests WHERE provider = 'upstox'",
            [],
            |r| r.get(0),
        )
        .unwrap()
}

#[test]
fn the_daily_run_reads_the_days_fills_through_the_budget() {
    let server = FixtureServer::start(&std::env::temp_dir(), 0).unwrap();
    server.script(
        "v2/order/trades/get-trades-for-day",
        vec![Reply::Body(
            format!(
                r#"{{"status":"success","data":[{},{}]}}"#,
                day_fill("501", "BUY", 10, 1540.0, "27-Nov-2026 10:00:00"),
                day_fill("502", "SELL", 4, 1546.5, "27-Nov-2026 14:00:00")
            )
            .into_bytes(),
        )],
    );
    let desk = desk(&server);
    desk.job().run().ok();
    // 4 sold at 1546.50 bought at 1540: +26; 6 left marked at 1545: +30. No upstox.db needed.
    let pnl: f64 = desk
        .sandbox
        .db()
        .query_row(
            "SELECT pnl FROM daily_performance WHERE strategy = '' AND date = '2026-11-27'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(pnl, 56.0);
    assert_eq!(upstox_requests(&desk), 1);
    assert!(
        !desk.sandbox.data_dir().join("upstox.db").exists(),
        "the run wrote upstox.db"
    );
}

#[test]
fn a_range_reads_every_page_of_the_history_and_upstox_db_wins_on_the_same_fill() {
    let server = FixtureServer::start(&std::env::temp_dir(), 0).unwrap();
    server.script(
        "v2/charges/historical-trades",
        vec![
            page(
                &[
                    past_fill("601", "2026-11-16", "BUY", 10, 1500.0),
                    past_fill("602", "2026-11-18", "SELL", 5, 1495.0),
                ],
                1,
                2,
            ),
            page(&[past_fill("603", "2026-11-25", "SELL", 5, 1550.0)], 2, 2),
        ],
    );
    let desk = desk(&server);
    // The application recorded 601 with its charges and strategy: its row is the one used.
    let book = format!("{GENERIC_HEADER}\n601,INFY,BUY,10,1500,2026-11-16 10:00:00,3,swing\n");
    assert_eq!(desk.import("app.csv", &book, &[]).code, Some(0));
    desk.run(&["--from", "2026-11-16", "--to", "2026-11-27"])
        .ok();
    assert_eq!(upstox_requests(&desk), 2);
    let strategies = desk.rows("strategy_performance");
    // The portfolio, swing (601 with ₹3) and untagged (602 and 603 from Upstox).
    assert_eq!(strategies.len(), 3, "{strategies:?}");
    assert!(
        strategies.iter().any(|r| r.starts_with("swing|")),
        "{strategies:?}"
    );
    let equity: f64 = desk
        .sandbox
        .db()
        .query_row(
            "SELECT equity FROM daily_performance WHERE strategy = '' AND date = '2026-11-27'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    // 5 × (1495 − 1500) + 5 × (1550 − 1500) − ₹3 charges of 601 − the schedule's (zero).
    assert_eq!(equity, 100_000.0 - 25.0 + 250.0 - 3.0);
}

#[test]
fn a_broken_reply_fails_the_upstox_unit_and_the_database_trades_are_still_analysed() {
    let server = FixtureServer::start(&std::env::temp_dir(), 0).unwrap();
    server.script(
        "v2/order/trades/get-trades-for-day",
        vec![Reply::Body(b"<html>maintenance</html>".to_vec())],
    );
    let desk = desk(&server);
    let book = format!("{GENERIC_HEADER}\n1,INFY,BUY,10,1500,2026-11-16 10:00:00,,x\n");
    assert_eq!(desk.import("app.csv", &book, &[]).code, Some(0));
    let run = desk.job().run();
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("upstox trades: Upstox trades for the day: not the documented JSON"),
        "{}",
        run.stderr
    );
    assert_eq!(desk.rows("daily_performance").len(), 2 * 9);
}
