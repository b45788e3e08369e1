//! Spending a run's time deliberately: the run's deadline, and a per-host circuit breaker. A
//! host that timed out twice in a row, or asked for a pause longer than the run may wait, is
//! not asked again this run; every request after the deadline is refused before it is sent.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::exit::Exit;

/// Timeouts in a row after which a host is not asked again this run.
const TIMEOUTS_IN_A_ROW: u32 = 2;

/// Why a run stops asking: a host or the run's time budget, with what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Halt {
    /// The host timed out [`TIMEOUTS_IN_A_ROW`] times in a row.
    Unresponsive {
        /// The host.
        host: String,
        /// The timeout each attempt had.
        after: Duration,
    },
    /// The host asked for a pause (`Retry-After`) longer than `[http] max_retry_after_secs`.
    RateLimited {
        /// The host.
        host: String,
        /// What it asked for.
        retry_after: Duration,
    },
    /// The run's deadline came (`[jobs.<job>] deadline_secs`).
    Deadline {
        /// The run's time budget.
        budget: Duration,
    },
}

impl Halt {
    /// The exit code a run stopped by this ends with when nothing was done.
    pub fn exit(&self) -> Exit {
        match self {
            Halt::RateLimited { .. } => Exit::TempFail,
            Halt::Unresponsive { .. } | Halt::Deadline { .. } => Exit::Unavailable,
        }
    }
}

impl fmt::Display for Halt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Halt::Unresponsive { host, after } => write!(
                f,
                "{host} stopped answering (no response within {}s, twice in a row); \
                 it is not asked again this run, the next run retries",
                after.as_secs_f64()
            ),
            Halt::RateLimited { host, retry_after } => write!(
                f,
                "{host} rate-limited the run: Retry-After {}s, longer than [http] \
                 max_retry_after_secs; it is not asked again this run, the next run retries",
                retry_after.as_secs()
            ),
            Halt::Deadline { budget } => write!(
                f,
                "the run's {}s time budget ran out (the job's deadline_secs, kept below its \
                 unit's TimeoutStartSec); the next run goes on",
                budget.as_secs()
            ),
        }
    }
}

/// The run's deadline and the hosts it stopped asking.
#[derive(Debug, Default)]
pub(crate) struct Breaker {
    /// When the run's time is up, and the budget it was given.
    deadline: Option<(Instant, Duration)>,
    hosts: Mutex<HashMap<String, HostState>>,
}

#[derive(Debug, Default)]
struct HostState {
    timeouts: u32,
    halted: Option<Halt>,
}

impl Breaker {
    /// A breaker whose run ends `budget` after `started`.
    pub(crate) fn until(started: Instant, budget: Duration) -> Self {
        Breaker {
            deadline: Some((started + budget, budget)),
            hosts: Mutex::default(),
        }
    }

    /// When the run's time is up, and its budget.
    pub(crate) fn deadline(&self) -> Option<(Instant, Duration)> {
        self.deadline
    }

    /// Time left before the deadline (`None`: no deadline); `Err` once it has come.
    pub(crate) fn left(&self) -> Result<Option<Duration>, Halt> {
        match self.deadline {
            None => Ok(None),
            Some((at, budget)) => match at.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => Ok(Some(left)),
                _ => Err(Halt::Deadline { budget }),
            },
        }
    }

    /// `timeout`, or the time left when that is shorter (none once the deadline has come).
    pub(crate) fn cap(&self, timeout: Duration) -> Duration {
        match self.left() {
            Ok(left) => left.map_or(timeout, |left| left.min(timeout)),
            Err(_) => Duration::ZERO,
        }
    }

    /// `Err` when waiting `wait` would take the run past its deadline.
    pub(crate) fn allows(&self, wait: Duration) -> Result<(), Halt> {
        match (self.left()?, self.deadline) {
            (Some(left), Some((_, budget))) if wait >= left => Err(Halt::Deadline { budget }),
            _ => Ok(()),
        }
    }

    /// Why `host` may not be asked, if it may not; else the deadline's reason, if it came.
    pub(crate) fn check(&self, host: &str) -> Result<Option<Duration>, Halt> {
        if let Some(halt) = self.lock().get(host).and_then(|h| h.halted.clone()) {
            return Err(halt);
        }
        self.left()
    }

    /// `host` did not answer within `after`; returns the halt when that was one time too many.
    pub(crate) fn timed_out(&self, host: &str, after: Duration) -> Option<Halt> {
        let mut hosts = self.lock();
        let state = hosts.entry(host.to_string()).or_default();
        state.timeouts += 1;
        if state.timeouts >= TIMEOUTS_IN_A_ROW {
            state.halted = Some(Halt::Unresponsive {
                host: host.to_string(),
                after,
            });
        }
        state.halted.clone()
    }

    /// `host` answered (whatever the status): its timeouts are no longer in a row.
    pub(crate) fn answered(&self, host: &str) {
        if let Some(state) = self.lock().get_mut(host) {
            state.timeouts = 0;
        }
    }

    /// `host` asked for a pause longer than the run waits: it is not asked again.
    pub(crate) fn rate_limited(&self, host: &str, retry_after: Duration) -> Halt {
        let halt = Halt::RateLimited {
            host: host.to_string(),
            retry_after,
        };
        self.lock().entry(host.to_string()).or_default().halted = Some(halt.clone());
        halt
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, HostState>> {
        self.hosts.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_timeouts_in_a_row_halt_a_host_and_an_answer_between_them_does_not() {
        let b = Breaker::default();
        let t = Duration::from_secs(30);
        assert_eq!(b.timed_out("a", t), None);
        b.answered("a");
        assert_eq!(b.timed_out("a", t), None);
        assert!(b.check("a").is_ok());
        let halt = b.timed_out("a", t).expect("halted");
        assert_eq!(b.check("a"), Err(halt.clone()));
        assert_eq!(halt.exit(), Exit::Unavailable);
        assert!(
            halt.to_string().starts_with("a stopped answering"),
            "{halt}"
        );
        assert!(b.check("b").is_ok(), "another host is still asked");
    }

    #[test]
    fn a_long_retry_after_halts_the_host_as_rate_limited() {
        let b = Breaker::default();
        let halt = b.rate_limited("nse", Duration::from_secs(3600));
        assert_eq!(halt.exit(), Exit::TempFail);
        assert_eq!(b.check("nse"), Err(halt));
    }

    #[test]
    fn the_deadline_refuses_everything_once_it_has_come() {
        assert_eq!(Breaker::default().left(), Ok(None));
        let b = Breaker::until(Instant::now(), Duration::from_secs(60));
        assert!(b.left().unwrap().unwrap() > Duration::from_secs(59));
        assert!(b.allows(Duration::from_secs(30)).is_ok());
        assert!(b.allows(Duration::from_secs(61)).is_err());
        assert_eq!(b.cap(Duration::from_secs(10)), Duration::from_secs(10));
        assert!(b.cap(Duration::from_secs(90)) <= Duration::from_secs(60));
        let b = Breaker::until(
            Instant::now() - Duration::from_secs(2),
            Duration::from_secs(1),
        );
        assert_eq!(
            b.check("a"),
            Err(Halt::Deadline {
                budget: Duration::from_secs(1)
            })
        );
    }
}
