//! One fault-injection suite, the same for every job that talks to the outside (issue 18,
//! point 2): each job of the table in `testkit::faults::jobs` meets each fault (a source that
//! misbehaves in twelve ways, SIGTERM, kill -9 at random points, a second run at once, a
//! read-only and a full data directory, a missing key, an out-of-range value, an unreadable
//! credential). Every cell is run, the table printed, and only then does the test fail,
//! listing the cells that broke a documented promise.
//!
//! `FAULTS_SEED=N` replays the kill and signal points of an earlier run (its seed is printed);
//! `FAULTS_KILLS=N` changes the number of kill points per job (30 by default).

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use testkit::faults::report::{Cell, Verdict};
use testkit::faults::{jobs, report, run_job};

fn from_env(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

#[test]
fn every_job_keeps_its_documented_promises_under_every_fault() {
    let seed = from_env("FAULTS_SEED").unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("a clock after 1970")
            .as_nanos() as u64
    });
    let kills = from_env("FAULTS_KILLS").unwrap_or(30) as usize;
    println!(
        "fault suite: seed {seed} (FAULTS_SEED={seed} replays it), {kills} kill points per job"
    );
    let started = Instant::now();
    // The jobs are independent (own servers, own sandboxes): one thread each.
    let cells: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = jobs::table()
            .into_iter()
            .map(|spec| (spec.job, scope.spawn(move || run_job(&spec, seed, kills))))
            .collect();
        // A job whose checks panicked is a broken cell, not the loss of every other's.
        handles
            .into_iter()
            .flat_map(|(job, h)| {
                h.join().unwrap_or_else(|panic| {
                    let text = panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default();
                    vec![Cell {
                        job,
                        fault: "the suite".to_string(),
                        verdict: Verdict::Broken("panicked".to_string(), text),
                    }]
                })
            })
            .collect()
    });
    println!("{}", report::render(&cells));
    println!("fault suite: {:.0} s", started.elapsed().as_secs_f64());
    let broken = report::broken(&cells);
    assert!(
        broken.is_empty(),
        "{} cells broke a documented promise (seed {seed}):\n{}",
        broken.len(),
        broken.join("\n")
    );
}
