//! Telegram through the Bot API's `sendMessage`.

use crate::config::TelegramConfig;
use crate::credentials::Secret;
use crate::http::HttpClient;

/// Telegram's limit on one message, in UTF-16 code units.
const MAX_UNITS: usize = 4096;

/// The subject and as much of the body as fits, cut from the top: the last journal lines say
/// what went wrong.
fn fit(subject: &str, body: &str) -> String {
    let whole = format!("{subject}\n\n{body}");
    if whole.encode_utf16().count() <= MAX_UNITS {
        return whole;
    }
    let head = format!("{subject}\n\n…");
    let mut room = MAX_UNITS - head.encode_utf16().count();
    let mut tail: Vec<char> = Vec::new();
    for c in body.chars().rev() {
        if c.len_utf16() > room {
            break;
        }
        room -= c.len_utf16();
        tail.push(c);
    }
    head + &tail.into_iter().rev().collect::<String>()
}

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
    /// A notification's attachments go by email only: Telegram gets the text.
    pub fn send(&self, subject: &str, body: &str) -> Result<(), String> {
        let text = fit(subject, body);
        let url = format!(
            "{}/bot{}/sendMessage",
            self.config.api_base.trim_end_matches('/'),
            self.token.expose()
        );
        let json = serde_json::json!({ "chat_id": self.config.chat_id, "text": text });
        // The token is part of the URL, so of every error: `crate::redaction` hides it in the
        // log and in the outbox, as every secret.
        let answer = self
            .http
            .post_json(&url, &json)
            .map_err(|e| format!("telegram: {}", e.worded()))?;
        let reply: serde_json::Value = serde_json::from_slice(&answer.body)
            .map_err(|e| format!("telegram: the answer is not JSON: {e}"))?;
        if reply["ok"] == true {
            Ok(())
        } else {
            Err(format!(
                "telegram: {}; check [notify.telegram] chat_id and the telegram_bot_token credential",
                reply["description"]
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_report_keeps_the_subject_and_the_end() {
        let body = format!(
            "{}\nNIFTY50: the error at the end",
            "journal line 😀\n".repeat(1000)
        );
        let text = fit("[upstox-jobs] x failed", &body);
        assert!(text.encode_utf16().count() <= MAX_UNITS);
        assert!(text.starts_with("[upstox-jobs] x failed\n\n…"));
        assert!(text.ends_with("NIFTY50: the error at the end"));
        assert_eq!(fit("s", "short"), "s\n\nshort");
    }
}
