//! Gaps: what is stored and fetched compared with the calendar's sessions over the lookback
//! window, and open gaps backfilled while the run's request budget lasts.

use std::collections::HashSet;

use chrono::{Days, NaiveTime};
use common::calendar::{self, IST};
use common::harness::Context;
use common::market;
use common::market::candle::{self, ist_date, ist_epoch};
use common::market::instrument::Instrument;
use common::market::provider::ProviderError;

use crate::config::JobConfig;
use crate::gaps::{self, GapRow, GapStatus};
use crate::store;
use crate::sync::{IntervalWork, Pass, SyncError, spans};

impl Pass<'_> {
    /// Compares what is stored and fetched with the calendar's sessions over the lookback
    /// window, backfills open gaps while the run's budget lasts, and leaves the gap rows in
    /// `item`.
    pub(crate) fn find_gaps(
        &mut self,
        ctx: &Context<JobConfig>,
        instrument: &Instrument,
        item: &mut IntervalWork,
    ) -> Result<(), SyncError> {
        let (provider, calendar) = (self.provider, self.calendar);
        let cfg = &ctx.config.job;
        let now = ctx.now;
        let today = calendar::today(now);
        let interval = item.interval;
        let lookback = ist_epoch(
            today - Days::new(cfg.gap_lookback(interval) as u64),
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
            if spans.len() as u32 > self.gap_budget {
                break;
            }
            let mut found = Vec::new();
            for (a, b) in spans {
                self.gap_budget -= 1;
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
            let found = self.checked(instrument, interval, found, now);
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
}
