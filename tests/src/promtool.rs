//! Prometheus' own parser as the judge of a metrics text.

use std::io::Write;
use std::process::{Command, Stdio};

/// Asserts that `promtool check metrics` (which also lints names, HELP and TYPE) accepts
/// `text` without a word.
pub fn check_metrics(text: &str) {
    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool runs: apt-get install --no-install-recommends prometheus");
    promtool
        .stdin
        .take()
        .expect("promtool's standard input")
        .write_all(text.as_bytes())
        .expect("the text written to promtool");
    let out = promtool.wait_with_output().expect("promtool's verdict");
    assert!(
        out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
        "promtool check metrics: {}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
