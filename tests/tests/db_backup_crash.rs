//! kill -9 while a backup is being compressed: nothing is left under a final name, and the
//! next run removes the hidden files and backs up as usual.

use std::time::{Duration, Instant};

use common::backups::is_temporary;
use testkit::backups::{BackupWorld, fill, has_final_names};

#[test]
fn a_kill_during_a_backup_leaves_no_file_under_a_final_name() {
    let world = BackupWorld::new("");
    world
        .sandbox
        .write_config("[jobs.db-backup]\ndatabases = [\"desk.db\"]\n");
    fill(&world.desk(), 20_000, 200);
    let mut child = world
        .job()
        .env("FAILPOINTS", "db-backup::compressing=sleep(60000)")
        .spawn();
    let started = Instant::now();
    while !world.files().iter().any(|f| f.ends_with(".db.zst.tmp")) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "never paused: {:?}",
            world.files()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
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
