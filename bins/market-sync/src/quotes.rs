//! Quote snapshots of every instrument synced; indices also into `index_values`.

use common::Exit;
use common::harness::{Context, Fatal, UnitError};
use common::market;
use common::market::instrument::Instrument;
use common::market::provider::{Provider, ProviderError};

use crate::config::JobConfig;
use crate::totals::Totals;

/// Stores a quote snapshot of every instrument (indices also into `index_values`).
pub(crate) fn store(
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
        Err(ProviderError::Http(e)) if ctx.halted(Some("quotes"), &e) => return Ok(()),
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
