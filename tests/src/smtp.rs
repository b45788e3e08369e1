//! A real SMTP server process on 127.0.0.1: Debian's python3-aiosmtpd, storing every message
//! it accepts in a maildir; in plain text, or with TLS (STARTTLS required, or implicit TLS) on
//! the certificate in `fixtures/tls`, which its test CA signed for 127.0.0.1.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How the server speaks TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain text.
    None,
    /// STARTTLS, required before any mail.
    Starttls,
    /// TLS from the first byte (SMTPS).
    Implicit,
}

/// The test CA (`fixtures/tls/ca.pem`) that signed the server's certificate: what a client
/// trusts by `SSL_CERT_FILE`, the system trust store's override.
pub fn test_ca() -> PathBuf {
    tls_fixtures().join("ca.pem")
}

fn tls_fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/tls")
}

/// The running server; killed when dropped.
pub struct SmtpServer {
    child: Child,
    /// The port it listens on.
    pub port: u16,
    maildir: PathBuf,
}

impl SmtpServer {
    /// Starts a plain-text server on `port` (0 for any free port) storing mail under `dir`.
    pub fn start(dir: &Path, port: u16) -> Self {
        Self::start_with(dir, port, SmtpTls::None)
    }

    /// Starts a server on `port` (0 for any free port) speaking `tls`, storing mail under `dir`.
    pub fn start_with(dir: &Path, port: u16, tls: SmtpTls) -> Self {
        let port = match port {
            0 => std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port(),
            p => p,
        };
        let maildir = dir.join("maildir");
        let (cert, key) = (
            tls_fixtures().join("server.pem"),
            tls_fixtures().join("server.key"),
        );
        let mut command = Command::new("/usr/bin/python3");
        command.args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")]);
        match tls {
            SmtpTls::None => {}
            SmtpTls::Starttls => {
                command
                    .arg("--tlscert")
                    .arg(&cert)
                    .arg("--tlskey")
                    .arg(&key);
            }
            SmtpTls::Implicit => {
                command
                    .arg("--smtpscert")
                    .arg(&cert)
                    .arg("--smtpskey")
                    .arg(&key);
            }
        }
        let child = command
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3-aiosmtpd is installed (.ci/run installs it)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "the SMTP server did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        SmtpServer {
            child,
            port,
            maildir,
        }
    }

    /// Every message received, as text.
    pub fn messages(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.maildir.join("new")) else {
            return Vec::new();
        };
        entries
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
