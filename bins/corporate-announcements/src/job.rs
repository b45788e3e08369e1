//! The run: each source fetched (or read from a saved file), parsed whole, mapped, written in
//! one transaction with its notifications; then the ex-dates coming up; then the calendar.

use std::path::PathBuf;

use chrono::{Duration, NaiveDate};
use common::Exit;
use common::calendar;
use common::credentials;
use common::harness::{Context, Job, Outcome, UnitError};

use crate::config::JobConfig;
use crate::fetch::{self, Fetch, Fetcher};
use crate::holidays;
use crate::notice::Notifier;
use crate::record::Batch;
use crate::source::{Exchange, Source};
use crate::store;
use crate::subject::Kind;

/// What a run asks for.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// `--from`.
    pub from: Option<NaiveDate>,
    /// `--to`.
    pub to: Option<NaiveDate>,
    /// `--source`: these exchanges only (none: both).
    pub exchanges: Vec<Exchange>,
    /// `--symbols`: only these NSE symbols (none: all).
    pub symbols: Vec<String>,
    /// `--from-file`: these saved answers instead of fetching (and no calendar refresh).
    pub files: Vec<(Source, PathBuf)>,
}

/// The corporate-announcements job.
pub struct CorporateAnnouncements {
    /// What to fetch.
    pub selection: Selection,
}

#[derive(Default)]
struct Totals {
    new: usize,
    revised: usize,
    unchanged: usize,
    other: usize,
    unmapped: usize,
    results: usize,
    notified: usize,
    calendar: Vec<String>,
}

impl Totals {
    fn describe(&self, dry_run: bool) -> String {
        let mut text = if dry_run {
            format!(
                "{} records read (nothing written)",
                self.new + self.revised + self.unchanged
            )
        } else {
            format!(
                "{} new, {} revised, {} unchanged; {} new results dates",
                self.new, self.revised, self.unchanged, self.results
            )
        };
        text.push_str(&format!("; {} untyped (kind other)", self.other));
        if self.unmapped > 0 {
            text.push_str(&format!(
                "; BSE scrips not mapped to NSE: {}",
                self.unmapped
            ));
        }
        if self.notified > 0 {
            text.push_str(&format!("; {} notified", self.notified));
        }
        if !self.calendar.is_empty() {
            text.push_str(&format!("; calendar: {}", self.calendar.join(", ")));
        }
        text
    }
}

/// A calendar source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CalendarSource {
    Nse,
    Upstox,
}

impl CalendarSource {
    fn unit(self) -> &'static str {
        match self {
            CalendarSource::Nse => "nse-holidays",
            CalendarSource::Upstox => "upstox-holidays",
        }
    }
}

impl Job for CorporateAnnouncements {
    const NAME: &'static str = "corporate-announcements";
    const UNIT_NOUNS: (&'static str, &'static str) = ("source", "sources");
    type Config = JobConfig;
    const SCHEMAS: &'static [common::db::Schema] = &[store::SCHEMA];

    fn run(&mut self, ctx: &mut Context<JobConfig>) -> anyhow::Result<Outcome> {
        let today = calendar::today(ctx.now);
        let cfg = ctx.config.job.clone();
        let from = self
            .selection
            .from
            .unwrap_or(today - Duration::days(i64::from(cfg.days_back)));
        let to = self
            .selection
            .to
            .unwrap_or(today + Duration::days(i64::from(cfg.days_ahead)));
        let sources: Vec<Source> = if self.selection.files.is_empty() {
            Source::ALL
                .into_iter()
                .filter(|s| {
                    self.selection.exchanges.is_empty()
                        || self.selection.exchanges.contains(&s.exchange())
                })
                .collect()
        } else {
            self.selection.files.iter().map(|(s, _)| *s).collect()
        };
        let calendars = self.calendars(ctx, &cfg)?;
        ctx.plan(
            sources
                .iter()
                .map(|s| s.name())
                .chain(calendars.iter().map(|c| c.unit())),
        );
        let notifier = Notifier::new(
            ctx.db.as_ref(),
            &cfg.watchlist,
            &cfg.indices,
            &ctx.config.notify,
            today,
        )
        .map_err(|e| anyhow::anyhow!(ctx.db_error(e).message))?;
        let horizon = nth_trading_day(ctx.calendar()?, today, cfg.ex_date_lead_days);
        tracing::debug!("ex-dates notified from {today} to {horizon}");
        // A client of its own, so the session's borrow leaves the context free for units.
        let http = ctx.http.fork();
        let fetcher = Fetcher::new(&http, &cfg, ctx.config.http.max_body_mib);
        let mut totals = Totals::default();
        for source in sources {
            if ctx.stop_requested() {
                break;
            }
            let body = match fetcher.source(source, &self.selection.files, (from, to)) {
                Ok(body) => body,
                Err(Fetch::Unit(e)) => {
                    ctx.unit_failed(source.name(), e);
                    continue;
                }
                Err(Fetch::Halted(e)) => {
                    ctx.halted(Some(source.name()), &e);
                    break;
                }
            };
            let (origin, bytes) = body;
            let batch = match source.parse_body(&bytes) {
                Ok(batch) => batch,
                Err(e) => {
                    ctx.unit_failed(
                        source.name(),
                        UnitError {
                            exit: Exit::DataErr,
                            message: format!(
                                "{origin}: {e}; nothing of this source was stored; the next run retries, or save the answer from a browser and import it with --from-file {}=FILE",
                                source.name()
                            ),
                        },
                    );
                    continue;
                }
            };
            match self.store(ctx, &notifier, source, batch, (today, horizon), &mut totals) {
                Ok(rows) => ctx.unit_done(source.name(), rows),
                Err(e) => ctx.unit_failed(source.name(), e),
            }
        }
        if !ctx.dry_run
            && let Some(conn) = ctx.db.as_ref()
        {
            match notifier.ex_dates(conn, today, horizon, ctx.now) {
                Ok(n) => totals.notified += n,
                Err(e) => tracing::warn!(
                    "upcoming ex-dates not notified: {}",
                    ctx.db_error(e).message
                ),
            }
        }
        for calendar in calendars {
            if ctx.stop_requested() {
                break;
            }
            match self.refresh(ctx, &fetcher, calendar) {
                Ok((rows, said)) => {
                    totals.calendar.push(said);
                    ctx.unit_done(calendar.unit(), rows);
                }
                Err(Fetch::Unit(e)) => ctx.unit_failed(calendar.unit(), e),
                Err(Fetch::Halted(e)) => {
                    ctx.halted(Some(calendar.unit()), &e);
                    break;
                }
            }
        }
        Ok(Outcome::Done(totals.describe(ctx.dry_run)))
    }
}

/// Reads a holiday list's body.
type ListParser = fn(&[u8]) -> Result<calendar::YearList, holidays::Refused>;

impl CorporateAnnouncements {
    /// Which calendars this run refreshes: none for an import or with `holidays = false`;
    /// NSE's when NSE is asked; Upstox's when a token is configured too.
    fn calendars(
        &self,
        ctx: &Context<JobConfig>,
        cfg: &JobConfig,
    ) -> anyhow::Result<Vec<CalendarSource>> {
        let nse_asked = self.selection.exchanges.is_empty()
            || self.selection.exchanges.contains(&Exchange::Nse);
        if !cfg.holidays
            || !self.selection.files.is_empty()
            || !self.selection.symbols.is_empty()
            || !nse_asked
        {
            return Ok(Vec::new());
        }
        let mut out = vec![CalendarSource::Nse];
        let token = credentials::load(
            "upstox_token",
            credentials::systemd_directory().as_deref(),
            &ctx.config.credentials,
        )
        .map_err(|e| common::harness::Fatal::new(Exit::Config, e.to_string()))?;
        if token.is_some() {
            out.push(CalendarSource::Upstox);
        }
        Ok(out)
    }

    /// Maps, filters, prints (dry run) or writes one source's batch with its notifications
    /// (`horizon`: the last day of the ex-date lead); returns the rows changed.
    fn store(
        &self,
        ctx: &mut Context<JobConfig>,
        notifier: &Notifier,
        source: Source,
        mut batch: Batch,
        (today, horizon): (NaiveDate, NaiveDate),
        totals: &mut Totals,
    ) -> Result<u64, UnitError> {
        let path = ctx.db_path();
        let db = |e: rusqlite::Error| {
            let mut unit = UnitError::database(&path, e);
            unit.message
                .push_str("; nothing of this source was written");
            unit
        };
        let mut unmapped = std::collections::BTreeSet::new();
        if let Some(conn) = ctx.db.as_ref() {
            for r in &mut batch.records {
                if !store::map_bse(conn, &mut r.security).map_err(db)? {
                    unmapped.extend(r.security.scrip_code.clone());
                }
            }
            for r in &mut batch.results {
                if !store::map_bse(conn, &mut r.security).map_err(db)? {
                    unmapped.extend(r.security.scrip_code.clone());
                }
            }
        }
        if !self.selection.symbols.is_empty() {
            let wanted = |s: &Option<String>| {
                s.as_ref()
                    .is_some_and(|s| self.selection.symbols.contains(s))
            };
            batch.records.retain(|r| wanted(&r.security.symbol));
            batch.results.retain(|r| wanted(&r.security.symbol));
        }
        totals.unmapped += unmapped.len();
        totals.other += batch
            .records
            .iter()
            .filter(|r| r.action.kind() == Kind::Other)
            .count();
        if ctx.dry_run {
            for r in &batch.records {
                println!("{}", crate::show::record_line(r));
            }
            for r in &batch.results {
                println!("{}", crate::show::results_line(r));
            }
            totals.new += batch.records.len();
            return Ok(0);
        }
        let now = ctx.now;
        let conn = ctx.db_mut().map_err(|e| UnitError {
            exit: Exit::IoErr,
            message: e.to_string(),
        })?;
        let tx = conn.transaction().map_err(db)?;
        let written = store::write(&tx, &batch.records, &batch.results, now).map_err(db)?;
        let notified = notifier
            .announced(&tx, &written.new, horizon, now)
            .map_err(db)?
            + notifier
                .results(&tx, &written.new_results, today, now)
                .map_err(db)?;
        tx.commit().map_err(db)?;
        tracing::info!(
            unit = source.name(),
            rows = written.new.len() + written.revised,
            "{source}: {} records, {} new, {} revised; {} results dates, {} new",
            batch.records.len(),
            written.new.len(),
            written.revised,
            batch.results.len(),
            written.new_results.len()
        );
        totals.new += written.new.len();
        totals.revised += written.revised;
        totals.unchanged += written.unchanged;
        totals.results += written.new_results.len();
        totals.notified += notified;
        Ok((written.new.len() + written.revised + written.new_results.len()) as u64)
    }

    /// Refreshes one calendar: fetched, checked, stored; returns rows changed and what it did.
    fn refresh(
        &self,
        ctx: &mut Context<JobConfig>,
        fetcher: &Fetcher,
        calendar: CalendarSource,
    ) -> Result<(u64, String), Fetch> {
        let unit = calendar.unit();
        let ((url, body), parse): (_, ListParser) = match calendar {
            CalendarSource::Nse => (fetcher.nse_holidays(unit)?, holidays::nse),
            CalendarSource::Upstox => (fetch::upstox_holidays(ctx, unit)?, holidays::upstox),
        };
        let list = parse(&body).map_err(|e| {
            Fetch::Unit(UnitError {
                exit: Exit::DataErr,
                message: format!(
                    "{url}: {e}; the next run retries; if it keeps failing, set [calendar] holidays_file to a list you keep"
                ),
            })
        })?;
        let said = format!(
            "{} {}: {} holidays{}",
            unit,
            list.year,
            list.holidays.len(),
            if list.sessions.is_empty() {
                String::new()
            } else {
                format!(", {} special sessions", list.sessions.len())
            }
        );
        if ctx.dry_run {
            println!("{said} (not stored: dry run)");
            return Ok((0, said));
        }
        let path = ctx.db_path();
        let conn = ctx.db_mut().map_err(|e| {
            Fetch::Unit(UnitError {
                exit: Exit::IoErr,
                message: e.to_string(),
            })
        })?;
        let db = |e: rusqlite::Error| Fetch::Unit(UnitError::database(&path, e));
        let tx = conn.transaction().map_err(db)?;
        let changed = calendar::store_year(&tx, unit, &list).map_err(db)?;
        tx.commit().map_err(db)?;
        tracing::info!(unit, rows = changed, "{said}; {changed} days changed");
        Ok((changed as u64, said))
    }
}

/// The `n`th trading day after `today`.
fn nth_trading_day(calendar: &calendar::TradingCalendar, today: NaiveDate, n: u32) -> NaiveDate {
    let mut day = today;
    let mut left = n;
    // A year of closed days would be a broken calendar: stop looking after one.
    for _ in 0..366 {
        day = day.succ_opt().unwrap_or(day);
        if calendar.session(day).is_some() {
            left -= 1;
            if left == 0 {
                break;
            }
        }
    }
    day
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lead_counts_trading_days() {
        let cal = calendar::TradingCalendar::embedded();
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        // Thursday 2026-11-19 + 2 trading days: Friday, then Monday.
        assert_eq!(nth_trading_day(&cal, d("2026-11-19"), 2), d("2026-11-23"));
        // Monday 2026-11-23 + 2: Tuesday 24th is Guru Nanak Jayanti.
        assert_eq!(nth_trading_day(&cal, d("2026-11-23"), 2), d("2026-11-26"));
    }
}
