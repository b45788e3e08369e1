//! The second destination: a copy of each backup with its own retention; when it cannot be
//! written the run fails visibly and the local backups stay.

use testkit::Row;
use testkit::backups::{BackupWorld, files, fill};

#[test]
fn each_backup_is_copied_offsite_and_a_failing_destination_fails_the_run() {
    let world = BackupWorld::new("");
    let offsite = world.sandbox.path().join("usb/upstox-jobs");
    world.sandbox.write_config(&format!(
        "[jobs.db-backup]\ndatabases = [\"desk.db\"]\noffsite_dir = \"{}\"\n\
         offsite_keep_daily = 1\noffsite_keep_weekly = 0\noffsite_keep_monthly = 0\n",
        offsite.display()
    ));
    fill(&world.desk(), 500, 32);
    for day in ["2026-12-01", "2026-12-02"] {
        world
            .job()
            .at(format!("{day} 02:00 IST").as_str())
            .run()
            .ok();
    }
    // Locally both days are kept; offsite one day only.
    assert_eq!(world.backups_of("desk").len(), 2);
    assert_eq!(
        files(&offsite),
        [
            "desk-20261202-020000.db.zst",
            "desk-20261202-020000.manifest.json"
        ]
    );
    let local = world.dir().join("desk-20261202-020000.db.zst");
    assert_eq!(
        std::fs::read(&local).unwrap(),
        std::fs::read(offsite.join("desk-20261202-020000.db.zst")).unwrap()
    );

    // The destination is gone (a file where the mount was): 73, and the local backup is made.
    std::fs::remove_dir_all(world.sandbox.path().join("usb")).unwrap();
    std::fs::write(world.sandbox.path().join("usb"), b"").unwrap();
    world.job().at("2026-12-03 02:00 IST").run().expect(
        1,
        "offsite desk: cannot create the offsite directory",
        Row::status("partial").units(1, 1),
    );
    assert_eq!(world.backups_of("desk").len(), 3);
}
