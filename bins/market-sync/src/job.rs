//! The run, in order: pick the provider, resolve the universe, sync each instrument
//! ([`crate::sync`], with [`crate::backfill`]), then quotes ([`crate::quotes`]) and option
//! chains with their IV ([`crate::options`]).

use chrono::{Datelike, NaiveDate};
use common::Exit;
use common::budget::Prepaid;
use common::calendar;
use common::harness::{Context, Fatal, Job, Outcome, UnitError};
use common::market;
use common::market::instrument::InstrumentKey;
use common::market::interval::Interval;
use common::market::master;
use common::market::provider::ProviderError;
use common::market::source::Source;
use common::market::source::SourceChoice;
use common::market::universe::{self, Universe};
use common::metrics::{CANDLES, Newest};
use common::schedule::Gate;

use crate::config::JobConfig;
use crate::fetch::{self, Fetcher};
use crate::store;
use crate::sync::{Pass, SyncError};
use crate::totals::Totals;
use crate::{options, quotes};

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
    pub source: Option<SourceChoice>,
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

    /// The newest stored candle of each configured interval, whichever run stored it.
    fn newest(
        &self,
        config: &JobConfig,
        conn: &rusqlite::Connection,
    ) -> rusqlite::Result<Vec<Newest>> {
        // The configuration was validated before the run: none is bad here.
        let intervals = config.intervals().unwrap_or_default();
        let mut out = Vec::new();
        for interval in intervals {
            if let Some(at) = market::store::newest_bar(conn, interval)? {
                out.push(Newest {
                    kind: CANDLES,
                    label: interval.to_string(),
                    at,
                });
            }
        }
        Ok(out)
    }

    fn run(&mut self, ctx: &mut Context<JobConfig>) -> anyhow::Result<Outcome> {
        let cfg = ctx.config.job.clone();
        let now = ctx.now;
        let today = calendar::today(now);
        let calendar = ctx.calendar()?.clone();
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
        // Bars a provider lacks are refused, not built from finer stored ones: a bar summed
        // from stored minutes is only right when none is missing, and a gap would make a
        // wrong bar that looks like the provider's.
        if let Some(missing) = intervals.iter().find(|i| !provider.offers(**i)) {
            return Err(Fatal::new(
                Exit::Config,
                format!(
                    "{} has no {missing} bars: it has {}; sync one of those (--interval, [jobs.market-sync] intervals), or give an Upstox token ([credentials] upstox_token): Upstox has every interval",
                    provider.name(),
                    provider.offered()
                ),
            )
            .into());
        }

        let upstox = &ctx.config.providers.upstox;
        let (master_url, master_mib) = (upstox.instruments_url.clone(), upstox.instruments_max_mib);
        if !ctx.dry_run
            && let Some(conn) = ctx.db.as_mut()
            && master::is_stale(conn, today)?
        {
            match master::refresh(conn, http, &master_url, master_mib, today) {
                Ok(n) => tracing::info!("instrument master: {n} NSE equities and indices"),
                Err(e @ master::MasterError::TooLarge { .. }) => {
                    return Err(Fatal::new(Exit::DataErr, e.to_string()).into());
                }
                Err(e) => tracing::warn!(
                    "{e}; symbols are looked up in the stored copy and in nse-index-update's ISINs"
                ),
            }
        }
        // A dry run stores nothing, so it reads a master it needs into memory.
        let scratch = match &ctx.db {
            Some(conn) if !ctx.dry_run || !master::is_stale(conn, today)? => None,
            _ => match master::in_memory(http, &master_url, master_mib, today) {
                Ok(conn) => Some(conn),
                Err(e @ master::MasterError::TooLarge { .. }) => {
                    return Err(Fatal::new(Exit::DataErr, e.to_string()).into());
                }
                Err(e) => {
                    tracing::warn!("{e}; symbols are looked up in nse-index-update's ISINs");
                    None
                }
            },
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
        ctx.plan(
            universe
                .unresolved
                .iter()
                .map(|(name, _)| name.as_str())
                .chain(universe.instruments.iter().map(|i| i.symbol.as_str())),
        );
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
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            provider.name()
        );

        let mut pass = Pass {
            provider: provider.as_ref(),
            calendar: &calendar,
            intervals: &intervals,
            range: self.request.range,
            gap_budget: cfg.gap_requests_per_run,
            totals: Totals::default(),
        };
        // What each instrument needs is read before fetching starts, so the fetcher needs no
        // database; an instrument whose stored bars cannot be read fetches nothing and fails.
        let (plans, unplanned): (Vec<_>, Vec<_>) = universe
            .instruments
            .iter()
            .map(|i| match pass.wants(ctx, i) {
                Ok(wants) => ((i, wants), None),
                Err(e) => ((i, Vec::new()), Some(e)),
            })
            .unzip();
        // The fetcher's requests spend slots the writer takes ahead for it ([`Prepaid`]).
        let prepaid = Prepaid::new(source.budget());
        let fetching = source.provider_admitted_by(&prepaid);
        let fetcher = Fetcher {
            provider: fetching.as_ref(),
            calendar: &calendar,
            now,
            today,
        };
        let slots: Vec<usize> = plans.iter().map(|(_, w)| fetcher.requests(w)).collect();
        let shutdown = ctx.shutdown.clone();
        std::thread::scope(|scope| -> anyhow::Result<()> {
            fetch::take_ahead(&prepaid, slots.iter().take(2).sum(), provider.name());
            let batches = fetch::ahead(scope, fetcher, plans, shutdown);
            for (n, (instrument, unplanned)) in
                universe.instruments.iter().zip(unplanned).enumerate()
            {
                if ctx.stop_requested() {
                    break;
                }
                // The fetcher ends early only at SIGTERM, which this records as the run's stop.
                let Ok(batch) = batches.recv() else {
                    ctx.stop_requested();
                    break;
                };
                // The fetcher is now on the next instrument; keep the slots of that one and
                // the one after ready, while no transaction holds the database.
                let next: usize = slots.iter().skip(n + 1).take(2).sum();
                fetch::take_ahead(&prepaid, next, provider.name());
                let synced = match unplanned {
                    Some(e) => Err(e),
                    None => batch
                        .map_err(SyncError::from)
                        .and_then(|fetched| pass.instrument(ctx, instrument, fetched)),
                };
                match synced {
                    Ok(changed) => ctx.unit_done(&instrument.symbol, changed),
                    Err(SyncError::Provider(e @ ProviderError::Auth { .. })) => {
                        return Err(Fatal::new(Exit::Config, e.to_string()).into());
                    }
                    // The provider stopped answering or the deadline came: no more
                    // instruments, quotes or chains this run.
                    Err(SyncError::Provider(ProviderError::Http(e))) if e.halt().is_some() => {
                        ctx.halted(Some(&instrument.symbol), &e);
                        break;
                    }
                    Err(e) => {
                        let error = e.unit_error(ctx);
                        ctx.unit_failed(&instrument.symbol, error)
                    }
                }
            }
            Ok(())
        })?;
        let mut totals = pass.totals;
        totals.gap_requests = cfg.gap_requests_per_run - pass.gap_budget;

        if self.request.quotes && cfg.quotes && !ctx.stop_requested() {
            quotes::store(ctx, provider.as_ref(), &universe.instruments, &mut totals)?;
        }
        if self.request.options && !ctx.stop_requested() {
            for key in &cfg.option_underlyings {
                if ctx.stop_requested() {
                    break;
                }
                let underlying = InstrumentKey::parse(key).map_err(|e| config_error(ctx, e))?;
                options::store(
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
