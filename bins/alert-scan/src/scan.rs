//! One symbol's scan: its series per interval (stored candles, today's bars topped up from
//! the provider, the quote as the forming bar), every rule read and passed through the edge
//! trigger. Writes nothing; [`crate::record`] does.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use chrono::{DateTime, Utc};
use common::calendar::{self, TradingCalendar};
use common::harness::Context;
use common::market::instrument::Instrument;
use common::market::interval::Interval;
use common::market::provider::{Provider, Quote};

use crate::config::JobConfig;
use crate::evaluate::{self, Evaluation, Reading, Seen};
use crate::explain;
use crate::notice;
use crate::progress;
use crate::rule::{Condition, Rule};
use crate::series::{self, Bar, Position, SeriesByInterval, StoredByInterval, Wanted};
use crate::store::State;
/// What a scan did, for its summary line.
#[derive(Default)]
pub(crate) struct Totals {
    pub(crate) rules: usize,
    pub(crate) symbols: usize,
    pub(crate) fired: usize,
    pub(crate) short: usize,
    pub(crate) stale: usize,
    pub(crate) unknown: usize,
    pub(crate) fetched: usize,
}

/// What every symbol's scan shares.
pub(crate) struct Scan<'a> {
    pub(crate) calendar: &'a TradingCalendar,
    /// Where the forming bar of each interval the rules use is now: the same for every symbol.
    pub(crate) positions: &'a BTreeMap<Interval, Position>,
    pub(crate) history_bars: usize,
    pub(crate) explain: bool,
    /// Where to fetch today's intraday bars that market-sync has not stored yet, if allowed.
    pub(crate) provider: Option<&'a dyn Provider>,
}

/// One symbol to scan: its instrument, latest quote, rules, and the stored bars that
/// [`Scan::wanted`] asked for.
pub(crate) struct Symbol<'s, 'r> {
    pub(crate) instrument: &'s Instrument,
    pub(crate) quote: &'s Quote,
    pub(crate) rules: &'r [Rule],
    pub(crate) stored: StoredByInterval,
}

/// Why a symbol could not be scanned.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ScanError {
    #[error(transparent)]
    Db(#[from] rusqlite::Error),
    #[error("cannot write the explanation: {0}; check where standard output goes (a full disk?)")]
    Output(#[from] std::io::Error),
}

impl<'r> Scan<'_> {
    /// Adds the provider's bars of the forming bar's session to `stored`, checked, without
    /// storing them (candles are market-sync's to store). A failure leaves `stored` as it was.
    fn catch_up(
        &self,
        provider: &dyn Provider,
        instrument: &Instrument,
        interval: Interval,
        at: Position,
        now: DateTime<Utc>,
        stored: Vec<Bar>,
    ) -> Vec<Bar> {
        let session = common::market::candle::ist_date(at.current);
        match provider.candles(instrument, interval, session, session, calendar::today(now)) {
            Ok(batch) => {
                let checked =
                    common::market::candle::check(batch.candles, interval, self.calendar, now);
                series::merge(stored, &checked.candles, at.current, self.history_bars)
            }
            Err(e) => {
                tracing::warn!(
                    unit = instrument.symbol,
                    "{}: today's {interval} bars are not stored yet and could not be fetched: {e}",
                    instrument.symbol
                );
                stored
            }
        }
    }

    /// What [`Scan::symbol`] reads for `instrument`'s `rules`: each interval's stored bars
    /// before its forming one.
    pub(crate) fn wanted(&self, instrument: &Instrument, rules: &[Rule]) -> Wanted {
        let mut reads: Vec<(Interval, i64)> = Vec::new();
        for rule in rules {
            if let Some(at) = self.positions.get(&rule.interval)
                && !reads.iter().any(|(i, _)| *i == rule.interval)
            {
                reads.push((rule.interval, at.current));
            }
        }
        Wanted {
            key: instrument.key.clone(),
            reads,
        }
    }

    /// Evaluates one symbol's rules on its stored bars, printing them for `explain` and a dry
    /// run; writes nothing.
    pub(crate) fn symbol(
        &self,
        ctx: &Context<JobConfig>,
        symbol: Symbol<'_, 'r>,
        states: &mut HashMap<i64, State>,
        totals: &mut Totals,
    ) -> Result<Vec<Evaluation<'r>>, ScanError> {
        let Symbol {
            instrument,
            quote,
            rules,
            mut stored,
        } = symbol;
        let now = ctx.now;
        totals.symbols += 1;
        let Some(conn) = ctx.db.as_ref() else {
            return Ok(Vec::new());
        };
        let mut series_of = SeriesByInterval::new();
        let positions = self.positions;
        for rule in rules {
            if series_of.contains_key(&rule.interval) {
                continue;
            }
            let (Some(&at), Some(read)) =
                (positions.get(&rule.interval), stored.remove(&rule.interval))
            else {
                continue;
            };
            let stored = read?;
            let stored = match (rule.interval.minutes(), self.provider) {
                (Some(_), Some(provider)) if !series::is_current(&stored, at) => {
                    totals.fetched += 1;
                    self.catch_up(provider, instrument, rule.interval, at, now, stored)
                }
                _ => stored,
            };
            let sessions = series::period_sessions(conn, &instrument.key, rule.interval, at)?;
            series_of.insert(
                rule.interval,
                series::series(stored, quote, rule.interval, at, &sessions),
            );
        }

        let mut evaluations = Vec::new();
        for rule in rules {
            totals.rules += 1;
            let Some(at) = positions.get(&rule.interval) else {
                continue;
            };
            let last = states.remove(&rule.id);
            let only_quote;
            let bars: &[Bar] = match (series_of.get(&rule.interval), &rule.condition) {
                (Some(Ok(bars)), _) => bars,
                // A price level needs nothing but the price.
                (_, Condition::PriceAbove(_) | Condition::PriceBelow(_)) => {
                    only_quote = [Bar {
                        ts: at.current,
                        high: quote.ltp,
                        low: quote.ltp,
                        close: quote.ltp,
                        volume: None,
                    }];
                    &only_quote
                }
                (Some(Err(stale)), _) => {
                    totals.stale += 1;
                    let why = format!(
                        "the stored {} bars end at {}, not at {}; upstox-market-sync stores them",
                        rule.interval,
                        stale
                            .last
                            .map_or("none".to_string(), |t| notice::bar(t, rule.interval)),
                        notice::bar(stale.expected, rule.interval)
                    );
                    not_evaluated(instrument, rule, &why);
                    evaluations.push(Evaluation {
                        rule,
                        reading: Reading::Unknown(why),
                        decision: None,
                        last,
                        bar_ts: at.current,
                    });
                    continue;
                }
                (None, _) => continue,
            };
            let forming = progress::progress(self.calendar, rule.interval, *at, now);
            let readings = evaluate::read(&rule.condition, bars, forming);
            let reading = readings.now;
            let decision = match &reading {
                Reading::Ready {
                    value,
                    threshold,
                    holds,
                } => {
                    let held_before = match readings.before {
                        Some(Reading::Ready { holds, .. }) => Some(holds),
                        _ => None,
                    };
                    let seen = Seen {
                        value: *value,
                        threshold: *threshold,
                        holds: *holds,
                        bar_ts: at.current,
                    };
                    Some(evaluate::decide(
                        last.as_ref(),
                        held_before,
                        seen,
                        rule.cooldown.0,
                        now,
                    ))
                }
                Reading::Short { need, have } => {
                    totals.short += 1;
                    not_evaluated(
                        instrument,
                        rule,
                        &format!(
                            "needs {need} bars, {have} stored with the forming one; upstox-market-sync --period backfills history"
                        ),
                    );
                    None
                }
                Reading::Unknown(why) => {
                    totals.unknown += 1;
                    not_evaluated(instrument, rule, why);
                    None
                }
            };
            evaluations.push(Evaluation {
                rule,
                reading,
                decision,
                last,
                bar_ts: at.current,
            });
        }
        totals.fired += evaluations
            .iter()
            .filter(|e| e.decision.as_ref().is_some_and(|d| d.fires))
            .count();

        if self.explain {
            let mut out = std::io::stdout().lock();
            explain::print(&mut out, instrument, quote, &series_of, &evaluations)?;
        } else if ctx.dry_run {
            let mut out = std::io::stdout().lock();
            for e in evaluations
                .iter()
                .filter(|e| e.decision.as_ref().is_some_and(|d| d.fires))
            {
                if let Reading::Ready {
                    value, threshold, ..
                } = e.reading
                {
                    writeln!(
                        out,
                        "would fire: rule {} {}: {} ({} vs {}) on the {} bar {}",
                        e.rule.id,
                        e.rule.symbol,
                        e.rule.condition.describe(),
                        notice::number(value),
                        notice::number(threshold),
                        e.rule.interval,
                        notice::bar(e.bar_ts, e.rule.interval)
                    )?;
                }
            }
        }
        Ok(evaluations)
    }
}

/// Logs why `rule` was not evaluated this run.
fn not_evaluated(instrument: &Instrument, rule: &Rule, why: &str) {
    tracing::warn!(
        unit = instrument.symbol,
        "rule {} ({} {} on {} bars): not evaluated: {why}",
        rule.id,
        rule.symbol,
        rule.condition.describe(),
        rule.interval
    );
}
