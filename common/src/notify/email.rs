//! Email over SMTP (lettre), STARTTLS or TLS as configured.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};

use crate::config::{EmailConfig, SmtpSecurity};
use crate::credentials::Secret;

use super::attachment::Attachments;

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

    /// Sends one plain-text message to every recipient; with `attachments`, as
    /// multipart/mixed: the text, then each file.
    pub fn send(&self, subject: &str, body: &str, attachments: &Attachments) -> Result<(), String> {
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
        let tls = |wrap: fn(TlsParameters) -> Tls| -> Result<Tls, String> {
            let mut parameters = TlsParameters::builder(c.host.clone());
            if let Some(ca) = &c.ca_file {
                let pem = read_ca_file(ca)?;
                let certificate = Certificate::from_pem(&pem)
                    .map_err(|e| format!("[notify.email] ca_file {}: {e}", ca.display()))?;
                parameters = parameters.add_root_certificate(certificate);
            }
            let parameters = parameters.build().map_err(|e| format!("{at}: {e}"))?;
            Ok(wrap(parameters))
        };
        let builder = SmtpTransport::builder_dangerous(&c.host).tls(match c.security {
            SmtpSecurity::Starttls => tls(Tls::Required)?,
            SmtpSecurity::Tls => tls(Tls::Wrapper)?,
            SmtpSecurity::None => Tls::None,
        });
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
            .subject(subject);
        for to in &c.to {
            message = message.to(to
                .parse()
                .map_err(|e| format!("[notify.email] to `{to}`: {e}"))?);
        }
        let message = if attachments.is_empty() {
            message
                .header(ContentType::TEXT_PLAIN)
                .body(body.to_string())
        } else {
            let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(body.to_string()));
            for a in attachments.iter() {
                // Checked when added; a row edited by hand is refused here, not sent wrong.
                let mime = ContentType::parse(&a.mime)
                    .map_err(|e| format!("attachment {}: `{}`: {e}", a.name, a.mime))?;
                parts =
                    parts.singlepart(Attachment::new(a.name.clone()).body(a.bytes.clone(), mime));
            }
            message.multipart(parts)
        }
        .map_err(|e| e.to_string())?;
        builder
            .build()
            .send(&message)
            .map(|_| ())
            .map_err(|e| format!("{at}: {e}; check [notify.email] and that the server is up"))
    }
}

/// The largest `ca_file` read: a bundle of a few hundred certificates is under 1 MiB.
const CA_FILE_MAX: u64 = 1024 * 1024;

/// The PEM text of `[notify.email] ca_file`: readable, bounded, with at least one certificate.
fn read_ca_file(path: &Path) -> Result<Vec<u8>, String> {
    let key = format!("[notify.email] ca_file {}", path.display());
    let mut pem = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(CA_FILE_MAX + 1).read_to_end(&mut pem))
        .map_err(|e| format!("{key}: {e}; name a readable PEM file of CA certificates"))?;
    if pem.len() as u64 > CA_FILE_MAX {
        return Err(format!(
            "{key}: larger than 1 MiB; name a PEM file of CA certificates"
        ));
    }
    if !pem
        .windows(b"-----BEGIN CERTIFICATE-----".len())
        .any(|w| w == b"-----BEGIN CERTIFICATE-----")
    {
        return Err(format!(
            "{key}: holds no PEM certificate (-----BEGIN CERTIFICATE-----); name the CA's certificate file"
        ));
    }
    Ok(pem)
}
