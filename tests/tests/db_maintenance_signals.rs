//! SIGTERM between two purge batches: the batches before it stay committed, the run stops
//! before the next one and is recorded interrupted (143); the next run purges the rest.

use std::time::{Duration, Instant};

use testkit::Row;
use testkit::maintenance::{Maintenance, ago};
use testkit::run::last_run;

#[test]
fn sigterm_between_batches_keeps_what_was_committed_and_records_interrupted() {
    let m = Maintenance::new(
        "[jobs.db-maintenance]\nbatch_rows = 100\nbatch_pause_ms = 1000\n\
         [jobs.db-maintenance.retention]\ncandles_days = { \"1minute\" = 30 }\n",
    );
    m.minutes("NSE_EQ|A", ago(30, -1000 * 60), 1000);

    let job = m.job();
    let child = job.spawn();
    // Waits for the first batch's commit, then signals during the pause after it.
    let waited = Instant::now();
    while m.count("candles") == 1000 {
        assert!(
            waited.elapsed() < Duration::from_secs(60),
            "no batch was committed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let out: testkit::Outcome = child.wait_with_output().unwrap().into();
    assert_eq!(out.code, Some(143), "{}", out.stderr);
    assert!(
        out.summary()
            .contains("0 of 1 database done, 0 failed, 1 not reached: stopped by SIGTERM")
            && out
                .summary()
                .contains("before the stop; each batch is committed"),
        "{}",
        out.summary()
    );
    let left = m.count("candles");
    assert!(
        (1..1000).contains(&left) && left % 100 == 0,
        "{left} bars left: whole batches only"
    );
    let run = last_run(&m.db());
    assert_eq!(
        (run.status.as_str(), run.exit_code),
        ("interrupted", Some(143))
    );

    let unpaused = "[jobs.db-maintenance]\nbatch_rows = 100\nbatch_pause_ms = 0\n\
                    [jobs.db-maintenance.retention]\ncandles_days = { \"1minute\" = 30 }\n";
    m.job().config(unpaused).run().expect(
        0,
        &format!("purged {left} rows (candles 1minute {left})"),
        Row::status("succeeded"),
    );
    assert_eq!(m.count("candles"), 0);
}
