//! The books marked to market each session: FIFO per symbol and strategy ([`crate::fifo`]),
//! realised P&L and charges as they happen, unrealised P&L at each session's close, and the
//! equity curve from the starting capital plus deposits and withdrawals.
//!
//! Equity(d) = capital + flows up to d + realised up to d − charges paid up to d +
//! unrealised at d's close. A session's P&L is the change in equity less that day's flows,
//! and its return that P&L over the previous equity plus the day's flows (a deposit is taken
//! to arrive before the open). A strategy's curve starts from the whole capital: its return is
//! its contribution to the portfolio's.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::charges::ChargeSchedule;
use crate::config::CashFlow;
use crate::fifo::{Book, Closed};
use crate::trade::Trade;

/// The whole portfolio or one strategy.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Every strategy together.
    Portfolio,
    /// One strategy tag (`untagged` for trades without one).
    Strategy(String),
}

impl Scope {
    /// As stored in the `strategy` column: empty for the portfolio.
    pub fn key(&self) -> &str {
        match self {
            Scope::Portfolio => "",
            Scope::Strategy(s) => s,
        }
    }

    /// As people read it.
    pub fn label(&self) -> &str {
        match self {
            Scope::Portfolio => "portfolio",
            Scope::Strategy(s) => s,
        }
    }
}

/// One session of one scope.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// The IST date.
    pub date: NaiveDate,
    /// Realised P&L of the fills of the day, before charges.
    pub realised: Decimal,
    /// Charges and taxes of the fills of the day.
    pub charges: Decimal,
    /// The open lots' P&L at the day's close.
    pub unrealised: Decimal,
    /// Deposits less withdrawals of the day.
    pub flows: Decimal,
    /// The day's P&L: equity change less flows.
    pub pnl: Decimal,
    /// Equity at the close.
    pub equity: Decimal,
    /// pnl / (previous equity + flows).
    pub daily_return: f64,
    /// Fills of the day.
    pub fills: u32,
}

/// A scope's sessions and closed trades.
#[derive(Debug, Clone)]
pub struct Ledger {
    /// Whose.
    pub scope: Scope,
    /// Each session, oldest first.
    pub sessions: Vec<Session>,
    /// Each closing fill's closed trade, oldest first.
    pub closed: Vec<Closed>,
}

/// Why the books could not be marked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// A position was open at a session's end with no close to mark it at.
    #[error(
        "no daily close of {symbol} on {date} to mark its open position at: fetch it (upstox-market-sync --symbols {symbol} --interval day --from {date} --to {date}) and run again"
    )]
    MissingClose {
        /// The symbol.
        symbol: String,
        /// The session.
        date: NaiveDate,
    },
    /// Equity was zero or below before a session: no return can be computed.
    #[error(
        "equity before {date} is {equity} rupees, not above zero: set [jobs.performance-analytics] starting_capital (and cash_flows) to the account's capital"
    )]
    NoCapital {
        /// The session.
        date: NaiveDate,
        /// The equity before it.
        equity: Decimal,
    },
}

/// What marking needs besides the trades.
pub struct Marking<'a> {
    /// Charges of fills whose rows carry none.
    pub schedule: &'a ChargeSchedule,
    /// Capital before the first deposit.
    pub capital: Decimal,
    /// Deposits (> 0) and withdrawals (< 0) by date.
    pub flows: &'a [CashFlow],
    /// The sessions to mark, oldest first: every trading day from the first trade on, and
    /// any other day with a fill.
    pub days: &'a [NaiveDate],
    /// Daily closes by (symbol, date).
    pub closes: &'a BTreeMap<(String, NaiveDate), Decimal>,
}

/// Per-strategy running totals.
#[derive(Default)]
struct Running {
    realised: Decimal,
    charges: Decimal,
    closed: Vec<Closed>,
    parts: Vec<(Decimal, Decimal, Decimal, u32)>,
}

/// Marks `trades` (in fill order) on every session: the portfolio's ledger first, then each
/// strategy's, by name.
pub fn mark(trades: &[Trade], m: &Marking) -> Result<Vec<Ledger>, LedgerError> {
    let mut books: BTreeMap<(String, String), Book> = BTreeMap::new();
    let mut running: BTreeMap<String, Running> = BTreeMap::new();
    for t in trades {
        running.entry(t.strategy_name().to_string()).or_default();
    }
    let mut next = 0;
    for &date in m.days {
        let mut today: BTreeMap<&str, (Decimal, Decimal, u32)> = BTreeMap::new();
        while let Some(t) = trades.get(next).filter(|t| t.date() <= date) {
            next += 1;
            let charges = t.charges.unwrap_or_else(|| m.schedule.charges(t));
            let book = books
                .entry((t.strategy_name().to_string(), t.symbol.clone()))
                .or_default();
            let entry = today.entry(t.strategy_name()).or_default();
            if let Some(closed) = book.fill(date, t.side, t.quantity, t.price, charges) {
                entry.0 += closed.gross;
                running
                    .get_mut(t.strategy_name())
                    .expect("every strategy has its totals")
                    .closed
                    .push(closed);
            }
            entry.1 += charges;
            entry.2 += 1;
        }
        let mut unrealised: BTreeMap<&str, Decimal> = BTreeMap::new();
        for ((strategy, symbol), book) in &books {
            if book.is_flat() {
                continue;
            }
            let close =
                m.closes
                    .get(&(symbol.clone(), date))
                    .ok_or_else(|| LedgerError::MissingClose {
                        symbol: symbol.clone(),
                        date,
                    })?;
            *unrealised.entry(strategy).or_default() += book.unrealised(*close);
        }
        for (strategy, run) in running.iter_mut() {
            let (realised, charges, fills) =
                today.get(strategy.as_str()).copied().unwrap_or_default();
            run.realised += realised;
            run.charges += charges;
            let open = unrealised
                .get(strategy.as_str())
                .copied()
                .unwrap_or_default();
            run.parts.push((realised, charges, open, fills));
        }
    }
    let mut ledgers = Vec::new();
    let strategies: Vec<(Scope, &Running)> = running
        .iter()
        .map(|(s, r)| (Scope::Strategy(s.clone()), r))
        .collect();
    let whole: Vec<&Running> = running.values().collect();
    ledgers.push(curve(Scope::Portfolio, &whole, m)?);
    for (scope, run) in strategies {
        ledgers.push(curve(scope, &[run], m)?);
    }
    Ok(ledgers)
}

/// Deposits less withdrawals dated on or before `date`.
fn flows_through(flows: &[CashFlow], date: NaiveDate) -> Decimal {
    flows
        .iter()
        .filter(|f| f.date <= date)
        .map(|f| f.amount)
        .sum()
}

/// The equity curve of the strategies `parts` together.
fn curve(scope: Scope, parts: &[&Running], m: &Marking) -> Result<Ledger, LedgerError> {
    let mut sessions = Vec::with_capacity(m.days.len());
    let Some(first) = m.days.first() else {
        return Ok(Ledger {
            scope,
            sessions,
            closed: Vec::new(),
        });
    };
    let mut prev_flows = m
        .flows
        .iter()
        .filter(|f| f.date < *first)
        .map(|f| f.amount)
        .sum::<Decimal>();
    let mut prev_equity = m.capital + prev_flows;
    let (mut realised_to_date, mut charges_to_date) = (Decimal::ZERO, Decimal::ZERO);
    for (i, &date) in m.days.iter().enumerate() {
        let (mut realised, mut charges, mut unrealised, mut fills) =
            (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, 0);
        for part in parts {
            let (r, c, u, f) = part.parts[i];
            realised += r;
            charges += c;
            unrealised += u;
            fills += f;
        }
        realised_to_date += realised;
        charges_to_date += charges;
        let through = flows_through(m.flows, date);
        let flows = through - prev_flows;
        let equity = m.capital + through + realised_to_date - charges_to_date + unrealised;
        let pnl = equity - prev_equity - flows;
        let base = prev_equity + flows;
        if base <= Decimal::ZERO {
            return Err(LedgerError::NoCapital { date, equity: base });
        }
        let daily_return = (pnl / base).to_f64().unwrap_or(0.0);
        sessions.push(Session {
            date,
            realised,
            charges,
            unrealised,
            flows,
            pnl,
            equity,
            daily_return,
            fills,
        });
        prev_equity = equity;
        prev_flows = through;
    }
    let mut closed: Vec<Closed> = parts
        .iter()
        .flat_map(|p| p.closed.iter().cloned())
        .collect();
    closed.sort_by_key(|c| c.date);
    Ok(Ledger {
        scope,
        sessions,
        closed,
    })
}
