//! `show`, and the dry run's lines: what is stored for a symbol or a date range, upcoming
//! ex-dates first, read-only. Stored text is printed [`Shown`] (a source's control characters
//! never reach the terminal).

use std::io::Write;

use chrono::NaiveDate;
use common::harness::{self, CommonArgs};
use common::text::Shown;

use crate::job::CorporateAnnouncements;
use crate::record::{Record, ResultsDate};

/// What `show` lists.
#[derive(Debug, Clone)]
pub struct Query {
    /// One NSE symbol (or `BSE:<code>`), or all.
    pub symbol: Option<String>,
    /// Ex-dates, meeting or announcement dates from …
    pub from: NaiveDate,
    /// … to.
    pub to: NaiveDate,
    /// Today (IST): what is upcoming.
    pub today: NaiveDate,
}

/// Prints the stored actions (upcoming ex-dates first, then the rest newest first) and
/// results dates.
pub fn run(args: &CommonArgs, query: &Query) -> anyhow::Result<()> {
    let conn = harness::open_for_reading::<CorporateAnnouncements>(args)?;
    let mut out = std::io::stdout().lock();
    let (symbol, from, to, today) = (
        query.symbol.clone().unwrap_or_default(),
        query.from.to_string(),
        query.to.to_string(),
        query.today.to_string(),
    );
    let mut stmt = conn.prepare(
        "SELECT COALESCE(symbol, 'BSE:' || scrip_code, company), kind, ex_date, record_date,
                substr(COALESCE(announced_at, first_seen), 1, 10), source, subject
         FROM corporate_announcements
         WHERE (?1 = '' OR symbol = ?1 OR 'BSE:' || scrip_code = ?1)
           AND COALESCE(ex_date, substr(COALESCE(announced_at, first_seen), 1, 10)) BETWEEN ?2 AND ?3
         ORDER BY ex_date IS NULL OR ex_date < ?4, ex_date, announced_at DESC, symbol",
    )?;
    let rows = stmt.query_map([&symbol, &from, &to, &today], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, String>(6)?,
        ))
    })?;
    let mut any = false;
    for row in rows {
        let (who, kind, ex, record, announced, source, subject) = row?;
        any = true;
        writeln!(
            out,
            "{:<14} {:<16} ex {:<10} record {:<10} announced {}  {}  {}",
            Shown(&who),
            kind,
            ex.as_deref().unwrap_or("-"),
            record.as_deref().unwrap_or("-"),
            announced,
            source,
            Shown(&subject)
        )?;
    }
    let mut stmt = conn.prepare(
        "SELECT COALESCE(symbol, 'BSE:' || scrip_code), date, COALESCE(period_span || ' ended ' || period_end, '-'), source
         FROM earnings_calendar
         WHERE (?1 = '' OR symbol = ?1 OR 'BSE:' || scrip_code = ?1) AND date BETWEEN ?2 AND ?3
         ORDER BY date, 1",
    )?;
    let rows = stmt.query_map([&symbol, &from, &to], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    for row in rows {
        let (who, date, period, source) = row?;
        any = true;
        writeln!(
            out,
            "{:<14} results on {date}  period {period}  {source}",
            Shown(&who)
        )?;
    }
    if !any {
        writeln!(
            out,
            "nothing stored for {} between {from} and {to}",
            query.symbol.as_deref().unwrap_or("any symbol")
        )?;
    }
    Ok(())
}

/// A record as the dry run prints it.
pub fn record_line(r: &Record) -> String {
    let date = |d: Option<NaiveDate>| d.map_or("-".to_string(), |d| d.to_string());
    format!(
        "{} {} {:?} ex {} record {} [{}] {}",
        r.source,
        Shown(&r.security.label()),
        r.action,
        date(r.ex_date),
        date(r.record_date),
        r.action.kind().as_str(),
        Shown(&r.subject)
    )
}

/// A results date as the dry run prints it.
pub fn results_line(r: &ResultsDate) -> String {
    format!(
        "{} {} results on {} {:?}",
        r.source,
        Shown(&r.security.label()),
        r.date,
        r.period
    )
}
