//! When each job runs and when it has work: the one place the eight jobs' schedules are
//! written down. The harness skips a scheduled run outside its job's [`Gate`] (market-sync and
//! alert-scan outside market hours), and `upstox-jobs status` reads the same table to tell a
//! job that stopped running (which `OnFailure=` never reports) from one that simply is not due.

use std::fmt;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};

use crate::calendar::{Day, IST, Session, TradingCalendar};

/// When a run has work, by the NSE calendar. Timers fire on the clock (every day, every
/// minute…); the binary, not the timer, decides whether now is a trading minute, since
/// `Persistent=true` catches up a missed run at any time and only the calendar knows a
/// Saturday's special session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Every run has work.
    Always,
    /// Only on NSE trading days (special sessions included).
    TradingDays,
    /// Only while the market is open, or up to `after_close_minutes` after the close.
    MarketHours {
        /// How long after the close a run still has work (market-sync's after-close run).
        after_close_minutes: i64,
    },
}

/// Why a run has no work now: "market closed at 2026-11-21 11:00:00 IST: Saturday".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    at: DateTime<Utc>,
    why: String,
}

impl fmt::Display for Closed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "market closed at {}: {}",
            self.at.with_timezone(&IST).format("%Y-%m-%d %H:%M:%S IST"),
            self.why
        )
    }
}

impl Gate {
    /// `Ok` when a run at `now` has work; else why not.
    pub fn check(self, calendar: &TradingCalendar, now: DateTime<Utc>) -> Result<(), Closed> {
        let closed = |why: String| Err(Closed { at: now, why });
        if self == Gate::Always {
            return Ok(());
        }
        let local = now.with_timezone(&IST);
        let session = match calendar.day(local.date_naive()) {
            Day::Trading(s) | Day::Special(s, _) => s,
            Day::Weekend => return closed(local.format("%A").to_string()),
            Day::Holiday(name) => return closed(format!("NSE holiday ({name})")),
        };
        let Gate::MarketHours {
            after_close_minutes,
        } = self
        else {
            return Ok(());
        };
        let latest = session.close + Duration::minutes(after_close_minutes);
        // Compared as a span past the close, so a grace that reaches past midnight never wraps.
        let past_close = local.time() > session.close
            && local.time() - session.close > Duration::minutes(after_close_minutes);
        if local.time() < session.open {
            closed(format!("it opens at {} IST", session.open.format("%H:%M")))
        } else if past_close && after_close_minutes > 0 {
            closed(format!(
                "it closed at {} IST and the after-close run is done by {} IST",
                session.close.format("%H:%M"),
                latest.format("%H:%M")
            ))
        } else if past_close {
            closed(format!(
                "it closed at {} IST",
                session.close.format("%H:%M")
            ))
        } else {
            Ok(())
        }
    }

    /// The part of `date`'s session in which the job's timer owes runs: the whole day for
    /// [`Gate::Always`], the session for [`Gate::TradingDays`], and for
    /// [`Gate::MarketHours`] the session within the regular hours, the only ones its timer
    /// fires in (a Saturday's special session owes runs; an evening's Muhurat session none).
    fn owes_runs_on(self, calendar: &TradingCalendar, date: NaiveDate) -> Option<Session> {
        let session = match (self, calendar.day(date)) {
            (Gate::Always, _) => {
                return Some(Session {
                    open: NaiveTime::MIN,
                    close: time(23, 59),
                });
            }
            (_, Day::Trading(session) | Day::Special(session, _)) => session,
            _ => return None,
        };
        if self == Gate::TradingDays {
            return Some(session);
        }
        let regular = Session::regular();
        let owed = Session {
            open: session.open.max(regular.open),
            close: session.close.min(regular.close),
        };
        (owed.open <= owed.close).then_some(owed)
    }
}

/// When a job's timer fires, in IST, as its `.timer` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timer {
    /// Every day at this time (the gate decides which days have work).
    Daily(NaiveTime),
    /// Once a week.
    Weekly(Weekday, NaiveTime),
    /// During market hours every `minutes`, plus once at the close.
    MarketHours {
        /// Minutes between runs.
        minutes: u32,
    },
    /// Around the clock, every `minutes`.
    Every {
        /// Minutes between runs.
        minutes: u32,
    },
}

/// A job's schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobSchedule {
    /// The job's name (`upstox-<name>` is its binary and units).
    pub name: &'static str,
    /// When its timer fires.
    pub timer: Timer,
    /// When a run has work (the harness skips it otherwise).
    pub gate: Gate,
    /// How late a run may finish before the job counts as overdue (random delay plus run time).
    pub grace: Duration,
    /// How long a run may work (`[jobs.<job>] deadline_secs` overrides it): below its unit's
    /// `TimeoutStartSec` by enough to write the summary, so a run ends by itself and says
    /// what it did not reach rather than being killed.
    pub deadline: Duration,
}

const fn time(h: u32, m: u32) -> NaiveTime {
    match NaiveTime::from_hms_opt(h, m, 0) {
        Some(t) => t,
        None => panic!("invalid time"),
    }
}

/// Every job, in the order DESIGN lists them: a new job adds its line here.
pub const CATALOGUE: [JobSchedule; 8] = [
    JobSchedule {
        name: "nse-index-update",
        timer: Timer::Daily(time(23, 30)),
        gate: Gate::Always,
        grace: Duration::hours(2),
        deadline: Duration::minutes(25),
    },
    JobSchedule {
        name: "corporate-announcements",
        timer: Timer::Daily(time(23, 0)),
        gate: Gate::Always,
        grace: Duration::hours(2),
        deadline: Duration::minutes(25),
    },
    JobSchedule {
        name: "market-sync",
        timer: Timer::MarketHours { minutes: 60 },
        gate: Gate::MarketHours {
            after_close_minutes: 120,
        },
        grace: Duration::minutes(30),
        deadline: Duration::minutes(45),
    },
    JobSchedule {
        name: "alert-scan",
        timer: Timer::MarketHours { minutes: 1 },
        gate: Gate::MarketHours {
            after_close_minutes: 0,
        },
        grace: Duration::minutes(5),
        deadline: Duration::seconds(40),
    },
    JobSchedule {
        name: "news-sentiment",
        timer: Timer::Every { minutes: 30 },
        gate: Gate::Always,
        grace: Duration::minutes(30),
        deadline: Duration::minutes(20),
    },
    JobSchedule {
        name: "performance-analytics",
        timer: Timer::Daily(time(16, 0)),
        gate: Gate::TradingDays,
        grace: Duration::hours(2),
        deadline: Duration::minutes(25),
    },
    JobSchedule {
        name: "db-backup",
        timer: Timer::Daily(time(2, 0)),
        gate: Gate::Always,
        grace: Duration::hours(2),
        deadline: Duration::minutes(50),
    },
    JobSchedule {
        name: "db-maintenance",
        timer: Timer::Weekly(Weekday::Sun, time(2, 30)),
        gate: Gate::Always,
        grace: Duration::hours(3),
        deadline: Duration::minutes(100),
    },
];

impl JobSchedule {
    /// The latest time the job should have run by `now`, allowing its grace: a job whose last
    /// success is older than this has missed a run. `None` when no run was due yet in the
    /// calendar's memory (a year back).
    pub fn last_due(
        &self,
        now: DateTime<Utc>,
        calendar: &TradingCalendar,
    ) -> Option<DateTime<Utc>> {
        let limit = now - self.grace;
        let local = limit.with_timezone(&IST);
        let at = |date: NaiveDate, t: NaiveTime| {
            IST.from_local_datetime(&date.and_time(t))
                .single()
                .map(|d| d.with_timezone(&Utc))
        };
        let days_back = (0..=366).map(|d| local.date_naive() - Duration::days(d));
        match self.timer {
            Timer::Every { minutes } => Some(limit - Duration::minutes(minutes as i64)),
            Timer::Daily(t) => days_back
                .filter(|d| self.gate.owes_runs_on(calendar, *d).is_some())
                .filter_map(|d| at(d, t))
                .find(|&due| due <= limit),
            Timer::Weekly(day, t) => days_back
                .filter(|d| d.weekday() == day)
                .filter_map(|d| at(d, t))
                .find(|&due| due <= limit),
            Timer::MarketHours { minutes } => {
                for day in days_back {
                    let Some(session) = self.gate.owes_runs_on(calendar, day) else {
                        continue;
                    };
                    let (Some(open), Some(close)) = (at(day, session.open), at(day, session.close))
                    else {
                        continue;
                    };
                    if open > limit {
                        continue;
                    }
                    if close <= limit {
                        return Some(close);
                    }
                    let step = (limit - open).num_minutes() / minutes as i64 * minutes as i64;
                    return Some(open + Duration::minutes(step));
                }
                None
            }
        }
    }
}

/// Every job's name, in the catalogue's order: the `[jobs.<name>]` tables and `[pings]` keys
/// the configuration may have.
pub fn names() -> Vec<&'static str> {
    CATALOGUE.iter().map(|j| j.name).collect()
}

/// The schedule of the job called `name`.
pub fn of(name: &str) -> Option<&'static JobSchedule> {
    CATALOGUE.iter().find(|j| j.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ist(s: &str) -> DateTime<Utc> {
        let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        IST.from_local_datetime(&naive).unwrap().with_timezone(&Utc)
    }

    fn due(job: &str, now: &str) -> Option<String> {
        let cal = TradingCalendar::embedded();
        of(job)
            .unwrap()
            .last_due(ist(now), &cal)
            .map(|d| d.with_timezone(&IST).format("%Y-%m-%d %H:%M").to_string())
    }

    #[test]
    fn daily_jobs_are_due_at_yesterdays_run_until_todays_has_had_its_grace() {
        assert_eq!(
            due("nse-index-update", "2026-11-23 01:00").as_deref(),
            Some("2026-11-21 23:30")
        );
        assert_eq!(
            due("nse-index-update", "2026-11-23 01:31").as_deref(),
            Some("2026-11-22 23:30")
        );
    }

    #[test]
    fn market_jobs_are_not_due_over_a_weekend_or_a_holiday() {
        // Monday morning before the open: the last due run was Friday's close.
        assert_eq!(
            due("market-sync", "2026-11-23 08:00").as_deref(),
            Some("2026-11-20 15:30")
        );
        // Guru Nanak Jayanti (Tue 24 Nov 2026) is a holiday: Monday's close is still the last.
        assert_eq!(
            due("alert-scan", "2026-11-24 12:00").as_deref(),
            Some("2026-11-23 15:30")
        );
        // During a session: the grid of the job's period, less its grace.
        assert_eq!(
            due("alert-scan", "2026-11-23 10:07").as_deref(),
            Some("2026-11-23 10:02")
        );
        // The 11:15 run is not owed until its grace has passed.
        assert_eq!(
            due("market-sync", "2026-11-23 11:40").as_deref(),
            Some("2026-11-23 10:15")
        );
        assert_eq!(
            due("market-sync", "2026-11-23 11:46").as_deref(),
            Some("2026-11-23 11:15")
        );
    }

    #[test]
    fn weekly_and_trading_day_jobs() {
        assert_eq!(
            due("db-maintenance", "2026-11-25 12:00").as_deref(),
            Some("2026-11-22 02:30")
        );
        assert_eq!(
            due("performance-analytics", "2026-11-24 20:00").as_deref(),
            Some("2026-11-23 16:00")
        );
    }

    #[test]
    fn a_special_session_owes_runs_within_the_hours_the_timers_fire() {
        let cal = crate::calendar::embedded_with(
            "INSERT INTO market_holidays VALUES ('2026-11-28', 'Special session', 'special_session', '09:15', '15:30', 'test');
             INSERT INTO market_holidays VALUES ('2026-11-27', 'Half day', 'special_session', '09:15', '13:00', 'test');
             INSERT INTO market_holidays VALUES ('2026-11-08', 'Muhurat Trading', 'special_session', '18:00', '19:00', 'test');",
        );
        let due = |job: &str, now: &str| {
            of(job)
                .unwrap()
                .last_due(ist(now), &cal)
                .map(|d| d.with_timezone(&IST).format("%Y-%m-%d %H:%M").to_string())
        };
        // The Saturday session is owed like a weekday's, and its 16:00 analysis.
        assert_eq!(
            due("alert-scan", "2026-11-28 11:00").as_deref(),
            Some("2026-11-28 10:55")
        );
        assert_eq!(
            due("performance-analytics", "2026-11-29 12:00").as_deref(),
            Some("2026-11-28 16:00")
        );
        // A half day owes nothing after its close.
        assert_eq!(
            due("alert-scan", "2026-11-27 14:00").as_deref(),
            Some("2026-11-27 13:00")
        );
        // Sunday evening's Muhurat session is outside every market timer: nothing owed.
        assert_eq!(
            due("alert-scan", "2026-11-08 20:00").as_deref(),
            Some("2026-11-06 15:30")
        );
    }

    #[test]
    fn a_gate_says_why_a_run_has_no_work_in_one_wording() {
        let cal = TradingCalendar::embedded();
        let sync = of("market-sync").unwrap().gate;
        let alerts = of("alert-scan").unwrap().gate;
        let closed = |gate: Gate, at: &str| gate.check(&cal, ist(at)).unwrap_err().to_string();
        assert!(sync.check(&cal, ist("2026-11-17 10:15")).is_ok());
        assert!(
            sync.check(&cal, ist("2026-11-17 15:45")).is_ok(),
            "after-close run"
        );
        assert!(
            alerts.check(&cal, ist("2026-11-17 15:30")).is_ok(),
            "the closing minute"
        );
        assert_eq!(
            closed(alerts, "2026-11-17 15:31"),
            "market closed at 2026-11-17 15:31:00 IST: it closed at 15:30 IST"
        );
        assert_eq!(
            closed(sync, "2026-11-17 18:00"),
            "market closed at 2026-11-17 18:00:00 IST: it closed at 15:30 IST and the after-close run is done by 17:30 IST"
        );
        assert_eq!(
            closed(sync, "2026-11-17 08:00"),
            "market closed at 2026-11-17 08:00:00 IST: it opens at 09:15 IST"
        );
        assert_eq!(
            closed(alerts, "2026-11-22 11:00"),
            "market closed at 2026-11-22 11:00:00 IST: Sunday"
        );
        assert!(
            closed(sync, "2026-11-24 11:00")
                .ends_with("NSE holiday (Prakash Gurpurb Sri Guru Nanak Dev)"),
            "{}",
            closed(sync, "2026-11-24 11:00")
        );
        let long_grace = Gate::MarketHours {
            after_close_minutes: 600,
        };
        assert!(
            long_grace.check(&cal, ist("2026-11-17 23:59")).is_ok(),
            "no wrap at midnight"
        );
        let analytics = of("performance-analytics").unwrap().gate;
        assert!(analytics.check(&cal, ist("2026-11-23 16:00")).is_ok());
        assert!(analytics.check(&cal, ist("2026-11-24 16:00")).is_err());
        assert!(Gate::Always.check(&cal, ist("2026-11-22 03:00")).is_ok());
    }
}
