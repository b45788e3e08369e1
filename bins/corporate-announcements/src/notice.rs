//! Notifications through the outbox, once each (a dedupe key per fact): new announcements,
//! ex-dates coming within the lead, and results dates, for the watchlist and the active
//! members of the configured indices, in a trader's words ("RELIANCE: ex-dividend Rs 10 on
//! Thu 14 Aug (record date 14 Aug)").

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use common::config::NotifyConfig;
use common::notify::Attachments;
use common::notify::outbox::{self, Channel, Notification};
use rusqlite::Connection;

use crate::record::{Record, ResultsDate};
use crate::store::span_name;
use crate::subject::{self, Action, DividendKind, Meeting};

/// Who is watched, and where messages go.
pub struct Notifier {
    channels: Vec<Channel>,
    watched: BTreeSet<String>,
}

impl Notifier {
    /// The watchlist and the members of `indices` on `today` (from nse-index-update's table).
    pub fn new(
        conn: Option<&Connection>,
        watchlist: &[String],
        indices: &[String],
        notify: &NotifyConfig,
        today: NaiveDate,
    ) -> rusqlite::Result<Notifier> {
        let mut watched: BTreeSet<String> = watchlist.iter().map(|s| s.to_uppercase()).collect();
        if let Some(conn) = conn {
            for index in indices {
                if let Some(members) = common::market::universe::members(conn, index, today)? {
                    watched.extend(members.into_iter().map(|(symbol, _)| symbol));
                }
            }
        }
        let mut channels = Vec::new();
        if notify.email.is_some() {
            channels.push(Channel::Email);
        }
        if notify.telegram.is_some() {
            channels.push(Channel::Telegram);
        }
        Ok(Notifier { channels, watched })
    }

    /// Whether `symbol` is watched.
    pub fn watches(&self, symbol: Option<&str>) -> bool {
        symbol.is_some_and(|s| self.watched.contains(s))
    }

    fn send(
        &self,
        conn: &Connection,
        n: &Notification,
        now: DateTime<Utc>,
    ) -> rusqlite::Result<usize> {
        tracing::info!("notify: {}", n.subject);
        if self.channels.is_empty() {
            return Ok(0);
        }
        outbox::enqueue(conn, n, &self.channels, now).map(|added| usize::from(added > 0))
    }

    /// Queues a message for each new record of a watched symbol; returns how many were new.
    /// An action with an ex-date is told once whichever exchanges report it, and not at all
    /// when the ex-date is already within the lead (by `horizon`): the reminder tells it.
    pub fn announced(
        &self,
        conn: &Connection,
        records: &[Record],
        horizon: NaiveDate,
        now: DateTime<Utc>,
    ) -> rusqlite::Result<usize> {
        let mut sent = 0;
        for r in records
            .iter()
            .filter(|r| self.watches(r.security.symbol.as_deref()))
        {
            let label = r.security.label();
            let (key, text) = match r.ex_date {
                Some(ex) if ex <= horizon => continue,
                Some(ex) => (
                    format!("corporate:announced:{}", fact(&label, ex, &r.action)),
                    format!(
                        "{label}: announced {}",
                        on_ex_date(&r.action, &r.subject, ex, r.record_date)
                    ),
                ),
                // Once per announcement, however many actions its subject holds: the
                // message quotes the subject, so one per action would say it twice.
                None => (
                    format!("corporate:new:{}:{}", r.source, r.exchange_id),
                    format!("{label}: new announcement: {}", r.subject),
                ),
            };
            let n = Notification {
                key,
                attachments: Attachments::default(),
                subject: text.clone(),
                body: format!("{text}\n\n{} ({})", r.security.company, r.source),
            };
            sent += self.send(conn, &n, now)?;
        }
        Ok(sent)
    }

    /// Queues a message for each new results date of a watched symbol.
    pub fn results(
        &self,
        conn: &Connection,
        results: &[ResultsDate],
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> rusqlite::Result<usize> {
        let mut sent = 0;
        for r in results
            .iter()
            .filter(|r| r.date >= today && self.watches(r.security.symbol.as_deref()))
        {
            let label = r.security.label();
            let period = r.period.map_or(String::new(), |p| {
                format!(
                    " ({} ended {})",
                    span_name(p.span).replace('_', " "),
                    p.ended.format("%-d %b %Y")
                )
            });
            let text = format!("{label}: results on {}{period}", r.date.format("%a %-d %b"));
            let n = Notification {
                key: format!("corporate:results:{label}:{}", r.date),
                attachments: Attachments::default(),
                subject: text.clone(),
                body: format!("{text}\n\n{}: {}", r.security.company, r.purpose),
            };
            sent += self.send(conn, &n, now)?;
        }
        Ok(sent)
    }

    /// Queues a message for each stored action of a watched symbol whose ex-date is after
    /// `today` and no later than `horizon` (the lead's last trading day), once per symbol,
    /// action and ex-date whichever exchange reported it.
    pub fn ex_dates(
        &self,
        conn: &Connection,
        today: NaiveDate,
        horizon: NaiveDate,
        now: DateTime<Utc>,
    ) -> rusqlite::Result<usize> {
        let mut stmt = conn.prepare(
            "SELECT symbol, action_no, kind, ex_date, record_date, subject
             FROM corporate_announcements
             WHERE ex_date > ?1 AND ex_date <= ?2 AND symbol IS NOT NULL
             ORDER BY ex_date, symbol",
        )?;
        let rows = stmt
            .query_map([today.to_string(), horizon.to_string()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, u32>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, String>(5)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut sent = 0;
        for (symbol, action_no, kind, ex, record, subject) in rows {
            let (true, Some(ex_date)) = (self.watched.contains(&symbol), crate::record::date(&ex))
            else {
                continue;
            };
            let record_date = record.as_deref().and_then(crate::record::date);
            // The row's action again: rows with ex-dates are numbered within their kind.
            let action = subject::parse(&subject)
                .into_iter()
                .filter(|a| a.kind().as_str() == kind)
                .nth(action_no as usize)
                .unwrap_or(Action::Other(subject.clone()));
            let text = format!(
                "{symbol}: {}",
                on_ex_date(&action, &subject, ex_date, record_date)
            );
            let n = Notification {
                key: format!("corporate:ex:{}", fact(&symbol, ex_date, &action)),
                attachments: Attachments::default(),
                subject: text.clone(),
                body: format!("{text}\n\n{subject}"),
            };
            sent += self.send(conn, &n, now)?;
        }
        Ok(sent)
    }
}

/// One fact, however many exchanges report it: symbol, ex-date and the action's words.
fn fact(symbol: &str, ex: NaiveDate, action: &Action) -> String {
    format!("{symbol}:{ex}:{}", words(action, ""))
}

/// "ex-dividend Rs 10 on Thu 14 Aug (record date 14 Aug)".
pub fn on_ex_date(
    action: &Action,
    subject: &str,
    ex: NaiveDate,
    record: Option<NaiveDate>,
) -> String {
    let record = record.map_or(String::new(), |d| {
        format!(" (record date {})", d.format("%-d %b"))
    });
    format!(
        "{} on {}{record}",
        words(action, subject),
        ex.format("%a %-d %b")
    )
}

/// What an action means to a holder, in a trader's words.
pub fn words(action: &Action, subject: &str) -> String {
    let amount = |m: &Option<crate::money::Money>| m.map_or(String::new(), |m| format!(" {m}"));
    match action {
        Action::Dividend { kind, amount: a } => {
            let which = match kind {
                DividendKind::Interim => " (interim)",
                DividendKind::Final => " (final)",
                DividendKind::Special => " (special)",
                DividendKind::Unspecified => "",
            };
            format!("ex-dividend{}{which}", amount(a))
        }
        Action::Split { from, to } => format!("ex-split, face value {from} to {to}"),
        Action::Bonus(r) => format!("ex-bonus {}:{}", r.new, r.held),
        Action::Rights {
            ratio,
            premium,
            price,
        } => {
            let terms = match (price, premium) {
                (Some(p), _) => format!(" at {p}"),
                (None, Some(p)) => format!(" at a premium of {p}"),
                (None, None) => String::new(),
            };
            format!("ex-rights {}:{}{terms}", ratio.new, ratio.held)
        }
        Action::Buyback { price, .. } => format!(
            "buyback record{}",
            price.map_or(String::new(), |p| format!(" at {p}"))
        ),
        Action::GeneralMeeting(Meeting::Annual) => "AGM book closure".to_string(),
        Action::GeneralMeeting(Meeting::Extraordinary) => "EGM book closure".to_string(),
        Action::Distribution { amount: a } => format!("ex-distribution{}", amount(a)),
        Action::Results { .. }
        | Action::Scheme(_)
        | Action::InterestPayment
        | Action::Redemption { .. }
        | Action::Other(_) => format!(
            "ex-date for {}",
            subject.split_whitespace().collect::<Vec<_>>().join(" ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trader_reads_what_it_means() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let action = &subject::parse("Dividend - Rs 10 Per Share")[0];
        assert_eq!(
            on_ex_date(
                action,
                "Dividend - Rs 10 Per Share",
                d("2025-08-14"),
                Some(d("2025-08-14"))
            ),
            "ex-dividend Rs 10 on Thu 14 Aug (record date 14 Aug)"
        );
        let bonus = &subject::parse("Bonus 1:1")[0];
        assert_eq!(
            on_ex_date(bonus, "Bonus 1:1", d("2025-08-15"), None),
            "ex-bonus 1:1 on Fri 15 Aug"
        );
        let rights = &subject::parse("Rights 3:17 @ Premium Rs 1195/-")[0];
        assert_eq!(words(rights, ""), "ex-rights 3:17 at a premium of Rs 1195");
    }
}
