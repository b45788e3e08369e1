//! FIFO P&L through the binary: partial fills, scaling in and out, a short, charges from the
//! rows, two strategies on one symbol, a position carried over the 24 November 2026 holiday,
//! and a day with no close to mark an open position against.

use chrono::NaiveDate;
use testkit::performance::{Desk, GENERIC_HEADER, NIFTY, SYMBOLS};
use testkit::sync::nov;

/// The sessions of 16–27 November 2026: 24 November is Guru Nanak's birthday, a holiday.
fn sessions() -> Vec<NaiveDate> {
    [16, 17, 18, 19, 20, 23, 25, 26, 27].map(nov).to_vec()
}

const INFY: [f64; 9] = [
    1500.0, 1510.0, 1520.0, 1490.0, 1500.0, 1530.0, 1550.0, 1540.0, 1545.0,
];
const TCS: [f64; 9] = [
    3400.0, 3380.0, 3390.0, 3350.0, 3360.0, 3370.0, 3300.0, 3320.0, 3330.0,
];

/// Four strategies: `partial` (one order filled 10 + 15, sold at once), `scale` (in at two
/// prices, out in two sales, on the same symbol as `partial`), `short` (sold first, covered,
/// ₹5 charges on each fill) and `carry` (bought before the holiday, sold after).
fn book() -> String {
    format!(
        "{GENERIC_HEADER},order_id\n\
         1,INFY,BUY,10,1500,2026-11-16 10:00:00,,partial,A\n\
         2,INFY,BUY,15,1500,2026-11-16 10:00:01,,partial,A\n\
         3,INFY,BUY,10,1500,2026-11-16 10:05:00,,scale,B\n\
         4,TCS,SELL,10,3400,2026-11-16 10:10:00,5,short,C\n\
         5,INFY,BUY,10,1510,2026-11-17 10:00:00,,scale,D\n\
         6,INFY,SELL,25,1520,2026-11-18 10:00:00,,partial,E\n\
         7,INFY,SELL,15,1520,2026-11-18 10:05:00,,scale,F\n\
         8,INFY,SELL,5,1490,2026-11-19 10:00:00,,scale,G\n\
         9,TCS,BUY,10,3350,2026-11-19 10:10:00,5,short,H\n\
         10,TCS,BUY,10,3370,2026-11-23 10:00:00,,carry,I\n\
         11,TCS,SELL,10,3320,2026-11-26 10:00:00,,carry,J\n"
    )
}

fn desk() -> Desk {
    let desk = Desk::default();
    let days = sessions();
    desk.closes(SYMBOLS[0].0, &days, &INFY);
    desk.closes(SYMBOLS[1].0, &days, &TCS);
    desk.closes(
        NIFTY,
        &days,
        &[
            24000.0, 24100.0, 24050.0, 23900.0, 24000.0, 24200.0, 24150.0, 24300.0, 24250.0,
        ],
    );
    let out = desk.import("book.csv", &book(), &[]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    desk
}

/// (date, P&L, equity) of a strategy's (or, for "", the portfolio's) daily rows.
fn daily(desk: &Desk, strategy: &str) -> Vec<(String, f64, f64)> {
    let conn = desk.sandbox.db();
    let mut stmt = conn
        .prepare(
            "SELECT date, pnl, equity FROM daily_performance WHERE strategy = ?1 ORDER BY date",
        )
        .unwrap();
    stmt.query_map([strategy], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

fn pnl(desk: &Desk, strategy: &str) -> Vec<f64> {
    daily(desk, strategy)
        .into_iter()
        .map(|(_, p, _)| p)
        .collect()
}

#[test]
fn fifo_cases_give_the_pnl_worked_out_by_hand() {
    let desk = desk();
    desk.run(&["--from", "2026-11-16", "--to", "2026-11-27"])
        .ok();
    // Partial fills: 25 at 1500, marked 0 then +250, sold at 1520: +500 in all.
    assert_eq!(
        pnl(&desk, "partial"),
        [0.0, 250.0, 250.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    );
    // Scaling in (10 at 1500, 10 at 1510) and out (15 at 1520: 10×20 + 5×10 realised, 5 left
    // at 1510 marked +50; then 5 at 1490: −100 realised).
    assert_eq!(
        pnl(&desk, "scale"),
        [0.0, 100.0, 200.0, -150.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    );
    // A short at 3400 (₹5), marked +200, +100, covered at 3350 (₹5): 500 − 10 in all.
    assert_eq!(
        pnl(&desk, "short"),
        [-5.0, 200.0, -100.0, 395.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    );
    // Carried over the holiday: no row on the 24th, the 25th marks 3300 (−700), sold at 3320.
    let carry = daily(&desk, "carry");
    assert!(carry.iter().all(|(d, _, _)| d != "2026-11-24"), "{carry:?}");
    assert_eq!(
        pnl(&desk, "carry"),
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -700.0, 200.0, 0.0]
    );
    let portfolio = daily(&desk, "");
    let dates: Vec<&str> = portfolio.iter().map(|(d, _, _)| d.as_str()).collect();
    assert_eq!(
        dates,
        [
            "2026-11-16",
            "2026-11-17",
            "2026-11-18",
            "2026-11-19",
            "2026-11-20",
            "2026-11-23",
            "2026-11-25",
            "2026-11-26",
            "2026-11-27"
        ]
    );
    let equity: Vec<f64> = portfolio.iter().map(|(_, _, e)| *e).collect();
    assert_eq!(
        equity,
        [
            99995.0, 100545.0, 100895.0, 101140.0, 101140.0, 101140.0, 100440.0, 100640.0, 100640.0
        ]
    );
    // Closed trades: +500, +250, −100, +490 (after both fills' charges), −500.
    let stats: (i64, i64, i64, f64, f64) = desk
        .sandbox
        .db()
        .query_row(
            "SELECT trades, wins, losses, win_rate, profit_factor FROM strategy_performance WHERE strategy = ''",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap();
    assert_eq!((stats.0, stats.1, stats.2), (5, 3, 2));
    assert!(
        (stats.3 - 0.6).abs() < 1e-12 && (stats.4 - 1240.0 / 600.0).abs() < 1e-12,
        "{stats:?}"
    );
}

#[test]
fn charges_from_the_schedule_apply_where_a_row_has_none() {
    let desk = Desk::new("");
    desk.sandbox.write_config(&format!(
        "{}\n",
        testkit::performance::config("")
            .replace("brokerage_max = 0", "brokerage_max = 20")
            .replace("brokerage_rate = 0\n", "brokerage_rate = 0.0005\n")
    ));
    let days = sessions();
    desk.closes(SYMBOLS[0].0, &days, &INFY);
    let one = format!("{GENERIC_HEADER}\n1,INFY,BUY,10,1500,2026-11-16 10:00:00,,x\n");
    assert_eq!(desk.import("one.csv", &one, &[]).code, Some(0));
    desk.run(&["--from", "2026-11-16", "--to", "2026-11-16"])
        .ok();
    // Brokerage: 0.05% of 15,000 = 7.50, under the ₹20 cap; every other rate is zero.
    assert_eq!(pnl(&desk, "x"), [-7.5]);
}

#[test]
fn an_open_position_with_no_close_is_an_error_naming_the_symbol_and_date() {
    let desk = Desk::default();
    let mut days = sessions();
    let mut closes = INFY.to_vec();
    // No INFY candle on the 19th.
    days.remove(3);
    closes.remove(3);
    desk.closes(SYMBOLS[0].0, &days, &closes);
    let one = format!("{GENERIC_HEADER}\n1,INFY,BUY,10,1500,2026-11-16 10:00:00,,x\n");
    assert_eq!(desk.import("one.csv", &one, &[]).code, Some(0));
    let run = desk.run(&["--from", "2026-11-16", "--to", "2026-11-20"]);
    assert_eq!(run.code, Some(65), "{}", run.stderr);
    assert!(
        run.stderr.contains("no daily close of INFY on 2026-11-19"),
        "{}",
        run.stderr
    );
    assert!(daily(&desk, "").is_empty(), "rows were written");
}
