//! NSE's JSON answers: `/api/corporates-corporateActions`, `/api/corporate-announcements`,
//! `/api/corporate-board-meetings` (fields as `notes/data-sources.md` §1 lists them).

use crate::body::{self, BodyError, Row};
use crate::record::{self, Batch, ResultsDate, Security};
use crate::source::Source;
use crate::sources::Announced;
use crate::subject::{self, Action};

/// How NSE writes a date, for errors.
const DATE: &str = "a date like 17-Oct-2023";

fn security(
    row: &Row,
    symbol: &'static str,
    isin: &'static str,
    name: &'static str,
) -> Result<Security, BodyError> {
    let symbol = row.required(symbol)?;
    Ok(Security {
        company: row.text(name)?.unwrap_or_else(|| symbol.clone()),
        symbol: Some(symbol),
        scrip_code: None,
        isin: row.text(isin)?,
        bse_name: None,
    })
}

/// Corporate actions: one row per action, keyed by symbol, series, ex-date and kind.
pub fn actions(body: &[u8]) -> Result<Batch, BodyError> {
    let value = body::json(body)?;
    let mut batch = Batch::default();
    for row in body::rows(&value, "NSE corporate actions")? {
        let mut security = security(&row, "symbol", "isin", "comp")?;
        let series = row.text("series")?.unwrap_or_default();
        if series != "EQ" && !series.is_empty() {
            // The same company's other series (BE, SM) are other securities: keep them apart.
            security.symbol = security.symbol.map(|s| format!("{s}-{series}"));
        }
        batch.records.extend(
            Announced {
                source: Source::NseActions,
                key: None,
                security,
                subject: row.required("subject")?,
                ex_date: row.date("exDate", DATE)?,
                record_date: row.date("recDate", DATE)?,
                announced_at: None,
                raw: row.raw(),
            }
            .parsed(),
        );
    }
    Ok(batch)
}

/// Announcements: keyed by NSE's `seq_id`; the subject is `desc`.
pub fn announcements(body: &[u8]) -> Result<Batch, BodyError> {
    let value = body::json(body)?;
    let mut batch = Batch::default();
    for row in body::rows(&value, "NSE announcements")? {
        let at = row.required("an_dt")?;
        let announced_at = record::ist_time(&at)
            .ok_or_else(|| row.bad("an_dt", &at, "a time like 18-Oct-2023 22:11:42"))?;
        batch.records.extend(
            Announced {
                source: Source::NseAnnouncements,
                key: Some(row.required("seq_id")?),
                security: security(&row, "symbol", "sm_isin", "sm_name")?,
                subject: row.required("desc")?,
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

/// Board meetings: the purpose as an announcement keyed by symbol and meeting date, and a
/// results date when the purpose is results.
pub fn board_meetings(body: &[u8]) -> Result<Batch, BodyError> {
    let value = body::json(body)?;
    let mut batch = Batch::default();
    for row in body::rows(&value, "NSE board meetings")? {
        let security = security(&row, "bm_symbol", "sm_isin", "sm_name")?;
        let date = row
            .date("bm_date", DATE)?
            .ok_or_else(|| row.bad("bm_date", "", "the meeting's date"))?;
        let purpose = row.required("bm_purpose")?;
        let actions = subject::parse(&purpose);
        for action in &actions {
            if let Action::Results { period, .. } = action {
                batch.results.push(ResultsDate {
                    source: Source::NseBoardMeetings,
                    security: security.clone(),
                    date,
                    period: *period,
                    purpose: purpose.clone(),
                });
            }
        }
        let announced_at = row.text("bm_timestamp")?.and_then(|t| record::ist_time(&t));
        batch.records.extend(
            Announced {
                source: Source::NseBoardMeetings,
                key: Some(format!("{}:{}", security.label(), date.format("%Y%m%d"))),
                security,
                subject: purpose,
                ex_date: None,
                record_date: None,
                announced_at,
                raw: row.raw(),
            }
            .records(actions),
        );
    }
    Ok(batch)
}
