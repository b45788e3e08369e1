//! A scope's ledger turned into what is reported and stored: its sessions in the window with
//! drawdown and benchmark return, its months, its risk statistics over the window's returns
//! and its closed trades' statistics.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use crate::ledger::{Ledger, Scope, Session};
use crate::returns::{self, DrawdownSpan, RiskStats};
use crate::tradestats::{self, TradeStats};

/// The dates a report or a recomputation covers, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// The first date; `None`: from the first trade.
    pub from: Option<NaiveDate>,
    /// The last date.
    pub to: NaiveDate,
}

impl Window {
    /// Whether `date` is in the window.
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.from.is_none_or(|f| date >= f) && date <= self.to
    }
}

/// One session as reported.
#[derive(Debug, Clone, PartialEq)]
pub struct Day {
    /// The ledger's session.
    pub session: Session,
    /// The fall from the running peak of the compounded returns since the first trade, ≤ 0.
    pub drawdown: f64,
    /// The benchmark's return over the session, when both its closes are stored.
    pub benchmark_return: Option<f64>,
    /// Closed trades of the day.
    pub closed_trades: u32,
}

/// One calendar month of sessions (all of them, whatever the window).
#[derive(Debug, Clone, PartialEq)]
pub struct Month {
    /// `YYYY-MM`.
    pub month: String,
    /// The sum of the sessions' P&L.
    pub pnl: Decimal,
    /// The compounded return of its sessions.
    pub monthly_return: f64,
    /// Charges paid.
    pub charges: Decimal,
    /// Equity at the last session.
    pub end_equity: Decimal,
    /// Sessions.
    pub sessions: u32,
    /// Closed trades.
    pub closed_trades: u32,
}

/// Where the window's maximum drawdown lies, in dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct DrawdownDates {
    /// The last session at the peak; `None` when the fall began on the window's first
    /// session (the peak is the equity before it).
    pub peak: Option<NaiveDate>,
    /// The bottom.
    pub trough: NaiveDate,
    /// The first session back at the peak, if any.
    pub recovery: Option<NaiveDate>,
}

/// A scope's analysis over a window.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Whose.
    pub scope: Scope,
    /// The window's sessions.
    pub days: Vec<Day>,
    /// The months the window touches.
    pub months: Vec<Month>,
    /// Over the window's daily returns.
    pub risk: RiskStats,
    /// The annual risk-free rate the ratios were computed with.
    pub risk_free_rate: f64,
    /// Where its maximum drawdown lies.
    pub drawdown: Option<DrawdownDates>,
    /// Over the trades closed in the window.
    pub trades: TradeStats,
    /// Realised P&L of the window, before charges.
    pub realised: Decimal,
    /// Charges of the window.
    pub charges: Decimal,
    /// The window's P&L.
    pub pnl: Decimal,
}

/// The benchmark's return for each of `dates`: from the latest close before the date to the
/// date's close; `None` where either is missing.
pub fn benchmark_returns(
    closes: &BTreeMap<NaiveDate, f64>,
    dates: &[NaiveDate],
) -> Vec<Option<f64>> {
    dates
        .iter()
        .map(|d| {
            let today = closes.get(d)?;
            let (_, before) = closes.range(..*d).next_back()?;
            Some(today / before - 1.0)
        })
        .collect()
}

/// Analyses `ledger` over `window` with the annual risk-free rate `risk_free_rate` (taken as
/// rate / 252 a session) and the benchmark's daily closes.
pub fn analyse(
    ledger: &Ledger,
    window: Window,
    risk_free_rate: f64,
    benchmark: &BTreeMap<NaiveDate, f64>,
) -> Analysis {
    let all: Vec<f64> = ledger.sessions.iter().map(|s| s.daily_return).collect();
    let drawdowns = returns::drawdowns(&all);
    let dates: Vec<NaiveDate> = ledger.sessions.iter().map(|s| s.date).collect();
    let bench = benchmark_returns(benchmark, &dates);
    let mut closed_by_day: BTreeMap<NaiveDate, u32> = BTreeMap::new();
    for c in &ledger.closed {
        *closed_by_day.entry(c.date).or_default() += 1;
    }
    let days: Vec<Day> = ledger
        .sessions
        .iter()
        .enumerate()
        .filter(|(_, s)| window.contains(s.date))
        .map(|(i, s)| Day {
            session: s.clone(),
            drawdown: drawdowns[i],
            benchmark_return: bench[i],
            closed_trades: closed_by_day.get(&s.date).copied().unwrap_or(0),
        })
        .collect();
    let window_returns: Vec<f64> = days.iter().map(|d| d.session.daily_return).collect();
    let risk_free = risk_free_rate / returns::SESSIONS_PER_YEAR;
    let mut risk = returns::risk_stats(&window_returns, risk_free, None);
    // Against the benchmark on the sessions it has a return for (not the first session of a
    // history that starts with the benchmark's, nor a day its candle is missing).
    let (paired, factor): (Vec<f64>, Vec<f64>) = days
        .iter()
        .filter_map(|d| Some((d.session.daily_return, d.benchmark_return?)))
        .unzip();
    (risk.alpha, risk.beta) = returns::alpha_beta(&paired, &factor, risk_free);
    let drawdown = returns::drawdown_span(&window_returns).map(
        |DrawdownSpan {
             peak,
             trough,
             recovery,
         }| {
            DrawdownDates {
                peak: peak.map(|i| days[i].session.date),
                trough: days[trough].session.date,
                recovery: recovery.map(|i| days[i].session.date),
            }
        },
    );
    let pnl: Vec<Decimal> = ledger
        .closed
        .iter()
        .filter(|c| window.contains(c.date))
        .map(|c| c.net())
        .collect();
    let touched: Vec<String> = days.iter().map(|d| month_of(d.session.date)).collect();
    let months = months(ledger, &closed_by_day)
        .into_iter()
        .filter(|m| touched.contains(&m.month))
        .collect();
    Analysis {
        scope: ledger.scope.clone(),
        risk,
        risk_free_rate,
        drawdown,
        trades: tradestats::trade_stats(&pnl),
        realised: days.iter().map(|d| d.session.realised).sum(),
        charges: days.iter().map(|d| d.session.charges).sum(),
        pnl: days.iter().map(|d| d.session.pnl).sum(),
        days,
        months,
    }
}

fn month_of(date: NaiveDate) -> String {
    format!("{:04}-{:02}", date.year(), date.month())
}

/// Every month of the ledger.
fn months(ledger: &Ledger, closed_by_day: &BTreeMap<NaiveDate, u32>) -> Vec<Month> {
    let mut months: Vec<Month> = Vec::new();
    for s in &ledger.sessions {
        let name = month_of(s.date);
        if months.last().is_none_or(|m| m.month != name) {
            months.push(Month {
                month: name,
                pnl: Decimal::ZERO,
                monthly_return: 0.0,
                charges: Decimal::ZERO,
                end_equity: s.equity,
                sessions: 0,
                closed_trades: 0,
            });
        }
        let m = months.last_mut().expect("pushed above");
        m.pnl += s.pnl;
        m.monthly_return = (1.0 + m.monthly_return) * (1.0 + s.daily_return) - 1.0;
        m.charges += s.charges;
        m.end_equity = s.equity;
        m.sessions += 1;
        m.closed_trades += closed_by_day.get(&s.date).copied().unwrap_or(0);
    }
    months
}
