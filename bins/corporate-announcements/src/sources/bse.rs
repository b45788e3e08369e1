//! BSE's JSON answers: `AnnSubCategoryGetData/w` (`{"Table": [...]}`), `DefaultData/w` and
//! `Corpforthresults/w` (fields as `notes/data-sources.md` §2 lists them). BSE names a
//! security by scrip code and short name, never by ISIN: the store maps it to NSE.

use crate::body::{self, BodyError, Row};
use crate::record::{self, Batch, ResultsDate, Security};
use crate::source::Source;
use crate::sources::Announced;

/// How BSE writes a date, for errors.
const DATE: &str = "a date like 09 Oct 2023";

fn security(
    row: &Row,
    code: &'static str,
    short: Option<&'static str>,
    long: &'static str,
) -> Result<Security, BodyError> {
    let scrip_code = row.required(code)?;
    if !scrip_code.bytes().all(|b| b.is_ascii_digit()) || scrip_code.len() > 8 {
        return Err(row.bad(code, &scrip_code, "a BSE scrip code (digits)"));
    }
    let short_name = short.map(|f| row.text(f)).transpose()?.flatten();
    Ok(Security {
        symbol: None,
        isin: None,
        company: row
            .text(long)?
            .or_else(|| short_name.clone())
            .unwrap_or_else(|| scrip_code.clone()),
        scrip_code: Some(scrip_code),
        bse_name: short_name,
    })
}

/// Announcements: keyed by `NEWSID`; the subject is `NEWSSUB` without its "NAME - CODE - " head.
pub fn announcements(body: &[u8]) -> Result<Batch, BodyError> {
    let value = body::json(body)?;
    let table = body::member(&value, "Table", "BSE announcements")?;
    let mut batch = Batch::default();
    for row in body::rows(table, "BSE announcements")? {
        let security = security(&row, "SCRIP_CD", None, "SLONGNAME")?;
        let subject = row.required("NEWSSUB")?;
        let code = security.scrip_code.clone().unwrap_or_default();
        let subject = match subject.split_once(&format!(" - {code} - ")) {
            Some((_, rest)) => rest.trim().to_string(),
            None => subject,
        };
        let at = row.required("DT_TM")?;
        let announced_at = record::ist_time(&at)
            .ok_or_else(|| row.bad("DT_TM", &at, "a time like 2023-10-20T23:44:22.95"))?;
        batch.records.extend(
            Announced {
                source: Source::BseAnnouncements,
                key: Some(row.required("NEWSID")?),
                security,
                subject,
                ex_date: None,
                record_date: None,
                announced_at: Some(announced_at),
                raw: row.raw(),
            }
            .parsed(),
        );
    }
    Ok(batch)
}

/// One page of announcements: its rows and the total BSE counts (`Table1[0].ROWCNT`), when
/// the body has BSE's shape.
pub fn page(body: &[u8]) -> Option<(Vec<serde_json::Value>, usize)> {
    let value = body::json(body).ok()?;
    let rows = value.get("Table")?.as_array()?.clone();
    let total = value
        .get("Table1")
        .and_then(|t| t.get(0))
        .and_then(|t| t.get("ROWCNT"))
        .and_then(serde_json::Value::as_u64)
        .map_or(rows.len(), |n| usize::try_from(n).unwrap_or(usize::MAX));
    Some((rows, total))
}

/// Pages' rows as one answer in BSE's shape.
pub fn joined(rows: Vec<serde_json::Value>, total: usize) -> Vec<u8> {
    serde_json::json!({ "Table": rows, "Table1": [{ "ROWCNT": total }] })
        .to_string()
        .into_bytes()
}

/// Corporate actions: keyed by scrip code, ex-date and kind.
pub fn actions(body: &[u8]) -> Result<Batch, BodyError> {
    let value = body::json(body)?;
    let mut batch = Batch::default();
    for row in body::rows(&value, "BSE corporate actions")? {
        let ex_date = match row.text("exdate")? {
            Some(text) => Some(
                record::date(&text)
                    .ok_or_else(|| row.bad("exdate", &text, "a date like 20231009"))?,
            ),
            None => row.date("Ex_date", DATE)?,
        };
        batch.records.extend(
            Announced {
                source: Source::BseActions,
                key: None,
                security: security(&row, "scrip_code", Some("short_name"), "long_name")?,
                subject: row.required("Purpose")?,
                ex_date,
                record_date: row.date("RD_Date", DATE)?,
                announced_at: None,
                raw: row.raw(),
            }
            .parsed(),
        );
    }
    Ok(batch)
}

/// The results calendar: a results date per row.
pub fn results(body: &[u8]) -> Result<Batch, BodyError> {
    let value = body::json(body)?;
    let mut batch = Batch::default();
    for row in body::rows(&value, "BSE results calendar")? {
        let date = row
            .date("meeting_date", DATE)?
            .ok_or_else(|| row.bad("meeting_date", "", "the meeting's date"))?;
        let security = security(&row, "scrip_Code", Some("short_name"), "Long_Name")?;
        batch.results.push(ResultsDate {
            source: Source::BseResults,
            security,
            date,
            period: None,
            purpose: "Results".to_string(),
        });
    }
    Ok(batch)
}
