use std::path::PathBuf;

use crate::body::BodyError;
use crate::source::Source;
use crate::subject::{Action, Kind};

/// `../shared/fixtures/real/<path>`, if this checkout has it.
fn real(path: &str) -> Option<Vec<u8>> {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/real")
        .join(path);
    match std::fs::read(&file) {
        Ok(bytes) => Some(bytes),
        Err(_) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{} is missing in CI",
                file.display()
            );
            eprintln!("skipping: {} is not present", file.display());
            None
        }
    }
}

const REAL: [(Source, &str); 6] = [
    (Source::NseActions, "nse/corporate_actions.json"),
    (Source::NseAnnouncements, "nse/announcements.json"),
    (Source::NseBoardMeetings, "nse/board_meetings.json"),
    (Source::BseAnnouncements, "bse/announcements.json"),
    (Source::BseActions, "bse/corporate_actions.json"),
    (Source::BseResults, "bse/result_calendar.json"),
];

#[test]
fn every_real_sample_parses_and_the_parse_rate_is_reported() {
    let (mut subjects, mut typed) = (0, 0);
    for (source, path) in REAL {
        let Some(bytes) = real(path) else { return };
        let batch = source
            .parse_body(&bytes)
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(
            !batch.records.is_empty() || !batch.results.is_empty(),
            "{path}"
        );
        // A source row is one subject; it is typed when none of its actions is `Other`.
        let mut by_subject = std::collections::BTreeMap::new();
        for r in &batch.records {
            let typed = by_subject.entry(&r.raw).or_insert(true);
            *typed &= r.action.kind() != Kind::Other;
        }
        subjects += by_subject.len();
        typed += by_subject.values().filter(|ok| **ok).count();
    }
    let rate = typed as f64 * 100.0 / subjects as f64;
    println!("parse rate over the real samples: {typed} of {subjects} subjects typed ({rate:.1}%)");
    assert!(subjects >= 39, "{subjects}");
    assert!(rate >= 90.0, "{rate}");
}

#[test]
fn the_real_samples_read_as_typed_records() {
    let Some(bytes) = real("nse/corporate_actions.json") else {
        return;
    };
    let batch = Source::NseActions.parse_body(&bytes).unwrap();
    let r = &batch.records[0];
    assert_eq!(r.security.symbol.as_deref(), Some("GENSOL"));
    assert_eq!(r.security.isin.as_deref(), Some("INE06H201014"));
    assert!(matches!(r.action, Action::Bonus(ratio) if ratio.new == 2 && ratio.held == 1));
    assert_eq!(r.ex_date.unwrap().to_string(), "2023-10-17");

    let Some(bytes) = real("bse/corporate_actions.json") else {
        return;
    };
    let batch = Source::BseActions.parse_body(&bytes).unwrap();
    assert_eq!(batch.records.len(), 37);
    let tcs = batch
        .records
        .iter()
        .find(|r| r.security.bse_name.as_deref() == Some("TCS"))
        .unwrap();
    assert_eq!(tcs.security.scrip_code.as_deref(), Some("532540"));
    assert!(
        tcs.security.symbol.is_none(),
        "mapped by the store, not the parser"
    );

    let Some(bytes) = real("nse/board_meetings.json") else {
        return;
    };
    let batch = Source::NseBoardMeetings.parse_body(&bytes).unwrap();
    assert_eq!(batch.results.len(), 1);
    assert_eq!(batch.results[0].date.to_string(), "2023-10-30");
    assert_eq!(
        batch.results[0].period.unwrap().ended.to_string(),
        "2023-09-30"
    );

    let Some(bytes) = real("bse/announcements.json") else {
        return;
    };
    let batch = Source::BseAnnouncements.parse_body(&bytes).unwrap();
    assert_eq!(
        batch.records[0].subject,
        "Compliances-Reg. 39 (3) - Details of Loss of Certificate / Duplicate Certificate"
    );
    assert_eq!(
        batch.records[0].exchange_id,
        "6fb57b5e-a05f-4e05-b2da-6e2b5bfe32ae"
    );
}

#[test]
fn a_renamed_field_is_named_and_an_empty_list_is_an_answer() {
    let renamed = br#"[{"symbol":"X","series":"EQ","isin":"INE000000000","comp":"X","purpose":"Bonus 1:1","exDate":"-","recDate":"-"}]"#;
    assert_eq!(
        Source::NseActions.parse_body(renamed).unwrap_err(),
        BodyError::MissingField {
            row: 1,
            field: "subject"
        }
    );
    for source in Source::ALL {
        let body: &[u8] = if source == Source::BseAnnouncements {
            br#"{"Table":[],"Table1":[{"ROWCNT":0}]}"#
        } else {
            b"[]"
        };
        let batch = source.parse_body(body).unwrap();
        assert!(batch.records.is_empty() && batch.results.is_empty());
    }
    assert!(matches!(
        Source::NseActions.parse_body(b"<html><title>Access Denied</title></html>"),
        Err(BodyError::Html(_))
    ));
}

#[test]
fn two_actions_of_one_kind_on_one_day_are_two_rows() {
    let body = br#"[{"symbol":"HDFCBANK","series":"EQ","isin":"INE040A01034","comp":"HDFC Bank","subject":"Final Dividend - Rs 5 Per Share / Special Dividend - Rs 2 Per Share","exDate":"14-Aug-2025","recDate":"14-Aug-2025"}]"#;
    let batch = Source::NseActions.parse_body(body).unwrap();
    let keys: Vec<(String, u32)> = batch
        .records
        .iter()
        .map(|r| (r.exchange_id.clone(), r.action_no))
        .collect();
    assert_eq!(
        keys,
        [
            ("HDFCBANK:20250814:dividend".to_string(), 0),
            ("HDFCBANK:20250814:dividend".to_string(), 1)
        ]
    );
}
