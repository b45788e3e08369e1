//! The tables: `nse_index_membership` (every spell of every symbol in every index, never
//! deleted) and `nse_sector_info` (the latest company name and industry per security).
//! One index is written in one transaction: after a crash it is wholly old or wholly new.

use chrono::NaiveDate;
use common::db::Schema;
use rusqlite::{Connection, Transaction, TransactionBehavior, params};

use crate::constituents::Constituent;
use crate::index::IndexName;
use crate::membership::{self, Changes, Member};
use crate::security::{Isin, Symbol};

/// This job's tables.
pub const SCHEMA: Schema = Schema {
    component: "nse-index-update",
    migrations: &["
        -- A spell of membership: joined_on is the IST date the symbol was first seen in the
        -- index's file, left_on the date it was first seen missing (NULL while a member).
        CREATE TABLE nse_index_membership (
            index_name TEXT NOT NULL,
            isin TEXT NOT NULL,
            joined_on TEXT NOT NULL,
            left_on TEXT,
            symbol TEXT NOT NULL,
            company_name TEXT NOT NULL,
            series TEXT NOT NULL,
            industry TEXT NOT NULL,
            PRIMARY KEY (index_name, isin, joined_on)
        ) WITHOUT ROWID;
        CREATE UNIQUE INDEX nse_index_membership_current
            ON nse_index_membership (index_name, isin) WHERE left_on IS NULL;
        CREATE INDEX nse_index_membership_symbol ON nse_index_membership (symbol);
        CREATE TABLE nse_sector_info (
            isin TEXT PRIMARY KEY,
            symbol TEXT NOT NULL UNIQUE,
            company_name TEXT NOT NULL,
            industry TEXT NOT NULL,
            series TEXT NOT NULL,
            updated_on TEXT NOT NULL
        ) WITHOUT ROWID;
    "],
};

/// The current members of `index`, by symbol.
pub fn current_members(conn: &Connection, index: &IndexName) -> rusqlite::Result<Vec<Member>> {
    let mut stmt = conn.prepare_cached(
        "SELECT symbol, isin, company_name, series, industry FROM nse_index_membership
         WHERE index_name = ?1 AND left_on IS NULL ORDER BY symbol",
    )?;
    let rows = stmt.query_map([index.as_str()], |r| {
        let symbol: String = r.get(0)?;
        let isin: String = r.get(1)?;
        Ok(Member {
            symbol: Symbol::parse(&symbol).ok_or_else(|| corrupt(1, &symbol))?,
            isin: Isin::parse(&isin).ok_or_else(|| corrupt(2, &isin))?,
            company: r.get(2)?,
            series: r.get(3)?,
            industry: r.get(4)?,
        })
    })?;
    rows.collect()
}

fn corrupt(column: usize, value: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        column,
        rusqlite::types::Type::Text,
        format!("stored value `{value}` is not valid").into(),
    )
}

/// What one index's update did.
#[derive(Debug)]
pub struct Applied {
    /// Membership changes.
    pub changes: Changes,
    /// Rows of `nse_sector_info` inserted or changed.
    pub sector_rows: usize,
}

/// Brings `index` in line with `file`, in one transaction; `today` is the IST date.
pub fn update_index(
    conn: &mut Connection,
    index: &IndexName,
    file: &[Constituent],
    today: NaiveDate,
) -> rusqlite::Result<Applied> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let current = current_members(&tx, index)?;
    let changes = membership::diff(&current, file);
    write_membership(&tx, index, &changes, today)?;
    let sector_rows = write_sectors(&tx, file, today)?;
    tracing::debug!(index = index.as_str(), "{index}: written, committing");
    fail::fail_point!("nse-index-update::before-commit");
    tx.commit()?;
    Ok(Applied {
        changes,
        sector_rows,
    })
}

fn write_membership(
    tx: &Transaction,
    index: &IndexName,
    changes: &Changes,
    today: NaiveDate,
) -> rusqlite::Result<()> {
    let day = today.format("%Y-%m-%d").to_string();
    let name = index.as_str();
    let mut join = tx.prepare_cached(
        "INSERT INTO nse_index_membership
             (index_name, isin, joined_on, symbol, company_name, series, industry)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (index_name, isin, joined_on) DO UPDATE SET left_on = NULL",
    )?;
    for c in &changes.joined {
        join.execute(params![
            name,
            c.isin.as_str(),
            day,
            c.symbol.as_str(),
            c.company,
            c.series.as_str(),
            c.industry
        ])?;
    }
    let mut leave = tx.prepare_cached(
        "UPDATE nse_index_membership SET left_on = ?3
         WHERE index_name = ?1 AND isin = ?2 AND left_on IS NULL",
    )?;
    for m in &changes.left {
        leave.execute(params![name, m.isin.as_str(), day])?;
    }
    let mut refresh = tx.prepare_cached(
        "UPDATE nse_index_membership SET isin = ?3, symbol = ?4, company_name = ?5, series = ?6, industry = ?7
         WHERE index_name = ?1 AND isin = ?2 AND left_on IS NULL",
    )?;
    for (m, c) in changes
        .renamed
        .iter()
        .chain(&changes.reissued)
        .chain(&changes.updated)
    {
        refresh.execute(params![
            name,
            m.isin.as_str(),
            c.isin.as_str(),
            c.symbol.as_str(),
            c.company,
            c.series.as_str(),
            c.industry
        ])?;
    }
    Ok(())
}

fn write_sectors(
    tx: &Transaction,
    file: &[Constituent],
    today: NaiveDate,
) -> rusqlite::Result<usize> {
    let day = today.format("%Y-%m-%d").to_string();
    // A symbol now carried by another ISIN (a re-issue) moves to it.
    let mut release =
        tx.prepare_cached("DELETE FROM nse_sector_info WHERE symbol = ?1 AND isin <> ?2")?;
    let mut upsert = tx.prepare_cached(
        "INSERT INTO nse_sector_info (isin, symbol, company_name, industry, series, updated_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (isin) DO UPDATE SET symbol = excluded.symbol, company_name = excluded.company_name,
             industry = excluded.industry, series = excluded.series, updated_on = excluded.updated_on
         WHERE (symbol, company_name, industry, series)
             IS NOT (excluded.symbol, excluded.company_name, excluded.industry, excluded.series)",
    )?;
    let mut changed = 0;
    for c in file {
        release.execute(params![c.symbol.as_str(), c.isin.as_str()])?;
        changed += upsert.execute(params![
            c.isin.as_str(),
            c.symbol.as_str(),
            c.company,
            c.industry,
            c.series.as_str(),
            day
        ])?;
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
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
        let a = update_index(&mut conn, &index, &day1, date("2026-11-20")).unwrap();
        assert_eq!(a.changes.joined.len(), 3);
        assert_eq!(a.sector_rows, 3);
        let again = update_index(&mut conn, &index, &day1, date("2026-11-21")).unwrap();
        assert!(again.changes.is_empty());
        assert_eq!(again.sector_rows, 0);
        let b = update_index(&mut conn, &index, &day2, date("2026-11-22")).unwrap();
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
        update_index(&mut conn, &index, &day1, date("2026-11-23")).unwrap();
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

    #[test]
    fn a_reissued_isin_moves_the_symbol() {
        let (_dir, mut conn) = open();
        let index = IndexName::parse_any("DEMO").unwrap();
        let old = "Company Name,Industry,Symbol,Series,ISIN Code\nBajaj Finance Ltd.,Financial Services,BAJFINANCE,EQ,INE296A01024\n";
        let new = old.replace("INE296A01024", "INE296A01032");
        update_index(
            &mut conn,
            &index,
            &constituents::parse(old.as_bytes(), 1..=5).unwrap().rows,
            date("2026-06-01"),
        )
        .unwrap();
        let applied = update_index(
            &mut conn,
            &index,
            &constituents::parse(new.as_bytes(), 1..=5).unwrap().rows,
            date("2026-06-16"),
        )
        .unwrap();
        assert_eq!(applied.changes.reissued.len(), 1);
        let rows: Vec<(String, String)> = conn
            .prepare("SELECT isin, joined_on FROM nse_index_membership")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(rows, vec![("INE296A01032".into(), "2026-06-01".into())]);
        let isin: String = conn
            .query_row(
                "SELECT isin FROM nse_sector_info WHERE symbol = 'BAJFINANCE'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(isin, "INE296A01032");
    }
}
