//! SIGTERM/SIGINT: the job stops taking new work, the unit in hand finishes or rolls back, and the
//! run is recorded `interrupted`, well inside systemd's `TimeoutStopSec`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{Duration, Instant};

/// Shared flag set by the signal handlers. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Shutdown {
    signal: Arc<AtomicI32>,
}

impl Shutdown {
    /// A flag that nothing sets, for code run outside the harness (tests, tools).
    pub fn never() -> Self {
        Shutdown::default()
    }

    /// Installs handlers for SIGTERM and SIGINT that set the flag. A second signal ends the
    /// process at once (exit 128+signal), for a person whose first Ctrl-C seems to do nothing.
    pub fn install() -> std::io::Result<Self> {
        let shutdown = Shutdown::default();
        let received = Arc::new(AtomicBool::new(false));
        for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
            // Registered first, so it sees the flag as the previous signal left it.
            signal_hook::flag::register_conditional_shutdown(
                signal,
                128 + signal,
                Arc::clone(&received),
            )?;
            signal_hook::flag::register(signal, Arc::clone(&received))?;
            let flag = Arc::clone(&shutdown.signal);
            // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
            unsafe {
                signal_hook::low_level::register(signal, move || {
                    flag.store(signal, Ordering::SeqCst);
                })?;
            }
        }
        Ok(shutdown)
    }

    /// Whether a stop was asked for.
    pub fn requested(&self) -> bool {
        self.signal.load(Ordering::SeqCst) != 0
    }

    /// The signal received, if any.
    pub fn signal(&self) -> Option<i32> {
        match self.signal.load(Ordering::SeqCst) {
            0 => None,
            s => Some(s),
        }
    }

    /// Sleeps for `duration` unless a stop is asked for first; returns false if it was.
    pub fn sleep(&self, duration: Duration) -> bool {
        let end = Instant::now() + duration;
        loop {
            if self.requested() {
                return false;
            }
            let now = Instant::now();
            if now >= end {
                return true;
            }
            std::thread::sleep((end - now).min(Duration::from_millis(100)));
        }
    }

    /// Sets the flag as if `signal` arrived (for tests).
    pub fn trigger(&self, signal: i32) {
        self.signal.store(signal, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sleep_is_cut_short_by_a_stop() {
        let shutdown = Shutdown::never();
        assert!(shutdown.sleep(Duration::from_millis(10)));
        let other = shutdown.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            other.trigger(signal_hook::consts::SIGTERM);
        });
        let started = Instant::now();
        assert!(!shutdown.sleep(Duration::from_secs(30)));
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(shutdown.signal(), Some(signal_hook::consts::SIGTERM));
        t.join().unwrap();
    }
}
