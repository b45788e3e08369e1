//! The job's tables in `market_data.db` and their upserts. Money is computed exactly and
//! stored as REAL rounded to the paisa (the nearest double, which reads back as the same
//! two-decimal amount); returns and ratios as REAL at full precision; dates as IST
//! `YYYY-MM-DD`. `strategy` is '' for the whole portfolio. A row changes only when a value
//! differs, so recomputing a range reports 0 rows changed.

use common::db::Schema;
use rusqlite::{Transaction, params};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::analysis::{Analysis, Window};

/// `daily_performance`, `monthly_performance`, `risk_metrics` and `strategy_performance`.
pub const SCHEMA: Schema = Schema {
    component: "performance-analytics",
    migrations: &["CREATE TABLE daily_performance (
            strategy TEXT NOT NULL,
            date TEXT NOT NULL,
            realised_pnl REAL NOT NULL,
            charges REAL NOT NULL,
            unrealised_pnl REAL NOT NULL,
            cash_flow REAL NOT NULL,
            pnl REAL NOT NULL,
            equity REAL NOT NULL,
            daily_return REAL NOT NULL,
            drawdown REAL NOT NULL,
            benchmark_return REAL,
            fills INTEGER NOT NULL,
            closed_trades INTEGER NOT NULL,
            PRIMARY KEY (strategy, date)
        ) WITHOUT ROWID;
        CREATE TABLE monthly_performance (
            strategy TEXT NOT NULL,
            month TEXT NOT NULL,
            pnl REAL NOT NULL,
            monthly_return REAL NOT NULL,
            charges REAL NOT NULL,
            end_equity REAL NOT NULL,
            sessions INTEGER NOT NULL,
            closed_trades INTEGER NOT NULL,
            PRIMARY KEY (strategy, month)
        ) WITHOUT ROWID;
        CREATE TABLE risk_metrics (
            strategy TEXT NOT NULL,
            period_start TEXT NOT NULL,
            period_end TEXT NOT NULL,
            sessions INTEGER NOT NULL,
            risk_free_rate REAL NOT NULL,
            cumulative_return REAL,
            annual_return REAL,
            annual_volatility REAL,
            sharpe REAL,
            sortino REAL,
            max_drawdown REAL,
            drawdown_peak TEXT,
            drawdown_trough TEXT,
            drawdown_recovery TEXT,
            calmar REAL,
            alpha REAL,
            beta REAL,
            PRIMARY KEY (strategy, period_start, period_end)
        ) WITHOUT ROWID;
        CREATE TABLE strategy_performance (
            strategy TEXT NOT NULL,
            period_start TEXT NOT NULL,
            period_end TEXT NOT NULL,
            realised_pnl REAL NOT NULL,
            charges REAL NOT NULL,
            pnl REAL NOT NULL,
            trades INTEGER NOT NULL,
            wins INTEGER NOT NULL,
            losses INTEGER NOT NULL,
            win_rate REAL,
            profit_factor REAL,
            average_win REAL,
            average_loss REAL,
            payoff_ratio REAL,
            expectancy REAL,
            largest_win REAL,
            largest_loss REAL,
            longest_winning_streak INTEGER NOT NULL,
            longest_losing_streak INTEGER NOT NULL,
            PRIMARY KEY (strategy, period_start, period_end)
        ) WITHOUT ROWID;"],
    adopted: None,
};

/// Rupees as stored: to the paisa.
pub fn rupees(x: Decimal) -> f64 {
    x.round_dp(2).to_f64().unwrap_or(f64::NAN)
}

/// How many rows of each table a write changed (or, in a dry run, would write).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    /// `daily_performance`.
    pub daily: u64,
    /// `monthly_performance`.
    pub monthly: u64,
    /// `risk_metrics` and `strategy_performance`.
    pub summary: u64,
}

impl Written {
    /// All rows.
    pub fn total(&self) -> u64 {
        self.daily + self.monthly + self.summary
    }
}

/// The window's first and last session dates, as the summary rows are keyed.
pub fn period(a: &Analysis, window: Window) -> (String, String) {
    let start = a
        .days
        .first()
        .map(|d| d.session.date)
        .or(window.from)
        .unwrap_or(window.to);
    (start.to_string(), window.to.to_string())
}

/// Upserts `a`'s rows; returns how many changed.
pub fn write(tx: &Transaction, a: &Analysis, window: Window) -> rusqlite::Result<Written> {
    let strategy = a.scope.key();
    let mut w = Written::default();
    let mut daily = tx.prepare_cached(
        "INSERT INTO daily_performance VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (strategy, date) DO UPDATE SET
             realised_pnl = excluded.realised_pnl, charges = excluded.charges,
             unrealised_pnl = excluded.unrealised_pnl, cash_flow = excluded.cash_flow,
             pnl = excluded.pnl, equity = excluded.equity, daily_return = excluded.daily_return,
             drawdown = excluded.drawdown, benchmark_return = excluded.benchmark_return,
             fills = excluded.fills, closed_trades = excluded.closed_trades
         WHERE (realised_pnl, charges, unrealised_pnl, cash_flow, pnl, equity, daily_return,
                drawdown, fills, closed_trades)
               IS NOT (excluded.realised_pnl, excluded.charges, excluded.unrealised_pnl,
                       excluded.cash_flow, excluded.pnl, excluded.equity, excluded.daily_return,
                       excluded.drawdown, excluded.fills, excluded.closed_trades)
            OR benchmark_return IS NOT excluded.benchmark_return",
    )?;
    for d in &a.days {
        let s = &d.session;
        w.daily += daily.execute(params![
            strategy,
            s.date.to_string(),
            rupees(s.realised),
            rupees(s.charges),
            rupees(s.unrealised),
            rupees(s.flows),
            rupees(s.pnl),
            rupees(s.equity),
            s.daily_return,
            d.drawdown,
            d.benchmark_return,
            s.fills,
            d.closed_trades
        ])? as u64;
    }
    let mut monthly = tx.prepare_cached(
        "INSERT INTO monthly_performance VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (strategy, month) DO UPDATE SET
             pnl = excluded.pnl, monthly_return = excluded.monthly_return,
             charges = excluded.charges, end_equity = excluded.end_equity,
             sessions = excluded.sessions, closed_trades = excluded.closed_trades
         WHERE (pnl, monthly_return, charges, end_equity, sessions, closed_trades)
               IS NOT (excluded.pnl, excluded.monthly_return, excluded.charges,
                       excluded.end_equity, excluded.sessions, excluded.closed_trades)",
    )?;
    for m in &a.months {
        w.monthly += monthly.execute(params![
            strategy,
            m.month,
            rupees(m.pnl),
            m.monthly_return,
            rupees(m.charges),
            rupees(m.end_equity),
            m.sessions,
            m.closed_trades
        ])? as u64;
    }
    let (start, end) = period(a, window);
    let r = &a.risk;
    let dd = a.drawdown;
    w.summary += tx
        .prepare_cached(
            "INSERT INTO risk_metrics VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
             ON CONFLICT (strategy, period_start, period_end) DO UPDATE SET
                 sessions = excluded.sessions, risk_free_rate = excluded.risk_free_rate,
                 cumulative_return = excluded.cumulative_return, annual_return = excluded.annual_return,
                 annual_volatility = excluded.annual_volatility, sharpe = excluded.sharpe,
                 sortino = excluded.sortino, max_drawdown = excluded.max_drawdown,
                 drawdown_peak = excluded.drawdown_peak, drawdown_trough = excluded.drawdown_trough,
                 drawdown_recovery = excluded.drawdown_recovery, calmar = excluded.calmar,
                 alpha = excluded.alpha, beta = excluded.beta
             WHERE (sessions, risk_free_rate) IS NOT (excluded.sessions, excluded.risk_free_rate)
                OR (cumulative_return, annual_return, annual_volatility, sharpe, sortino, max_drawdown,
                    drawdown_peak, drawdown_trough, drawdown_recovery, calmar, alpha, beta)
                   IS NOT (excluded.cumulative_return, excluded.annual_return, excluded.annual_volatility,
                           excluded.sharpe, excluded.sortino, excluded.max_drawdown,
                           excluded.drawdown_peak, excluded.drawdown_trough, excluded.drawdown_recovery,
                           excluded.calmar, excluded.alpha, excluded.beta)",
        )?
        .execute(params![
            strategy,
            start,
            end,
            r.days as i64,
            a.risk_free_rate,
            r.cumulative_return,
            r.annual_return,
            r.annual_volatility,
            r.sharpe,
            r.sortino,
            r.max_drawdown,
            dd.and_then(|d| d.peak).map(|d| d.to_string()),
            dd.map(|d| d.trough.to_string()),
            dd.and_then(|d| d.recovery).map(|d| d.to_string()),
            r.calmar,
            r.alpha,
            r.beta
        ])? as u64;
    let t = &a.trades;
    let money = |x: Option<Decimal>| x.map(rupees);
    w.summary += tx
        .prepare_cached(
            "INSERT INTO strategy_performance VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)
             ON CONFLICT (strategy, period_start, period_end) DO UPDATE SET
                 realised_pnl = excluded.realised_pnl, charges = excluded.charges, pnl = excluded.pnl,
                 trades = excluded.trades, wins = excluded.wins, losses = excluded.losses,
                 win_rate = excluded.win_rate, profit_factor = excluded.profit_factor,
                 average_win = excluded.average_win, average_loss = excluded.average_loss,
                 payoff_ratio = excluded.payoff_ratio, expectancy = excluded.expectancy,
                 largest_win = excluded.largest_win, largest_loss = excluded.largest_loss,
                 longest_winning_streak = excluded.longest_winning_streak,
                 longest_losing_streak = excluded.longest_losing_streak
             WHERE (realised_pnl, charges, pnl, trades, wins, losses, longest_winning_streak,
                    longest_losing_streak)
                   IS NOT (excluded.realised_pnl, excluded.charges, excluded.pnl, excluded.trades,
                           excluded.wins, excluded.losses, excluded.longest_winning_streak,
                           excluded.longest_losing_streak)
                OR (win_rate, profit_factor, average_win, average_loss, payoff_ratio, expectancy,
                    largest_win, largest_loss)
                   IS NOT (excluded.win_rate, excluded.profit_factor, excluded.average_win,
                           excluded.average_loss, excluded.payoff_ratio, excluded.expectancy,
                           excluded.largest_win, excluded.largest_loss)",
        )?
        .execute(params![
            strategy,
            start,
            end,
            rupees(a.realised),
            rupees(a.charges),
            rupees(a.pnl),
            t.trades,
            t.wins,
            t.losses,
            t.win_rate,
            t.profit_factor,
            money(t.average_win),
            money(t.average_loss),
            t.payoff_ratio,
            money(t.expectancy),
            money(t.largest_win),
            money(t.largest_loss),
            t.longest_winning_streak,
            t.longest_losing_streak
        ])? as u64;
    Ok(w)
}
