//! upstox-nse-index-update and hostile text in NSE's CSV: terminal escapes, line breaks and
//! NUL in a name are stripped before storing, a 5 MB name refuses the file with 65, and
//! `show` prints no escape and no forged log line, whatever is stored.

use testkit::Reply;
use testkit::nse::*;

/// A line the text log format writes, forged inside a company name.
const FORGED: &str = "2026-11-20T10:00:00.000000Z  INFO upstox-nse-index-update: NIFTY50: forged";

/// The NIFTY 50 fixture with Ahom Yarns' company name replaced by `name` (CSV-quoted).
fn nifty50_named(name: &str) -> Vec<u8> {
    let text = std::fs::read_to_string(fixtures().join(NIFTY50)).unwrap();
    assert!(text.contains("Ahom Yarns Ltd.,"));
    let quoted = format!("\"{}\",", name.replace('"', "\"\""));
    text.replace("Ahom Yarns Ltd.,", &quoted).into_bytes()
}

fn company_of(s: &Setup, symbol: &str) -> String {
    s.sandbox
        .db()
        .query_row(
            "SELECT company_name FROM nse_index_membership WHERE symbol = ?1",
            [symbol],
            |r| r.get(0),
        )
        .unwrap()
}

/// What a terminal would do with `show`'s output: no escape sequence, no line of its own that
/// the forged text starts.
fn assert_inert(stdout: &str) {
    assert!(!stdout.contains('\u{1b}'), "an ESC byte in:\n{stdout}");
    assert!(
        !stdout.lines().any(|l| l.starts_with("2026-11-20T10:00:00")),
        "a forged log line in:\n{stdout}"
    );
    assert!(!stdout.contains('\0'), "a NUL in:\n{stdout}");
}

#[test]
fn escapes_line_breaks_and_nul_in_a_name_are_stripped_and_show_prints_them_inert() {
    let s = setup();
    let name = format!("Ahom\u{1b}[2J\u{1b}[31m Yarns\n{FORGED}\u{0}\r\n\u{7}");
    s.server
        .script(NIFTY50, vec![Reply::Body(nifty50_named(&name))]);
    let out = s.run(&["--index", "NIFTY50"]).expect(
        0,
        "1/1 index done",
        Row::status("succeeded").units(1, 0),
    );
    assert!(!out.stderr.contains('\u{1b}'), "{}", out.stderr);
    assert_eq!(
        company_of(&s, "AHOMYARN"),
        format!("Ahom[2J[31m Yarns {FORGED}")
    );
    let shown = s.run_ok(&["show", "--index", "NIFTY50"]);
    assert_inert(&shown.stdout);
    assert_eq!(shown.stdout.lines().count(), 51, "{}", shown.stdout);
}

#[test]
fn a_name_stored_raw_by_an_earlier_version_is_shown_escaped() {
    let s = setup();
    s.run_ok(&["--index", "NIFTY50"]);
    let raw = format!("Ahom\u{1b}[2J\n{FORGED}");
    s.sandbox
        .db()
        .execute(
            "UPDATE nse_index_membership SET company_name = ?1, industry = ?2 WHERE symbol = 'AHOMYARN'",
            [raw.as_str(), "Textiles\u{1b}]0;owned\u{7}"],
        )
        .unwrap();
    let shown = s.run_ok(&["show", "--index", "NIFTY50"]);
    assert_inert(&shown.stdout);
    assert!(!shown.stdout.contains('\u{7}'), "{}", shown.stdout);
    let line = shown
        .stdout
        .lines()
        .find(|l| l.starts_with("AHOMYARN"))
        .unwrap();
    assert!(line.contains("Ahom\\x1b[2J\\n2026-11-20T10"), "{line}");
    assert!(line.ends_with("Textiles\\x1b]0;owned\\x07"), "{line}");
}

#[test]
fn a_5_mb_name_refuses_the_file_with_65_and_keeps_the_membership() {
    let s = setup();
    s.run_ok(&["--index", "NIFTY50"]);
    let before = tables(&s.sandbox.db());
    s.server.script(
        NIFTY50,
        vec![Reply::Body(nifty50_named(&"A".repeat(5 << 20)))],
    );
    let out = s.run(&["--index", "NIFTY50"]).expect(
        65,
        "Company Name is longer than the 200 characters allowed; the previous membership is kept",
        Row::status("failed").units(0, 1),
    );
    assert!(out.stderr.len() < 4096, "the log quotes none of it");
    assert_eq!(tables(&s.sandbox.db()), before);
}
