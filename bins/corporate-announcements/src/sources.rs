//! Each exchange's answers read into typed records.
//!
//! - [`nse`]: corporate actions, announcements, board meetings
//! - [`bse`]: announcements, corporate actions, results calendar

pub mod bse;
pub mod nse;

use std::collections::HashMap;

use crate::record::{Record, Security};
use crate::source::Source;
use crate::subject::{self, Action};

/// One record per action of `subject`; `key` is the source's identity of the row, or `None`
/// where it has none, and then the security, `ex_date` and each action's kind make one (a
/// split and a bonus on one day are two rows at NSE).
pub(crate) struct Announced {
    pub source: Source,
    pub key: Option<String>,
    pub security: Security,
    pub subject: String,
    pub ex_date: Option<chrono::NaiveDate>,
    pub record_date: Option<chrono::NaiveDate>,
    pub announced_at: Option<chrono::DateTime<chrono::Utc>>,
    pub raw: String,
}

impl Announced {
    /// The records, one per action.
    pub fn records(self, actions: Vec<Action>) -> Vec<Record> {
        let mut seen: HashMap<&'static str, u32> = HashMap::new();
        let security_key = self.security.label();
        let ex = self
            .ex_date
            .map_or("-".to_string(), |d| d.format("%Y%m%d").to_string());
        actions
            .into_iter()
            .enumerate()
            .map(|(i, action)| {
                let (exchange_id, action_no) = match &self.key {
                    Some(key) => (key.clone(), u32::try_from(i).unwrap_or(u32::MAX)),
                    None => {
                        let kind = action.kind().as_str();
                        let n = seen.entry(kind).or_insert(0);
                        let no = *n;
                        *n += 1;
                        (format!("{security_key}:{ex}:{kind}"), no)
                    }
                };
                Record {
                    source: self.source,
                    exchange_id,
                    action_no,
                    security: self.security.clone(),
                    action,
                    ex_date: self.ex_date,
                    record_date: self.record_date,
                    announced_at: self.announced_at,
                    subject: self.subject.clone(),
                    raw: self.raw.clone(),
                }
            })
            .collect()
    }

    /// [`Announced::records`] of the subject's actions.
    pub fn parsed(self) -> Vec<Record> {
        let actions = subject::parse(&self.subject);
        self.records(actions)
    }
}

#[cfg(test)]
mod tests;
