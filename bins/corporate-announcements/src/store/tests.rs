use chrono::TimeZone;

use super::*;
use crate::source::Source;

fn conn() -> (tempfile::TempDir, Connection) {
    let dir = tempfile::tempdir().unwrap();
    let mut schemas = common::schemas::COMMON.to_vec();
    schemas.push(SCHEMA);
    let conn = common::db::open(
        &dir.path().join("m.db"),
        std::time::Duration::from_secs(1),
        &schemas,
    )
    .unwrap();
    (dir, conn)
}

fn batch(body: &str) -> crate::record::Batch {
    Source::NseActions.parse_body(body.as_bytes()).unwrap()
}

const ONE: &str = r#"[{"symbol":"RELIANCE","series":"EQ","isin":"INE002A01018","comp":"Reliance","subject":"Dividend - Rs 10 Per Share","exDate":"14-Aug-2025","recDate":"14-Aug-2025"}]"#;

#[test]
fn a_rerun_changes_nothing_and_a_revision_keeps_the_old_values() {
    let (_dir, mut conn) = conn();
    let now = Utc.with_ymd_and_hms(2025, 8, 1, 17, 30, 0).unwrap();
    let b = batch(ONE);
    let tx = conn.transaction().unwrap();
    assert_eq!(
        write(&tx, &b.records, &b.results, now).unwrap().new.len(),
        1
    );
    tx.commit().unwrap();
    let tx = conn.transaction().unwrap();
    let again = write(&tx, &b.records, &b.results, now).unwrap();
    tx.commit().unwrap();
    assert_eq!((again.new.len(), again.revised, again.unchanged), (0, 0, 1));

    let revised = batch(
        &ONE.replace("Rs 10", "Rs 11")
            .replace("\"recDate\":\"14-Aug-2025\"", "\"recDate\":\"15-Aug-2025\""),
    );
    let tx = conn.transaction().unwrap();
    let w = write(&tx, &revised.records, &revised.results, now).unwrap();
    tx.commit().unwrap();
    assert_eq!((w.new.len(), w.revised), (0, 1));
    let (amount, record_date): (i64, String) = conn
        .query_row(
            "SELECT amount, record_date FROM corporate_announcements",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((amount, record_date.as_str()), (110_000, "2025-08-15"));
    let (old_amount, old_date, revision): (i64, String, i64) = conn
        .query_row(
            "SELECT amount, record_date, revision FROM corporate_announcement_history",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        (old_amount, old_date.as_str(), revision),
        (100_000, "2025-08-14", 1)
    );
}

#[test]
fn a_results_date_is_new_once() {
    let (_dir, mut conn) = conn();
    let body = r#"[{"bm_symbol":"TCS","bm_date":"09-Oct-2025","bm_purpose":"Financial Results","bm_desc":"Board Meeting Intimation","sm_isin":"INE467B01029","sm_name":"TCS","bm_timestamp":"01-Oct-2025 10:00:00"}]"#;
    let b = Source::NseBoardMeetings
        .parse_body(body.as_bytes())
        .unwrap();
    for (run, expected) in [(0, 1), (1, 0)] {
        let now = Utc.with_ymd_and_hms(2025, 10, 1, 17, 30, run).unwrap();
        let tx = conn.transaction().unwrap();
        assert_eq!(
            write(&tx, &b.records, &b.results, now)
                .unwrap()
                .new_results
                .len(),
            expected
        );
        tx.commit().unwrap();
    }
}

#[test]
fn a_bse_scrip_is_mapped_through_the_isin_or_kept_with_its_code() {
    let (_dir, conn) = conn();
    conn.execute_batch(
        "CREATE TABLE nse_sector_info (isin TEXT PRIMARY KEY, symbol TEXT NOT NULL);
         INSERT INTO nse_sector_info VALUES ('INE467B01029', 'TCS');",
    )
    .unwrap();
    let mut known = Security {
        symbol: None,
        scrip_code: Some("532540".into()),
        isin: None,
        company: "TATA CONSULTANCY".into(),
        bse_name: Some("TCS".into()),
    };
    assert!(map_bse(&conn, &mut known).unwrap());
    assert_eq!(
        (known.symbol.as_deref(), known.isin.as_deref()),
        (Some("TCS"), Some("INE467B01029"))
    );
    let mut unknown = Security {
        bse_name: Some("JONJUA".into()),
        symbol: None,
        ..known.clone()
    };
    assert!(!map_bse(&conn, &mut unknown).unwrap());
    assert_eq!(unknown.label(), "BSE:532540");
}
