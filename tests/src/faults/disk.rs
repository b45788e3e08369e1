//! The cells of a data directory the job cannot write: mounted read-only, or on a file system
//! with no space left. Both are made in a user and mount namespace of their own
//! (`crate::namespace`), so they need no root, work as root (whom a mode bit does not stop)
//! and leave nothing mounted.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::faults::checks::Clean;
use crate::faults::jobs::{JobSpec, World};
use crate::faults::report::{Verdict, seen};
use crate::faults::state::{copy_dir, damage, dump};
use crate::namespace;

/// Why the two cells do not apply where a user namespace with a tmpfs is refused (as the
/// disk-full tests skip there).
const NO_NAMESPACE: &str =
    "this machine refuses a tmpfs in a user namespace (see tests/src/namespace.rs)";

/// `'text'` for sh.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// `script` (which ends with `$RUN`, the job's scheduled run) in a namespace, with the job's
/// environment; returns (exit code, stderr, seconds).
fn in_namespace(world: &World, script: &str) -> (Option<i32>, String, std::time::Duration) {
    let job = world.job().command();
    let run = std::iter::once(job.get_program())
        .chain(job.get_args())
        .map(|a| quoted(&a.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(" ");
    let mut cmd = namespace::unshare(&script.replace("$RUN", &run));
    for (key, value) in job.get_envs() {
        match value {
            Some(v) => cmd.env(key, v),
            None => cmd.env_remove(key),
        };
    }
    let started = Instant::now();
    let out = cmd.stdin(Stdio::null()).output().expect("unshare runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        started.elapsed(),
    )
}

fn summary(stderr: &str) -> &str {
    stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
}

/// What a run on an unwritable data directory must show: exit 73 or 74, a summary that says
/// which of `words` is the matter, no panic.
fn judge(code: Option<i32>, stderr: &str, words: &[&str]) -> Vec<String> {
    let mut why = Vec::new();
    if !code.is_some_and(|c| c == 73 || c == 74) {
        why.push(format!(
            "exit code not among the documented [73, 74]: {}",
            summary(stderr)
        ));
    } else if !words.iter().any(|w| summary(stderr).contains(w)) {
        why.push(format!("the summary does not say so: {}", summary(stderr)));
    }
    if let Some(line) = stderr.lines().find(|l| l.contains("panicked at")) {
        why.push(format!("panicked: {line}"));
    }
    why
}

/// The data directory (as the clean run left it) mounted read-only.
pub fn read_only(spec: &JobSpec, world: &World, clean: &Clean) -> Verdict {
    if namespace::available().is_err() {
        return Verdict::NotApplicable(NO_NAMESPACE);
    }
    let data = quoted(&world.sandbox().data_dir().display().to_string());
    let script = format!("mount --bind {data} {data} && mount -o remount,bind,ro {data} && $RUN");
    let (code, stderr, took) = in_namespace(world, &script);
    let mut why = judge(
        code,
        &stderr,
        &["read-only", "Read-only", "readonly", "permission"],
    );
    why.extend(damage(&world.sandbox().data_dir()));
    if dump(&world.sandbox().db_path(), spec.tables) != clean.dump {
        why.push("the job's tables changed on a read-only directory".to_string());
    }
    Verdict::judge(seen(code, took), why)
}

/// The data directory (as the clean run left it) on a file system with no space left.
pub fn full(spec: &JobSpec, world: &World, clean: &Clean, scratch: &Path) -> Verdict {
    if namespace::available().is_err() {
        return Verdict::NotApplicable(NO_NAMESPACE);
    }
    let copy = scratch.join("before");
    let after = scratch.join("after");
    copy_dir(&world.sandbox().data_dir(), &copy);
    std::fs::create_dir_all(&after).expect("a directory for what the run left");
    let (data, copy_q, after_q) = (
        quoted(&world.sandbox().data_dir().display().to_string()),
        quoted(&copy.display().to_string()),
        quoted(&after.display().to_string()),
    );
    let script = format!(
        "set -e; mount -t tmpfs -o size=64m tmpfs {data}; cp -a {copy_q}/. {data}/; \
         dd if=/dev/zero of={data}/filler bs=64k 2>/dev/null || true; \
         set +e; $RUN; rc=$?; rm -f {data}/filler; cp -a {data}/. {after_q}/; exit $rc"
    );
    let (code, stderr, took) = in_namespace(world, &script);
    let mut why = judge(code, &stderr, &["full", "No space", "space"]);
    why.extend(damage(&after));
    if dump(&after.join("market_data.db"), spec.tables) != clean.dump {
        why.push("the job's tables changed on a full disk".to_string());
    }
    let _ = Command::new("rm").arg("-rf").arg(scratch).status();
    Verdict::judge(seen(code, took), why)
}
