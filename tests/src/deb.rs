//! What the package tests share: the checkout, commands whose output they read, and lintian.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The top of the checkout, where `make` writes target/.
pub fn top() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The standard output of `cmd`, which must succeed.
pub fn output(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// Asserts that lintian finds neither an error nor a warning in the package at `deb`.
pub fn assert_lintian_clean(deb: &Path) {
    let out = Command::new("lintian")
        .arg("--fail-on")
        .arg("error,warning")
        .arg(deb)
        .output()
        .expect("lintian is installed (.ci/run installs it)");
    let text = String::from_utf8_lossy(&out.stdout);
    let tags: Vec<_> = text
        .lines()
        .filter(|l| l.starts_with("E:") || l.starts_with("W:"))
        .collect();
    assert!(
        tags.is_empty() && out.status.success(),
        "lintian:\n{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
