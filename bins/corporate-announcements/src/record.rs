//! What the sources give, typed: an announcement's actions (one record per action) and the
//! results dates of the earnings calendar.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use common::calendar::IST;

use crate::source::Source;
use crate::subject::{Action, Period};

/// Who the record is about, as the source names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Security {
    /// NSE symbol: NSE's own, or a BSE scrip's mapped through its ISIN.
    pub symbol: Option<String>,
    /// BSE scrip code.
    pub scrip_code: Option<String>,
    /// ISIN, when given or mapped.
    pub isin: Option<String>,
    /// The company's name, or BSE's short name.
    pub company: String,
    /// BSE's short name of the scrip (often NSE's symbol), matched to an ISIN by the store.
    pub bse_name: Option<String>,
}

impl Security {
    /// The symbol, else `BSE:<scrip code>`: how people are shown it.
    pub fn label(&self) -> String {
        match (&self.symbol, &self.scrip_code) {
            (Some(symbol), _) => symbol.clone(),
            (None, Some(code)) => format!("BSE:{code}"),
            (None, None) => self.company.clone(),
        }
    }
}

/// One action of one announcement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The source.
    pub source: Source,
    /// The source's identity of the announcement (NSE's `seq_id`, BSE's `NEWSID`, or the
    /// security and ex-date where the source has none): with [`Record::action_no`], the
    /// natural key.
    pub exchange_id: String,
    /// Which action of the subject, from 0.
    pub action_no: u32,
    /// Who.
    pub security: Security,
    /// What.
    pub action: Action,
    /// Ex-date.
    pub ex_date: Option<NaiveDate>,
    /// Record date.
    pub record_date: Option<NaiveDate>,
    /// When the exchange published it.
    pub announced_at: Option<DateTime<Utc>>,
    /// The subject as written.
    pub subject: String,
    /// The source's row.
    pub raw: String,
}

/// A results date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultsDate {
    /// The source.
    pub source: Source,
    /// Who.
    pub security: Security,
    /// The board meeting's date.
    pub date: NaiveDate,
    /// The period, when given.
    pub period: Option<Period>,
    /// The purpose as written.
    pub purpose: String,
}

/// What one source gave.
#[derive(Debug, Default)]
pub struct Batch {
    /// Announcements' actions.
    pub records: Vec<Record>,
    /// Results dates.
    pub results: Vec<ResultsDate>,
}

/// "17-Oct-2023" (NSE), "09 Oct 2023" (BSE), "20231009" (BSE's `exdate`).
pub fn date(text: &str) -> Option<NaiveDate> {
    ["%d-%b-%Y", "%d %b %Y", "%Y%m%d", "%Y-%m-%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(text.trim(), f).ok())
}

/// An IST time as the sources write it ("18-Oct-2023 22:11:42", "2023-10-20T23:44:22.95"), in UTC.
pub fn ist_time(text: &str) -> Option<DateTime<Utc>> {
    let naive = [
        "%d-%b-%Y %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text.trim(), f).ok())?;
    IST.from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times_in_every_format_the_sources_use() {
        let d = NaiveDate::from_ymd_opt(2023, 10, 9).unwrap();
        assert_eq!(date("09-Oct-2023"), Some(d));
        assert_eq!(date("09 Oct 2023"), Some(d));
        assert_eq!(date("20231009"), Some(d));
        assert_eq!(date("-"), None);
        assert_eq!(
            ist_time("18-Oct-2023 22:11:42").unwrap().to_rfc3339(),
            "2023-10-18T16:41:42+00:00"
        );
        assert_eq!(
            ist_time("2023-10-20T23:44:22.95").unwrap().to_rfc3339(),
            "2023-10-20T18:14:22.950+00:00"
        );
    }
}
