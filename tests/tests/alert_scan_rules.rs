//! upstox-alert-scan as a whole binary against the quote server on loopback: the rules command line: add, list, enable, disable, remove,
//! export and import, and the refusal of bad rules.

use testkit::alerts::*;

#[test]
fn rules_are_added_listed_switched_removed_and_exported_as_csv_that_imports_back_the_same() {
    let w = AlertWorld::new();
    let out = w.run_ok(&["rules", "add", "reliance", "price-above", "level=2500"]);
    assert_eq!(
        out.stdout,
        "added rule 1: RELIANCE price-above level=2500 (day; email,telegram,database; cooldown 30m)\n"
    );
    let tcs = w.add_rule(
        "TCS",
        "rsi-above",
        &["period=14", "level=75"],
        &[
            "--interval",
            "15minute",
            "--channels",
            "telegram",
            "--cooldown",
            "1h",
        ],
    );
    let infy = w.add_rule("INFY", "macd-cross-down", &[], &["--disabled"]);
    assert_eq!((tcs, infy), (2, 3));

    // The same symbol, kind, parameters and interval is the same rule: updated, not added.
    let again = w.run_ok(&[
        "rules",
        "add",
        "TCS",
        "rsi-above",
        "level=75",
        "--interval",
        "15minute",
        "--cooldown",
        "2h",
    ]);
    assert_eq!(
        again.stdout,
        "rule 2 already watches this; its channels, cooldown and switch were updated\n"
    );

    let list = w.run_ok(&["rules", "list"]).into_outcome().stdout;
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 4, "{list}");
    assert!(lines[0].starts_with("  ID  SYMBOL"), "{list}");
    for (line, words) in lines[1..].iter().zip([
        &["1", "RELIANCE", "price above 2500", "day", "30m", "yes"][..],
        &["2", "TCS", "RSI(14) above 75", "15minute", "2h", "yes"],
        &[
            "3",
            "INFY",
            "MACD(12,26,9) crossing below its signal",
            "day",
            "no",
        ],
    ]) {
        for word in words {
            assert!(line.contains(word), "{word:?} in {line:?}");
        }
        assert!(line.ends_with("not evaluated yet"), "{line}");
    }

    assert_eq!(
        w.run_ok(&["rules", "disable", "1"]).stdout,
        "disabled rule 1\n"
    );
    assert_eq!(
        w.run_ok(&["rules", "enable", "3"]).stdout,
        "enabled rule 3\n"
    );
    let enabled: Vec<(i64, bool)> = rule_rows(&w.db()).iter().map(|r| (r.0, r.7)).collect();
    assert_eq!(enabled, vec![(1, false), (2, true), (3, true)]);
    assert_eq!(
        w.run_ok(&["rules", "remove", "2"]).stdout,
        "removed rule 2\n"
    );
    let missing = w.run(&["rules", "remove", "2", "99"]);
    assert_eq!(missing.code, Some(65), "{}", missing.stderr);
    assert!(
        missing.stderr.contains("no rule numbered 2, 99"),
        "{}",
        missing.stderr
    );
    let ids: Vec<i64> = rule_rows(&w.db()).iter().map(|r| r.0).collect();
    assert_eq!(ids, vec![1, 3]);

    let exported = w.run_ok(&["rules", "export"]).into_outcome().stdout;
    assert_eq!(
        exported,
        "symbol,kind,params,interval,channels,cooldown,enabled\n\
         RELIANCE,price-above,level=2500,day,\"email,telegram,database\",30m,false\n\
         INFY,macd-cross-down,fast=12 slow=26 signal=9,day,\"email,telegram,database\",30m,true\n"
    );
    let file = w.sandbox.path().join("rules.csv");
    std::fs::write(&file, &exported).unwrap();
    let file = file.to_str().unwrap();

    // Into a fresh data directory, then out again: the same file.
    let fresh = AlertWorld::new();
    let imported = fresh.run_ok(&["rules", "import", file]);
    assert_eq!(
        imported.stdout,
        format!("imported {file}: 2 added, 0 already there (updated)\n")
    );
    assert_eq!(fresh.run_ok(&["rules", "export"]).stdout, exported);
    let rows = rule_rows(&fresh.db());
    let again = fresh.run_ok(&["rules", "import", file]);
    assert_eq!(
        again.stdout,
        format!("imported {file}: 0 added, 2 already there (updated)\n")
    );
    assert_eq!(rule_rows(&fresh.db()), rows, "a re-import adds nothing");
}

#[test]
fn a_bad_rule_is_refused_with_its_reason_and_a_file_with_bad_lines_stores_nothing() {
    let w = AlertWorld::new();
    w.add_rule("RELIANCE", "price-above", &["level=2500"], &[]);
    let before = rule_rows(&w.db());

    let bad = w.run(&["rules", "add", "TCS", "rsi-above", "level=150"]);
    assert_eq!(bad.code, Some(65), "{}", bad.stderr);
    assert!(
        bad.stderr
            .contains("invalid rule: level=150 must be a number above 0 and below 100"),
        "{}",
        bad.stderr
    );
    assert_eq!(rule_rows(&w.db()), before);

    let file = w.sandbox.path().join("bad.csv");
    std::fs::write(
        &file,
        "symbol,kind,params,interval,channels,cooldown,enabled\n\
         TCS,rsi-below,period=14 level=30,day,email,1h,true\n\
         TCS,rsi-above,level=150\n\
         INFY,macd-cross-up,,day\n\
         WIPRO,moon-phase,,day\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let out = w.run(&["rules", "import", file]);
    assert_eq!(out.code, Some(65), "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "{file}:3: level=150 must be a number above 0 and below 100"
        )),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains(&format!("{file}:5: unknown kind \"moon-phase\"")),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("2 invalid lines (above); nothing was imported"),
        "{}",
        out.stderr
    );
    assert_eq!(
        rule_rows(&w.db()),
        before,
        "the good lines of a bad file are not stored either"
    );
}
