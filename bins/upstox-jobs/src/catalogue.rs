//! The eight jobs and when each is expected to run, so `status` can tell a job that stopped
//! running (which `OnFailure=` never reports) from one that simply is not due.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use common::calendar::{Day, IST, Session, TradingCalendar};

/// When a job's timer fires, in IST, as its `.timer` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// Every day at this time.
    Daily(NaiveTime),
    /// Once a week.
    Weekly(Weekday, NaiveTime),
    /// Trading days (the NSE calendar) at this time.
    TradingDays(NaiveTime),
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

/// A job as `status` knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobInfo {
    /// The job's name (`upstox-<name>` is its binary and units).
    pub name: &'static str,
    /// Its schedule.
    pub schedule: Schedule,
    /// How late a run may finish before the job counts as overdue (random delay plus run time).
    pub grace: Duration,
}

const fn time(h: u32, m: u32) -> NaiveTime {
    match NaiveTime::from_hms_opt(h, m, 0) {
        Some(t) => t,
        None => panic!("invalid time"),
    }
}

/// Every job, in the order DESIGN lists them.
pub const JOBS: [JobInfo; 8] = [
    JobInfo {
        name: "nse-index-update",
        schedule: Schedule::Daily(time(23, 30)),
        grace: Duration::hours(2),
    },
    JobInfo {
        name: "corporate-announcements",
        schedule: Schedule::Daily(time(23, 0)),
        grace: Duration::hours(2),
    },
    JobInfo {
        name: "market-sync",
        schedule: Schedule::MarketHours { minutes: 60 },
        grace: Duration::minutes(30),
    },
    JobInfo {
        name: "alert-scan",
        schedule: Schedule::MarketHours { minutes: 1 },
        grace: Duration::minutes(5),
    },
    JobInfo {
        name: "news-sentiment",
        schedule: Schedule::Every { minutes: 30 },
        grace: Duration::minutes(30),
    },
    JobInfo {
        name: "performance-analytics",
        schedule: Schedule::TradingDays(time(16, 0)),
        grace: Duration::hours(2),
    },
    JobInfo {
        name: "db-backup",
        schedule: Schedule::Daily(time(2, 0)),
        grace: Duration::hours(2),
    },
    JobInfo {
        name: "db-maintenance",
        schedule: Schedule::Weekly(Weekday::Sun, time(2, 30)),
        grace: Duration::hours(3),
    },
];

impl JobInfo {
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
        match self.schedule {
            Schedule::Every { minutes } => Some(limit - Duration::minutes(minutes as i64)),
            Schedule::Daily(t) => days_back.filter_map(|d| at(d, t)).find(|&due| due <= limit),
            Schedule::Weekly(day, t) => days_back
                .filter(|d| d.weekday() == day)
                .filter_map(|d| at(d, t))
                .find(|&due| due <= limit),
            Schedule::TradingDays(t) => days_back
                .filter(|d| regular_session(calendar, *d).is_some())
                .filter_map(|d| at(d, t))
                .find(|&due| due <= limit),
            Schedule::MarketHours { minutes } => {
                for day in days_back {
                    let Some(session) = regular_session(calendar, day) else {
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

/// The session on `date` if it is a regular trading day: the timers fire Mon–Fri in regular
/// hours only, so a special session (Muhurat, a Saturday) owes no run.
fn regular_session(calendar: &TradingCalendar, date: NaiveDate) -> Option<Session> {
    match calendar.day(date) {
        Day::Trading(session) => Some(session),
        _ => None,
    }
}

/// The job called `name`.
pub fn find(name: &str) -> Option<&'static JobInfo> {
    JOBS.iter().find(|j| j.name == name)
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
        find(job)
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
    fn every_name_is_a_configurable_job() {
        let names: Vec<_> = JOBS.iter().map(|j| j.name).collect();
        assert_eq!(names, common::config::JOB_NAMES);
    }
}
