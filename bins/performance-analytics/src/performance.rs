//! From the trades to every scope's analysis: the sessions to mark, the closes to mark them
//! at, the ledgers, and each scope analysed over the window. What the run stores and the
//! report prints are this, computed the same way.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use common::calendar::TradingCalendar;
use common::market::instrument::InstrumentKey;
use rusqlite::Connection;

use crate::analysis::{self, Analysis, Window};
use crate::config::JobConfig;
use crate::ledger::{self, Marking};
use crate::market;
use crate::trade::Trade;

/// Every scope's analysis over a window, and the benchmark's closes for the chart.
#[derive(Debug, Clone)]
pub struct Performance {
    /// The window.
    pub window: Window,
    /// The portfolio first, then each strategy by name; none without trades.
    pub analyses: Vec<Analysis>,
    /// The benchmark's daily closes over the window (and the days before it).
    pub benchmark: BTreeMap<NaiveDate, f64>,
}

/// The sessions from the first trade to `to`: the trading days, and any other day with a fill.
pub fn sessions(trades: &[Trade], calendar: &TradingCalendar, to: NaiveDate) -> Vec<NaiveDate> {
    let Some(first) = trades.first().map(Trade::date) else {
        return Vec::new();
    };
    let filled: BTreeSet<NaiveDate> = trades.iter().map(Trade::date).collect();
    first
        .iter_days()
        .take_while(|d| *d <= to)
        .filter(|d| calendar.session(*d).is_some() || filled.contains(d))
        .collect()
}

/// Computes the performance of `trades` (in fill order, none after `window.to`), marked at
/// the closes in `market` (`None`: no market database yet).
pub fn compute(
    trades: &[Trade],
    market: Option<&Connection>,
    calendar: &TradingCalendar,
    config: &JobConfig,
    window: Window,
) -> anyhow::Result<Performance> {
    let days = sessions(trades, calendar, window.to);
    let first = days.first().copied().unwrap_or(window.to);
    let closes = market::symbol_closes(market, trades, first, window.to)?;
    let key = InstrumentKey::parse(&config.benchmark)
        .map_err(|e| anyhow::anyhow!("benchmark {:?}: {}", config.benchmark, e))?;
    let benchmark = market::benchmark_closes(market, &key, first, window.to)?;
    let ledgers = ledger::mark(
        trades,
        &Marking {
            schedule: &config.charges,
            capital: config.starting_capital,
            flows: &config.cash_flows,
            days: &days,
            closes: &closes,
        },
    )?;
    let analyses = if trades.is_empty() {
        Vec::new()
    } else {
        ledgers
            .iter()
            .map(|l| analysis::analyse(l, window, config.risk_free_rate, &benchmark))
            .collect()
    };
    Ok(Performance {
        window,
        analyses,
        benchmark,
    })
}
