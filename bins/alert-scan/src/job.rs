//! The scan: the enabled rules, grouped by symbol; one batched quote request for all their
//! symbols; then for each symbol its series per interval, every rule read and passed through
//! the edge trigger, and its states, firings and messages written in one transaction.

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::time::Duration;

use common::harness::{Context, Fatal, Job, Outcome, UnitError};
use common::market::instrument::Instrument;
use common::market::provider::{ProviderError, Quote};
use common::market::quote::{self, Rejection};
use common::market::source::Source;
use common::market::source::SourceChoice;
use common::market::universe::Universe;
use common::metrics::{DataKind, Newest};
use common::{Exit, db};
use rusqlite::Connection;

use crate::config::JobConfig;
use crate::explain;
use crate::record;
use crate::rule::Rule;
use crate::scan::{Scan, ScanError, Symbol, Totals};
use crate::series::{self, StoredByInterval, Wanted};
use crate::store;

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

/// Alert rules' checks, per interval: a scan that stopped checking shows as an old one.
const CHECKS: DataKind = DataKind {
    name: "alert_checks",
    item: "check of the alert rules",
    label: "interval",
};

impl Job for AlertScan {
    const NAME: &'static str = "alert-scan";
    const UNIT_NOUNS: (&'static str, &'static str) = ("symbol", "symbols");
    type Config = JobConfig;
    const SCHEMAS: &'static [common::db::Schema] = &[common::market::store::SCHEMA, store::SCHEMA];

    /// When each interval's rules were last checked, whichever run checked them.
    fn newest(&self, _config: &JobConfig, conn: &Connection) -> rusqlite::Result<Vec<Newest>> {
        Ok(store::newest_checks(conn)?
            .into_iter()
            .map(|(interval, at)| Newest {
                kind: CHECKS,
                label: interval,
                at,
            })
            .collect())
    }

    fn run(&mut self, ctx: &mut Context<JobConfig>) -> anyhow::Result<Outcome> {
        if self.request.explain.is_some() {
            // A person is waiting: one short try for the price, then what is stored.
            ctx.http = ctx.http.single_attempt(EXPLAIN_PRICE_WAIT);
        }
        let cfg = ctx.config.job.clone();
        let now = ctx.now;
        let calendar = ctx.calendar()?.clone();
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
        ctx.plan(
            unresolved
                .iter()
                .map(|(name, _)| name.as_str())
                .chain(targets.iter().map(|(i, _)| i.symbol.as_str())),
        );
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
        let mut positions = BTreeMap::new();
        for rule in targets.iter().flat_map(|(_, rules)| rules) {
            if !positions.contains_key(&rule.interval)
                && let Some(at) = series::position(&calendar, rule.interval, now)
            {
                positions.insert(rule.interval, at);
            }
        }
        let source = Source::connect(ctx, self.request.source.unwrap_or(cfg.source))?;
        let instruments: Vec<Instrument> = targets.iter().map(|(i, _)| i.clone()).collect();
        let provider = source.provider();
        let quotes = match provider.quotes(&instruments) {
            Ok(quotes) => quotes,
            Err(e) if self.request.explain.is_some() => {
                let scan = Scan {
                    calendar: &calendar,
                    positions: &positions,
                    history_bars: cfg.history_bars,
                    explain: true,
                    provider: None,
                };
                return explain_stored(ctx, &scan, &targets, &e.to_string());
            }
            // The quote host stopped answering or the deadline came: no symbol is reached.
            Err(ProviderError::Http(e)) if ctx.halted(None, &e) => {
                return Ok(Outcome::Done("no latest prices".to_string()));
            }
            Err(e @ ProviderError::Auth { .. }) => {
                return Err(Fatal::new(Exit::Config, e.to_string()).into());
            }
            Err(e) => {
                return Err(Fatal::new(e.exit(), format!("latest prices: {}", e.worded())).into());
            }
        };
        // A refused price is never read by a rule: its symbol fails with the reason.
        let checked = quote::check(quotes, now);
        let refused: HashMap<&str, &Rejection> = checked
            .rejected
            .iter()
            .map(|r| (r.quote.instrument.as_str(), r))
            .collect();
        let quotes: HashMap<&str, &Quote> = checked
            .quotes
            .iter()
            .map(|q| (q.instrument.as_str(), q))
            .collect();
        tracing::debug!(
            "{} latest prices from {} for {} symbols",
            quotes.len(),
            provider.name(),
            targets.len()
        );

        let mut totals = Totals::default();
        let scan = Scan {
            calendar: &calendar,
            positions: &positions,
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
        let mut second = self.second_connection(ctx);
        for conn in ctx.db.iter().chain(second.as_ref()) {
            // The stored bars pass through once, each page read once: a cache of SQLite's
            // default 2 MB per connection would only hold them, in memory a scan must keep small.
            conn.pragma_update(None, "cache_size", READ_CACHE_KIB)?;
        }
        for chunk in targets.chunks(READ_AHEAD) {
            // Nothing more is read once a stop is asked for.
            if ctx.stop_requested() {
                break;
            }
            let wanted: Vec<Wanted> = chunk
                .iter()
                .map(
                    |(instrument, rules)| match quotes.get(instrument.key.as_str()) {
                        Some(_) => scan.wanted(instrument, rules),
                        None => scan.wanted(instrument, &[]),
                    },
                )
                .collect();
            let stored = match &ctx.db {
                Some(conn) => series::stored_many(conn, second.as_mut(), &wanted, cfg.history_bars),
                None => wanted.iter().map(|_| StoredByInterval::new()).collect(),
            };
            for ((instrument, rules), stored) in chunk.iter().zip(stored) {
                if ctx.stop_requested() {
                    break;
                }
                let Some(quote) = quotes.get(instrument.key.as_str()) else {
                    let message = match refused.get(instrument.key.as_str()) {
                        Some(r) => {
                            format!("no rule evaluated: the provider's {r}; the next scan retries")
                        }
                        None => {
                            "the provider sent no price for it; the next scan retries".to_string()
                        }
                    };
                    ctx.unit_failed(
                        &instrument.symbol,
                        UnitError {
                            exit: Exit::DataErr,
                            message,
                        },
                    );
                    continue;
                };
                let symbol = Symbol {
                    instrument,
                    quote,
                    rules,
                    stored,
                };
                match scan.symbol(ctx, symbol, &mut states, &mut totals) {
                    Ok(evaluations) => decided.push((instrument, quote.ltp, evaluations)),
                    Err(e) => {
                        let error = match e {
                            ScanError::Output(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                                return Ok(Outcome::Done(CLOSED_OUTPUT.to_string()));
                            }
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
        }
        tracing::debug!("{} symbols evaluated", decided.len());
        let written = match ctx.db.as_mut() {
            Some(conn) if !ctx.dry_run && !scan.explain => {
                record::write_all(conn, &decided, &ctx.config.notify, now)?
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

/// The longest `explain` waits for the live price, in one attempt, before it shows what is
/// stored without it.
const EXPLAIN_PRICE_WAIT: Duration = Duration::from_secs(5);

/// The summary of a run whose printed output its reader closed (`| head`): it had what it
/// wanted, and nothing else is left to do in a run that writes nothing.
const CLOSED_OUTPUT: &str = "output closed by its reader";

/// `explain` without the live price (`why` it is missing): each symbol's indicators on its
/// stored bars alone, and its rules, not evaluated.
fn explain_stored(
    ctx: &mut Context<JobConfig>,
    scan: &Scan<'_>,
    targets: &[(Instrument, Vec<Rule>)],
    why: &str,
) -> anyhow::Result<Outcome> {
    let mut out = io::stdout().lock();
    for (instrument, rules) in targets {
        let wanted = [scan.wanted(instrument, rules)];
        let stored = match &ctx.db {
            Some(conn) => series::stored_many(conn, None, &wanted, scan.history_bars)
                .pop()
                .unwrap_or_default(),
            None => StoredByInterval::new(),
        };
        match explain::print_stored(&mut out, instrument, why, &stored, rules) {
            Ok(()) => ctx.unit_done(&instrument.symbol, 0),
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                return Ok(Outcome::Done(CLOSED_OUTPUT.to_string()));
            }
            Err(e) => {
                let message = format!(
                    "cannot write the explanation: {e}; check where standard output goes (a full disk?)"
                );
                ctx.unit_failed(
                    &instrument.symbol,
                    UnitError {
                        exit: Exit::IoErr,
                        message,
                    },
                );
            }
        }
    }
    Ok(Outcome::Done(format!(
        "live price unavailable ({why}): indicators on the stored bars alone"
    )))
}

/// Symbols whose stored bars are read together, on two connections: enough that starting
/// the second reader is nothing beside it (32 × 400 bars), few enough to keep little in memory.
const READ_AHEAD: usize = 32;

/// The page cache of each connection while a scan reads (KiB, as SQLite's negative
/// `cache_size`): the tables' inner pages, and the states a scan writes, fit in it.
const READ_CACHE_KIB: i64 = -256;

impl AlertScan {
    /// A second read-only connection to `market_data.db`, so that two cores read stored bars;
    /// without one (no database, a dry run's migrated copy in memory of a file older than the
    /// binary, or it cannot be opened) one connection reads them all.
    fn second_connection(&self, ctx: &Context<JobConfig>) -> Option<Connection> {
        if !ctx.db_is_the_file() {
            return None;
        }
        let busy = Duration::from_secs_f64(ctx.config.database.busy_timeout_secs.max(0.0));
        match db::open_read_only(&ctx.db_path(), busy, &[]) {
            Ok(conn) => conn,
            Err(e) => {
                tracing::debug!("stored bars are read on one connection: {e}");
                None
            }
        }
    }

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
