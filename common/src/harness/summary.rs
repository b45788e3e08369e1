//! The end of a run as `job_runs` records it and the last log line says it: status, counts,
//! errors, exit code, and one line a person reads.

use std::fmt::Write as _;

use crate::exit::Exit;
use crate::harness::errors::{describe, exit_for};
use crate::harness::{Context, Job, Outcome, UnitError};
use crate::runs::{RunEnd, RunStatus};

/// Turns the units and the job's result into the recorded end of the run.
pub(crate) fn conclude<J: Job>(
    ctx: &Context<J::Config>,
    result: &anyhow::Result<Outcome>,
    took: chrono::Duration,
) -> RunEnd {
    let ok: Vec<_> = ctx.units.iter().filter(|(_, r)| r.is_ok()).collect();
    let failed: Vec<(&String, &UnitError)> = ctx
        .units
        .iter()
        .filter_map(|(n, r)| r.as_ref().err().map(|e| (n, e)))
        .collect();
    let rows: u64 = ok.iter().filter_map(|(_, r)| r.as_ref().ok()).sum();
    let total = ctx.units.len();
    let (one, many) = J::UNIT_NOUNS;
    let nouns = if total == 1 { one } else { many };
    let dry = if ctx.dry_run { " (dry run)" } else { "" };
    let mut errors: Vec<String> = failed
        .iter()
        .map(|(n, e)| format!("{n}: {}", e.message))
        .collect();
    let (status, mut exit) = match result {
        Err(e) => {
            errors.push(describe(e, &ctx.db_path()));
            (RunStatus::Failed, exit_for(e))
        }
        Ok(_) if ctx.stopped_early => {
            errors.push("stopped by a signal".to_string());
            let exit = if ctx.shutdown.signal() == Some(signal_hook::consts::SIGINT) {
                Exit::Interrupted
            } else {
                Exit::Terminated
            };
            (RunStatus::Interrupted, exit)
        }
        Ok(Outcome::Skipped(_)) => (RunStatus::Skipped, Exit::Success),
        Ok(Outcome::Done(_)) if failed.is_empty() => (RunStatus::Succeeded, Exit::Success),
        Ok(Outcome::Done(_)) if ok.is_empty() => {
            let first = failed[0].1.exit;
            let same = failed.iter().all(|(_, e)| e.exit == first);
            (RunStatus::Failed, if same { first } else { Exit::Failure })
        }
        Ok(Outcome::Done(_)) => (RunStatus::Partial, Exit::Failure),
    };
    if status == RunStatus::Failed && result.is_err() && exit == Exit::Success {
        exit = Exit::Failure;
    }
    let seconds = took.num_milliseconds() as f64 / 1000.0;
    let mut summary = String::new();
    let _ = write!(summary, "{}{dry} {status} in {seconds:.1}s: ", J::NAME);
    match result {
        Ok(Outcome::Skipped(reason)) => {
            let _ = write!(summary, "skipped, {reason}");
        }
        _ => {
            let _ = write!(summary, "{}/{total} {nouns} done", ok.len());
            if let Ok(Outcome::Done(detail)) = result
                && !detail.is_empty()
            {
                let _ = write!(summary, ", {detail}");
            }
            if !errors.is_empty() {
                let _ = write!(summary, "; errors: {}", errors.join("; "));
            }
        }
    }
    RunEnd {
        status,
        units_ok: ok.len() as u64,
        units_failed: failed.len() as u64,
        rows_changed: rows,
        summary,
        error: (!errors.is_empty()).then(|| errors.join("; ")),
        exit_code: exit.code(),
    }
}
