//! The tables: `nse_index_membership` (every spell of every symbol in every index, never
//! deleted) and `nse_sector_info` (the latest company name and industry per security).
//! One index is written in one transaction: after a crash it is wholly old or wholly new.

use chrono::NaiveDate;
use common::db::Schema;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

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
        -- The latest name and industry of each security. When two index files of one run
        -- disagree (NSE updates them at different times), the one listed first in the run
        -- (source_index) wins, so running twice changes nothing.
        CREATE TABLE nse_sector_info (
            isin TEXT PRIMARY KEY,
            symbol TEXT NOT NULL,
            company_name TEXT NOT NULL,
            industry TEXT NOT NULL,
            series TEXT NOT NULL,
            source_index TEXT NOT NULL,
            updated_on TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX nse_sector_info_symbol ON nse_sector_info (symbol);
        -- Renames (same ISIN, new symbol) and re-issues (same symbol, new ISIN): membership
        -- spells carry the current identifiers, this table the old ones.
        CREATE TABLE nse_identifier_changes (
            old_isin TEXT NOT NULL,
            old_symbol TEXT NOT NULL,
            new_isin TEXT NOT NULL,
            new_symbol TEXT NOT NULL,
            changed_on TEXT NOT NULL,
            PRIMARY KEY (old_isin, old_symbol, new_isin, new_symbol)
        ) WITHOUT ROWID;
    "],
    adopted: None,
};

/// The date of the latest join or exit stored for `index`; `None` before its first load.
pub fn last_change(conn: &Connection, index: &IndexName) -> rusqlite::Result<Option<NaiveDate>> {
    conn.query_row(
        "SELECT MAX(MAX(joined_on), COALESCE(MAX(left_on), '')) FROM nse_index_membership
         WHERE index_name = ?1",
        [index.as_str()],
        |r| r.get::<_, Option<String>>(0),
    )
    .map(|day| day.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()))
}

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
/// `precedence` is the run's indices in order: for a security whose details two files give
/// differently, the one listed first wins.
pub fn update_index(
    conn: &mut Connection,
    index: &IndexName,
    file: &[Constituent],
    today: NaiveDate,
    precedence: &[IndexName],
) -> rusqlite::Result<Applied> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let current = current_members(&tx, index)?;
    let changes = membership::diff(&current, file);
    write_membership(&tx, index, &changes, today)?;
    write_identifier_changes(&tx, &changes, today)?;
    let sector_rows = write_sectors(&tx, index, file, today, precedence)?;
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
    // Left earlier today and back again (a bad file, then a corrected one): the spell goes on.
    let mut reopen = tx.prepare_cached(
        "UPDATE nse_index_membership
         SET left_on = NULL, symbol = ?4, company_name = ?5, series = ?6, industry = ?7
         WHERE index_name = ?1 AND isin = ?2 AND left_on = ?3",
    )?;
    let mut join = tx.prepare_cached(
        "INSERT INTO nse_index_membership
             (index_name, isin, joined_on, symbol, company_name, series, industry)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for c in &changes.joined {
        let row = params![
            name,
            c.isin.as_str(),
            day,
            c.symbol.as_str(),
            c.company,
            c.series.as_str(),
            c.industry
        ];
        if reopen.execute(row)? == 0 {
            join.execute(row)?;
        }
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

fn write_identifier_changes(
    tx: &Transaction,
    changes: &Changes,
    today: NaiveDate,
) -> rusqlite::Result<()> {
    let mut record = tx.prepare_cached(
        "INSERT INTO nse_identifier_changes (old_isin, old_symbol, new_isin, new_symbol, changed_on)
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
    )?;
    // The old ISIN of a re-issue no longer trades: its details go with it.
    let mut retire = tx.prepare_cached("DELETE FROM nse_sector_info WHERE isin = ?1")?;
    let day = today.format("%Y-%m-%d").to_string();
    for (m, c) in changes.renamed.iter().chain(&changes.reissued) {
        record.execute(params![
            m.isin.as_str(),
            m.symbol.as_str(),
            c.isin.as_str(),
            c.symbol.as_str(),
            day
        ])?;
    }
    for (m, _) in &changes.reissued {
        retire.execute([m.isin.as_str()])?;
    }
    Ok(())
}

fn write_sectors(
    tx: &Transaction,
    index: &IndexName,
    file: &[Constituent],
    today: NaiveDate,
    precedence: &[IndexName],
) -> rusqlite::Result<usize> {
    let rank = |name: &str| {
        precedence
            .iter()
            .position(|p| p.as_str() == name)
            .unwrap_or(usize::MAX)
    };
    let mine = rank(index.as_str());
    let day = today.format("%Y-%m-%d").to_string();
    let mut stored = tx.prepare_cached(
        "SELECT symbol, company_name, industry, series, source_index FROM nse_sector_info WHERE isin = ?1",
    )?;
    let mut upsert = tx.prepare_cached(
        "INSERT INTO nse_sector_info (isin, symbol, company_name, industry, series, source_index, updated_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (isin) DO UPDATE SET symbol = excluded.symbol, company_name = excluded.company_name,
             industry = excluded.industry, series = excluded.series,
             source_index = excluded.source_index, updated_on = excluded.updated_on",
    )?;
    let mut changed = 0;
    for c in file {
        let row = stored
            .query_row([c.isin.as_str()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })
            .optional()?;
        let write = match row {
            None => true,
            Some((symbol, company, industry, series, source)) => {
                let same = symbol == c.symbol.as_str()
                    && company == c.company
                    && industry == c.industry
                    && series == c.series.as_str();
                // Another file of this run listed earlier has the say; one not in this run does not.
                !same && (source == index.as_str() || mine <= rank(&source))
            }
        };
        if write {
            changed += upsert.execute(params![
                c.isin.as_str(),
                c.symbol.as_str(),
                c.company,
                c.industry,
                c.series.as_str(),
                index.as_str(),
                day
            ])?;
        }
    }
    Ok(changed)
}

#[cfg(test)]
mod tests;
