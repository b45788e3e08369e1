//! db-maintenance and db-backup never run at once: a run waits for `locks/databases.lock`
//! (bounded by `lock_wait_secs`), then exits 75 naming its holder, recorded as skipped; and a
//! run whose wait sees the lock released goes on.

use std::time::Duration;

use common::lock::JobLock;
use testkit::Row;
use testkit::maintenance::{Maintenance, ago};

const HOLDER: &str = "db-backup, pid 4242 on desk1, started 2026-11-28T20:30:00.000Z";

#[test]
fn a_run_that_waits_out_lock_wait_secs_exits_75_naming_the_holder_and_changes_nothing() {
    let m = Maintenance::new(
        "[jobs.db-maintenance]\nlock_wait_secs = 1\n\
         [jobs.db-maintenance.retention]\ncandles_days = { \"1minute\" = 30 }\n",
    );
    m.minutes("NSE_EQ|A", ago(40, 0), 10);
    let path = m.sandbox.data_dir().join("locks/databases.lock");
    let held = JobLock::acquire(&path, HOLDER).unwrap();

    m.job().run().expect(
        75,
        &format!("waited 1s for the databases lock, shared with other jobs: another run holds the lock {} ({HOLDER})", path.display()),
        Row::status("skipped"),
    );
    assert_eq!(m.count("candles"), 10, "nothing was purged");
    drop(held);
}

#[test]
fn a_run_goes_on_once_the_lock_is_released_during_its_wait() {
    let m = Maintenance::new(
        "[jobs.db-maintenance]\nlock_wait_secs = 60\nbatch_pause_ms = 0\n\
         [jobs.db-maintenance.retention]\ncandles_days = { \"1minute\" = 30 }\n",
    );
    m.minutes("NSE_EQ|A", ago(40, 0), 10);
    let path = m.sandbox.data_dir().join("locks/databases.lock");
    let held = JobLock::acquire(&path, HOLDER).unwrap();
    let job = m.job();
    let child = job.spawn();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(m.count("candles"), 10, "it waited for the lock");
    drop(held);
    let out: testkit::Outcome = child.wait_with_output().unwrap().into();
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("waiting up to 60s for the databases lock"),
        "{}",
        out.stderr
    );
    assert!(
        out.summary()
            .contains("purged 10 rows (candles 1minute 10)"),
        "{}",
        out.summary()
    );
}
