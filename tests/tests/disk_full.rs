//! A data directory whose file system fills up mid-run: on a small tmpfs, mounted in a user and
//! mount namespace of its own (`testkit::namespace`), so it needs no root and leaves nothing
//! mounted.
//! Every run ends recorded with its cause, never `running` nor taken for a crash, and a lock
//! file that cannot be written says the disk is full.

use std::path::Path;

use testkit::binary::binary;
use testkit::namespace;
use testkit::nse::setup;
use testkit::run::job_runs;

/// In the namespace: a 2 MiB tmpfs on the data directory, a first run that creates the
/// database, a filler that leaves `free_kib` KiB free, the run under test, then the filler
/// removed and a run that finds what the one under test left. Returns (stderr of the run under
/// test, what its lock file held after it, stderr of the next run); the data directory's files
/// are copied to `out` before the namespace ends.
fn fill_and_run(sandbox: &testkit::Sandbox, free_kib: u64, out: &Path) -> (String, String, String) {
    let bin = binary("upstox-nse-index-update");
    let (config, data) = (sandbox.path().join("config.toml"), sandbox.data_dir());
    std::fs::create_dir_all(&data).unwrap();
    let run = |args: &str, log: &str| {
        format!(
            "'{}' --config '{}' --data-dir '{}' --force --log-format text {args} 2>'{}/{log}'",
            bin.display(),
            config.display(),
            data.display(),
            out.display()
        )
    };
    let script = format!(
        "set -e; mount -t tmpfs -o size=2m tmpfs '{d}'; {first} || true; \
         avail=$(df -k '{d}' | awk 'NR==2 {{print $4}}'); \
         dd if=/dev/zero of='{d}/filler' bs=1k count=$((avail - {free_kib})) 2>/dev/null || true; \
         {tested} || true; cat '{d}/locks/nse-index-update.lock' > '{o}/lock' 2>/dev/null || true; \
         rm '{d}/filler'; {next} || true; cp -a '{d}/.' '{o}/data'",
        d = data.display(),
        o = out.display(),
        first = run("--index NIFTYBANK", "first"),
        tested = run("", "tested"),
        next = run("--index NIFTYBANK", "next"),
    );
    std::fs::create_dir_all(out.join("data")).unwrap();
    let done = namespace::unshare(&script).output().unwrap();
    assert!(
        done.status.success(),
        "{free_kib} KiB: {}",
        String::from_utf8_lossy(&done.stderr)
    );
    let read = |name: &str| std::fs::read_to_string(out.join(name)).unwrap_or_default();
    (read("tested"), read("lock"), read("next"))
}

#[test]
fn a_disk_that_fills_mid_run_leaves_every_run_recorded_with_its_cause() {
    if let Err(why) = namespace::available() {
        println!("skipped: {why}");
        return;
    }
    let mut end_not_recorded = 0;
    let mut lock_not_written = 0;
    for free_kib in (0..=64).step_by(4) {
        let s = setup();
        let out = tempfile::tempdir().unwrap();
        let (tested, lock, next) = fill_and_run(&s.sandbox, free_kib, out.path());
        let context = format!("{free_kib} KiB free\n--- run:\n{tested}\n--- next run:\n{next}");
        assert!(!tested.contains("panicked"), "{context}");
        if tested.contains("cannot open the lock file") {
            lock_not_written += 1;
            assert!(
                tested.contains("the file system of the data directory is full: free some space"),
                "{context}"
            );
            assert!(!tested.contains("this user can write"), "{context}");
        }
        if tested.contains("cannot record the end of the run") {
            end_not_recorded += 1;
        }
        let conn = rusqlite::Connection::open(out.path().join("data/market_data.db")).unwrap();
        let runs = job_runs(&conn);
        for run in &runs {
            assert!(
                run.status != "running" && run.status != "interrupted",
                "a full disk is no crash: {run:?}\n{context}"
            );
            if run.status == "failed" {
                let error = run.error.as_deref().unwrap_or_default();
                assert!(error.contains("disk is full"), "{run:?}\n{context}");
            }
        }
        assert!(
            lock.is_empty() || next.contains("could not record its end; recorded now as failed"),
            "a note left in the lock file is taken by the next run: {lock}\n{context}"
        );
    }
    // The sizes where the disk fills up in the middle are what this test is for.
    assert!(
        end_not_recorded > 0,
        "no size left the end of a run unwritten"
    );
    assert!(
        lock_not_written > 0,
        "no size left the lock file unwritable"
    );
}
