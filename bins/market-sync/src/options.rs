//! Option chains of the configured underlyings (Upstox only), and their IV analysis: ATM IV,
//! IV rank and percentile, historical volatility.

use chrono::{DateTime, Utc};
use common::Exit;
use common::calendar;
use common::harness::{Context, Fatal, UnitError};
use common::market;
use common::market::instrument::InstrumentKey;
use common::market::provider::{Provider, ProviderError};

use crate::config::JobConfig;
use crate::store;
use crate::totals::Totals;
use crate::volatility::{self, IvRecord, SESSIONS_PER_YEAR};

/// Stores the nearest `expiries` option chains of `underlying` and its IV analysis.
pub(crate) fn store(
    ctx: &mut Context<JobConfig>,
    provider: &dyn Provider,
    underlying: &InstrumentKey,
    expiries: usize,
    totals: &mut Totals,
) -> anyhow::Result<()> {
    let unit = format!("options {underlying}");
    let today = calendar::today(ctx.now);
    let chain = provider.expiries(underlying).and_then(|all| {
        let mut rows = Vec::new();
        for expiry in all.into_iter().filter(|e| *e >= today).take(expiries) {
            rows.extend(provider.option_chain(underlying, expiry)?);
        }
        Ok(rows)
    });
    let rows = match chain {
        Ok(rows) => rows,
        Err(ProviderError::Unsupported(why)) => {
            tracing::info!("{unit}: skipped: {why}");
            Vec::new()
        }
        Err(e @ ProviderError::Auth { .. }) => {
            return Err(Fatal::new(Exit::Config, e.to_string()).into());
        }
        Err(e) => {
            ctx.unit_failed(&unit, UnitError::from(&e));
            return Ok(());
        }
    };
    totals.options += rows.len();
    let Some(conn) = ctx.db.as_ref() else {
        return Ok(());
    };
    let record = iv_record(conn, underlying, &rows, ctx.now)?;
    if ctx.dry_run {
        tracing::info!(
            "{unit}: would store {} option rows; IV {:?}",
            rows.len(),
            record.iv
        );
        return Ok(());
    }
    let ts = ctx.now.timestamp() / 60 * 60;
    let conn = ctx.db_mut()?;
    let tx = conn.transaction()?;
    let mut changed = store::upsert_chain(&tx, &rows, ts)?;
    changed += store::upsert_iv(&tx, &record)?;
    tx.commit()?;
    totals.changed += changed;
    if !rows.is_empty() {
        ctx.unit_done(&unit, changed);
    }
    Ok(())
}

/// Today's IV figures of `underlying` from its chain and the stored history.
fn iv_record(
    conn: &rusqlite::Connection,
    underlying: &InstrumentKey,
    rows: &[common::market::provider::OptionRow],
    now: DateTime<Utc>,
) -> rusqlite::Result<IvRecord> {
    let date = calendar::today(now);
    let atm = volatility::atm_iv(rows);
    let history = store::iv_history(conn, underlying, date, SESSIONS_PER_YEAR - 1)?;
    let closes = market::store::daily_closes(conn, underlying, now.timestamp(), 31)?;
    let iv = atm.map(|(_, iv)| iv);
    Ok(IvRecord {
        underlying: underlying.clone(),
        date,
        expiry: atm.map(|(e, _)| e),
        iv,
        iv_rank: iv.and_then(|iv| volatility::iv_rank(&history, iv)),
        iv_percentile: iv.and_then(|iv| volatility::iv_percentile(&history, iv)),
        iv_sessions: history.len() as i64 + i64::from(iv.is_some()),
        hv20: volatility::historical_volatility(&closes, 20),
        hv30: volatility::historical_volatility(&closes, 30),
    })
}
