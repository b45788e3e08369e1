//! `show`: the stored membership, read-only. Every stored text is printed [`Shown`]: rows
//! written before names were cleaned may still hold a source's control characters.

use std::io::Write;

use common::harness::{self, CommonArgs};
use common::text::Shown;
use rusqlite::Connection;

use crate::index::IndexName;
use crate::job::NseIndexUpdate;

/// Prints a line per index, or the members of `index` (with `history`, past ones too).
pub fn run(args: &CommonArgs, index: Option<&str>, history: bool) -> anyhow::Result<()> {
    let conn = harness::open_for_reading::<NseIndexUpdate>(args)?;
    let mut out = std::io::stdout().lock();
    match index {
        None => overview(&conn, &mut out),
        Some(name) => {
            let index = IndexName::parse_any(name)?;
            members(&conn, &index, history, &mut out)
        }
    }
}

fn overview(conn: &Connection, out: &mut impl Write) -> anyhow::Result<()> {
    let mut stmt = conn.prepare(
        "SELECT index_name,
                SUM(left_on IS NULL),
                SUM(left_on IS NOT NULL),
                MAX(MAX(joined_on), COALESCE(MAX(left_on), ''))
         FROM nse_index_membership GROUP BY index_name ORDER BY index_name",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    writeln!(
        out,
        "{:<20} {:>8} {:>12}  LAST CHANGE",
        "INDEX", "MEMBERS", "PAST SPELLS"
    )?;
    let mut any = false;
    for row in rows {
        let (name, members, past, last) = row?;
        writeln!(
            out,
            "{:<20} {members:>8} {past:>12}  {}",
            Shown(&name),
            Shown(&last)
        )?;
        any = true;
    }
    if !any {
        writeln!(out, "(no index stored yet)")?;
    }
    let sectors: i64 = conn.query_row("SELECT COUNT(*) FROM nse_sector_info", [], |r| r.get(0))?;
    writeln!(
        out,
        "{sectors} securities with sector and industry in nse_sector_info"
    )?;
    Ok(())
}

fn members(
    conn: &Connection,
    index: &IndexName,
    history: bool,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let mut stmt = conn.prepare(
        "SELECT symbol, isin, company_name, industry, joined_on, left_on FROM nse_index_membership
         WHERE index_name = ?1 AND (?2 OR left_on IS NULL) ORDER BY left_on IS NOT NULL, symbol, joined_on",
    )?;
    let rows = stmt.query_map(rusqlite::params![index.as_str(), history], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, Option<String>>(5)?,
        ))
    })?;
    writeln!(
        out,
        "{:<14} {:<12} {:<10} {:<10} {:<34} INDUSTRY",
        "SYMBOL", "ISIN", "JOINED", "LEFT", "COMPANY"
    )?;
    let mut count = 0;
    for row in rows {
        let (symbol, isin, company, industry, joined, left) = row?;
        let company: String = company.chars().take(34).collect();
        writeln!(
            out,
            "{:<14} {:<12} {:<10} {:<10} {:<34} {}",
            Shown(&symbol),
            Shown(&isin),
            Shown(&joined),
            Shown(left.as_deref().unwrap_or("-")),
            Shown(&company),
            Shown(&industry)
        )?;
        count += 1;
    }
    if count == 0 {
        anyhow::bail!("no members of {index} are stored; check the name with `show` (no --index)");
    }
    Ok(())
}
