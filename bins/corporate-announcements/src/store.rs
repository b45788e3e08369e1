//! The job's tables: `corporate_announcements` (one row per action, keyed by source, the
//! source's identity and the action's number, so a rerun changes nothing), the previous values
//! of rows the exchange revised, and `earnings_calendar`. A BSE scrip is mapped to its NSE
//! symbol through the ISIN of nse-index-update's tables and the instrument master.

use chrono::{DateTime, NaiveDate, Utc};
use common::db::Schema;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Transaction, params, params_from_iter};

use crate::record::{Record, ResultsDate, Security};
use crate::subject::{Action, DividendKind, Meeting, Period, Scheme, Span};

/// The tables.
pub const SCHEMA: Schema = Schema {
    component: "corporate-announcements",
    migrations: &["CREATE TABLE corporate_announcements (
            source TEXT NOT NULL,
            exchange_id TEXT NOT NULL,
            action_no INTEGER NOT NULL,
            symbol TEXT,
            scrip_code TEXT,
            isin TEXT,
            company TEXT NOT NULL,
            kind TEXT NOT NULL,
            detail TEXT,
            amount INTEGER,
            currency TEXT,
            ratio_new INTEGER,
            ratio_held INTEGER,
            face_from INTEGER,
            face_to INTEGER,
            price INTEGER,
            premium INTEGER,
            size INTEGER,
            meeting_date TEXT,
            period_span TEXT,
            period_end TEXT,
            ex_date TEXT,
            record_date TEXT,
            announced_at TEXT,
            subject TEXT NOT NULL,
            raw_json TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (source, exchange_id, action_no)
        ) WITHOUT ROWID;
        CREATE INDEX corporate_announcements_by_symbol ON corporate_announcements (symbol, ex_date);
        CREATE INDEX corporate_announcements_by_ex_date ON corporate_announcements (ex_date);
        -- The values a row had before the exchange revised it, oldest revision first.
        CREATE TABLE corporate_announcement_history (
            source TEXT NOT NULL,
            exchange_id TEXT NOT NULL,
            action_no INTEGER NOT NULL,
            revision INTEGER NOT NULL,
            revised_at TEXT NOT NULL,
            symbol TEXT,
            isin TEXT,
            kind TEXT NOT NULL,
            detail TEXT,
            amount INTEGER,
            currency TEXT,
            ratio_new INTEGER,
            ratio_held INTEGER,
            face_from INTEGER,
            face_to INTEGER,
            price INTEGER,
            premium INTEGER,
            size INTEGER,
            meeting_date TEXT,
            period_span TEXT,
            period_end TEXT,
            ex_date TEXT,
            record_date TEXT,
            subject TEXT NOT NULL,
            raw_json TEXT NOT NULL,
            PRIMARY KEY (source, exchange_id, action_no, revision)
        ) WITHOUT ROWID;
        CREATE TABLE earnings_calendar (
            source TEXT NOT NULL,
            exchange_id TEXT NOT NULL,
            date TEXT NOT NULL,
            symbol TEXT,
            scrip_code TEXT,
            isin TEXT,
            company TEXT NOT NULL,
            period_span TEXT,
            period_end TEXT,
            purpose TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            PRIMARY KEY (source, exchange_id, date)
        ) WITHOUT ROWID;
        CREATE INDEX earnings_calendar_by_date ON earnings_calendar (date);"],
    adopted: None,
};

/// The columns compared to tell a revision from a rerun, in the order of [`typed`].
const TYPED: &str = "symbol, isin, kind, detail, amount, currency, ratio_new, ratio_held, face_from, \
    face_to, price, premium, size, meeting_date, period_span, period_end, ex_date, record_date, subject";

/// What happened to each record written.
#[derive(Debug, Default)]
pub struct Written {
    /// Stored for the first time.
    pub new: Vec<Record>,
    /// Changed by the exchange: updated, the old values kept in the history.
    pub revised: usize,
    /// As stored already.
    pub unchanged: usize,
    /// New results dates.
    pub new_results: Vec<ResultsDate>,
}

/// Maps a BSE scrip to NSE: as an earlier row of the scrip was mapped, else its short name
/// read as an NSE symbol gives the ISIN (instrument master, then nse-index-update's tables),
/// and the ISIN its NSE symbol today (which a rename may have changed). BSE's answers carry no
/// ISIN. Unmapped scrips keep only their code.
pub fn map_bse(conn: &Connection, security: &mut Security) -> rusqlite::Result<bool> {
    if security.symbol.is_some() {
        return Ok(true);
    }
    if let Some(code) = &security.scrip_code {
        let known = conn
            .prepare_cached(
                "SELECT symbol, isin FROM corporate_announcements
                 WHERE scrip_code = ?1 AND symbol IS NOT NULL LIMIT 1",
            )?
            .query_row([code], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if let Some((symbol, isin)) = known {
            security.symbol = Some(symbol);
            security.isin = isin;
            return Ok(true);
        }
    }
    let Some(name) = security.bse_name.clone() else {
        return Ok(false);
    };
    let isin = match lookup(
        conn,
        "instruments",
        "SELECT isin FROM instruments WHERE segment = 'NSE_EQ' AND trading_symbol = ?1 AND isin IS NOT NULL LIMIT 1",
        &name,
    )? {
        Some(isin) => Some(isin),
        None => lookup(
            conn,
            "nse_sector_info",
            "SELECT isin FROM nse_sector_info WHERE symbol = ?1 LIMIT 1",
            &name,
        )?,
    };
    let Some(isin) = isin else {
        return Ok(false);
    };
    let symbol = match lookup(
        conn,
        "nse_sector_info",
        "SELECT symbol FROM nse_sector_info WHERE isin = ?1",
        &isin,
    )? {
        Some(symbol) => symbol,
        None => lookup(
            conn,
            "instruments",
            "SELECT trading_symbol FROM instruments WHERE segment = 'NSE_EQ' AND isin = ?1 LIMIT 1",
            &isin,
        )?
        .unwrap_or(name),
    };
    security.symbol = Some(symbol);
    security.isin = Some(isin);
    Ok(true)
}

/// `sql`'s one text answer for `arg`, `None` when `table` does not exist (a database no
/// job with those tables has opened).
fn lookup(
    conn: &Connection,
    table: &str,
    sql: &str,
    arg: &str,
) -> rusqlite::Result<Option<String>> {
    let exists: bool = conn
        .prepare_cached(
            "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = ?1",
        )?
        .query_row([table], |r| r.get(0))?;
    if !exists {
        return Ok(None);
    }
    conn.prepare_cached(sql)?
        .query_row([arg], |r| r.get(0))
        .optional()
}

/// Writes one source's records and results dates in `tx`: new rows inserted, revised rows
/// updated with their previous values kept, the same rows left alone.
pub fn write(
    tx: &Transaction,
    records: &[Record],
    results: &[ResultsDate],
    now: DateTime<Utc>,
) -> rusqlite::Result<Written> {
    let at = common::runs::timestamp(now);
    let mut written = Written::default();
    for record in records {
        let key = params![record.source.name(), record.exchange_id, record.action_no];
        let stored: Option<Vec<Value>> = tx
            .prepare_cached(&format!(
                "SELECT {TYPED} FROM corporate_announcements WHERE source = ?1 AND exchange_id = ?2 AND action_no = ?3"
            ))?
            .query_row(key, |r| (0..19).map(|i| r.get::<_, Value>(i)).collect())
            .optional()?;
        let values = typed(record);
        match stored {
            Some(old) if old == values => written.unchanged += 1,
            Some(_) => {
                tx.prepare_cached(&format!(
                    "INSERT INTO corporate_announcement_history (source, exchange_id, action_no, revision, revised_at, {TYPED}, raw_json)
                     SELECT source, exchange_id, action_no,
                            1 + (SELECT count(*) FROM corporate_announcement_history h
                                 WHERE h.source = a.source AND h.exchange_id = a.exchange_id AND h.action_no = a.action_no),
                            ?4, {TYPED}, raw_json
                     FROM corporate_announcements a WHERE source = ?1 AND exchange_id = ?2 AND action_no = ?3"
                ))?
                .execute(params![record.source.name(), record.exchange_id, record.action_no, at])?;
                let mut args = values;
                args.extend([
                    Value::Text(record.raw.clone()),
                    Value::Text(at.clone()),
                    Value::Text(record.source.name().to_string()),
                    Value::Text(record.exchange_id.clone()),
                    Value::Integer(i64::from(record.action_no)),
                ]);
                tx.prepare_cached(
                    "UPDATE corporate_announcements SET symbol = ?1, isin = ?2, kind = ?3, detail = ?4,
                        amount = ?5, currency = ?6, ratio_new = ?7, ratio_held = ?8, face_from = ?9,
                        face_to = ?10, price = ?11, premium = ?12, size = ?13, meeting_date = ?14,
                        period_span = ?15, period_end = ?16, ex_date = ?17, record_date = ?18,
                        subject = ?19, raw_json = ?20, updated_at = ?21
                     WHERE source = ?22 AND exchange_id = ?23 AND action_no = ?24",
                )?
                .execute(params_from_iter(args))?;
                written.revised += 1;
            }
            None => {
                let mut args = vec![
                    Value::Text(record.source.name().to_string()),
                    Value::Text(record.exchange_id.clone()),
                    Value::Integer(i64::from(record.action_no)),
                    text(record.security.scrip_code.as_deref()),
                    Value::Text(record.security.company.clone()),
                    text(record.announced_at.map(common::runs::timestamp).as_deref()),
                    Value::Text(record.raw.clone()),
                    Value::Text(at.clone()),
                ];
                args.extend(values);
                tx.prepare_cached(&format!(
                    "INSERT INTO corporate_announcements (source, exchange_id, action_no, scrip_code, company,
                        announced_at, raw_json, first_seen, updated_at, {TYPED})
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                        ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27)"
                ))?
                .execute(params_from_iter(args))?;
                written.new.push(record.clone());
            }
        }
    }
    for result in results {
        let exchange_id = result
            .security
            .scrip_code
            .clone()
            .or_else(|| result.security.symbol.clone())
            .unwrap_or_default();
        let added = tx
            .prepare_cached(
                "INSERT INTO earnings_calendar (source, exchange_id, date, symbol, scrip_code, isin, company,
                    period_span, period_end, purpose, first_seen)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                 ON CONFLICT (source, exchange_id, date) DO UPDATE SET
                    symbol = excluded.symbol, isin = excluded.isin, period_span = excluded.period_span,
                    period_end = excluded.period_end, purpose = excluded.purpose
                 WHERE (symbol, isin, period_span, period_end, purpose)
                    IS NOT (excluded.symbol, excluded.isin, excluded.period_span, excluded.period_end, excluded.purpose)
                 RETURNING first_seen",
            )?
            .query_row(
                params![
                    result.source.name(),
                    exchange_id,
                    result.date.to_string(),
                    result.security.symbol,
                    result.security.scrip_code,
                    result.security.isin,
                    result.security.company,
                    result.period.map(|p| span_name(p.span)),
                    result.period.map(|p| p.ended.to_string()),
                    result.purpose,
                    at,
                ],
                |r| r.get::<_, String>(0),
            )
            .optional()?;
        if added.as_deref() == Some(at.as_str()) {
            written.new_results.push(result.clone());
        }
    }
    Ok(written)
}

fn text(value: Option<&str>) -> Value {
    value.map_or(Value::Null, |v| Value::Text(v.to_string()))
}

fn date(value: Option<NaiveDate>) -> Value {
    value.map_or(Value::Null, |d| Value::Text(d.to_string()))
}

fn int(value: Option<i64>) -> Value {
    value.map_or(Value::Null, Value::Integer)
}

/// A record's compared columns ([`TYPED`]), as stored.
fn typed(record: &Record) -> Vec<Value> {
    let mut c = Columns::default();
    let money = |m: Option<crate::money::Money>| m.map(|m| m.ten_thousandths);
    match &record.action {
        Action::Dividend { kind, amount } => {
            c.detail = Some(match kind {
                DividendKind::Interim => "interim",
                DividendKind::Final => "final",
                DividendKind::Special => "special",
                DividendKind::Unspecified => "unspecified",
            });
            c.amount = money(*amount);
            c.currency = amount.map(|a| a.currency.code());
        }
        Action::Split { from, to } => {
            c.face_from = Some(from.ten_thousandths);
            c.face_to = Some(to.ten_thousandths);
            c.currency = Some(from.currency.code());
        }
        Action::Bonus(r) => (c.ratio_new, c.ratio_held) = (Some(r.new.into()), Some(r.held.into())),
        Action::Rights {
            ratio,
            premium,
            price,
        } => {
            (c.ratio_new, c.ratio_held) = (Some(ratio.new.into()), Some(ratio.held.into()));
            c.premium = money(*premium);
            c.price = money(*price);
            c.currency = premium.or(*price).map(|a| a.currency.code());
        }
        Action::Buyback { price, size } => {
            c.price = money(*price);
            c.size = money(*size);
            c.currency = price.or(*size).map(|a| a.currency.code());
        }
        Action::GeneralMeeting(m) => {
            c.detail = Some(match m {
                Meeting::Annual => "annual",
                Meeting::Extraordinary => "extraordinary",
            })
        }
        Action::Results { date, period } => {
            c.meeting_date = *date;
            c.period = *period;
        }
        Action::Scheme(s) => {
            c.detail = Some(match s {
                Scheme::Arrangement => "arrangement",
                Scheme::Demerger => "demerger",
                Scheme::Amalgamation => "amalgamation",
                Scheme::Merger => "merger",
                Scheme::CapitalReduction => "capital_reduction",
            })
        }
        Action::Redemption { partial: true } => c.detail = Some("partial"),
        Action::Redemption { partial: false } | Action::InterestPayment | Action::Other(_) => {}
        Action::Distribution { amount } => {
            c.amount = money(*amount);
            c.currency = amount.map(|a| a.currency.code());
        }
    }
    vec![
        text(record.security.symbol.as_deref()),
        text(record.security.isin.as_deref()),
        Value::Text(record.action.kind().as_str().to_string()),
        text(c.detail),
        int(c.amount),
        text(c.currency),
        int(c.ratio_new),
        int(c.ratio_held),
        int(c.face_from),
        int(c.face_to),
        int(c.price),
        int(c.premium),
        int(c.size),
        date(c.meeting_date),
        text(c.period.map(|p| span_name(p.span))),
        date(c.period.map(|p| p.ended)),
        date(record.ex_date),
        date(record.record_date),
        Value::Text(record.subject.clone()),
    ]
}

#[derive(Default)]
struct Columns {
    detail: Option<&'static str>,
    amount: Option<i64>,
    currency: Option<&'static str>,
    ratio_new: Option<i64>,
    ratio_held: Option<i64>,
    face_from: Option<i64>,
    face_to: Option<i64>,
    price: Option<i64>,
    premium: Option<i64>,
    size: Option<i64>,
    meeting_date: Option<NaiveDate>,
    period: Option<Period>,
}

/// A span as stored.
pub fn span_name(span: Span) -> &'static str {
    match span {
        Span::Quarter => "quarter",
        Span::HalfYear => "half_year",
        Span::Year => "year",
        Span::Unknown => "unknown",
    }
}

#[cfg(test)]
mod tests;
