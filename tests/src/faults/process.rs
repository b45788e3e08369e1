//! A run of a job watched from outside: started, maybe signalled, and waited for with a
//! watchdog far beyond any of the jobs' own timeouts, so that a run that would hang is
//! reported as such rather than hanging the suite.

use std::io::Read;
use std::process::Child;
use std::thread;
use std::time::{Duration, Instant};

/// How long the suite lets any run go before calling it hung (the jobs' own timeouts in the
/// suite's configurations end every faulted run within seconds).
pub const WATCHDOG: Duration = Duration::from_secs(90);

/// How a watched run ended.
#[derive(Debug)]
pub struct Finished {
    /// The exit code; None if a signal ended it.
    pub code: Option<i32>,
    /// Its log.
    pub stderr: String,
    /// From start (or signal) to exit.
    pub took: Duration,
    /// The watchdog had to kill it.
    pub hung: bool,
    /// Its process id (`job_runs.pid`).
    pub pid: u32,
}

impl Finished {
    /// The last non-empty line of the log: the run's summary.
    pub fn summary(&self) -> &str {
        crate::binary::summary_of(&self.stderr)
    }

    /// The first line of a panic message, if the run panicked.
    pub fn panic(&self) -> Option<&str> {
        self.stderr.lines().find(|l| l.contains("panicked at"))
    }
}

/// A started run whose output is being drained (so that a chatty run never blocks on a full
/// pipe).
pub struct Watched {
    child: Child,
    stderr: thread::JoinHandle<String>,
    started: Instant,
}

impl Watched {
    /// Watches `child`, spawned with piped output.
    pub fn new(mut child: Child) -> Self {
        let drain = |mut pipe: Box<dyn Read + Send>| {
            thread::spawn(move || {
                let mut text = Vec::new();
                let _ = pipe.read_to_end(&mut text);
                String::from_utf8_lossy(&text).into_owned()
            })
        };
        if let Some(out) = child.stdout.take() {
            drain(Box::new(out));
        }
        let stderr = drain(Box::new(child.stderr.take().expect("stderr piped")));
        Watched {
            child,
            stderr,
            started: Instant::now(),
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether it has ended already.
    pub fn ended(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Sends SIGTERM, as systemd stopping the unit does.
    pub fn terminate(&mut self) {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -TERM {}", self.child.id());
        self.started = Instant::now();
    }

    /// Sends SIGKILL.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
    }

    /// Waits for the end, killing the run once `limit` has passed since its start (or since
    /// the signal).
    pub fn finish(mut self, limit: Duration) -> Finished {
        let mut hung = false;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("the run's status") {
                break status;
            }
            if self.started.elapsed() > limit {
                hung = true;
                let _ = self.child.kill();
                break self.child.wait().expect("the killed run's status");
            }
            thread::sleep(Duration::from_millis(10));
        };
        let took = self.started.elapsed();
        Finished {
            code: status.code(),
            stderr: self.stderr.join().unwrap_or_default(),
            took,
            hung,
            pid: self.child.id(),
        }
    }
}

/// A small seeded generator (xorshift64*) for the kill points: the same seed, the same points.
pub struct Rng(u64);

impl Rng {
    /// From `seed` (0 is made non-zero).
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    /// A number in `0..1`.
    pub fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A delay in `0..within`.
    pub fn delay(&mut self, within: Duration) -> Duration {
        within.mul_f64(self.unit())
    }
}

/// `TimeoutStopSec=` of a shipped unit file (`20s`, `2min`, `1min 30s`), or systemd's default
/// of 90 s when the unit sets none.
pub fn timeout_stop(unit_text: &str) -> Duration {
    let value = unit_text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("TimeoutStopSec="))
        .next_back();
    let Some(value) = value else {
        return Duration::from_secs(90);
    };
    let mut total = 0u64;
    for part in value.split_whitespace() {
        let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
        let n: u64 = digits.parse().unwrap_or(0);
        total += match &part[digits.len()..] {
            "min" | "m" => n * 60,
            "h" => n * 3600,
            "ms" => n / 1000,
            _ => n,
        };
    }
    Duration::from_secs(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_stop_reads_the_units_spellings_and_defaults_to_90_s() {
        assert_eq!(
            timeout_stop("TimeoutStopSec=20s\n"),
            Duration::from_secs(20)
        );
        assert_eq!(
            timeout_stop("[Service]\nTimeoutStopSec=2min\n"),
            Duration::from_secs(120)
        );
        assert_eq!(
            timeout_stop("TimeoutStopSec=1min 30s"),
            Duration::from_secs(90)
        );
        assert_eq!(timeout_stop("[Service]\n"), Duration::from_secs(90));
    }

    #[test]
    fn the_same_seed_gives_the_same_points_within_the_bound() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        for _ in 0..100 {
            let x = a.delay(Duration::from_secs(2));
            assert_eq!(x, b.delay(Duration::from_secs(2)));
            assert!(x < Duration::from_secs(2));
        }
    }
}
