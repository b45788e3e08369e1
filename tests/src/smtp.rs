//! A real SMTP server process on 127.0.0.1: Debian's python3-aiosmtpd, storing every message
//! it accepts in a maildir; in plain text, or with TLS (STARTTLS required, or implicit TLS) on
//! the certificate in `fixtures/tls`, which its test CA signed for 127.0.0.1.

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
    ///
    /// A free port is found by binding and dropping it, so another test can take it before the
    /// server binds it: the server counts as started only once the port's listening socket is
    /// one of its own descriptors, and a server that could not bind is started again elsewhere.
    /// A port the caller chose is tried once: starting again there would meet the same holder.
    pub fn start_with(dir: &Path, port: u16, tls: SmtpTls) -> Self {
        let maildir = dir.join("maildir");
        let tries = if port == 0 { 5 } else { 1 };
        let mut last = port;
        for _ in 0..tries {
            let port = match port {
                0 => std::net::TcpListener::bind("127.0.0.1:0")
                    .unwrap()
                    .local_addr()
                    .unwrap()
                    .port(),
                p => p,
            };
            last = port;
            let mut child = spawn(port, tls, &maildir);
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if listener_of(child.id(), port) {
                    return SmtpServer {
                        child,
                        port,
                        maildir,
                    };
                }
                if child.try_wait().unwrap().is_some() {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "the SMTP server did not start on port {port}"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        panic!(
            "the SMTP server exited before listening (tries: {tries}, last port {last}); is the port taken?"
        )
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

fn spawn(port: u16, tls: SmtpTls, maildir: &Path) -> Child {
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
    command
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(maildir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3-aiosmtpd is installed (.ci/run installs it)")
}

/// Whether process `pid` holds the socket listening on 127.0.0.1:`port`: the socket's inode
/// from /proc/net/tcp, found among the process's descriptors.
fn listener_of(pid: u32, port: u16) -> bool {
    let Ok(table) = std::fs::read_to_string("/proc/net/tcp") else {
        return false;
    };
    let local = format!("0100007F:{port:04X}");
    let Some(inode) = table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        (fields.get(1) == Some(&local.as_str()) && fields.get(3) == Some(&"0A"))
            .then(|| fields.get(9).map(|i| format!("socket:[{i}]")))
            .flatten()
    }) else {
        return false;
    };
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.flatten().any(|fd| {
        std::fs::read_link(fd.path()).is_ok_and(|target| target.as_os_str() == inode.as_str())
    })
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "exited before listening (tries: 1")]
    fn another_process_listening_on_the_port_is_not_taken_for_the_server() {
        let other = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = other.local_addr().unwrap().port();
        let dir = tempfile::tempdir().unwrap();
        SmtpServer::start(dir.path(), port);
    }

    #[test]
    fn a_server_on_any_free_port_accepts_connections() {
        let dir = tempfile::tempdir().unwrap();
        let server = SmtpServer::start(dir.path(), 0);
        assert!(std::net::TcpStream::connect(("127.0.0.1", server.port)).is_ok());
    }
}
