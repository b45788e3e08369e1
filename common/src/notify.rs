//! Notifications: every job that notifies (alerts, news, announcements, failures) enqueues in
//! the `notification_outbox` table; delivery is tried at once, and what failed is retried with
//! backoff by the next run of any job. A row is claimed before it is sent, so two processes
//! never both send it; a crash between sending and recording can repeat one message, never
//! lose one.

pub mod attachment;
pub mod email;
pub mod outbox;
pub mod telegram;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use crate::config::NotifyConfig;
use crate::credentials;
use crate::http::HttpClient;

pub use attachment::{Attachment, AttachmentError, Attachments};
pub use outbox::{Channel, Notification};

/// The configured channels, ready to send.
pub struct Senders<'a> {
    email: Option<email::Email>,
    telegram: Option<telegram::Telegram<'a>>,
}

impl<'a> Senders<'a> {
    /// The channels `config` turns on, with their secrets (systemd credentials, else the files
    /// `[credentials]` names). A channel whose secret cannot be read stays off with a warning;
    /// its messages wait in the outbox.
    pub fn new(
        config: &NotifyConfig,
        credentials_dir: Option<&Path>,
        configured: &BTreeMap<String, PathBuf>,
        http: &'a HttpClient,
    ) -> Self {
        let secret = |name: &str| match credentials::load(name, credentials_dir, configured) {
            Ok(s) => Ok(s),
            Err(e) => {
                tracing::warn!("{e}");
                Err(())
            }
        };
        let email = config.email.as_ref().and_then(|c| {
            let password = secret("smtp_password").ok()?;
            Some(email::Email::new(c.clone(), password))
        });
        let telegram = config.telegram.as_ref().and_then(|c| match secret("telegram_bot_token") {
            Ok(Some(token)) => Some(telegram::Telegram::new(c.clone(), token, http)),
            Ok(None) => {
                tracing::warn!(
                    "[notify.telegram] is set but the credential telegram_bot_token is not: \
                     put the bot token in $CREDENTIALS_DIRECTORY/telegram_bot_token or name its file under [credentials]"
                );
                None
            }
            Err(()) => None,
        });
        Senders { email, telegram }
    }

    /// The channels that are on.
    pub fn channels(&self) -> Vec<Channel> {
        let mut v = Vec::new();
        if self.email.is_some() {
            v.push(Channel::Email);
        }
        if self.telegram.is_some() {
            v.push(Channel::Telegram);
        }
        v
    }

    fn send(&self, row: &outbox::Claimed) -> Result<(), String> {
        let (subject, body) = (&row.subject, &row.body);
        match row.channel {
            Channel::Email => match &self.email {
                Some(e) => e.send(subject, body, &row.attachments),
                None => Err(
                    "email is not configured: set [notify.email] in the configuration"
                        .to_string(),
                ),
            },
            Channel::Telegram => match &self.telegram {
                Some(t) => t.send(subject, body),
                None => Err(
                    "telegram is not configured: set [notify.telegram] and the telegram_bot_token credential"
                        .to_string(),
                ),
            },
        }
    }
}

/// What one delivery pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Messages sent.
    pub delivered: usize,
    /// Messages whose channel failed; they wait for a later pass.
    pub failed: usize,
}

/// How long one delivery pass may take, so a job's run is never held up for long.
const PASS_LIMIT: std::time::Duration = std::time::Duration::from_secs(60);

/// Sends the messages due in the outbox, each once; failures are logged and kept for later.
/// A channel that fails is not tried again in this pass, and the pass ends after a minute.
pub fn deliver_due(
    conn: &Connection,
    senders: &Senders,
    now: DateTime<Utc>,
) -> rusqlite::Result<Delivery> {
    let started = std::time::Instant::now();
    let mut report = Delivery::default();
    let mut seen = std::collections::HashSet::new();
    let mut down: Vec<Channel> = Vec::new();
    while started.elapsed() < PASS_LIMIT
        && let Some(row) = outbox::claim_next(conn, now, &down)?
    {
        if !seen.insert(row.id) {
            break;
        }
        match senders.send(&row) {
            Ok(()) => {
                outbox::delivered(conn, &row, now)?;
                tracing::info!(
                    channel = row.channel.as_str(),
                    "notification sent by {}: {}",
                    row.channel.as_str(),
                    row.subject
                );
                report.delivered += 1;
            }
            Err(e) => {
                let retry = outbox::failed(conn, &row, &e, now)?;
                down.push(row.channel);
                let when = match retry {
                    Some(at) => format!("retried after {}", crate::runs::timestamp(at)),
                    None => format!("given up after {} attempts", row.attempts),
                };
                tracing::warn!(
                    channel = row.channel.as_str(),
                    "notification by {} failed: {e}; {when}",
                    row.channel.as_str()
                );
                report.failed += 1;
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests;
