//! The run: the trades read from `upstox.db`, every scope recomputed from the first trade to
//! the last date asked for, and each scope's rows of the window upserted in one transaction
//! (a unit); then, when configured, the report queued for email.

use chrono::NaiveDate;
use common::Exit;
use common::calendar;
use common::db::UPSTOX_DB;
use common::harness::{Context, Fatal, Job, Outcome};
use common::notify::outbox::{self, Channel, Notification};
use common::schedule::{self, Gate};

use crate::analysis::{Analysis, Window};
use crate::config::JobConfig;
use crate::ledger::LedgerError;
use crate::performance::{self, Performance};
use crate::report::{self, Format};
use crate::store::{self, rupees};
use crate::trades::{self, Unreadable};

/// What a run was asked for.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Rewrite from this date; `None`: from the first trade.
    pub from: Option<NaiveDate>,
    /// Up to this date; `None`: the run's IST date.
    pub to: Option<NaiveDate>,
}

/// The performance-analytics job.
pub struct PerformanceAnalytics {
    /// What was asked for.
    pub request: Request,
}

/// A books-marking failure as the run's fatal error: the data it needs is missing (65).
pub fn ledger_fatal(e: anyhow::Error) -> anyhow::Error {
    match e.downcast_ref::<LedgerError>() {
        Some(l) => Fatal::new(Exit::DataErr, l.to_string()).into(),
        None => e,
    }
}

impl Job for PerformanceAnalytics {
    const NAME: &'static str = "performance-analytics";
    const UNIT_NOUNS: (&'static str, &'static str) = ("scope", "scopes");
    type Config = JobConfig;
    const SCHEMAS: &'static [common::db::Schema] = &[common::market::store::SCHEMA, store::SCHEMA];

    fn gate(&self, _config: &JobConfig) -> Gate {
        if self.request.from.is_some() || self.request.to.is_some() {
            // A recomputation a person asked for is never skipped.
            Gate::Always
        } else {
            schedule::of(Self::NAME).map_or(Gate::Always, |s| s.gate)
        }
    }

    fn run(&mut self, ctx: &mut Context<JobConfig>) -> anyhow::Result<Outcome> {
        let cfg = ctx.config.job.clone();
        let to = self.request.to.unwrap_or(calendar::today(ctx.now));
        let window = Window {
            from: self.request.from,
            to,
        };
        let path = ctx.data_dir.join(UPSTOX_DB);
        let busy =
            std::time::Duration::from_secs_f64(ctx.config.database.busy_timeout_secs.max(0.0));
        let conn = match trades::open_for_reading(&path, busy) {
            Ok(conn) => conn,
            Err(Unreadable::Db(e)) => return Err(e.into()),
            Err(missing) => {
                tracing::warn!("{missing}");
                return Ok(Outcome::Skipped(missing.to_string()));
            }
        };
        let trades = trades::load(&conn, &path, to)?;
        drop(conn);
        if trades.is_empty() {
            return Ok(Outcome::Skipped(format!(
                "no trades in {} up to {to}",
                path.display()
            )));
        }
        let calendar = ctx.calendar()?.clone();
        let perf = performance::compute(&trades, ctx.db.as_ref(), &calendar, &cfg, window)
            .map_err(ledger_fatal)?;
        ctx.plan(perf.analyses.iter().map(|a| a.scope.label().to_string()));
        for a in &perf.analyses {
            if ctx.stop_requested() {
                break;
            }
            let label = a.scope.label().to_string();
            if ctx.dry_run {
                print_rows(a, window);
                ctx.unit_done(&label, 0);
                continue;
            }
            let written = ctx.db_mut().and_then(|db| {
                let tx = db.transaction()?;
                let w = store::write(&tx, a, window)?;
                tx.commit()?;
                Ok(w)
            });
            match written {
                Ok(w) => {
                    tracing::info!(
                        "{label}: {} daily, {} monthly and {} summary rows changed",
                        w.daily,
                        w.monthly,
                        w.summary
                    );
                    ctx.unit_done(&label, w.total());
                }
                Err(e) => match e.downcast::<rusqlite::Error>() {
                    Ok(db) => {
                        let unit = ctx.db_error(db);
                        ctx.unit_failed(&label, unit);
                    }
                    Err(other) => return Err(other),
                },
            }
        }
        if cfg.email.enabled && !ctx.dry_run {
            queue_email(ctx, &perf)?;
        }
        Ok(Outcome::Done(summary(&perf)))
    }
}

/// The run's words: the sessions and the portfolio's P&L and Sharpe.
fn summary(p: &Performance) -> String {
    let Some(a) = p.analyses.first() else {
        return "no sessions".to_string();
    };
    let (first, last) = match (a.days.first(), a.days.last()) {
        (Some(f), Some(l)) => (f.session.date, l.session.date),
        _ => {
            return format!(
                "no session between the dates asked for (up to {})",
                p.window.to
            );
        }
    };
    format!(
        "{} sessions {first}..{last}, portfolio P&L ₹{}, Sharpe {}",
        a.days.len(),
        report::rupee_text(a.pnl),
        a.risk.sharpe.map_or("—".to_string(), |s| format!("{s:.2}"))
    )
}

/// `--dry-run`: the rows a run would upsert, one line each.
fn print_rows(a: &Analysis, window: Window) {
    let who = a.scope.label();
    for d in &a.days {
        let s = &d.session;
        println!(
            "daily_performance {who} {}: pnl {} equity {} return {} drawdown {}",
            s.date,
            rupees(s.pnl),
            rupees(s.equity),
            s.daily_return,
            d.drawdown
        );
    }
    for m in &a.months {
        println!(
            "monthly_performance {who} {}: pnl {} return {}",
            m.month,
            rupees(m.pnl),
            m.monthly_return
        );
    }
    let (start, end) = store::period(a, window);
    println!(
        "risk_metrics {who} {start}..{end}: sharpe {:?} sortino {:?} max_drawdown {:?}",
        a.risk.sharpe, a.risk.sortino, a.risk.max_drawdown
    );
    println!(
        "strategy_performance {who} {start}..{end}: {} trades, win rate {:?}",
        a.trades.trades, a.trades.win_rate
    );
}

/// Queues the text report for email, once per date (a rerun queues nothing new).
fn queue_email(ctx: &mut Context<JobConfig>, p: &Performance) -> anyhow::Result<()> {
    let body = report::render(p, Format::Text, &ctx.config.job.benchmark);
    let n = Notification {
        key: format!("performance:{}", p.window.to),
        subject: format!("Trading performance to {}", p.window.to),
        body,
    };
    let now = ctx.now;
    let db = ctx.db_mut()?;
    let added = outbox::enqueue(db, &n, &[Channel::Email], now)?;
    tracing::info!("report queued for email: {added} new");
    Ok(())
}
