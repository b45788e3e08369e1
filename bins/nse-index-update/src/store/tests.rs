use super::*;
use crate::constituents;
use std::time::Duration;

const DAY1: &str = "Company Name,Industry,Symbol,Series,ISIN Code
Reliance Industries Ltd.,Oil Gas & Consumable Fuels,RELIANCE,EQ,INE002A01018
Tata Consultancy Services Ltd.,Information Technology,TCS,EQ,INE467B01029
Zomato Ltd.,Consumer Services,ZOMATO,EQ,INE758T01015
";
const DAY2: &str = "Company Name,Industry,Symbol,Series,ISIN Code
Reliance Industries Ltd.,Oil Gas & Consumable Fuels,RELIANCE,EQ,INE002A01018
Eternal Ltd.,Consumer Services,ETERNAL,EQ,INE758T01015
Infosys Ltd.,Information Technology,INFY,EQ,INE009A01021
";

fn open() -> (tempfile::TempDir, Connection) {
    let dir = tempfile::tempdir().unwrap();
    let conn =
        common::db::open(&dir.path().join("m.db"), Duration::from_secs(1), &[SCHEMA]).unwrap();
    (dir, conn)
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

#[test]
fn history_is_kept_and_a_repeat_changes_nothing() {
    let (_dir, mut conn) = open();
    let index = IndexName::parse_any("DEMO").unwrap();
    let day1 = constituents::parse(DAY1.as_bytes(), 1..=10).unwrap().rows;
    let day2 = constituents::parse(DAY2.as_bytes(), 1..=10).unwrap().rows;
    let a = update_index(&mut conn, &index, &day1, date("2026-11-20"), &[]).unwrap();
    assert_eq!(a.changes.joined.len(), 3);
    assert_eq!(a.sector_rows, 3);
    let again = update_index(&mut conn, &index, &day1, date("2026-11-21"), &[]).unwrap();
    assert!(again.changes.is_empty());
    assert_eq!(again.sector_rows, 0);
    let b = update_index(&mut conn, &index, &day2, date("2026-11-22"), &[]).unwrap();
    assert_eq!(
        b.changes.describe(&crate::membership::DONE),
        "1 joined (INFY), 1 left (TCS), 1 renamed (ZOMATO → ETERNAL)"
    );
    let spells: Vec<(String, String, Option<String>)> = conn
        .prepare("SELECT symbol, joined_on, left_on FROM nse_index_membership ORDER BY symbol")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        spells,
        vec![
            ("ETERNAL".into(), "2026-11-20".into(), None),
            ("INFY".into(), "2026-11-22".into(), None),
            ("RELIANCE".into(), "2026-11-20".into(), None),
            ("TCS".into(), "2026-11-20".into(), Some("2026-11-22".into())),
        ]
    );
    // TCS comes back: a second spell, the first kept.
    update_index(&mut conn, &index, &day1, date("2026-11-23"), &[]).unwrap();
    let tcs: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM nse_index_membership WHERE symbol = 'TCS'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tcs, 2);
    let sector: String = conn
        .query_row(
            "SELECT symbol FROM nse_sector_info WHERE isin = 'INE758T01015'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        sector, "ZOMATO",
        "the last file written names it ZOMATO again"
    );
}

fn file(text: &str) -> Vec<Constituent> {
    constituents::parse(text.as_bytes(), 1..=10).unwrap().rows
}

fn query<T: rusqlite::types::FromSql>(conn: &Connection, sql: &str) -> Vec<Vec<T>> {
    let mut stmt = conn.prepare(sql).unwrap();
    let n = stmt.column_count();
    stmt.query_map([], |r| (0..n).map(|i| r.get(i)).collect())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

const HEADER: &str = "Company Name,Industry,Symbol,Series,ISIN Code\n";

#[test]
fn a_reissued_isin_continues_the_spell_and_the_old_identifiers_are_kept() {
    let (_dir, mut conn) = open();
    let index = IndexName::parse_any("DEMO").unwrap();
    let old = format!("{HEADER}Bajaj Finance Ltd.,Financial Services,BAJFINANCE,EQ,INE296A01024\n");
    let new = old.replace("INE296A01024", "INE296A01032");
    update_index(&mut conn, &index, &file(&old), date("2026-06-01"), &[]).unwrap();
    let applied = update_index(&mut conn, &index, &file(&new), date("2026-06-16"), &[]).unwrap();
    assert_eq!(applied.changes.reissued.len(), 1);
    assert_eq!(
        query::<String>(&conn, "SELECT isin, joined_on FROM nse_index_membership"),
        vec![vec!["INE296A01032".to_string(), "2026-06-01".to_string()]]
    );
    assert_eq!(
        query::<String>(
            &conn,
            "SELECT isin FROM nse_sector_info WHERE symbol = 'BAJFINANCE'"
        ),
        vec![vec!["INE296A01032".to_string()]],
        "the retired ISIN's row is gone"
    );
    assert_eq!(
        query::<String>(
            &conn,
            "SELECT old_isin, new_isin, changed_on FROM nse_identifier_changes"
        ),
        vec![vec![
            "INE296A01024".to_string(),
            "INE296A01032".to_string(),
            "2026-06-16".to_string()
        ]]
    );
}

#[test]
fn a_rename_is_recorded_once_however_many_indices_carry_it() {
    let (_dir, mut conn) = open();
    let day2_rows = file(DAY2);
    for name in ["A", "B"] {
        let index = IndexName::parse_any(name).unwrap();
        update_index(&mut conn, &index, &file(DAY1), date("2026-11-20"), &[]).unwrap();
        update_index(&mut conn, &index, &day2_rows, date("2026-11-22"), &[]).unwrap();
    }
    assert_eq!(
        query::<String>(
            &conn,
            "SELECT old_symbol, new_symbol FROM nse_identifier_changes"
        ),
        vec![vec!["ZOMATO".to_string(), "ETERNAL".to_string()]]
    );
}

#[test]
fn leaving_and_rejoining_on_one_day_leaves_no_false_exit() {
    let (_dir, mut conn) = open();
    let index = IndexName::parse_any("DEMO").unwrap();
    update_index(&mut conn, &index, &file(DAY1), date("2026-11-01"), &[]).unwrap();
    let without_tcs: String = DAY1
        .lines()
        .filter(|l| !l.contains(",TCS,"))
        .map(|l| format!("{l}\n"))
        .collect();
    update_index(
        &mut conn,
        &index,
        &file(&without_tcs),
        date("2026-11-22"),
        &[],
    )
    .unwrap();
    update_index(&mut conn, &index, &file(DAY1), date("2026-11-22"), &[]).unwrap();
    assert_eq!(
        query::<Option<String>>(
            &conn,
            "SELECT joined_on, left_on FROM nse_index_membership WHERE symbol = 'TCS'"
        ),
        vec![vec![Some("2026-11-01".to_string()), None]]
    );
}

#[test]
fn when_two_files_disagree_the_first_listed_wins_and_a_rerun_changes_nothing() {
    let (_dir, mut conn) = open();
    let first = IndexName::parse_any("NIFTY50").unwrap();
    let second = IndexName::parse_any("NIFTY500").unwrap();
    let run = [first.clone(), second.clone()];
    let new_words = format!(
        "{HEADER}Reliance Industries Ltd.,Oil Gas & Consumable Fuels,RELIANCE,EQ,INE002A01018\n"
    );
    let old_words = format!("{HEADER}Reliance Industries Ltd.,ENERGY,RELIANCE,EQ,INE002A01018\n");
    for day in ["2026-11-21", "2026-11-22"] {
        let a = update_index(&mut conn, &first, &file(&new_words), date(day), &run).unwrap();
        let b = update_index(&mut conn, &second, &file(&old_words), date(day), &run).unwrap();
        let written = a.sector_rows + b.sector_rows;
        assert_eq!(written, if day == "2026-11-21" { 1 } else { 0 }, "{day}");
    }
    assert_eq!(
        query::<String>(&conn, "SELECT industry, source_index FROM nse_sector_info"),
        vec![vec![
            "Oil Gas & Consumable Fuels".to_string(),
            "NIFTY50".to_string()
        ]]
    );
    // Run alone, the other file has the say: NIFTY50 is not there to disagree.
    let alone = update_index(
        &mut conn,
        &second,
        &file(&old_words),
        date("2026-11-23"),
        std::slice::from_ref(&second),
    )
    .unwrap();
    assert_eq!(alone.sector_rows, 1);
}
