//! Option chains of the configured underlyings (Upstox only), and their IV analysis: ATM IV,
//! IV rank and percentile, historical volatility. A day's `iv_analysis` row is written only
//! when it has a figure: without a chain (no expiry ahead) it may still carry the HVs.

use chrono::{DateTime, NaiveDate, Utc};
use common::Exit;
use common::calendar;
use common::harness::{Context, Fatal, UnitError};
use common::market;
use common::market::instrument::InstrumentKey;
use common::market::provider::{Provider, ProviderError};

use crate::atm::{self, Atm, NoAtm};
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
    let chain = provider.expiries(underlying).and_then(|listed| {
        let upcoming: Vec<NaiveDate> = listed
            .iter()
            .copied()
            .filter(|e| *e >= today)
            .take(expiries)
            .collect();
        if upcoming.is_empty() {
            // Not an error of the source, but a desk must hear of it: no chain, no IV today.
            let listed = match listed.last() {
                None => "none is listed".to_string(),
                Some(last) => format!("the last listed is {last}"),
            };
            tracing::warn!("{unit}: no expiry on or after {today} ({listed}): no option chain");
        }
        let mut rows = Vec::new();
        for expiry in upcoming {
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
        Err(ProviderError::Http(e)) if ctx.halted(Some(&unit), &e) => return Ok(()),
        Err(e) => {
            ctx.unit_failed(&unit, UnitError::from(&e));
            return Ok(());
        }
    };
    totals.options += rows.len();
    let Some(conn) = ctx.db.as_ref() else {
        return Ok(());
    };
    let atm = atm::atm_iv(&rows, ctx.config.job.atm_max_distance);
    match &atm {
        Ok(_) | Err(NoAtm::NoChain) => {}
        Err(why) => tracing::warn!("{unit}: no ATM IV: {why}"),
    }
    let record = iv_record(conn, underlying, atm.ok(), ctx.now)?;
    if record.is_empty() {
        tracing::info!(
            "{unit}: no iv_analysis row: no ATM IV and too few day closes stored for a \
             historical volatility"
        );
    }
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
    if !record.is_empty() {
        changed += store::upsert_iv(&tx, &record)?;
    }
    tx.commit()?;
    totals.changed += changed;
    if !rows.is_empty() {
        ctx.unit_done(&unit, changed);
    }
    Ok(())
}

/// Today's IV figures of `underlying` from its ATM IV and the stored history.
fn iv_record(
    conn: &rusqlite::Connection,
    underlying: &InstrumentKey,
    atm: Option<Atm>,
    now: DateTime<Utc>,
) -> rusqlite::Result<IvRecord> {
    let date = calendar::today(now);
    let history = store::iv_history(conn, underlying, date, SESSIONS_PER_YEAR - 1)?;
    let closes = market::store::daily_closes(conn, underlying, now.timestamp(), 31)?;
    let iv = atm.map(|a| a.iv);
    Ok(IvRecord {
        underlying: underlying.clone(),
        date,
        expiry: atm.map(|a| a.expiry),
        iv,
        iv_rank: iv.and_then(|iv| volatility::iv_rank(&history, iv)),
        iv_percentile: iv.and_then(|iv| volatility::iv_percentile(&history, iv)),
        iv_sessions: history.len() as i64 + i64::from(iv.is_some()),
        hv20: volatility::historical_volatility(&closes, 20),
        hv30: volatility::historical_volatility(&closes, 30),
    })
}
