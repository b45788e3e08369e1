//! Telegram through the Bot API's `sendMessage`.

use crate::config::TelegramConfig;
use crate::credentials::Secret;
use crate::http::HttpClient;

/// Telegram's limit on one message.
const MAX_CHARS: usize = 4096;

/// The Telegram channel.
pub struct Telegram<'a> {
    config: TelegramConfig,
    token: Secret,
    http: &'a HttpClient,
}

impl<'a> Telegram<'a> {
    /// A sender for `config` with the bot `token`.
    pub fn new(config: TelegramConfig, token: Secret, http: &'a HttpClient) -> Self {
        Telegram {
            config,
            token,
            http,
        }
    }

    /// Sends `subject` and `body` as one plain-text message (cut to Telegram's 4096 characters).
    pub fn send(&self, subject: &str, body: &str) -> Result<(), String> {
        let mut text = format!("{subject}\n\n{body}");
        if text.chars().count() > MAX_CHARS {
            text = text.chars().take(MAX_CHARS - 1).collect::<String>() + "…";
        }
        let url = format!(
            "{}/bot{}/sendMessage",
            self.config.api_base.trim_end_matches('/'),
            self.token.expose()
        );
        let json = serde_json::json!({ "chat_id": self.config.chat_id, "text": text });
        // The token is part of the URL: it must never reach a log line or job_runs.
        let redact = |e: String| e.replace(self.token.expose(), "<telegram_bot_token>");
        let answer = self
            .http
            .post_json(&url, &json)
            .map_err(|e| redact(format!("telegram: {e}")))?;
        let reply: serde_json::Value = serde_json::from_slice(&answer.body)
            .map_err(|e| format!("telegram: the answer is not JSON: {e}"))?;
        if reply["ok"] == true {
            Ok(())
        } else {
            Err(redact(format!("telegram: {}", reply["description"])))
        }
    }
}
