//! The end of a run as `job_runs` records it and the last log line says it: status, counts,
//! errors, exit code, and one line a person reads.

use std::fmt::Write as _;

use crate::exit::Exit;
use crate::harness::context::Stop;
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
    let count = Count::of(ctx);
    let (one, many) = J::UNIT_NOUNS;
    let nouns = if count.total == 1 { one } else { many };
    let dry = if ctx.dry_run { " (dry run)" } else { "" };
    let mut errors: Vec<String> = failed
        .iter()
        .map(|(n, e)| format!("{n}: {}", e.message))
        .collect();
    // A stop asked for is `interrupted`, whatever was in flight when it came (a request cut
    // short ends the run with an error); a signal after the last unit changes nothing.
    let signalled =
        ctx.shutdown.requested() && (result.is_err() || matches!(ctx.stop, Some(Stop::Signal)));
    let stopped = match (&ctx.stop, signalled) {
        (_, true) => Some(match ctx.shutdown.signal() {
            Some(signal_hook::consts::SIGINT) => "stopped by SIGINT".to_string(),
            _ => "stopped by SIGTERM".to_string(),
        }),
        (Some(Stop::Halted(halt)), false) => Some(halt.to_string()),
        _ => None,
    };
    let (status, mut exit) = match result {
        _ if signalled => {
            if let Err(e) = result {
                errors.push(describe(e, &ctx.db_path()));
            }
            errors.extend(stopped.clone());
            let exit = if ctx.shutdown.signal() == Some(signal_hook::consts::SIGINT) {
                Exit::Interrupted
            } else {
                Exit::Terminated
            };
            (RunStatus::Interrupted, exit)
        }
        Err(e) => {
            errors.push(describe(e, &ctx.db_path()));
            (RunStatus::Failed, exit_for(e))
        }
        // The source or the deadline ended the run: what was done is kept (1), and when
        // nothing was, the exit code says why (69 unavailable, 75 rate-limited).
        Ok(_) if let Some(Stop::Halted(halt)) = &ctx.stop => {
            errors.push(halt.to_string());
            if ok.is_empty() {
                (RunStatus::Failed, halt.exit())
            } else {
                (RunStatus::Partial, Exit::Failure)
            }
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
        _ if count.not_reached > 0 || stopped.is_some() => {
            let _ = write!(
                summary,
                "{} of {} {nouns} done, {} failed, {} not reached",
                count.done, count.total, count.failed, count.not_reached
            );
            if let Some(why) = &stopped {
                let _ = write!(summary, ": {why}");
            }
            if let Ok(Outcome::Done(detail)) = result
                && !detail.is_empty()
            {
                let _ = write!(summary, "; {detail}");
            }
            // The reason is said once, in the count; the unit it stopped is only named.
            let why = stopped.as_deref().unwrap_or_default();
            let others: Vec<String> = errors
                .iter()
                .filter(|e| e.as_str() != why)
                .map(|e| match e.strip_suffix(why) {
                    Some(unit) if !why.is_empty() => format!("{unit}in hand when it stopped"),
                    _ => e.clone(),
                })
                .collect();
            if !others.is_empty() {
                let _ = write!(summary, "; errors: {}", others.join("; "));
            }
        }
        _ => {
            let _ = write!(summary, "{}/{} {nouns} done", count.done, count.total);
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

/// The units the summary counts: the planned ones when the job declared a plan
/// ([`Context::plan`]), else every unit recorded.
#[derive(Debug, PartialEq, Eq)]
struct Count {
    done: usize,
    failed: usize,
    not_reached: usize,
    total: usize,
}

impl Count {
    fn of<C>(ctx: &Context<C>) -> Count {
        let counted = |name: &String| {
            ctx.planned
                .as_ref()
                .is_none_or(|planned| planned.contains(name))
        };
        let (mut done, mut failed) = (0, 0);
        for (_, result) in ctx.units.iter().filter(|(n, _)| counted(n)) {
            match result {
                Ok(_) => done += 1,
                Err(_) => failed += 1,
            }
        }
        let total = ctx.planned.as_ref().map_or(done + failed, Vec::len);
        Count {
            done,
            failed,
            not_reached: total.saturating_sub(done + failed),
            total,
        }
    }
}
