//! Email over SMTP (lettre), STARTTLS or TLS as configured.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Message, SmtpTransport, Transport};

use crate::config::{EmailConfig, SmtpSecurity};
use crate::credentials::Secret;

/// The email channel.
pub struct Email {
    config: EmailConfig,
    password: Option<Secret>,
}

impl Email {
    /// A sender for `config`; `password` is the `smtp_password` credential, if any.
    pub fn new(config: EmailConfig, password: Option<Secret>) -> Self {
        Email { config, password }
    }

    /// Sends one plain-text message to every recipient.
    pub fn send(&self, subject: &str, body: &str) -> Result<(), String> {
        let c = &self.config;
        let at = format!("SMTP {}:{}", c.host, c.port());
        if c.username.is_some() && self.password.is_none() {
            return Err(format!(
                "{at}: [notify.email] username is set but the credential smtp_password is not; \
                 put the password in $CREDENTIALS_DIRECTORY/smtp_password or name its file under [credentials]"
            ));
        }
        let local = matches!(c.host.as_str(), "localhost" | "127.0.0.1" | "::1");
        if c.security == SmtpSecurity::None && c.username.is_some() && !local {
            return Err(format!(
                "{at}: refusing to send the SMTP password unencrypted; set [notify.email] security = \"starttls\" or \"tls\""
            ));
        }
        let builder = match c.security {
            SmtpSecurity::Starttls => SmtpTransport::starttls_relay(&c.host),
            SmtpSecurity::Tls => SmtpTransport::relay(&c.host),
            SmtpSecurity::None => Ok(SmtpTransport::builder_dangerous(&c.host)),
        }
        .map_err(|e| format!("{at}: {e}"))?;
        let mut builder = builder
            .port(c.port())
            .timeout(Some(Duration::from_secs(30)));
        if let (Some(user), Some(password)) = (&c.username, &self.password) {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                password.expose().to_string(),
            ));
        }
        let mut message = Message::builder()
            .from(
                c.from
                    .parse()
                    .map_err(|e| format!("[notify.email] from `{}`: {e}", c.from))?,
            )
            .subject(subject)
            .header(ContentType::TEXT_PLAIN);
        for to in &c.to {
            message = message.to(to
                .parse()
                .map_err(|e| format!("[notify.email] to `{to}`: {e}"))?);
        }
        let message = message.body(body.to_string()).map_err(|e| e.to_string())?;
        builder
            .build()
            .send(&message)
            .map(|_| ())
            .map_err(|e| format!("{at}: {e}; check [notify.email] and that the server is up"))
    }
}
