//! `make demo` (tests/demo.sh) on the built binaries: with no configuration of the user's and
//! no network it shows the desk's day, each part checked in what it prints: the constituents
//! loaded and rebalanced on a later day, candles stored, rules that fire, the alert email,
//! every job in `upstox-jobs status` and every run in `runs`, and where the data is.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The lines of the section whose `== ` header starts with `header`, up to the next header.
fn section<'a>(out: &'a str, header: &str) -> Vec<&'a str> {
    out.lines()
        .skip_while(|l| !l.starts_with(&format!("== {header}")))
        .skip(1)
        .take_while(|l| !l.starts_with("== "))
        .collect()
}

fn contains(out: &str, part: &str) {
    assert!(
        out.contains(part),
        "`{part}` not in the demo's output:\n{out}"
    );
}

/// The words of the line of `lines` starting with `first`.
fn words<'a>(lines: &[&'a str], first: &str) -> Vec<&'a str> {
    lines
        .iter()
        .find(|l| l.split_whitespace().next() == Some(first))
        .unwrap_or_else(|| panic!("no line for {first} in {lines:#?}"))
        .split_whitespace()
        .collect()
}

#[test]
fn make_demo_shows_every_job_on_the_synthetic_market() {
    let tmp = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo.sh");
    // Ordered as a terminal shows it: the jobs log on stderr, the script talks on stdout.
    let ran = Command::new("bash")
        .arg("-c")
        .arg(format!("'{}' 2>&1", script.display()))
        .env("TMPDIR", tmp.path())
        .env_remove("UPSTOX_JOBS_CONFIG")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&ran.stdout).into_owned();
    assert!(ran.status.success(), "the demo failed:\n{out}");

    // The constituents: a first load dated a week back, then today's rebalance.
    let load = section(&out, "upstox-nse-index-update: first load");
    assert!(
        load.iter()
            .any(|l| l.contains("nse-index-update succeeded") && l.contains("9/9 indices done")),
        "{load:#?}"
    );
    let first = out
        .lines()
        .find_map(|l| {
            l.strip_prefix(
                "== upstox-nse-index-update: first load of the 9 default indices, as of ",
            )
        })
        .expect("the first load's date");
    let rebalance = section(&out, "upstox-nse-index-update: today's rebalance");
    assert!(
        rebalance
            .iter()
            .any(|l| l.contains("NIFTY50: 50 constituents; 2 joined")),
        "{rebalance:#?}"
    );
    let history = section(
        &out,
        "upstox-nse-index-update show --index NIFTY50 --history",
    );
    for leaver in ["BEASENGG", "HARISHCENT"] {
        let w = words(&history, leaver);
        assert_eq!(w[2], first, "{leaver} joined with the first load: {w:?}");
        assert!(
            w[3] > w[2],
            "{leaver} left on a later day than it joined: {w:?}"
        );
    }

    // Candles: a year of day bars, then an intraday run.
    for header in [
        "upstox-market-sync --interval day --period 1y",
        "upstox-market-sync --force",
    ] {
        let lines = section(&out, header);
        let summary = lines
            .iter()
            .find(|l| l.contains("market-sync succeeded"))
            .unwrap_or_else(|| panic!("no summary of {header}: {lines:#?}"));
        assert!(summary.contains("56/56 instruments done"), "{summary}");
        let written: u64 = summary
            .split(", ")
            .find_map(|p| p.strip_suffix(" rows written"))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no rows written in {summary}"));
        assert!(written > 1000, "{summary}");
    }

    // Two rules fire, and the desk gets their email.
    let scan = section(&out, "upstox-alert-scan --force");
    for alert in [
        "ALERT RELIANCE: price above",
        "ALERT TCS: price below",
        "2 fired",
        "notifications: 2 sent",
    ] {
        assert!(
            scan.iter().any(|l| l.contains(alert)),
            "`{alert}` not in {scan:#?}"
        );
    }
    // The trade book's performance: three scopes stored, every metric reported, the chart drawn.
    let performance = section(&out, "upstox-performance-analytics").join("\n");
    contains(&performance, "added 6 to");
    contains(&performance, "performance-analytics succeeded");
    contains(&performance, "3/3 scopes done");
    contains(&performance, "Sharpe");
    contains(&performance, "chart: ");
    // The night's backup is made and drilled; maintenance's dry run says what it would do.
    let backup = section(&out, "upstox-db-backup").join("\n");
    contains(&backup, "db-backup succeeded");
    contains(&backup, "market_data-");
    contains(&backup, "verified");
    let maintenance = section(&out, "upstox-db-maintenance --dry-run").join("\n");
    contains(&maintenance, "would purge 0 rows");
    let corporate = section(&out, "upstox-corporate-announcements --from-file").join("\n");
    contains(&corporate, "corporate-announcements succeeded");
    contains(&corporate, "9 new, 0 revised");
    let shown = section(&out, "upstox-corporate-announcements show").join("\n");
    contains(&shown, "RELIANCE       dividend         ex 2026-08-12");
    // A saved feed is stored, tagged (against the index members just loaded) and scored.
    let news = section(&out, "upstox-news-sentiment --from-file").join("\n");
    contains(&news, "stored 3 new articles (2 tagged)");
    contains(&news, "negative\t");
    let mail = section(&out, "the mail the desk received").join("\n");
    contains(&mail, "To: desk@desk.example");
    contains(&mail, "Subject: RELIANCE: price above");
    contains(&mail, "Subject: TCS: price below");
    contains(&mail, "RELIANCE: price above");
    contains(&mail, "Last price: ");

    // Every job in status; the seven that ran succeeded, as every run in runs did (the dry run
    // leaves no row).
    let status = section(&out, "upstox-jobs status");
    for job in common::schedule::names() {
        let w = words(&status, job);
        if [
            "nse-index-update",
            "corporate-announcements",
            "market-sync",
            "alert-scan",
            "performance-analytics",
            "db-backup",
            "news-sentiment",
        ]
        .contains(&job)
        {
            assert!(w.contains(&"succeeded"), "{w:?}");
        }
    }
    let runs = section(&out, "upstox-jobs runs");
    let succeeded = runs.iter().filter(|l| l.contains(" succeeded ")).count();
    assert_eq!(succeeded, 9, "{runs:#?}");

    // Where the data is, and it is there.
    let data = out
        .lines()
        .find_map(|l| l.strip_prefix("== explore: the data is in "))
        .and_then(|l| l.split_whitespace().next())
        .map(PathBuf::from)
        .expect("the data directory");
    assert!(data.join("market_data.db").is_file(), "{}", data.display());
    contains(&out, "show --index NIFTY50 --history");
}
