//! The cells that stop or race a run from outside: SIGTERM at a random point, kill -9 at
//! random points, two runs at once. Each starts from the data directory as it was before the
//! clean run (the seed), so that the run under test has the clean run's writes to make.

use std::path::Path;

use crate::faults::checks::{Clean, common_breaks, left_behind, pointed_at, watched_run};
use crate::faults::jobs::{JobSpec, World};
use crate::faults::process::{Rng, WATCHDOG, Watched, timeout_stop};
use crate::faults::report::{Verdict, seen};
use crate::faults::server::{FaultServer, HttpFault};
use crate::faults::state::{copy_dir, damage, running_rows, runs_of};

/// Puts the data directory back as it was before the clean run.
pub fn restore(world: &World, seed: &Path) {
    copy_dir(seed, &world.sandbox().data_dir());
}

/// SIGTERM at a random point of the run: it ends within its unit's `TimeoutStopSec` with
/// exit 143 and its row `interrupted` (no row if the signal came before it had one). A job
/// with sources has them stall, so that the signal finds it in the middle of its work, where
/// a fast loopback source would often let it finish first; a job without sources is paused
/// mid-work by its `hold` failpoint for the same reason.
pub fn sigterm(
    spec: &JobSpec,
    world: &World,
    clean: &Clean,
    seed: &Path,
    rng: &mut Rng,
) -> Verdict {
    let unit = std::fs::read_to_string(spec.unit()).unwrap_or_default();
    let limit = timeout_stop(&unit);
    restore(world, seed);
    let stall = world.upstream.as_deref().map(|upstream| {
        let server = FaultServer::start(HttpFault::Stall);
        world
            .sandbox()
            .write_config(&pointed_at(clean, upstream, &server));
        server
    });
    let job = match spec.hold.filter(|_| stall.is_none()) {
        Some(hold) => world.job().env("FAILPOINTS", hold),
        None => world.job(),
    };
    let mut run = Watched::new(job.spawn());
    std::thread::sleep(rng.delay(clean.took));
    let ended = run.ended();
    if !ended {
        run.terminate();
    }
    let done = run.finish(limit);
    drop(stall);
    world.sandbox().write_config(&clean.config);
    if ended {
        return Verdict::Kept(format!(
            "{}, ended before the signal",
            seen(done.code, done.took)
        ));
    }
    let sandbox = world.sandbox();
    let row = runs_of(&sandbox.db_path())
        .into_iter()
        .find(|r| r.pid == i64::from(done.pid));
    let mut text = seen(done.code, done.took);
    text.push_str(&format!(" (limit {} s)", limit.as_secs()));
    // A signal in the first milliseconds, before the harness installs its handler (right
    // after parsing the command line), ends the process as SIGTERM does by default, which
    // systemd counts as a clean stop; nothing was written yet, so there is nothing to record.
    let at_start_up = done.code.is_none() && !done.hung && row.is_none();
    let mut why = if at_start_up {
        text.push_str(", before its handler");
        Vec::new()
    } else {
        common_breaks(&done)
    };
    if done.code != Some(143) && !at_start_up {
        why.push("exit code is not 143".to_string());
    }
    if let Some(row) = row.filter(|r| r.status != "interrupted") {
        why.push(format!("recorded {}, not interrupted", row.status));
    }
    why.extend(damage(&sandbox.data_dir()));
    why.extend(running_rows(sandbox));
    Verdict::judge(text, why)
}

/// kill -9 at `points` random points within a clean run's duration, each from the seed:
/// the databases pass their integrity check, the next run completes and leaves the job's
/// tables equal to the clean run's, and no run is left `running`.
pub fn kill9(
    spec: &JobSpec,
    world: &World,
    clean: &Clean,
    seed: &Path,
    rng: &mut Rng,
    points: usize,
) -> Verdict {
    if spec.tables.is_empty() {
        return Verdict::NotApplicable(
            "writes files, not tables; db_backup_crash.rs kills it mid-copy",
        );
    }
    let started = std::time::Instant::now();
    // The window is measured again here, from the seed and under the load of this moment:
    // the clean run, made while every job's world was starting, is often slower.
    restore(world, seed);
    let window = watched_run(world).took.min(clean.took);
    let mut mid_run = 0;
    for point in 0..points {
        restore(world, seed);
        let mut run = Watched::new(world.job().spawn());
        let delay = rng.delay(window);
        std::thread::sleep(delay);
        if !run.ended() {
            mid_run += 1;
        }
        run.kill();
        let _ = run.finish(WATCHDOG);
        let at = format!("kill {} at {} ms", point + 1, delay.as_millis());
        let mut why: Vec<String> = damage(&world.sandbox().data_dir())
            .into_iter()
            .map(|d| format!("{at}: {d}"))
            .collect();
        let next = watched_run(world);
        if next.code != Some(0) {
            why.push(format!(
                "{at}: the next run ended {}: {}",
                seen(next.code, next.took),
                next.summary()
            ));
        }
        why.extend(
            left_behind(spec, world, clean)
                .into_iter()
                .map(|w| format!("{at}, then a run: {w}")),
        );
        if !why.is_empty() {
            return Verdict::Broken(
                format!("{mid_run} of {} kills mid-run", point + 1),
                why.join("; "),
            );
        }
    }
    Verdict::Kept(format!(
        "{points} kills ({mid_run} mid-run), {:.1} s",
        started.elapsed().as_secs_f64()
    ))
}

/// Two runs started together: each exits 0 or, the lock held, 75 naming the holder; the
/// tables end as one clean run leaves them.
pub fn concurrent(spec: &JobSpec, world: &World, clean: &Clean, seed: &Path) -> Verdict {
    restore(world, seed);
    let first = Watched::new(world.job().spawn());
    let second = Watched::new(world.job().spawn());
    let (a, b) = (first.finish(WATCHDOG), second.finish(WATCHDOG));
    let mut why = Vec::new();
    for run in [&a, &b] {
        why.extend(common_breaks(run));
        match run.code {
            Some(0) => {}
            Some(75) if run.summary().contains("holds the lock") => {}
            Some(75) => why.push(format!(
                "exit 75 without naming the holder: {}",
                run.summary()
            )),
            _ => why.push(format!("{}: {}", seen(run.code, run.took), run.summary())),
        }
    }
    if a.code != Some(0) && b.code != Some(0) {
        why.push("neither run did the work".to_string());
    }
    why.extend(left_behind(spec, world, clean));
    let codes =
        |r: &crate::faults::process::Finished| r.code.map_or("killed".into(), |c| c.to_string());
    let took = a.took.max(b.took);
    Verdict::judge(
        format!(
            "exit {}+{}, {:.1} s",
            codes(&a),
            codes(&b),
            took.as_secs_f64()
        ),
        why,
    )
}
