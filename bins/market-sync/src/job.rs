//! The run: pick the provider, resolve the universe, and for each instrument fetch what is
//! missing, check it, find and backfill gaps, and write it all in one transaction; then
//! quotes, option chains and the IV analysis.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, Utc};
use common::Exit;
use common::calendar::{self, IST, TradingCalendar};
use common::harness::{Context, Fatal, Job, Outcome, UnitError};
use common::schedule::Gate;

use crate::config::JobConfig;
use crate::gaps::{self, GapRow, GapStatus};
use crate::store;
use crate::volatility::{self, IvRecord, SESSIONS_PER_YEAR};
use common::market;
use common::market::candle::{self, Candle, Problem, ist_date, ist_epoch};
use common::market::instrument::{Instrument, InstrumentKey};
use common::market::interval::Interval;
use common::market::master;
use common::market::provider::{Provider, ProviderError};
use common::market::source::Source;
use common::market::universe::{self, Universe};

/// What the command line asked for.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// `--symbols`; empty: the configured universe.
    pub symbols: Vec<String>,
    /// `--interval`; empty: the configured intervals.
    pub intervals: Vec<Interval>,
    /// `--from`/`--period` and `--to`: a backfill of these IST dates.
    pub range: Option<(NaiveDate, NaiveDate)>,
    /// `--source`.
    pub source: Option<common::market::config::SourceChoice>,
    /// Whether to store quotes (not `--no-quotes`).
    pub quotes: bool,
    /// Whether to fetch option chains (not `--no-options`).
    pub options: bool,
}

/// The market-sync job.
pub struct MarketSync {
    /// What to do.
    pub request: Request,
}

/// Why one instrument could not be synced.
#[derive(Debug, thiserror::Error)]
enum SyncError {
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error("database: {0}")]
    Db(#[from] rusqlite::Error),
}

impl SyncError {
    fn unit_error(self, ctx: &Context<JobConfig>) -> UnitError {
        match self {
            SyncError::Provider(e) => UnitError::from(&e),
            SyncError::Db(e) => ctx.db_error(e),
        }
    }
}

/// One interval of one instrument, ready to write.
struct IntervalWork {
    interval: Interval,
    candles: Vec<Candle>,
    gaps: Option<(i64, Vec<GapRow>)>,
    not_stored: usize,
}

#[derive(Default)]
struct Totals {
    changed: u64,
    fetched: usize,
    would_write: usize,
    rejected: BTreeMap<Problem, usize>,
    nulls: usize,
    gaps: BTreeMap<&'static str, usize>,
    gap_requests: u32,
    quotes: usize,
    options: usize,
}

impl Totals {
    fn describe(&self, dry_run: bool) -> String {
        let mut parts = vec![if dry_run {
            format!(
                "{} candles fetched, {} not yet stored (nothing written)",
                self.fetched, self.would_write
            )
        } else {
            format!(
                "{} candles fetched, {} rows written",
                self.fetched, self.changed
            )
        }];
        let rejected: usize = self.rejected.values().sum();
        if rejected > 0 {
            let why: Vec<String> = self
                .rejected
                .iter()
                .map(|(p, n)| format!("{n} {p}"))
                .collect();
            parts.push(format!("{rejected} invalid rejected ({})", why.join(", ")));
        }
        if self.nulls > 0 {
            parts.push(format!("{} null bars dropped", self.nulls));
        }
        let gaps: Vec<String> = self
            .gaps
            .iter()
            .map(|(status, n)| format!("{n} {status}"))
            .collect();
        if !gaps.is_empty() {
            parts.push(format!("gaps: {}", gaps.join(", ")));
        }
        if self.quotes > 0 {
            parts.push(format!("{} quotes", self.quotes));
        }
        if self.options > 0 {
            parts.push(format!("{} option rows", self.options));
        }
        parts.join(", ")
    }
}

/// Splits `from..=to` into spans of at most `days` days.
pub fn spans(from: NaiveDate, to: NaiveDate, days: i64) -> Vec<(NaiveDate, NaiveDate)> {
    let mut out = Vec::new();
    let mut start = from;
    while start <= to {
        let end = (start + Days::new(days.max(1) as u64 - 1)).min(to);
        out.push((start, end));
        start = end + Days::new(1);
    }
    out
}

fn config_error(ctx: &Context<JobConfig>, message: impl std::fmt::Display) -> anyhow::Error {
    Fatal::new(Exit::Config, format!("{}: {message}", ctx.config.source())).into()
}

impl Job for MarketSync {
    const NAME: &'static str = "market-sync";
    const UNIT_NOUNS: (&'static str, &'static str) = ("instrument", "instruments");
    type Config = JobConfig;
    const SCHEMAS: &'static [common::db::Schema] = &[market::store::SCHEMA, store::SCHEMA];

    fn gate(&self, config: &JobConfig) -> Gate {
        match self.request.range {
            // A backfill a person asked for is never skipped.
            Some(_) => Gate::Always,
            None => Gate::MarketHours {
                after_close_minutes: config.after_close_minutes,
            },
        }
    }

    fn run(&mut self, ctx: &mut Context<JobConfig>) -> anyhow::Result<Outcome> {
        let cfg = ctx.config.job.clone();
        let now = ctx.now;
        let today = calendar::today(now);
        let calendar = ctx.calendar.clone();
        if !calendar.covers(today.year()) {
            tracing::warn!(
                "the NSE holiday list has no entries for {}: holidays this year are unknown, so gaps may be reported on them; install the new list ([calendar] holidays_file)",
                today.year()
            );
        }
        let intervals = if self.request.intervals.is_empty() {
            cfg.intervals().map_err(|e| config_error(ctx, e))?
        } else {
            self.request.intervals.clone()
        };

        let source = Source::connect(ctx, self.request.source.unwrap_or(cfg.source))?;
        let provider = source.provider();
        let http = source.http();

        if !ctx.dry_run
            && let Some(conn) = ctx.db.as_mut()
            && master::is_stale(conn, today)?
        {
            match master::refresh(
                conn,
                http,
                &ctx.config.providers.upstox.instruments_url,
                today,
            ) {
                Ok(n) => tracing::info!("instrument master: {n} NSE equities and indices"),
                Err(e) => tracing::warn!(
                    "{e}; symbols are looked up in the stored copy and in nse-index-update's ISINs"
                ),
            }
        }
        // A dry run stores nothing, so it reads a master it needs into memory.
        let scratch = match &ctx.db {
            Some(conn) if !ctx.dry_run || !master::is_stale(conn, today)? => None,
            _ => master::in_memory(http, &ctx.config.providers.upstox.instruments_url, today)
                .map_err(|e| {
                    tracing::warn!("{e}; symbols are looked up in nse-index-update's ISINs")
                })
                .ok(),
        };
        let lookups: Vec<&rusqlite::Connection> = scratch.iter().chain(ctx.db.as_ref()).collect();
        let universe = if self.request.symbols.is_empty() {
            universe::configured(
                &lookups,
                ctx.db.as_ref(),
                &cfg.members_of,
                today,
                &cfg.watchlist,
                &cfg.indices,
            )?
        } else {
            let mut u = Universe::default();
            for name in &self.request.symbols {
                u.add(&lookups, name);
            }
            u
        };
        for (name, why) in &universe.unresolved {
            ctx.unit_failed(
                name,
                UnitError {
                    exit: Exit::Config,
                    message: why.clone(),
                },
            );
        }
        tracing::info!(
            "syncing {} instruments ({}) from {}",
            universe.instruments.len(),
            intervals
                .iter()
                .map(|i| i.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            provider.name()
        );

        let mut totals = Totals::default();
        let mut gap_budget = cfg.gap_requests_per_run;
        for instrument in &universe.instruments {
            if ctx.stop_requested() {
                break;
            }
            let outcome = sync(
                ctx,
                provider.as_ref(),
                &calendar,
                instrument,
                &intervals,
                self.request.range,
                &mut gap_budget,
                &mut totals,
            );
            match outcome {
                Ok(changed) => ctx.unit_done(&instrument.symbol, changed),
                Err(SyncError::Provider(e @ ProviderError::Auth { .. })) => {
                    return Err(Fatal::new(Exit::Config, e.to_string()).into());
                }
                Err(e) => {
                    let error = e.unit_error(ctx);
                    ctx.unit_failed(&instrument.symbol, error)
                }
            }
        }
        totals.gap_requests = cfg.gap_requests_per_run - gap_budget;

        if self.request.quotes && cfg.quotes && !ctx.stop_requested() {
            quotes(ctx, provider.as_ref(), &universe.instruments, &mut totals)?;
        }
        if self.request.options && !ctx.stop_requested() {
            for key in &cfg.option_underlyings {
                if ctx.stop_requested() {
                    break;
                }
                let underlying = InstrumentKey::parse(key).map_err(|e| config_error(ctx, e))?;
                options(
                    ctx,
                    provider.as_ref(),
                    &underlying,
                    cfg.option_expiries,
                    &mut totals,
                )?;
            }
        }
        Ok(Outcome::Done(totals.describe(ctx.dry_run)))
    }
}

/// Syncs one instrument: every interval fetched and checked, gaps found and backfilled, then
/// all of it written in one transaction. Returns the rows changed.
#[allow(clippy::too_many_arguments)]
fn sync(
    ctx: &mut Context<JobConfig>,
    provider: &dyn Provider,
    calendar: &TradingCalendar,
    instrument: &Instrument,
    intervals: &[Interval],
    range: Option<(NaiveDate, NaiveDate)>,
    gap_budget: &mut u32,
    totals: &mut Totals,
) -> Result<u64, SyncError> {
    let now = ctx.now;
    let today = calendar::today(now);
    let mut work = Vec::new();
    for &interval in intervals {
        let stored_last = match &ctx.db {
            Some(conn) => market::store::last_bar(conn, &instrument.key, interval)?,
            None => None,
        };
        let first_sync = today - Days::new(ctx.config.job.initial_days(interval) as u64);
        let (mut from, to) = match range {
            Some(r) => r,
            None if ctx.force => (first_sync, today),
            None => (stored_last.map_or(first_sync, ist_date), today),
        };
        if let Some(days) = provider.history_days(interval) {
            from = from.max(today - Days::new(days as u64));
        }
        let mut fetched = Vec::new();
        for (a, b) in spans(from, to, provider.max_span_days(interval)) {
            let batch = provider.candles(instrument, interval, a, b, today)?;
            totals.nulls += batch.nulls;
            fetched.extend(batch.candles);
        }
        let checked = checked(instrument, interval, fetched, calendar, now, totals);
        let mut item = IntervalWork {
            interval,
            candles: checked,
            gaps: None,
            not_stored: 0,
        };
        find_gaps(
            ctx, provider, calendar, instrument, &mut item, gap_budget, totals,
        )?;
        work.push(item);
    }
    for item in &work {
        totals.fetched += item.candles.len();
        totals.would_write += item.not_stored;
        for row in item.gaps.iter().flat_map(|(_, rows)| rows) {
            *totals.gaps.entry(row.status.as_str()).or_default() += 1;
        }
    }
    if ctx.dry_run {
        let would: usize = work.iter().map(|w| w.not_stored).sum();
        tracing::info!(
            unit = instrument.symbol,
            "{}: would write {} candles ({would} not yet stored)",
            instrument.symbol,
            work.iter().map(|w| w.candles.len()).sum::<usize>()
        );
        return Ok(0);
    }
    let source = provider.name();
    let now_s = now.timestamp();
    let conn = ctx.db.as_mut().ok_or(rusqlite::Error::InvalidQuery)?;
    let tx = conn.transaction()?;
    let mut changed = 0;
    for item in &work {
        changed += market::store::upsert_candles(
            &tx,
            &instrument.key,
            item.interval,
            &item.candles,
            source,
        )?;
        if let Some((window_start, rows)) = &item.gaps {
            changed += store::replace_gaps(
                &tx,
                &instrument.key,
                item.interval,
                *window_start,
                rows,
                now_s,
            )?;
        }
    }
    tracing::debug!(
        unit = instrument.symbol,
        "{}: written, committing",
        instrument.symbol
    );
    fail::fail_point!("market-sync::before-commit");
    tx.commit()?;
    totals.changed += changed;
    Ok(changed)
}

/// Checks fetched bars; counts and logs what was refused.
fn checked(
    instrument: &Instrument,
    interval: Interval,
    fetched: Vec<Candle>,
    calendar: &TradingCalendar,
    now: DateTime<Utc>,
    totals: &mut Totals,
) -> Vec<Candle> {
    let checked = candle::check(fetched, interval, calendar, now);
    for r in &checked.rejected {
        *totals.rejected.entry(r.problem).or_default() += 1;
        tracing::warn!(
            unit = instrument.symbol,
            "{} {interval} bar at {}: rejected, {} (o {} h {} l {} c {} v {})",
            instrument.symbol,
            candle::utc(r.candle.ts)
                .with_timezone(&IST)
                .format("%Y-%m-%d %H:%M IST"),
            r.problem,
            r.candle.open,
            r.candle.high,
            r.candle.low,
            r.candle.close,
            r.candle.volume
        );
    }
    checked.candles
}

/// Compares what is stored and fetched with the calendar's sessions over the lookback window,
/// backfills open gaps while the run's budget lasts, and leaves the gap rows in `item`.
fn find_gaps(
    ctx: &Context<JobConfig>,
    provider: &dyn Provider,
    calendar: &TradingCalendar,
    instrument: &Instrument,
    item: &mut IntervalWork,
    gap_budget: &mut u32,
    totals: &mut Totals,
) -> Result<(), SyncError> {
    let cfg = &ctx.config.job;
    let now = ctx.now;
    let today = calendar::today(now);
    let interval = item.interval;
    let lookback = ist_epoch(
        today - Days::new(cfg.gap_lookback_days as u64),
        NaiveTime::MIN,
    );
    let (stored, first_stored) = match &ctx.db {
        Some(conn) => {
            market::store::stored_bars(conn, &instrument.key, interval, lookback, i64::MAX)?
        }
        None => (HashSet::new(), None),
    };
    let mut have = stored;
    item.not_stored = item
        .candles
        .iter()
        .filter(|c| !have.contains(&c.ts))
        .count();
    have.extend(item.candles.iter().map(|c| c.ts));
    let first = first_stored
        .into_iter()
        .chain(item.candles.first().map(|c| c.ts))
        .min();
    let (Some(first), Some(&last)) = (first, have.iter().max()) else {
        return Ok(());
    };
    let window_start = first.max(lookback);
    let expected: Vec<i64> = ist_date(window_start)
        .iter_days()
        .take_while(|d| *d <= ist_date(last))
        .flat_map(|d| candle::expected_bars(calendar, d, interval))
        .filter(|ts| (window_start..=last).contains(ts))
        .collect();
    let previous = match &ctx.db {
        Some(conn) => store::gaps(conn, &instrument.key, interval)?,
        None => Vec::new(),
    };
    let unfillable_after = cfg.unfillable_after;
    let now_s = now.timestamp();
    let mut rows = gaps::reconcile(
        &gaps::missing_runs(&expected, &have),
        &previous,
        &HashSet::new(),
        unfillable_after,
        now_s,
    );
    let mut came_back_empty = HashSet::new();
    let open: Vec<GapRow> = rows
        .iter()
        .filter(|r| r.status == GapStatus::Open)
        .rev()
        .cloned()
        .collect();
    for gap in open {
        let spans = spans(
            ist_date(gap.from),
            ist_date(gap.to),
            provider.max_span_days(interval),
        );
        if spans.len() as u32 > *gap_budget {
            break;
        }
        let mut found = Vec::new();
        for (a, b) in spans {
            *gap_budget -= 1;
            match provider.candles(instrument, interval, a, b, today) {
                // Nulls are counted where first fetched, not again on each backfill.
                Ok(batch) => found.extend(batch.candles),
                Err(e @ ProviderError::Auth { .. }) => return Err(e.into()),
                Err(e) => {
                    tracing::warn!(
                        unit = instrument.symbol,
                        "{} {interval}: backfilling the gap from {} failed: {e}; it stays open",
                        instrument.symbol,
                        candle::utc(gap.from)
                            .with_timezone(&IST)
                            .format("%Y-%m-%d %H:%M IST")
                    );
                    item.gaps = Some((window_start, rows));
                    return Ok(());
                }
            }
        }
        let found = checked(instrument, interval, found, calendar, now, totals);
        if !found.iter().any(|c| (gap.from..=gap.to).contains(&c.ts)) {
            came_back_empty.insert(gap.from);
        }
        for c in found {
            if have.insert(c.ts) {
                item.not_stored += 1;
                item.candles.push(c);
            }
        }
    }
    rows = gaps::reconcile(
        &gaps::missing_runs(&expected, &have),
        &rows,
        &came_back_empty,
        unfillable_after,
        now_s,
    );
    item.candles.sort_by_key(|c| c.ts);
    item.gaps = Some((window_start, rows));
    Ok(())
}

/// Stores a quote snapshot of every instrument (indices also into `index_values`).
fn quotes(
    ctx: &mut Context<JobConfig>,
    provider: &dyn Provider,
    instruments: &[Instrument],
    totals: &mut Totals,
) -> anyhow::Result<()> {
    let mut quotes = match provider.quotes(instruments) {
        Ok(q) => q,
        Err(e @ ProviderError::Auth { .. }) => {
            return Err(Fatal::new(Exit::Config, e.to_string()).into());
        }
        Err(e) => {
            ctx.unit_failed("quotes", UnitError::from(&e));
            return Ok(());
        }
    };
    // Some quote endpoints carry no time: the snapshot is as of the run.
    for q in quotes
        .iter_mut()
        .filter(|q| q.ts == common::market::upstox::parse::NO_TIME)
    {
        q.ts = ctx.now.timestamp();
    }
    totals.quotes = quotes.len();
    if ctx.dry_run {
        return Ok(());
    }
    let source = provider.name();
    let conn = ctx.db_mut()?;
    let tx = conn.transaction()?;
    let changed = market::store::upsert_quotes(&tx, &quotes, source)?;
    tx.commit()?;
    totals.changed += changed;
    Ok(())
}

/// Stores the nearest `expiries` option chains of `underlying` and its IV analysis.
fn options(
    ctx: &mut Context<JobConfig>,
    provider: &dyn Provider,
    underlying: &InstrumentKey,
    expiries: usize,
    totals: &mut Totals,
) -> anyhow::Result<()> {
    let unit = format!("options {underlying}");
    let today = calendar::today(ctx.now);
    let chain = provider.expiries(underlying).and_then(|all| {
        let mut rows = Vec::new();
        for expiry in all.into_iter().filter(|e| *e >= today).take(expiries) {
            rows.extend(provider.option_chain(underlying, expiry)?);
        }
        Ok(rows)
    });
    let rows = match chain {
        Ok(rows) => rows,
        Err(ProviderError::Unsupported(why)) => {
            tracing::info!("{unit}: skipped: {why}");
            Vec::new()
        }
        Err(e @ ProviderError::Auth { .. }) => {
            return Err(Fatal::new(Exit::Config, e.to_string()).into());
        }
        Err(e) => {
            ctx.unit_failed(&unit, UnitError::from(&e));
            return Ok(());
        }
    };
    totals.options += rows.len();
    let Some(conn) = ctx.db.as_ref() else {
        return Ok(());
    };
    let record = iv_record(conn, underlying, &rows, ctx.now)?;
    if ctx.dry_run {
        tracing::info!(
            "{unit}: would store {} option rows; IV {:?}",
            rows.len(),
            record.iv
        );
        return Ok(());
    }
    let ts = ctx.now.timestamp() / 60 * 60;
    let conn = ctx.db_mut()?;
    let tx = conn.transaction()?;
    let mut changed = store::upsert_chain(&tx, &rows, ts)?;
    changed += store::upsert_iv(&tx, &record)?;
    tx.commit()?;
    totals.changed += changed;
    if !rows.is_empty() {
        ctx.unit_done(&unit, changed);
    }
    Ok(())
}

/// Today's IV figures of `underlying` from its chain and the stored history.
fn iv_record(
    conn: &rusqlite::Connection,
    underlying: &InstrumentKey,
    rows: &[common::market::provider::OptionRow],
    now: DateTime<Utc>,
) -> rusqlite::Result<IvRecord> {
    let date = calendar::today(now);
    let atm = volatility::atm_iv(rows);
    let history = store::iv_history(conn, underlying, date, SESSIONS_PER_YEAR - 1)?;
    let closes = market::store::daily_closes(conn, underlying, now.timestamp(), 31)?;
    let iv = atm.map(|(_, iv)| iv);
    Ok(IvRecord {
        underlying: underlying.clone(),
        date,
        expiry: atm.map(|(e, _)| e),
        iv,
        iv_rank: iv.and_then(|iv| volatility::iv_rank(&history, iv)),
        iv_percentile: iv.and_then(|iv| volatility::iv_percentile(&history, iv)),
        iv_sessions: history.len() as i64 + i64::from(iv.is_some()),
        hv20: volatility::historical_volatility(&closes, 20),
        hv30: volatility::historical_volatility(&closes, 30),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn long_ranges_split_into_the_spans_a_request_may_cover() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        assert_eq!(
            spans(d(1, 1), d(3, 1), 28),
            vec![
                (d(1, 1), d(1, 28)),
                (d(1, 29), d(2, 25)),
                (d(2, 26), d(3, 1))
            ]
        );
        assert_eq!(spans(d(1, 5), d(1, 5), 28), vec![(d(1, 5), d(1, 5))]);
        assert!(spans(d(1, 6), d(1, 5), 28).is_empty());
    }
}
