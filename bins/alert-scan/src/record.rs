//! What a scan writes: rule states, firings (`alert_events`) and their messages in the
//! outbox, the whole minute in one transaction.

use chrono::{DateTime, Utc};
use common::market::instrument::Instrument;
use common::notify::{self, Channel as OutboxChannel};
use rusqlite::Connection;

use crate::evaluate::Evaluation;
use crate::notice;
use crate::rule::{Channel, Rule};
use crate::store::{self, Event};
/// A symbol's decisions: the instrument, its last price, and each rule's evaluation.
pub(crate) type Decided<'a> = (&'a Instrument, f64, Vec<Evaluation<'a>>);

/// Writes every symbol's states, firings and messages in one transaction, each symbol in a
/// savepoint of its own: a symbol whose writes fail is rolled back alone, and a kill leaves
/// the minute wholly written or not at all (its messages with it). Returns each symbol's
/// rows changed, in order.
pub(crate) fn write_all(
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
            interval: e.rule.interval.to_string(),
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
