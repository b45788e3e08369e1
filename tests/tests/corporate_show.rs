//! `show`: what is stored for a symbol or a date range, upcoming ex-dates first.

use testkit::corporate::*;

#[test]
fn show_lists_a_symbol_and_a_date_range_upcoming_ex_dates_first() {
    let s = setup_with("holidays = false\n");
    s.run(&[]).ok();
    let out = s
        .sandbox
        .job(BIN)
        .at(NOW)
        .args(["show", "HDFCBANK"])
        .run()
        .ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", out.stdout);
    assert!(
        lines.iter().all(|l| l.starts_with("HDFCBANK")),
        "{}",
        out.stdout
    );
    let out = s
        .sandbox
        .job(BIN)
        .at(NOW)
        .args(["show", "--from", "2026-08-01", "--to", "2026-08-31"])
        .run()
        .ok();
    let first = out.stdout.lines().next().unwrap_or_default();
    assert!(
        first.contains("dividend") && first.contains("ex 2026-08-12"),
        "{}",
        out.stdout
    );
    let ex_dates: Vec<&str> = out
        .stdout
        .lines()
        .filter_map(|l| l.split(" ex ").nth(1).map(|r| &r[..10]))
        .filter(|d| d.starts_with("2026"))
        .collect();
    let mut sorted = ex_dates.clone();
    sorted.sort();
    assert_eq!(ex_dates, sorted, "{}", out.stdout);
    let none = s
        .sandbox
        .job(BIN)
        .at(NOW)
        .args(["show", "NOSUCH"])
        .run()
        .ok();
    assert!(
        none.stdout.contains("nothing stored for NOSUCH"),
        "{}",
        none.stdout
    );
}
