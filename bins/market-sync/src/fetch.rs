//! Fetching ahead: the candles of the next instrument are fetched, parsed and checked on a
//! second thread while this one writes the current instrument's transaction, so that a run
//! uses two cores (HTTP and JSON on one, SQLite on the other) and no longer waits for the
//! network between transactions. The writer takes the budget's slots for the fetcher between
//! its transactions ([`Prepaid`]), since the budget shares the database's write lock.
//!
//! Only fetching goes ahead: gaps, backfill and every write stay with the writer, in the
//! order of the universe, one transaction per instrument as before. The fetcher holds at
//! most one instrument ready, and stops at SIGTERM or as soon as the writer stops taking.

use std::sync::mpsc::{Receiver, sync_channel};
use std::thread::Scope;

use chrono::{DateTime, NaiveDate, Utc};
use common::budget::Prepaid;
use common::calendar::TradingCalendar;
use common::market::candle::{self, Checked};
use common::market::instrument::Instrument;
use common::market::interval::Interval;
use common::market::provider::{Provider, ProviderError};
use common::shutdown::Shutdown;

use crate::sync::spans;

/// The IST dates of one interval to fetch for an instrument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Want {
    pub(crate) interval: Interval,
    pub(crate) from: NaiveDate,
    pub(crate) to: NaiveDate,
}

/// One interval of an instrument as fetched: its bars checked, and how many the provider sent
/// with nulls.
pub(crate) struct Fetched {
    pub(crate) interval: Interval,
    pub(crate) checked: Checked,
    pub(crate) nulls: usize,
}

/// Every interval of one instrument, or the error that stopped its fetching.
pub(crate) type Batch = Result<Vec<Fetched>, ProviderError>;

/// What the fetching thread needs.
pub(crate) struct Fetcher<'a> {
    /// The provider, its requests admitted by the writer's [`Prepaid`] slots.
    pub(crate) provider: &'a dyn Provider,
    pub(crate) calendar: &'a TradingCalendar,
    /// The time the run works for; bars ending after it are still forming.
    pub(crate) now: DateTime<Utc>,
    /// Its IST date.
    pub(crate) today: NaiveDate,
}

impl Fetcher<'_> {
    /// Every interval of `instrument` fetched span by span and checked; the first error ends
    /// the instrument, as it ends its unit.
    pub(crate) fn instrument(&self, instrument: &Instrument, wants: &[Want]) -> Batch {
        wants
            .iter()
            .map(|want| {
                let mut bars = Vec::new();
                let mut nulls = 0;
                for (a, b) in spans(want.from, want.to, self.max_span(want.interval)) {
                    let batch =
                        self.provider
                            .candles(instrument, want.interval, a, b, self.today)?;
                    nulls += batch.nulls;
                    if bars.is_empty() {
                        bars = batch.candles;
                    } else {
                        bars.extend(batch.candles);
                    }
                }
                Ok(Fetched {
                    interval: want.interval,
                    checked: candle::check(bars, want.interval, self.calendar, self.now),
                    nulls,
                })
            })
            .collect()
    }

    fn max_span(&self, interval: Interval) -> i64 {
        self.provider.max_span_days(interval)
    }

    /// The requests `wants` should take, as Upstox asks: for each span, its historical
    /// endpoint for the days before today and its intraday one for today. An estimate for
    /// taking slots ahead: a retry, or a provider that asks less, only changes which thread
    /// takes the slot.
    pub(crate) fn requests(&self, wants: &[Want]) -> usize {
        wants
            .iter()
            .flat_map(|w| spans(w.from, w.to, self.max_span(w.interval)))
            .map(|(a, b)| usize::from(a < self.today) + usize::from(b >= self.today))
            .sum()
    }
}

/// Starts fetching `work` in order on a thread of `scope`; each instrument's [`Batch`] comes
/// out of the receiver in the same order. The thread ends after the last instrument, at
/// SIGTERM (before the next instrument; a request in flight is cut short by the HTTP client),
/// or when the receiver is dropped.
pub(crate) fn ahead<'scope, 'env: 'scope>(
    scope: &'scope Scope<'scope, 'env>,
    fetcher: Fetcher<'env>,
    work: Vec<(&'env Instrument, Vec<Want>)>,
    shutdown: Shutdown,
) -> Receiver<Batch> {
    // A rendezvous: one instrument fetched and waiting is all it takes to keep the writer
    // busy, and keeps memory flat.
    let (ready, batches) = sync_channel(0);
    scope.spawn(move || {
        for (instrument, wants) in work {
            if shutdown.requested() {
                return;
            }
            if ready.send(fetcher.instrument(instrument, &wants)).is_err() {
                return;
            }
        }
    });
    batches
}

/// Tops up the slots the fetcher will need next, between transactions. A slot not taken
/// here is taken by the fetcher when it needs it, and any failure of the budget is reported
/// there, with the instrument it stops.
pub(crate) fn take_ahead(prepaid: &Prepaid, slots: usize, provider: &str) {
    if let Err(e) = prepaid.top_up(slots, provider) {
        tracing::debug!("{e}; the fetcher takes its own slots");
    }
}
