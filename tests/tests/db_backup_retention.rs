//! Retention over 400 simulated days (the pinned clock: a run at 02:00 IST each day), against
//! the list written by hand; and nothing deleted after a run in which a backup failed.

use chrono::{Duration, NaiveDate};
use testkit::backups::{BackupWorld, fill};

/// What 400 daily runs up to Saturday 2026-12-05 leave: the last 7 days, the newest of ISO
/// weeks 46 and 47 (weeks 48 and 49 end inside the 7 days), and the last day of each month
/// back to January (November's, the 30th, is among the 7 days).
const EXPECTED: [&str; 19] = [
    "2026-01-31",
    "2026-02-28",
    "2026-03-31",
    "2026-04-30",
    "2026-05-31",
    "2026-06-30",
    "2026-07-31",
    "2026-08-31",
    "2026-09-30",
    "2026-10-31",
    "2026-11-15",
    "2026-11-22",
    "2026-11-29",
    "2026-11-30",
    "2026-12-01",
    "2026-12-02",
    "2026-12-03",
    "2026-12-04",
    "2026-12-05",
];

#[test]
fn four_hundred_daily_runs_leave_exactly_the_backups_written_by_hand() {
    let world = BackupWorld::new("");
    world
        .sandbox
        .write_config("[jobs.db-backup]\ndatabases = [\"desk.db\"]\n");
    fill(&world.desk(), 10, 10);
    let last = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
    for n in (0..400).rev() {
        let day = last - Duration::days(n);
        world
            .job()
            .at(format!("{day} 02:00 IST").as_str())
            .run()
            .ok();
    }
    let dates: Vec<String> = world
        .files()
        .iter()
        .filter_map(|f| f.strip_suffix("-020000.db.zst"))
        .map(|stem| {
            let d = stem.trim_start_matches("desk-");
            format!("{}-{}-{}", &d[..4], &d[4..6], &d[6..8])
        })
        .collect();
    assert_eq!(dates, EXPECTED);
    // Each backup kept has its manifest, and nothing else is left: the drill record only.
    assert_eq!(
        world.files().len(),
        2 * EXPECTED.len() + 1,
        "{:?}",
        world.files()
    );
}

#[test]
fn a_run_in_which_a_backup_failed_deletes_nothing() {
    let world = BackupWorld::new("");
    world.sandbox.write_config(
        "[jobs.db-backup]\ndatabases = [\"desk.db\", \"broken.db\"]\nkeep_daily = 2\nkeep_weekly = 0\nkeep_monthly = 0\n",
    );
    fill(&world.desk(), 10, 10);
    std::fs::write(world.sandbox.data_dir().join("broken.db"), vec![b'x'; 8192]).unwrap();
    let days = ["2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04"];
    // Good days first (broken.db set aside), then a run with it back.
    let broken = world.sandbox.data_dir().join("broken.db");
    let aside = world.sandbox.data_dir().join("aside");
    std::fs::rename(&broken, &aside).unwrap();
    for day in &days[..3] {
        world
            .job()
            .at(format!("{day} 02:00 IST").as_str())
            .run()
            .ok();
    }
    assert_eq!(
        world.backups_of("desk").len(),
        2,
        "retention works: {:?}",
        world.files()
    );
    std::fs::rename(&aside, &broken).unwrap();
    let before = world.backups_of("desk");
    world.job().at("2026-12-04 02:00 IST").run().expect(
        1,
        "broken.db",
        testkit::Row::status("partial").units(1, 1),
    );
    let after = world.backups_of("desk");
    assert_eq!(after.len(), 3, "{:?}", world.files());
    assert!(before.iter().all(|b| after.contains(b)));
    // Without the broken database, the next run applies retention again.
    std::fs::remove_file(&broken).unwrap();
    world.job().at("2026-12-05 02:00 IST").run().ok();
    assert_eq!(world.backups_of("desk").len(), 2);
}
