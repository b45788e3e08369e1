//! The scan: the enabled rules, grouped by symbol; one batched quote request for all their
//! symbols; then for each symbol its series per interval, every rule read and passed through
//! the edge trigger, and its states, firings and messages written in one transaction.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use chrono::{DateTime, Utc};
use common::Exit;
use common::calendar::{self, TradingCalendar};
use common::harness::{Context, Fatal, Job, Outcome, UnitError};
use common::market::config::SourceChoice;
use common::market::instrument::Instrument;
use common::market::interval::Interval;
use common::market::provider::{Provider, ProviderError, Quote};
use common::market::source::Source;
use common::market::universe::Universe;
use common::notify::{self, Channel as OutboxChannel};
use rusqlite::Connection;

use crate::config::JobConfig;
use crate::evaluate::{self, Reading, Seen};
use crate::explain;
use crate::notice;
use crate::rule::{Channel, Condition, Rule};
use crate::series::{self, Bar, Position, Stale};
use crate::store::{self, Event, State};

/// What the command line asked for.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// `--symbols`: only these symbols' rules; empty: all.
    pub symbols: Vec<String>,
    /// `--source`.
    pub source: Option<SourceChoice>,
    /// `explain SYMBOL`: print everything about this symbol's rules (a dry run); the symbol
    /// as rules store it.
    pub explain: Option<String>,
}

/// The alert-scan job.
pub struct AlertScan {
    /// What to do.
    pub request: Request,
}

/// One rule, read at the forming bar of its series.
pub struct Evaluation<'a> {
    /// The rule.
    pub rule: &'a Rule,
    /// What its condition read.
    pub reading: Reading,
    /// The edge trigger's decision, when the reading was ready.
    pub decision: Option<evaluate::Decision>,
    /// The state the previous run left.
    pub last: Option<State>,
    /// The bar it was read at.
    pub bar_ts: i64,
}

/// A symbol's series per interval, or why there is none.
pub type SeriesByInterval = BTreeMap<Interval, Result<Vec<Bar>, Stale>>;

#[derive(Default)]
struct Totals {
    rules: usize,
    symbols: usize,
    fired: usize,
    short: usize,
    stale: usize,
    unknown: usize,
    fetched: usize,
}

impl Job for AlertScan {
    const NAME: &'static str = "alert-scan";
    const UNIT_NOUNS: (&'static str, &'static str) = ("symbol", "symbols");
    type Config = JobConfig;
    const SCHEMAS: &'static [common::db::Schema] = &[common::market::store::SCHEMA, store::SCHEMA];

    fn run(&mut self, ctx: &mut Context<JobConfig>) -> anyhow::Result<Outcome> {
        let cfg = ctx.config.job.clone();
        let now = ctx.now;
        let calendar = ctx.calendar.clone();
        let rules = match &ctx.db {
            Some(conn) => self.rules(conn)?,
            None => Vec::new(),
        };
        let mut by_symbol: BTreeMap<String, Vec<Rule>> = BTreeMap::new();
        for rule in rules {
            by_symbol.entry(rule.symbol.clone()).or_default().push(rule);
        }
        if by_symbol.is_empty() {
            let what = match &self.request.explain {
                Some(symbol) => format!("no rules for {symbol}"),
                None => "no enabled rules".to_string(),
            };
            return Ok(Outcome::Done(format!(
                "{what}: add one with `upstox-alert-scan rules add SYMBOL KIND`"
            )));
        }

        // Each rule symbol resolved on its own: `RELIANCE` and its key are one instrument.
        let mut targets: Vec<(Instrument, Vec<Rule>)> = Vec::new();
        let mut unresolved = Vec::new();
        for (symbol, rules) in by_symbol {
            let mut universe = Universe::default();
            if let Some(conn) = &ctx.db {
                universe.add(&[conn], &symbol);
            }
            unresolved.extend(universe.unresolved);
            let Some(instrument) = universe.instruments.pop() else {
                continue;
            };
            match targets.iter_mut().find(|(i, _)| i.key == instrument.key) {
                Some((_, known)) => known.extend(rules),
                None => targets.push((instrument, rules)),
            }
        }
        for (name, why) in &unresolved {
            ctx.unit_failed(
                name,
                UnitError {
                    exit: Exit::Config,
                    message: format!("its rules cannot be evaluated: {why}"),
                },
            );
        }
        if targets.is_empty() {
            return Ok(Outcome::Done(
                "no symbol with rules could be resolved to an instrument".to_string(),
            ));
        }
        let source = Source::connect(ctx, self.request.source.unwrap_or(cfg.source))?;
        let instruments: Vec<Instrument> = targets.iter().map(|(i, _)| i.clone()).collect();
        let provider = source.provider();
        let quotes = provider.quotes(&instruments).map_err(|e| match e {
            ProviderError::Auth { .. } => Fatal::new(Exit::Config, e.to_string()),
            e => Fatal::new(e.exit(), format!("latest prices: {e}")),
        })?;
        let quotes: HashMap<&str, &Quote> =
            quotes.iter().map(|q| (q.instrument.as_str(), q)).collect();
        tracing::debug!(
            "{} latest prices from {} for {} symbols",
            quotes.len(),
            provider.name(),
            targets.len()
        );

        let mut totals = Totals::default();
        let scan = Scan {
            calendar: &calendar,
            history_bars: cfg.history_bars,
            explain: self.request.explain.is_some(),
            provider: cfg.fetch_missing_bars.then_some(provider.as_ref()),
        };
        // Everything is read and decided first, the network included; then written in one
        // transaction, so the write lock is held for milliseconds, not for HTTP requests.
        let mut decided = Vec::new();
        let mut states = match &ctx.db {
            Some(conn) => store::states(conn)?,
            None => HashMap::new(),
        };
        for (instrument, rules) in &targets {
            if ctx.stop_requested() {
                break;
            }
            let Some(quote) = quotes.get(instrument.key.as_str()) else {
                ctx.unit_failed(
                    &instrument.symbol,
                    UnitError {
                        exit: Exit::DataErr,
                        message: "the provider sent no price for it".to_string(),
                    },
                );
                continue;
            };
            match scan.symbol(ctx, instrument, quote, rules, &mut states, &mut totals) {
                Ok(evaluations) => decided.push((instrument, quote.ltp, evaluations)),
                Err(e) => {
                    let error = match e {
                        ScanError::Db(e) => ctx.db_error(e),
                        e @ ScanError::Output(_) => UnitError {
                            exit: Exit::IoErr,
                            message: e.to_string(),
                        },
                    };
                    ctx.unit_failed(&instrument.symbol, error)
                }
            }
        }
        tracing::debug!("{} symbols evaluated", decided.len());
        let written = match ctx.db.as_mut() {
            Some(conn) if !ctx.dry_run && !scan.explain => {
                write_all(conn, &decided, &ctx.config.notify, now)?
            }
            _ => decided.iter().map(|_| Ok(0)).collect(),
        };
        for ((instrument, _, _), result) in decided.iter().zip(written) {
            match result {
                Ok(changed) => ctx.unit_done(&instrument.symbol, changed),
                Err(e) => {
                    let error = ctx.db_error(e);
                    ctx.unit_failed(&instrument.symbol, error)
                }
            }
        }
        let verb = if ctx.dry_run { "would fire" } else { "fired" };
        let mut text = format!(
            "{} rules on {} symbols: {} {verb}",
            totals.rules, totals.symbols, totals.fired
        );
        for (n, what) in [
            (totals.short, "short of bars"),
            (
                totals.stale,
                "on bars not yet synced (run upstox-market-sync)",
            ),
            (totals.unknown, "not computable"),
            (
                totals.fetched,
                "intraday series topped up from the provider",
            ),
        ] {
            if n > 0 {
                text.push_str(&format!(", {n} {what}"));
            }
        }
        Ok(Outcome::Done(text))
    }
}

impl AlertScan {
    /// The rules this run evaluates: the enabled ones (every one of the symbol for `explain`),
    /// of `--symbols` when given.
    fn rules(&self, conn: &Connection) -> anyhow::Result<Vec<Rule>> {
        let wanted: Vec<String> = match &self.request.explain {
            Some(symbol) => vec![symbol.clone()],
            None => self
                .request
                .symbols
                .iter()
                .map(|s| s.trim().to_ascii_uppercase())
                .filter(|s| !s.is_empty())
                .collect(),
        };
        Ok(store::rules(conn)?
            .into_iter()
            .filter(|r| r.enabled || self.request.explain.is_some())
            .filter(|r| {
                wanted.is_empty() || wanted.iter().any(|w| w.eq_ignore_ascii_case(&r.symbol))
            })
            .collect())
    }
}

/// What every symbol's scan shares.
struct Scan<'a> {
    calendar: &'a TradingCalendar,
    history_bars: usize,
    explain: bool,
    /// Where to fetch today's intraday bars that market-sync has not stored yet, if allowed.
    provider: Option<&'a dyn Provider>,
}

/// Why a symbol could not be scanned.
#[derive(Debug, thiserror::Error)]
enum ScanError {
    #[error("database: {0}")]
    Db(#[from] rusqlite::Error),
    #[error("cannot write the explanation: {0}")]
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

    /// Evaluates one symbol's rules (printing them for `explain` and a dry run); writes nothing.
    fn symbol(
        &self,
        ctx: &Context<JobConfig>,
        instrument: &Instrument,
        quote: &Quote,
        rules: &'r [Rule],
        states: &mut HashMap<i64, State>,
        totals: &mut Totals,
    ) -> Result<Vec<Evaluation<'r>>, ScanError> {
        let now = ctx.now;
        totals.symbols += 1;
        let Some(conn) = ctx.db.as_ref() else {
            return Ok(Vec::new());
        };
        let mut series_of = SeriesByInterval::new();
        let mut positions: BTreeMap<Interval, Position> = BTreeMap::new();
        for rule in rules {
            if series_of.contains_key(&rule.interval) {
                continue;
            }
            let Some(at) = series::position(self.calendar, rule.interval, now) else {
                continue;
            };
            let stored = series::stored(
                conn,
                &instrument.key,
                rule.interval,
                at.current,
                self.history_bars,
            )
            .or_else(|e| {
                if no_candles_table(&e) {
                    Ok(Vec::new())
                } else {
                    Err(e)
                }
            })?;
            let stored = match (rule.interval.minutes(), self.provider) {
                (Some(_), Some(provider)) if !series::is_current(&stored, at) => {
                    totals.fetched += 1;
                    self.catch_up(provider, instrument, rule.interval, at, now, stored)
                }
                _ => stored,
            };
            series_of.insert(
                rule.interval,
                series::series(stored, quote, rule.interval, at),
            );
            positions.insert(rule.interval, at);
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
            let readings = evaluate::read(&rule.condition, bars);
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

/// A symbol's decisions: the instrument, its last price, and each rule's evaluation.
type Decided<'a> = (&'a Instrument, f64, Vec<Evaluation<'a>>);

/// Writes every symbol's states, firings and messages in one transaction, each symbol in a
/// savepoint of its own: a symbol whose writes fail is rolled back alone, and a kill leaves
/// the minute wholly written or not at all (its messages with it). Returns each symbol's
/// rows changed, in order.
fn write_all(
    conn: &mut Connection,
    decided: &[Decided<'_>],
    notify_config: &common::config::NotifyConfig,
    now: DateTime<Utc>,
) -> rusqlite::Result<Vec<rusqlite::Result<u64>>> {
    let mut tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut results = Vec::with_capacity(decided.len());
    for (_, price, evaluations) in decided {
        let mut sp = tx.savepoint()?;
        let result = write(&sp, evaluations, *price, notify_config, now);
        if result.is_ok() {
            sp.commit()?;
        } else {
            sp.rollback()?;
        }
        results.push(result);
    }
    tx.commit()?;
    Ok(results)
}

/// Writes one symbol's states, firings and messages.
fn write(
    tx: &Connection,
    evaluations: &[Evaluation<'_>],
    price: f64,
    notify_config: &common::config::NotifyConfig,
    now: DateTime<Utc>,
) -> rusqlite::Result<u64> {
    let mut changed = 0;
    for e in evaluations {
        let Some(decision) = &e.decision else {
            continue;
        };
        store::save_state(tx, e.rule.id, &decision.state, now)?;
        changed += 1;
        if !decision.fires {
            continue;
        }
        let (value, threshold) = (
            decision.state.value.unwrap_or_default(),
            decision.state.threshold.unwrap_or_default(),
        );
        let event = Event {
            rule_id: e.rule.id,
            symbol: e.rule.symbol.clone(),
            rule: e.rule.condition.describe(),
            interval: e.rule.interval.as_str().to_string(),
            value,
            threshold,
            price,
            bar_ts: e.bar_ts,
            fired_at: now,
        };
        if !store::record(tx, &event)? {
            // Already fired on this bar (a rerun after its state was lost): told once.
            continue;
        }
        changed += 1;
        tracing::info!(
            rule = e.rule.id,
            "ALERT {}: {} ({} vs {})",
            e.rule.symbol,
            e.rule.condition.describe(),
            notice::number(value),
            notice::number(threshold)
        );
        let channels = outbox_channels(e.rule, notify_config);
        if !channels.is_empty() {
            let message = notice::notification(e.rule, value, threshold, price, e.bar_ts, now);
            notify::outbox::enqueue(tx, &message, &channels, now)?;
        }
    }
    Ok(changed)
}

/// The rule's message channels that `[notify]` configures; a wanted one that is not is logged.
fn outbox_channels(rule: &Rule, config: &common::config::NotifyConfig) -> Vec<OutboxChannel> {
    let mut channels = Vec::new();
    for (wanted, configured, channel, table) in [
        (
            Channel::Email,
            config.email.is_some(),
            OutboxChannel::Email,
            "[notify.email]",
        ),
        (
            Channel::Telegram,
            config.telegram.is_some(),
            OutboxChannel::Telegram,
            "[notify.telegram]",
        ),
    ] {
        if rule.channels.has(wanted) {
            if configured {
                channels.push(channel);
            } else {
                tracing::warn!(
                    "rule {} asks for {} but {table} is not configured: the alert is only in alert_events",
                    rule.id,
                    wanted.as_str()
                );
            }
        }
    }
    channels
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

fn no_candles_table(e: &rusqlite::Error) -> bool {
    e.to_string().contains("no such table")
}
