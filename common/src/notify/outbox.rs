//! The `notification_outbox` table.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::attachment::{self, Attachments};
use crate::db::{Adopted, Schema};
use crate::redaction::redact;
use crate::runs::timestamp;

/// Attempts before a message is given up (the delays add up to about two days).
pub const MAX_ATTEMPTS: i64 = 14;

/// The table. `IF NOT EXISTS` because a database from before the bookkeeping tables were
/// split by owner has it from the `common` component.
pub const SCHEMA: Schema = Schema {
    component: "outbox",
    migrations: &[
        "CREATE TABLE IF NOT EXISTS notification_outbox (
    id INTEGER PRIMARY KEY,
    dedupe_key TEXT NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'telegram')),
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claimed_until TEXT,
    claimed_by TEXT,
    delivered_at TEXT,
    abandoned INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    UNIQUE (dedupe_key, channel)
);
CREATE INDEX IF NOT EXISTS notification_outbox_due ON notification_outbox (next_attempt_at)
    WHERE delivered_at IS NULL AND abandoned = 0;",
        // 2: delivered messages by age, so that old ones are purged a batch at a time
        // without reading the whole outbox.
        "CREATE INDEX IF NOT EXISTS notification_outbox_delivered ON notification_outbox (delivered_at)
    WHERE delivered_at IS NOT NULL;",
        // 3: files sent with a message (by email). The trigger takes them with their row when
        // db-maintenance purges it: a foreign key's cascade would need `foreign_keys` on.
        "CREATE TABLE notification_attachments (
    outbox_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    mime TEXT NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (outbox_id, position)
);
CREATE TRIGGER notification_attachments_purge AFTER DELETE ON notification_outbox
BEGIN
    DELETE FROM notification_attachments WHERE outbox_id = OLD.id;
END;",
    ],
    adopted: Some(Adopted {
        from: "common",
        version: 2,
    }),
};

/// A channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// SMTP.
    Email,
    /// The Telegram Bot API.
    Telegram,
}

impl Channel {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Telegram => "telegram",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "email" => Some(Channel::Email),
            "telegram" => Some(Channel::Telegram),
            _ => None,
        }
    }
}

/// A message to send.
#[derive(Debug, Clone)]
pub struct Notification {
    /// What makes it unique (`failure:<unit>:<invocation>`, `alert:<rule>:<bar>`): enqueuing
    /// the same key twice sends once.
    pub key: String,
    /// The subject (email) or first line (Telegram).
    pub subject: String,
    /// The text.
    pub body: String,
    /// Files sent with it, by email only: Telegram gets the text.
    pub attachments: Attachments,
}

/// Queues `n` for each of `channels`, with its attachments on the email row; returns how many
/// rows were new.
pub fn enqueue(
    conn: &Connection,
    n: &Notification,
    channels: &[Channel],
    now: DateTime<Utc>,
) -> rusqlite::Result<usize> {
    // A savepoint, so that a row is never queued without its attachments, inside the
    // caller's transaction or not.
    conn.execute_batch("SAVEPOINT enqueue")?;
    let queued = insert(conn, n, channels, now);
    match queued {
        Ok(_) => conn.execute_batch("RELEASE enqueue")?,
        Err(_) => conn.execute_batch("ROLLBACK TO enqueue; RELEASE enqueue")?,
    }
    queued
}

fn insert(
    conn: &Connection,
    n: &Notification,
    channels: &[Channel],
    now: DateTime<Utc>,
) -> rusqlite::Result<usize> {
    let mut added = 0;
    for channel in channels {
        let new = conn.execute(
            "INSERT INTO notification_outbox (dedupe_key, channel, subject, body, created_at, next_attempt_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT (dedupe_key, channel) DO NOTHING",
            params![
                n.key,
                channel.as_str(),
                redact(&n.subject),
                redact(&n.body),
                timestamp(now)
            ],
        )?;
        if new > 0 && *channel == Channel::Email {
            attachment::store(conn, conn.last_insert_rowid(), &n.attachments)?;
        }
        added += new;
    }
    Ok(added)
}

/// A claimed row.
#[derive(Debug)]
pub struct Claimed {
    /// Row id.
    pub id: i64,
    /// Channel.
    pub channel: Channel,
    /// Subject.
    pub subject: String,
    /// Body.
    pub body: String,
    /// Files to send with it (email rows only have any).
    pub attachments: Attachments,
    /// Attempts including this one.
    pub attempts: i64,
    /// Who holds the claim: only the holder may record the outcome.
    pub token: String,
}

/// How long a claim lasts: longer than the slowest send (retries with Retry-After included),
/// so a slow sender's message is never taken over and sent twice.
pub const LEASE: Duration = Duration::minutes(30);

/// Claims the oldest message due at `now` on a channel not in `skip`, for [`LEASE`] from the
/// moment of claiming, so no other process sends it meanwhile.
pub fn claim_next(
    conn: &Connection,
    now: DateTime<Utc>,
    skip: &[Channel],
) -> rusqlite::Result<Option<Claimed>> {
    let claimed_at = Utc::now().max(now);
    let token = format!(
        "{}:{}",
        std::process::id(),
        claimed_at.timestamp_nanos_opt().unwrap_or_default()
    );
    let skipped = |i: usize| skip.get(i).map(|c| c.as_str());
    let row = conn
        .query_row(
            "UPDATE notification_outbox SET claimed_until = ?2, claimed_by = ?3, attempts = attempts + 1
             WHERE id = (SELECT id FROM notification_outbox
                         WHERE delivered_at IS NULL AND abandoned = 0 AND next_attempt_at <= ?1
                           AND (claimed_until IS NULL OR claimed_until < ?6)
                           AND channel IS NOT ?4 AND channel IS NOT ?5
                         ORDER BY id LIMIT 1)
             RETURNING id, channel, subject, body, attempts",
            params![
                timestamp(now),
                timestamp(claimed_at + LEASE),
                token,
                skipped(0),
                skipped(1),
                timestamp(claimed_at)
            ],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                ))
            },
        )
        .optional()?;
    let Some((id, channel, subject, body, attempts)) = row else {
        return Ok(None);
    };
    let Some(channel) = Channel::parse(&channel) else {
        return Ok(None);
    };
    Ok(Some(Claimed {
        id,
        channel,
        subject,
        body,
        attachments: attachment::load(conn, id)?,
        attempts,
        token,
    }))
}

/// Records a sent message (only the claim's holder can).
pub fn delivered(conn: &Connection, claim: &Claimed, now: DateTime<Utc>) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE notification_outbox
         SET delivered_at = ?2, claimed_until = NULL, claimed_by = NULL, last_error = NULL
         WHERE id = ?1 AND claimed_by = ?3",
        params![claim.id, timestamp(now), claim.token],
    )?;
    Ok(())
}

/// Records a failed attempt (only the claim's holder can); returns when it is retried, or
/// `None` once given up.
pub fn failed(
    conn: &Connection,
    claim: &Claimed,
    error: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<Option<DateTime<Utc>>> {
    let give_up = claim.attempts >= MAX_ATTEMPTS;
    // One minute, doubling, at most six hours apart.
    let delay = Duration::minutes(1i64 << (claim.attempts - 1).clamp(0, 9)).min(Duration::hours(6));
    let next = now + delay;
    conn.execute(
        "UPDATE notification_outbox SET claimed_until = NULL, claimed_by = NULL, last_error = ?2,
             next_attempt_at = ?3, abandoned = ?4
         WHERE id = ?1 AND claimed_by = ?5",
        params![
            claim.id,
            redact(error),
            timestamp(next),
            give_up,
            claim.token
        ],
    )?;
    Ok((!give_up).then_some(next))
}
