//! kill -9 or SIGTERM while a backup is being compressed: nothing is left under a final name,
//! and the next run removes any hidden files and backs up as usual.

use std::process::Child;
use std::time::{Duration, Instant};

use common::backups::is_temporary;
use testkit::backups::{BackupWorld, fill, has_final_names};

#[test]
fn a_kill_during_a_backup_leaves_no_file_under_a_final_name() {
    let world = BackupWorld::new("");
    let mut child = paused(&world, "db-backup::compressing=sleep(60000)");
    child.kill().unwrap();
    child.wait().unwrap();
    let left = world.files();
    assert!(!has_final_names(&world.dir()), "{left:?}");
    assert!(left.iter().all(|f| is_temporary(f)), "{left:?}");

    let next = world.run(&[]).ok();
    assert!(
        next.stderr.contains("left by a run that did not finish"),
        "{}",
        next.stderr
    );
    let files = world.files();
    assert!(files.iter().all(|f| !is_temporary(f)), "{files:?}");
    assert_eq!(world.backups_of("desk").len(), 1, "{files:?}");
    let runs = testkit::run::job_runs(&world.sandbox.db());
    assert_eq!(runs[0].status, "interrupted", "{runs:?}");
}

/// SIGTERM while a large copy is being compressed: the run stops at the next MiB rather than
/// finishing a backup of gigabytes after systemd asked the unit to stop, and leaves what a
/// kill leaves: nothing under a final name, the run `interrupted` and exit 143.
#[test]
fn a_sigterm_during_a_backup_stops_it_at_the_next_mib() {
    let world = BackupWorld::new("");
    // Several MiB, so several pauses: the job would finish the copy if it did not look.
    let child = paused(&world, "db-backup::compressing=sleep(500)");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(143), "{stderr}");
    assert!(stderr.contains("stopped while compressing"), "{stderr}");
    let left = world.files();
    assert!(!has_final_names(&world.dir()), "{left:?}");
    assert!(left.is_empty(), "{left:?}");
    let runs = testkit::run::job_runs(&world.sandbox.db());
    assert_eq!(runs[0].status, "interrupted", "{runs:?}");
}

/// The backup of a 4 MiB desk.db started with `failpoints`, once it is compressing.
fn paused(world: &BackupWorld, failpoints: &str) -> Child {
    world
        .sandbox
        .write_config("[jobs.db-backup]\ndatabases = [\"desk.db\"]\n");
    fill(&world.desk(), 20_000, 200);
    let child = world.job().env("FAILPOINTS", failpoints).spawn();
    let started = Instant::now();
    while !world.files().iter().any(|f| f.ends_with(".db.zst.tmp")) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "never paused: {:?}",
            world.files()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}
