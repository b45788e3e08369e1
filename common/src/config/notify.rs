//! `[notify.email]` and `[notify.telegram]`: where notifications go.

use std::path::PathBuf;

use serde::Deserialize;

/// `[notify]`: the channels; a channel whose table is absent is off.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifyConfig {
    /// `[notify.email]`.
    pub email: Option<EmailConfig>,
    /// `[notify.telegram]`.
    pub telegram: Option<TelegramConfig>,
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on this machine.
    None,
}

/// `[notify.email]`. The password is the credential `smtp_password`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    /// SMTP server.
    pub host: String,
    /// SMTP port [default: 587 for starttls, 465 for tls, 25 for none].
    pub port: Option<u16>,
    /// starttls, tls or none.
    #[serde(default)]
    pub security: SmtpSecurity,
    /// User name, when the server wants one.
    pub username: Option<String>,
    /// Sender address.
    pub from: String,
    /// Recipients.
    pub to: Vec<String>,
    /// A PEM file of CA certificates trusted for the server besides the system's: a desk's
    /// private CA.
    pub ca_file: Option<PathBuf>,
}

impl EmailConfig {
    /// The port: as configured, else the usual one for the security mode.
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.security {
            SmtpSecurity::Starttls => 587,
            SmtpSecurity::Tls => 465,
            SmtpSecurity::None => 25,
        })
    }
}

/// `[notify.telegram]`. The bot token is the credential `telegram_bot_token`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelegramConfig {
    /// The chat (user, group or channel id) messages go to.
    pub chat_id: String,
    /// The Bot API's address.
    #[serde(default = "default_telegram_api")]
    pub api_base: String,
}

fn default_telegram_api() -> String {
    "https://api.telegram.org".to_string()
}
