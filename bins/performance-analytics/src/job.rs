//! The run: the trades read from `upstox.db` (and, with an Upstox token, those Upstox reports),
//! every scope recomputed from the first trade to the last date asked for, and each scope's rows of the window upserted in one transaction
//! (a unit); then, when configured, the report queued for email.

use std::collections::HashSet;
use std::path::Path;

use chrono::NaiveDate;
use common::Exit;
use common::calendar;
use common::credentials;
use common::db::UPSTOX_DB;
use common::harness::{Context, Fatal, Job, Outcome, UnitError};
use common::market::provider::ProviderError;
use common::market::source::{Source, SourceChoice};
use common::notify::outbox::{self, Channel, Notification};
use common::notify::{Attachment, Attachments};
use common::schedule::{self, Gate};

use crate::analysis::{Analysis, Window};
use crate::chart;
use crate::config::JobConfig;
use crate::ledger::LedgerError;
use crate::performance::{self, Performance};
use crate::report::{self, Format};
use crate::store::{self, rupees};
use crate::trade::Trade;
use crate::trades::{self, Unreadable};
use crate::upstox::{self, FetchError};

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
        let (mut trades, missing) = match trades::open_for_reading(&path, busy) {
            Ok(conn) => (trades::load(&conn, &path, to)?, None),
            Err(Unreadable::Db(e)) => return Err(e.into()),
            Err(missing) => (Vec::new(), Some(missing.to_string())),
        };
        let upstox_failed = if cfg.upstox_trades {
            let from = self.request.from.unwrap_or(to);
            add_upstox_trades(ctx, &mut trades, from, to)?
        } else {
            false
        };
        if trades.is_empty() {
            let why =
                missing.unwrap_or_else(|| format!("no trades in {} up to {to}", path.display()));
            // Nothing to analyse because the only source of trades failed, or a stop cut its
            // request short: that is the run's outcome (the unit's exit code, or 143 and
            // `interrupted`: the stop is asked about first so that it is recorded), never a
            // skip that reads as success.
            if ctx.stop_requested() || upstox_failed {
                return Ok(Outcome::Done(format!("no trades to analyse: {why}")));
            }
            tracing::warn!("{why}");
            return Ok(Outcome::Skipped(why));
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

/// The unit that reads Upstox's fills.
const UPSTOX_UNIT: &str = "upstox trades";

/// With an Upstox token, adds the fills Upstox reports for `from..=to` that `trades` (from
/// `upstox.db`, whose rows win) lacks, in fill order. Without a token, nothing: the database
/// is the source. Returns whether the Upstox unit failed.
fn add_upstox_trades(
    ctx: &mut Context<JobConfig>,
    trades: &mut Vec<Trade>,
    from: NaiveDate,
    to: NaiveDate,
) -> anyhow::Result<bool> {
    let token = credentials::load(
        "upstox_token",
        credentials::systemd_directory().as_deref(),
        &ctx.config.credentials,
    )
    .map_err(|e| Fatal::new(Exit::Config, e.to_string()))?;
    if token.is_none() {
        tracing::debug!("no Upstox access token: the trades are upstox.db's alone");
        return Ok(false);
    }
    ctx.plan([UPSTOX_UNIT]);
    let source = Source::connect(ctx, SourceChoice::Upstox)?;
    let Some(client) = source.upstox() else {
        return Ok(false);
    };
    let today = calendar::today(ctx.now);
    match upstox::fetch(&client, from, to, today) {
        Ok(fetched) => {
            let known: HashSet<(String, String)> = trades
                .iter()
                .map(|t| (t.exchange.clone(), t.trade_id.clone()))
                .collect();
            let read = fetched.len();
            let new: Vec<Trade> = fetched
                .into_iter()
                .filter(|t| {
                    t.date() <= to && !known.contains(&(t.exchange.clone(), t.trade_id.clone()))
                })
                .collect();
            tracing::info!(
                "{UPSTOX_UNIT}: {read} fills from {from} to {to}, {} not in upstox.db",
                new.len()
            );
            trades.extend(new);
            trades.sort_by(|a, b| (a.traded_at, &a.trade_id).cmp(&(b.traded_at, &b.trade_id)));
            // Read, not written: upstox.db is the application's.
            ctx.unit_done(UPSTOX_UNIT, 0);
            Ok(false)
        }
        Err(FetchError::Provider(ProviderError::Http(e))) if ctx.halted(Some(UPSTOX_UNIT), &e) => {
            Ok(true)
        }
        Err(e) => {
            let exit = match &e {
                FetchError::Provider(p) => p.exit(),
                FetchError::Format { .. } => Exit::DataErr,
            };
            ctx.unit_failed(
                UPSTOX_UNIT,
                UnitError {
                    exit,
                    message: format!("{e}; the trades are upstox.db's alone"),
                },
            );
            Ok(true)
        }
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

/// Queues the text report for email with the chart attached, once per date (a rerun queues
/// nothing new). A chart that cannot be drawn is logged, and the text goes alone.
fn queue_email(ctx: &mut Context<JobConfig>, p: &Performance) -> anyhow::Result<()> {
    let body = report::render(p, Format::Text, &ctx.config.job.benchmark);
    let mut n = Notification {
        key: format!("performance:{}", p.window.to),
        subject: format!("Trading performance to {}", p.window.to),
        body,
        attachments: Attachments::default(),
    };
    if let Some(chart) = email_chart(p, &ctx.config.job.font) {
        n.attachments.add(chart)?;
    }
    let now = ctx.now;
    let db = ctx.db_mut()?;
    let added = outbox::enqueue(db, &n, &[Channel::Email], now)?;
    tracing::info!("report queued for email: {added} new");
    Ok(())
}

/// The portfolio's chart as `performance-YYYY-MM-DD.png`, or `None` with a warning.
fn email_chart(p: &Performance, font: &Path) -> Option<Attachment> {
    let first = p.analyses.first()?;
    match chart::png(first, &p.benchmark, "NIFTY 50", font) {
        Ok(bytes) => Some(Attachment {
            name: format!("performance-{}.png", p.window.to),
            mime: "image/png".to_string(),
            bytes,
        }),
        Err(e) => {
            tracing::warn!("the emailed report goes without its chart: {e}");
            None
        }
    }
}
