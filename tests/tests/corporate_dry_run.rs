//! --dry-run fetches, parses and prints the typed records, and writes nothing.

use testkit::corporate::*;

#[test]
fn a_dry_run_prints_typed_records_and_writes_nothing() {
    let s = setup();
    let out = s
        .run(&["--dry-run"])
        .expect(0, "records read (nothing written)", Row::none());
    assert!(
        out.stdout
            .contains("nse-actions RELIANCE Dividend { kind: Unspecified, amount: Some("),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("[bonus] Bonus 1:1"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("nse-holidays 2027: 15 holidays (not stored: dry run)"),
        "{}",
        out.stdout
    );
    assert!(!s.sandbox.db_path().exists(), "no database made");
    // On an existing database too.
    s.run(&["--source", "bse"]).ok();
    let before = announcements(&s.sandbox.db());
    s.run(&["--dry-run"]).ok();
    assert_eq!(announcements(&s.sandbox.db()), before);
    assert_eq!(count(&s.sandbox.db(), "market_holidays"), 0);
}
