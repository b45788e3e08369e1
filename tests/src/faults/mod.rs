//! The fault-injection suite (tests/tests/faults.rs): every job of one table meets every fault
//! of one list, and each meeting is a cell of the printed report.

pub mod checks;
pub mod crashes;
pub mod disk;
pub mod jobs;
pub mod process;
pub mod report;
pub mod server;
pub mod state;

use std::time::Duration;

use checks::Clean;
use jobs::JobSpec;
use process::Rng;
use report::{Cell, Verdict};
use server::HttpFault;

/// Runs every fault against `spec`'s job, in its own world, the kill points drawn from
/// `seed`; returns its cells in the report's order.
pub fn run_job(spec: &JobSpec, seed: u64, kill_points: usize) -> Vec<Cell> {
    let mut cells = Vec::new();
    let mut cell = |fault: &str, verdict: Verdict| {
        cells.push(Cell {
            job: spec.job,
            fault: fault.to_string(),
            verdict,
        })
    };
    let world = (spec.world)();
    let sandbox = world.sandbox();
    std::fs::create_dir_all(sandbox.data_dir()).expect("the data directory");
    let seed_dir = sandbox.path().join("seed");
    state::copy_dir(&sandbox.data_dir(), &seed_dir);
    let config = world.config();
    let run = checks::watched_run(&world);
    let clean = Clean {
        config,
        dump: state::dump(&sandbox.db_path(), spec.tables),
        // At least a little, so that the random points have room.
        took: run.took.max(Duration::from_millis(50)),
    };
    if run.code != Some(0) || clean.dump.is_empty() && !spec.tables.is_empty() {
        cell(
            "clean run",
            Verdict::Broken(
                report::seen(run.code, run.took),
                format!("the clean run failed or wrote nothing: {}", run.summary()),
            ),
        );
        return cells;
    }
    cell(
        "clean run",
        Verdict::Kept(format!(
            "{}, {} rows",
            report::seen(run.code, run.took),
            clean.dump.len()
        )),
    );
    for fault in HttpFault::ALL {
        let verdict = if spec.talks {
            checks::http(spec, &world, &clean, fault)
        } else {
            Verdict::NotApplicable("talks to no server (db-backup's offsite copy is a directory)")
        };
        cell(fault.label(), verdict);
    }
    // Each job its own points from the one printed seed.
    let mut rng = Rng::new(
        spec.job
            .bytes()
            .fold(seed, |h, b| h.rotate_left(7) ^ u64::from(b)),
    );
    cell(
        "SIGTERM",
        crashes::sigterm(spec, &world, &clean, &seed_dir, &mut rng),
    );
    cell(
        &format!("kill -9 ×{kill_points}"),
        crashes::kill9(spec, &world, &clean, &seed_dir, &mut rng, kill_points),
    );
    cell(
        "concurrent",
        crashes::concurrent(spec, &world, &clean, &seed_dir),
    );
    cell("read-only dir", disk::read_only(spec, &world, &clean));
    cell(
        "full dir",
        disk::full(spec, &world, &clean, &sandbox.path().join("full")),
    );
    cell("missing key", checks::missing_key(&world, &clean));
    cell("out of range", checks::out_of_range(&world, &clean));
    cell(
        "unreadable credential",
        checks::unreadable_credential(spec, &world, &clean),
    );
    cells
}
