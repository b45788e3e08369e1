//! When the shipped timers fire over a span of time, as systemd computes it: each timer's
//! `OnCalendar=` expressions through `systemd-analyze calendar`, its `RandomizedDelaySec=`
//! applied with a seeded draw per elapse, and a span the machine was off, whose missed elapses
//! `Persistent=true` turns into one run per timer at boot.

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use common::schedule::CATALOGUE;

/// A shipped timer: its job and what its unit file says.
#[derive(Debug, Clone)]
pub struct Timer {
    /// The job (a name of the schedule catalogue).
    pub job: &'static str,
    /// Its `OnCalendar=` expressions.
    pub calendars: Vec<String>,
    /// Its `RandomizedDelaySec=` (zero without one).
    pub delay: Duration,
}

/// One start of a job's service by its timer.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Elapse {
    /// When the service starts (the elapse plus its random delay, or the boot's catch-up).
    pub at: DateTime<Utc>,
    /// The job's place in the catalogue: starts at the same moment go in this order.
    pub order: usize,
    /// The job.
    pub job: &'static str,
    /// Whether it is `Persistent=true`'s catch-up at boot of elapses missed while off.
    pub catch_up: bool,
}

/// The repository's `systemd/` directory.
fn units_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../systemd")
}

/// Every timer the package ships, one per job of the catalogue.
pub fn shipped_timers() -> Vec<Timer> {
    CATALOGUE
        .iter()
        .map(|job| {
            let path = units_dir().join(format!("upstox-{}.timer", job.name));
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let values = |key: &str| -> Vec<String> {
                text.lines()
                    .filter_map(|l| l.trim().strip_prefix(key)?.strip_prefix('='))
                    .map(|v| v.trim().to_string())
                    .collect()
            };
            let delay = values("RandomizedDelaySec")
                .first()
                .map_or(Duration::zero(), |v| span(v));
            Timer {
                job: job.name,
                calendars: values("OnCalendar"),
                delay,
            }
        })
        .collect()
}

/// A systemd time span as the units write them: `30s`, `5min`, `2h`, or bare seconds.
fn span(text: &str) -> Duration {
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    let n: i64 = digits
        .parse()
        .unwrap_or_else(|_| panic!("a time span: {text}"));
    match &text[digits.len()..] {
        "" | "s" | "sec" => Duration::seconds(n),
        "min" | "m" => Duration::minutes(n),
        "h" => Duration::hours(n),
        other => panic!("a time span unit this reader does not know: {other}"),
    }
}

/// The elapses of `calendar` from `from` (exclusive) to `to` (exclusive), as systemd computes
/// them.
pub fn elapses(calendar: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    // One a minute at most: enough iterations to pass `to` whatever the expression.
    let iterations = (to - from).num_minutes() + 2;
    let out = Command::new("systemd-analyze")
        .arg("calendar")
        .arg(format!("--iterations={iterations}"))
        .arg(format!(
            "--base-time={}",
            from.format("%Y-%m-%d %H:%M:%S UTC")
        ))
        .arg(calendar)
        .env("TZ", "UTC")
        .output()
        .expect("systemd-analyze (package systemd) runs");
    assert!(
        out.status.success(),
        "systemd-analyze calendar {calendar}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once(": "))
        .filter(|(k, _)| k.trim() == "Next elapse" || k.trim().starts_with("Iter."))
        .map(|(_, v)| {
            // "Mon 2026-11-23 03:45:00 UTC"
            let v = v.trim();
            let stamp = v.get(4..23).unwrap_or_else(|| panic!("an elapse: {v}"));
            NaiveDateTime::parse_from_str(stamp, "%Y-%m-%d %H:%M:%S")
                .unwrap_or_else(|e| panic!("an elapse {v}: {e}"))
                .and_utc()
        })
        .take_while(|t| *t < to)
        .collect()
}

/// A draw in `0..bound` from `seed` and the elapse (splitmix64): the same seed, the same week.
fn draw(seed: u64, job: &str, at: DateTime<Utc>, bound: i64) -> i64 {
    if bound <= 0 {
        return 0;
    }
    let mut x = seed ^ (at.timestamp() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for b in job.bytes() {
        x = (x ^ u64::from(b)).wrapping_mul(0x100_0000_01B3);
    }
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    (x % bound as u64) as i64
}

/// Every start of every timer's service from `from` to `to`, in order, with the machine off
/// over `off` (start inclusive, end exclusive): what falls in it is not run, and each timer
/// that missed at least one elapse starts its service once at the end of it (boot), all at
/// that moment, in the catalogue's order, as `Persistent=true` does.
pub fn timeline(
    timers: &[Timer],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    off: (DateTime<Utc>, DateTime<Utc>),
    seed: u64,
) -> Vec<Elapse> {
    let mut out = Vec::new();
    for (order, timer) in timers.iter().enumerate() {
        let mut missed = false;
        for calendar in &timer.calendars {
            for at in elapses(calendar, from, to) {
                let delayed =
                    at + Duration::seconds(draw(seed, timer.job, at, timer.delay.num_seconds()));
                if off.0 <= delayed && delayed < off.1 {
                    missed = true;
                    continue;
                }
                out.push(Elapse {
                    at: delayed,
                    order,
                    job: timer.job,
                    catch_up: false,
                });
            }
        }
        if missed {
            out.push(Elapse {
                at: off.1,
                order,
                job: timer.job,
                catch_up: true,
            });
        }
    }
    out.sort();
    out.dedup_by(|a, b| a.at == b.at && a.job == b.job);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_as_systemd_writes_them() {
        assert_eq!(span("5min"), Duration::minutes(5));
        assert_eq!(span("90"), Duration::seconds(90));
        assert_eq!(span("1h"), Duration::hours(1));
    }

    #[test]
    fn draws_stay_below_their_bound_and_repeat_for_a_seed() {
        let at = DateTime::from_timestamp(1_764_000_000, 0).unwrap();
        for bound in [1, 60, 900] {
            let d = draw(7, "db-backup", at, bound);
            assert!((0..bound).contains(&d));
            assert_eq!(d, draw(7, "db-backup", at, bound));
        }
        assert_eq!(draw(7, "x", at, 0), 0);
    }
}
