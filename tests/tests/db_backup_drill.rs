//! The restore drill: run by the timer's run when the last one is a week old, and by `drill`;
//! each a unit recorded in job_runs, a success as a success and a damaged backup as a failure.

use testkit::Row;
use testkit::backups::{BackupWorld, fill};

#[test]
fn the_drill_runs_weekly_and_records_success_and_failure() {
    let world = BackupWorld::new("");
    world
        .sandbox
        .write_config("[jobs.db-backup]\ndatabases = [\"desk.db\"]\n");
    fill(&world.desk(), 1_000, 32);
    // First run: never drilled, so the drill runs: two units, the backup and its drill.
    world.job().at("2026-12-01 02:00 IST").run().expect(
        0,
        "1 restore drills passed",
        Row::status("succeeded").units(2, 0),
    );
    // Three days later the drill is not due.
    let quiet = world.job().at("2026-12-04 02:00 IST").run().expect(
        0,
        "1 backed up",
        Row::status("succeeded").units(1, 0),
    );
    assert!(!quiet.summary().contains("drill"), "{}", quiet.summary());
    // `drill` runs it now; the newest backup passes.
    world
        .job()
        .at("2026-12-04 03:00 IST")
        .arg("drill")
        .run()
        .expect(
            0,
            "1 restore drills passed",
            Row::status("succeeded").units(1, 0),
        );

    // The newest backup damaged: the drill fails, recorded as such, naming it.
    let newest = world.backups_of("desk").pop().unwrap();
    std::fs::write(&newest, b"not zstd").unwrap();
    world
        .job()
        .at("2026-12-04 04:00 IST")
        .arg("drill")
        .run()
        .expect(
            65,
            "the restore drill of",
            Row::status("failed")
                .units(0, 1)
                .error("drill desk: the restore drill of"),
        );
    // A week after the last successful drill, the timer's run drills again (a new backup).
    world.job().at("2026-12-11 04:00 IST").run().expect(
        0,
        "1 restore drills passed",
        Row::status("succeeded").units(2, 0),
    );
}
