//! Logging: the journal when stderr is the journal, readable text on a terminal, or JSON; never
//! two at once (that would log every line twice under systemd). Every format shows each
//! secret the process holds as its name (`crate::redaction`).

use std::io::{IsTerminal, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

mod redacted;

use redacted::Redacted;

/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// The journal when stderr is connected to it (`JOURNAL_STREAM`), else text.
    Auto,
    /// The native journal protocol, with structured fields (JOB, INDEX, ROWS…).
    Journal,
    /// Human-readable lines on stderr.
    Text,
    /// One JSON object per line on stderr.
    Json,
}

/// Sets up the global subscriber; returns the format actually in use.
///
/// `verbosity` is 0 for the default (info), positive for `-v`s, negative for `-q`s.
/// `RUST_LOG`, when set, overrides it. `job` is attached to every journal entry as `JOB=`,
/// and `request`, when the run carries one out, as `REQUEST_ID=`.
pub fn init(
    format: LogFormat,
    verbosity: i8,
    identifier: &str,
    job: &str,
    request: Option<&str>,
) -> LogFormat {
    let level = match verbosity {
        i8::MIN..=-2 => "error",
        -1 => "warn",
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    let filter = || {
        EnvFilter::try_from_default_env().unwrap_or_else(|_| {
            // The HTTP stack's own debug output drowns the job's; keep it at warn unless -vv.
            let quiet_deps = if verbosity >= 2 {
                ""
            } else {
                ",hyper=warn,hyper_util=warn,reqwest=warn,rustls=warn"
            };
            EnvFilter::new(format!("{level}{quiet_deps}"))
        })
    };
    let wanted = match format {
        LogFormat::Auto if stderr_is_journal() => LogFormat::Journal,
        LogFormat::Auto => LogFormat::Text,
        other => other,
    };
    if wanted == LogFormat::Journal {
        match tracing_journald::layer() {
            Ok(layer) => {
                let layer = layer
                    .with_syslog_identifier(identifier.to_string())
                    .with_field_prefix(None)
                    .with_priority_mappings(tracing_journald::PriorityMappings {
                        info: tracing_journald::Priority::Informational,
                        debug: tracing_journald::Priority::Debug,
                        ..tracing_journald::PriorityMappings::new()
                    })
                    .with_custom_fields(
                        [("JOB", job)]
                            .into_iter()
                            .chain(request.map(|r| ("REQUEST_ID", r))),
                    );
                tracing_subscriber::registry()
                    .with(filter())
                    .with(Redacted::new(layer))
                    .init();
                return LogFormat::Journal;
            }
            Err(e) => {
                // Containers and CI have no journal socket: fall back to text, do not fail the job.
                eprintln!("{identifier}: the journal is not reachable ({e}); logging to stderr");
            }
        }
    }
    if wanted == LogFormat::Json {
        tracing_subscriber::registry()
            .with(filter())
            .with(Redacted::new(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_writer(std::io::stderr),
            ))
            .init();
        return LogFormat::Json;
    }
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    tracing_subscriber::registry()
        .with(filter())
        .with(Redacted::new(
            tracing_subscriber::fmt::layer()
                .with_writer(|| OneLine(std::io::stderr()))
                .with_ansi(colour)
                .with_target(false),
        ))
        .init();
    LogFormat::Text
}

/// A writer for the text format that keeps each event on one line: a line break inside an
/// event can only come from text a message quotes (a source's, say), and written as is it
/// would start a line that looks like a log line of its own. It is written as `\n`
/// (`\r` likewise); tracing-subscriber already escapes ESC. The JSON format escapes both, and
/// the journal keeps a message one entry whatever it holds.
struct OneLine<W>(W);

impl<W: Write> Write for OneLine<W> {
    /// One call per event: tracing-subscriber formats the whole event, then writes it at once.
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let (body, end) = match buf.strip_suffix(b"\n") {
            Some(body) => (body, b"\n".as_slice()),
            None => (buf, b"".as_slice()),
        };
        if !body.iter().any(|b| matches!(b, b'\n' | b'\r')) {
            return self.0.write_all(buf).map(|()| buf.len());
        }
        let mut line = Vec::with_capacity(buf.len() + 16);
        for &b in body {
            match b {
                b'\n' => line.extend_from_slice(b"\\n"),
                b'\r' => line.extend_from_slice(b"\\r"),
                b => line.push(b),
            }
        }
        line.extend_from_slice(end);
        self.0.write_all(&line).map(|()| buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Whether stderr is the journal stream systemd connected, as systemd.exec(5) says to check:
/// `JOURNAL_STREAM` holds `dev:inode` and must match stderr's, since a child whose stderr was
/// redirected inherits the variable too.
pub fn stderr_is_journal() -> bool {
    let Some(value) = std::env::var_os("JOURNAL_STREAM") else {
        return false;
    };
    let Ok(fd) = std::io::stderr().as_fd().try_clone_to_owned() else {
        return false;
    };
    let Ok(meta) = std::fs::File::from(fd).metadata() else {
        return false;
    };
    matches_stream(&value.to_string_lossy(), meta.dev(), meta.ino())
}

fn matches_stream(value: &str, dev: u64, ino: u64) -> bool {
    let Some((d, i)) = value.split_once(':') else {
        return false;
    };
    d.parse() == Ok(dev) && i.parse() == Ok(ino)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_break_inside_an_event_cannot_start_a_log_line() {
        let mut out = OneLine(Vec::new());
        let event =
            b"2026-11-20T10:00:00Z  WARN NIFTY50: `Ahom\n2026-11-20T10:00:01Z  INFO forged\r`\n";
        assert_eq!(out.write(event).unwrap(), event.len());
        out.write_all(b"2026-11-20T10:00:02Z  INFO plain\n")
            .unwrap();
        assert_eq!(
            String::from_utf8(out.0).unwrap(),
            "2026-11-20T10:00:00Z  WARN NIFTY50: `Ahom\\n2026-11-20T10:00:01Z  INFO forged\\r`\n\
             2026-11-20T10:00:02Z  INFO plain\n"
        );
    }

    #[test]
    fn journal_stream_must_match_device_and_inode() {
        assert!(matches_stream("8:1234", 8, 1234));
        assert!(!matches_stream("8:1234", 8, 1235));
        assert!(!matches_stream("9:1234", 8, 1234));
        assert!(!matches_stream("garbage", 8, 1234));
        assert!(!matches_stream("", 8, 1234));
    }
}
