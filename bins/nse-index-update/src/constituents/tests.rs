use std::path::{Path, PathBuf};

use super::*;
use crate::index::IndexName;

const GOOD: &str = "Company Name,Industry,Symbol,Series,ISIN Code\r\n\
Mahindra & Mahindra Ltd.,Automobile and Auto Components,M&M,EQ,INE101A01026\r\n\
Reliance Industries Ltd.,Oil Gas & Consumable Fuels,RELIANCE,EQ,INE002A01018\r\n";

fn any() -> RangeInclusive<usize> {
    1..=100
}

#[test]
fn parses_a_crlf_file() {
    let rows = parse(GOOD.as_bytes(), any()).unwrap().rows;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].symbol.as_str(), "M&M");
    assert_eq!(rows[1].isin.as_str(), "INE002A01018");
    assert_eq!(rows[1].industry, "Oil Gas & Consumable Fuels");
}

#[test]
fn lf_no_final_newline_and_a_bom_are_fine() {
    let text = format!("\u{feff}{}", GOOD.replace("\r\n", "\n").trim_end());
    assert_eq!(parse(text.as_bytes(), any()).unwrap().rows.len(), 2);
}

#[test]
fn reordered_columns_are_read_by_name() {
    let text = "ISIN Code,Symbol,Series,Industry,Company Name\n\
INE002A01018,RELIANCE,EQ,Oil Gas & Consumable Fuels,Reliance Industries Ltd.\n";
    let rows = parse(text.as_bytes(), any()).unwrap().rows;
    assert_eq!(rows[0].symbol.as_str(), "RELIANCE");
    assert_eq!(rows[0].company, "Reliance Industries Ltd.");
}

#[test]
fn names_lose_terminal_escapes_nul_and_line_breaks() {
    let text = "Company Name,Industry,Symbol,Series,ISIN Code\n\
\"Reliance\u{1b}[2J\u{1b}[31m Industries\n2026-11-20T10:00:00Z  INFO forged\0\",Oil\u{7}\tGas,RELIANCE,EQ,INE002A01018\n";
    let rows = parse(text.as_bytes(), any()).unwrap().rows;
    assert_eq!(
        rows[0].company,
        "Reliance[2J[31m Industries 2026-11-20T10:00:00Z  INFO forged"
    );
    assert_eq!(rows[0].industry, "Oil Gas");
}

#[test]
fn a_name_longer_than_any_real_one_refuses_the_file() {
    let huge = "A".repeat(5 << 20);
    let text = format!(
        "Company Name,Industry,Symbol,Series,ISIN Code\n{huge},Oil,RELIANCE,EQ,INE002A01018\n"
    );
    let err = parse(text.as_bytes(), any()).unwrap_err();
    assert_eq!(
        err,
        CsvError::TooLong {
            line: 2,
            column: "Company Name",
            error: common::text::TooLong {
                max: common::text::NAME_MAX
            },
        }
    );
    assert_eq!(
        err.to_string(),
        "line 2: Company Name is longer than the 200 characters allowed"
    );
}

#[test]
fn identifiers_with_control_characters_are_refused_and_quoted_escaped() {
    let text = "Company Name,Industry,Symbol,Series,ISIN Code\n\
Reliance,Oil,\"RELI\u{1b}[31mANCE\nINFO x\",EQ,INE002A01018\n";
    let err = parse(text.as_bytes(), any()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 2: Symbol `RELI\\x1b[31mANCE\\nINFO x` is not valid"
    );
}

#[test]
fn refusals_name_the_cause() {
    let cases: Vec<(&[u8], CsvError)> = vec![
        (b"", CsvError::Empty),
        (b"  \r\n", CsvError::Empty),
        (
            b"<!DOCTYPE html><html><title>Access Denied</title>",
            CsvError::Html("<!DOCTYPE html><html><title>Access Denied</title>".into()),
        ),
        (
            b"Company Name,Industry,Symbol,Series\nA,B,C,EQ\n",
            CsvError::MissingColumn {
                column: "ISIN Code",
                header: "Company Name,Industry,Symbol,Series".into(),
            },
        ),
        (
            b"Company Name,Industry,Symbol,Series,ISIN Code\nReliance Industries Ltd.,Oil,RELIANCE,EQ,INE002A01018\nTata Consultancy,IT,TC",
            CsvError::FieldCount {
                line: 3,
                found: 3,
                expected: 5,
            },
        ),
        (
            b"Company Name,Industry,Symbol,Series,ISIN Code\nReliance Industries Ltd.,Oil,RELIANCE,EQ,INE002A0",
            CsvError::BadField {
                line: 2,
                column: "ISIN Code",
                value: "INE002A0".into(),
            },
        ),
        (
            b"Company Name,Industry,Symbol,Series,ISIN Code\nA,Oil,RELIANCE,EQ,INE002A01018\nB,Oil,RIL,EQ,INE002A01018\n",
            CsvError::Duplicate {
                line: 3,
                column: "ISIN Code",
                value: "INE002A01018".into(),
            },
        ),
        (
            b"Company Name,Industry,Symbol,Series,ISIN Code\nR\xe9liance,Oil,RELIANCE,EQ,INE002A01018\n",
            CsvError::InvalidUtf8 { line: 2 },
        ),
    ];
    for (bytes, expected) in cases {
        assert_eq!(
            parse(bytes, any()).unwrap_err(),
            expected,
            "{}",
            String::from_utf8_lossy(bytes)
        );
    }
}

#[test]
fn demerger_placeholders_count_toward_size_but_are_not_securities() {
    let text = format!("{GOOD}Dummy Siemens Ltd.,Capital Goods,DUMMYSIEMS,EQ,DUM003A01024\r\n");
    let file = parse(text.as_bytes(), 3..=3).unwrap();
    assert_eq!(file.rows.len(), 2);
    assert_eq!(file.placeholders, vec!["DUMMYSIEMS".to_string()]);
}

#[test]
fn the_real_next50_has_a_demerger_placeholder() {
    let Some(dir) = shared_real() else { return };
    let file = parse(
        &std::fs::read(dir.join("ind_niftynext50list.csv")).unwrap(),
        48..=52,
    )
    .unwrap();
    assert_eq!(file.placeholders, vec!["DUMMYSIEMS".to_string()]);
    assert_eq!(file.rows.len(), 50);
}

#[test]
fn a_short_file_fails_the_row_count() {
    let err = parse(GOOD.as_bytes(), 48..=52).unwrap_err();
    assert_eq!(err.to_string(), "2 constituents, expected 48 to 52");
}

#[test]
fn a_huge_file_of_repeats_is_refused_at_the_first_repeat() {
    let mut text = String::from("Company Name,Industry,Symbol,Series,ISIN Code\n");
    for _ in 0..20_000 {
        text.push_str("Reliance Industries Ltd.,Oil,RELIANCE,EQ,INE002A01018\n");
    }
    assert!(matches!(
        parse(text.as_bytes(), any()),
        Err(CsvError::Duplicate { .. })
    ));
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A small deterministic fuzz: every prefix and single-byte corruption of a real-shaped file.
    let base = GOOD.as_bytes();
    for cut in 0..base.len() {
        let _ = parse(&base[..cut], any());
    }
    for i in 0..base.len() {
        for b in [0u8, b',', b'"', b'\n', b'\r', 0xff, b'<'] {
            let mut bytes = base.to_vec();
            bytes[i] = b;
            let _ = parse(&bytes, any());
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

    /// Any bytes at all: an error or a file, never a panic.
    #[test]
    fn any_bytes_are_refused_or_parsed_never_a_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
        let _ = parse(&bytes, any());
    }

    /// CSV-shaped input built from the file's own alphabet: whatever parses satisfies every rule.
    #[test]
    fn whatever_parses_is_valid(body in "(Company Name,Industry,Symbol,Series,ISIN Code\n)?([A-Za-z &,.'\n-]{0,30}(,[A-Z0-9&-]{0,12}){0,5}\n){0,6}") {
        if let Ok(file) = parse(body.as_bytes(), 0..=100) {
            let mut isins = std::collections::HashSet::new();
            for row in &file.rows {
                proptest::prop_assert!(crate::security::Isin::parse(row.isin.as_str()).is_some());
                proptest::prop_assert!(!row.company.is_empty() && !row.industry.is_empty());
                proptest::prop_assert!(isins.insert(row.isin.clone()));
            }
        }
    }
}

/// The real samples beside the checkout; CI always has them, so there their absence fails.
fn shared_real() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/real/nse");
    if !dir.is_dir() && std::env::var_os("CI").is_some() {
        panic!(
            "{} is missing: CI runs with ../shared beside the checkout",
            dir.display()
        );
    }
    dir.is_dir().then_some(dir)
}

fn own_fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/nse")
}

/// (file, index) pairs of the real samples; names as NSE's files spell them.
const REAL: [(&str, &str, usize); 12] = [
    ("ind_nifty50list.csv", "NIFTY50", 50),
    ("ind_niftynext50list.csv", "NIFTYNEXT50", 51),
    ("ind_nifty100list.csv", "NIFTY100", 101),
    ("ind_nifty500list.csv", "NIFTY500", 501),
    ("ind_niftymidcap150list.csv", "NIFTYMIDCAP150", 151),
    ("ind_niftysmallcap50list.csv", "NIFTYSMALLCAP50", 50),
    ("ind_niftybanklist.csv", "NIFTYBANK", 12),
    ("ind_niftyautolist.csv", "NIFTYAUTO", 15),
    ("ind_niftypharmalist.csv", "NIFTYPHARMA", 20),
    ("ind_niftyfmcglist.csv", "NIFTYFMCG", 15),
    ("ind_niftymetallist.csv", "NIFTYMETAL", 15),
    ("ind_niftyfinancelist.csv", "NIFTYFINSERVICE", 20),
];

#[test]
fn every_real_sample_parses_with_its_index_row_count() {
    let Some(dir) = shared_real() else {
        eprintln!("skipping: ../shared/fixtures/real is not present");
        return;
    };
    for (file, index, rows) in REAL {
        let name = IndexName::parse_known(index).unwrap();
        assert_eq!(name.file_name(), file);
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let parsed = parse(&bytes, name.expected_rows()).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(
            parsed.rows.len() + parsed.placeholders.len(),
            rows,
            "{file}"
        );
    }
}

#[test]
fn the_real_nifty50_carries_the_2025_renames() {
    let Some(dir) = shared_real() else { return };
    let rows = parse(
        &std::fs::read(dir.join("ind_nifty50list.csv")).unwrap(),
        48..=52,
    )
    .unwrap()
    .rows;
    assert!(rows.iter().any(|r| r.symbol.as_str() == "ETERNAL"));
    assert!(rows.iter().all(|r| r.symbol.as_str() != "ZOMATO"));
}

#[test]
fn every_own_fixture_parses() {
    for dir in [own_fixtures(), own_fixtures().join("rebalanced")] {
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let file = path.file_name().unwrap().to_string_lossy().to_string();
            let Some(stem) = file
                .strip_prefix("ind_")
                .and_then(|f| f.strip_suffix("list.csv"))
            else {
                continue;
            };
            let name = IndexName::parse_known(stem).unwrap();
            parse(&std::fs::read(&path).unwrap(), name.expected_rows())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            seen += 1;
        }
        assert_eq!(seen, 9, "{}", dir.display());
    }
}
