//! `upstox-performance-analytics import-trades`: a trade book with bad rows is refused whole
//! (exit 65, every bad FILE:LINE named, nothing written); a good one is loaded once, and
//! importing it again changes nothing; Upstox's own export is read too.

use testkit::performance::{Desk, GENERIC_HEADER, rows};

fn good() -> String {
    format!(
        "{GENERIC_HEADER}\n\
         1,INFY,BUY,10,1500.50,2026-11-16 09:30:00,1.20,momentum\n\
         2,INFY,SELL,10,1510,2026-11-17 10:00:00,1.25,momentum\n\
         3,TCS,SELL,5,3400,2026-11-17T11:00:00+05:30,,swing\n"
    )
}

#[test]
fn a_book_with_bad_rows_is_refused_whole_and_every_bad_line_is_named() {
    let desk = Desk::default();
    let bad = format!(
        "{GENERIC_HEADER}\n\
         1,INFY,BUY,10,1500.50,2026-11-16 09:30:00,,\n\
         2,INFY,BUY,ten,1500,2026-11-16 09:31:00,,\n\
         3,INFY,SHORT,10,1500,2026-11-16 09:32:00,,\n\
         4,INFY,SELL,10,-3,2026-11-16 09:33:00,,\n\
         5,INFY,SELL,10,1500,16/11/2026,,\n"
    );
    let out = desk.import("book.csv", &bad, &[]);
    assert_eq!(out.code, Some(65), "{}", out.stderr);
    let file = desk.sandbox.path().join("book.csv").display().to_string();
    for (line, why) in [
        (3, "quantity \"ten\""),
        (4, "side \"SHORT\""),
        (5, "price \"-3\""),
        (6, "traded_at \"16/11/2026\""),
    ] {
        assert!(
            out.stderr.contains(&format!("{file}:{line}: {why}")),
            "line {line} not named: {}",
            out.stderr
        );
    }
    assert!(
        out.stderr.contains("4 bad rows, nothing imported"),
        "{}",
        out.stderr
    );
    // Nothing written: not even the good first row.
    let upstox = desk.sandbox.data_dir().join("upstox.db");
    assert!(!upstox.exists(), "upstox.db was created");
}

#[test]
fn a_reimport_changes_nothing() {
    let desk = Desk::default();
    let first = desk.import("book.csv", &good(), &[]);
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    assert!(
        first
            .stdout
            .contains("3 trades read (Generic format); added 3"),
        "{}",
        first.stdout
    );
    let before = rows(&desk.upstox_db(), "trades");
    assert_eq!(before.len(), 3);
    assert!(
        before[0]
            == "NSE|1|NULL|INFY|NULL|BUY|10|1500.5|1.2|2026-11-16T04:00:00Z|D|momentum|import:book.csv",
        "{before:?}"
    );
    let again = desk.import("book.csv", &good(), &[]);
    assert_eq!(again.code, Some(0), "{}", again.stderr);
    assert!(again.stdout.contains("added 0"), "{}", again.stdout);
    assert!(again.stdout.contains("3 already there"), "{}", again.stdout);
    assert_eq!(rows(&desk.upstox_db(), "trades"), before);
}

#[test]
fn a_dry_run_import_says_what_it_would_add_and_writes_nothing() {
    let desk = Desk::default();
    let out = desk.import("book.csv", &good(), &["--dry-run"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.contains("would add 3"), "{}", out.stdout);
    assert!(!desk.sandbox.data_dir().join("upstox.db").exists());
}

#[test]
fn upstoxs_trade_book_export_is_read_in_ist_with_the_strategy_given() {
    let desk = Desk::default();
    let export = "Date,Company,Amount,Exchange,Segment,Scrip Code,Instrument Type,Strike Price,Expiry,Trade Num,Trade Time,Side,Quantity,Price\n\
                  16-11-2026,INFOSYS LIMITED,15005.00,NSE,EQ,INFY,EQ,0,,51234567,09:20:15,Buy,10,1500.50\n\
                  16-11-2026,NIFTY,937.50,NSE,FO,NIFTY,OPTIDX,24000,26-11-2026,51234568,09:21:00,Sell,75,12.50\n";
    let out = desk.import("trade_book.csv", export, &["--strategy", "swing"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout.contains("1 trades read (Upstox format)"),
        "{}",
        out.stdout
    );
    let stored = rows(&desk.upstox_db(), "trades");
    assert_eq!(
        stored,
        [
            "NSE|51234567|NULL|INFY|NULL|BUY|10|1500.5|NULL|2026-11-16T03:50:15Z|D|swing|import:trade_book.csv"
        ]
    );
}
