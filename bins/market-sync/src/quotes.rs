//! Quote snapshots of every instrument synced, checked; indices also into `index_values`.

use common::Exit;
use common::harness::{Context, Fatal, UnitError};
use common::market;
use common::market::instrument::Instrument;
use common::market::provider::{Provider, ProviderError};
use common::market::quote;

use crate::config::JobConfig;
use crate::totals::Totals;

/// Stores a quote snapshot of every instrument (indices also into `index_values`), each
/// checked first: a refused quote is counted, logged and never stored; an answer refused
/// whole ([`JobConfig::refuses`]) fails the `quotes` unit with 65 and stores none of it.
pub(crate) fn store(
    ctx: &mut Context<JobConfig>,
    provider: &dyn Provider,
    instruments: &[Instrument],
    totals: &mut Totals,
) -> anyhow::Result<()> {
    let quotes = match provider.quotes(instruments) {
        Ok(q) => q,
        Err(e @ ProviderError::Auth { .. }) => {
            return Err(Fatal::new(Exit::Config, e.to_string()).into());
        }
        Err(ProviderError::Http(e)) if ctx.halted(Some("quotes"), &e) => return Ok(()),
        Err(e) => {
            ctx.unit_failed("quotes", UnitError::from(&e));
            return Ok(());
        }
    };
    let checked = quote::check(quotes, ctx.now);
    for r in &checked.rejected {
        tracing::warn!(unit = "quotes", "{r}");
    }
    totals.quotes_refused = checked.rejected.len();
    if ctx
        .config
        .job
        .refuses(checked.quotes.len(), checked.rejected.len())
    {
        let message = format!(
            "{} of {} quotes from {} failed validation (more than max_invalid_share {} of [jobs.market-sync]); none stored, the previous ones kept: see the warnings above",
            checked.rejected.len(),
            checked.quotes.len() + checked.rejected.len(),
            provider.name(),
            ctx.config.job.max_invalid_share
        );
        ctx.unit_failed(
            "quotes",
            UnitError {
                exit: Exit::DataErr,
                message,
            },
        );
        return Ok(());
    }
    let quotes = checked.quotes;
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
