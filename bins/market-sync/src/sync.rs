//! One instrument's sync: every interval fetched and checked, gaps found and backfilled
//! ([`crate::backfill`]), then all of it written in one transaction.

use chrono::{DateTime, Days, NaiveDate, Utc};
use common::Exit;
use common::calendar::{self, IST, TradingCalendar};
use common::harness::{Context, UnitError};
use common::market;
use common::market::candle::{self, Candle, ist_date};
use common::market::instrument::Instrument;
use common::market::interval::Interval;
use common::market::provider::{Provider, ProviderError};

use crate::config::JobConfig;
use crate::fetch::{Fetched, Want};
use crate::gaps::GapRow;
use crate::store;
use crate::totals::Totals;

/// Why one instrument could not be synced.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SyncError {
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Db(#[from] rusqlite::Error),
    /// An answer mostly or wholly invalid ([`JobConfig::refuses`]).
    #[error(
        "{rejected} of {total} {interval} bars from {provider} failed validation (more than max_invalid_share {share} of [jobs.market-sync]); none of the instrument's bars stored, the previous ones kept: see the warnings above"
    )]
    Invalid {
        interval: Interval,
        rejected: usize,
        total: usize,
        provider: &'static str,
        share: f64,
    },
}

impl SyncError {
    /// The unit's failure, as every job maps it.
    pub(crate) fn unit_error(self, ctx: &Context<JobConfig>) -> UnitError {
        match self {
            SyncError::Provider(e) => UnitError::from(&e),
            SyncError::Db(e) => ctx.db_error(e),
            e @ SyncError::Invalid { .. } => UnitError {
                exit: Exit::DataErr,
                message: e.to_string(),
            },
        }
    }
}

/// One interval of one instrument, ready to write.
pub(crate) struct IntervalWork {
    pub(crate) interval: Interval,
    pub(crate) candles: Vec<Candle>,
    pub(crate) gaps: Option<(i64, Vec<GapRow>)>,
    pub(crate) not_stored: usize,
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

/// What every instrument of a run shares: the provider, the calendar, what to fetch, the
/// backfill requests left, and the counts for the summary.
pub(crate) struct Pass<'a> {
    /// The provider.
    pub(crate) provider: &'a dyn Provider,
    /// The NSE calendar.
    pub(crate) calendar: &'a TradingCalendar,
    /// The intervals synced.
    pub(crate) intervals: &'a [Interval],
    /// A backfill of these IST dates, when one was asked for.
    pub(crate) range: Option<(NaiveDate, NaiveDate)>,
    /// Requests the run may still spend on gaps.
    pub(crate) gap_budget: u32,
    /// What the run did.
    pub(crate) totals: Totals,
}

impl Pass<'_> {
    /// What to fetch for `instrument`: each interval's IST dates, from its newest stored bar
    /// (a backfill's range, or `initial_days` back when none is stored or with `--force`), as
    /// far back as the provider keeps.
    pub(crate) fn wants(
        &self,
        ctx: &Context<JobConfig>,
        instrument: &Instrument,
    ) -> Result<Vec<Want>, SyncError> {
        let today = calendar::today(ctx.now);
        let mut wants = Vec::new();
        for &interval in self.intervals {
            let stored_last = match &ctx.db {
                Some(conn) => market::store::last_bar(conn, &instrument.key, interval)?,
                None => None,
            };
            let first_sync = today - Days::new(ctx.config.job.initial_days(interval) as u64);
            let (mut from, to) = match self.range {
                Some(r) => r,
                None if ctx.force => (first_sync, today),
                None => (stored_last.map_or(first_sync, ist_date), today),
            };
            if let Some(days) = self.provider.history_days(interval) {
                from = from.max(today - Days::new(days as u64));
            }
            wants.push(Want { interval, from, to });
        }
        Ok(wants)
    }

    /// Syncs one instrument from what was `fetched` for it ([`crate::fetch`]): gaps found and
    /// backfilled, then all of it written in one transaction. Returns the rows changed.
    pub(crate) fn instrument(
        &mut self,
        ctx: &mut Context<JobConfig>,
        instrument: &Instrument,
        fetched: Vec<Fetched>,
    ) -> Result<u64, SyncError> {
        let now = ctx.now;
        let mut kept = Vec::new();
        let mut refused = None;
        for f in fetched {
            self.totals.nulls += f.nulls;
            let (valid, rejected) = (
                f.checked.candles.len() + f.checked.forming,
                f.checked.rejected.len(),
            );
            if refused.is_none() && ctx.config.job.refuses(valid, rejected) {
                refused = Some(SyncError::Invalid {
                    interval: f.interval,
                    rejected,
                    total: valid + rejected,
                    provider: self.provider.name(),
                    share: ctx.config.job.max_invalid_share,
                });
            }
            kept.push((f.interval, self.record(instrument, f.interval, f.checked)));
        }
        // Every refusal is logged and counted first; then none of the instrument is stored.
        if let Some(e) = refused {
            return Err(e);
        }
        let mut work = Vec::new();
        for (interval, candles) in kept {
            let mut item = IntervalWork {
                interval,
                candles,
                gaps: None,
                not_stored: 0,
            };
            self.find_gaps(ctx, instrument, &mut item)?;
            work.push(item);
        }
        for item in &work {
            self.totals.fetched += item.candles.len();
            self.totals.would_write += item.not_stored;
            for row in item.gaps.iter().flat_map(|(_, rows)| rows) {
                *self.totals.gaps.entry(row.status.as_str()).or_default() += 1;
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
        let source = self.provider.source();
        let now_s = now.timestamp();
        // A run that is not dry always has its database: the harness opened it.
        let Some(conn) = ctx.db.as_mut() else {
            return Ok(0);
        };
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
        self.totals.changed += changed;
        Ok(changed)
    }

    /// Checks fetched bars; counts and logs what was refused.
    pub(crate) fn checked(
        &mut self,
        instrument: &Instrument,
        interval: Interval,
        fetched: Vec<Candle>,
        now: DateTime<Utc>,
    ) -> Vec<Candle> {
        let checked = candle::check(fetched, interval, self.calendar, now);
        self.record(instrument, interval, checked)
    }

    /// Counts and logs what the check refused; returns the bars it kept.
    fn record(
        &mut self,
        instrument: &Instrument,
        interval: Interval,
        checked: candle::Checked,
    ) -> Vec<Candle> {
        for r in &checked.rejected {
            *self.totals.rejected.entry(r.problem).or_default() += 1;
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
