//! Which backups to keep: restic's `--keep-daily/--keep-weekly/--keep-monthly`. Going from the
//! newest backup back, each rule keeps the newest backup of each of its next N periods (days,
//! ISO weeks, months in Asia/Kolkata) that have a backup at all: a machine that was off for a
//! week still keeps 7 daily backups. The newest backup is always kept. Pure: the caller says
//! which backups exist and deletes what this says to.

use std::fmt;

use chrono::{DateTime, Datelike, Utc};
use common::calendar::IST;

/// How many periods of each kind to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keep {
    /// Days.
    pub daily: u32,
    /// ISO weeks.
    pub weekly: u32,
    /// Months.
    pub monthly: u32,
}

/// A rule that keeps a backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// The newest backup, whatever the other rules say.
    Newest,
    /// The newest of its day.
    Daily,
    /// The newest of its ISO week.
    Weekly,
    /// The newest of its month.
    Monthly,
}

/// Why a backup is kept: the rule and the period (`daily 2026-12-05`, `weekly 2026-W49`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    /// The rule.
    pub rule: Rule,
    /// The period it keeps this backup for (empty for [`Rule::Newest`]).
    pub period: String,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.rule {
            Rule::Newest => f.write_str("newest"),
            Rule::Daily => write!(f, "daily {}", self.period),
            Rule::Weekly => write!(f, "weekly {}", self.period),
            Rule::Monthly => write!(f, "monthly {}", self.period),
        }
    }
}

/// The period of `rule` that `at` falls in, in IST.
fn period(rule: Rule, at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&IST);
    match rule {
        Rule::Newest => String::new(),
        Rule::Daily => local.format("%Y-%m-%d").to_string(),
        Rule::Weekly => {
            let week = local.iso_week();
            format!("{}-W{:02}", week.year(), week.week())
        }
        Rule::Monthly => local.format("%Y-%m").to_string(),
    }
}

/// For each backup time in `taken` (any order), why it is kept: empty means remove it.
pub fn decide(taken: &[DateTime<Utc>], keep: &Keep) -> Vec<Vec<Reason>> {
    let mut order: Vec<usize> = (0..taken.len()).collect();
    order.sort_by(|a, b| taken[*b].cmp(&taken[*a]));
    let mut reasons = vec![Vec::new(); taken.len()];
    if let Some(&newest) = order.first() {
        reasons[newest].push(Reason {
            rule: Rule::Newest,
            period: String::new(),
        });
    }
    for (rule, count) in [
        (Rule::Daily, keep.daily),
        (Rule::Weekly, keep.weekly),
        (Rule::Monthly, keep.monthly),
    ] {
        let mut left = count;
        let mut last: Option<String> = None;
        for &i in &order {
            if left == 0 {
                break;
            }
            let p = period(rule, taken[i]);
            if last.as_ref() != Some(&p) {
                reasons[i].push(Reason {
                    rule,
                    period: p.clone(),
                });
                left -= 1;
                last = Some(p);
            }
        }
    }
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, NaiveDate, TimeZone};

    const RESTIC: Keep = Keep {
        daily: 7,
        weekly: 4,
        monthly: 12,
    };

    /// 02:00 IST on `date`.
    fn at_two(date: NaiveDate) -> DateTime<Utc> {
        IST.from_local_datetime(&date.and_hms_opt(2, 0, 0).unwrap())
            .unwrap()
            .with_timezone(&Utc)
    }

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_newest_is_kept_even_with_every_rule_at_zero() {
        let taken = [at_two(day("2026-12-01")), at_two(day("2026-12-02"))];
        let none = Keep {
            daily: 0,
            weekly: 0,
            monthly: 0,
        };
        let reasons = decide(&taken, &none);
        assert!(reasons[0].is_empty());
        assert_eq!(reasons[1][0].to_string(), "newest");
    }

    #[test]
    fn periods_are_counted_over_days_that_have_backups_and_in_ist() {
        // Two a day for 3 days, then a 10-day gap, then one: daily 3 keeps the newest of the
        // last three days that have backups, not of the last three calendar days.
        let mut taken = Vec::new();
        for d in ["2026-11-01", "2026-11-02", "2026-11-03"] {
            taken.push(at_two(day(d)));
            taken.push(at_two(day(d)) + Duration::hours(20));
        }
        taken.push(at_two(day("2026-11-14")));
        let keep = Keep {
            daily: 3,
            weekly: 0,
            monthly: 0,
        };
        let kept: Vec<String> = decide(&taken, &keep)
            .iter()
            .zip(&taken)
            .filter(|(r, _)| !r.is_empty())
            .map(|(_, t)| t.with_timezone(&IST).format("%m-%d %H:%M").to_string())
            .collect();
        assert_eq!(kept, ["11-02 22:00", "11-03 22:00", "11-14 02:00"]);
        // 01:00 IST on the 5th is still the 4th in UTC: the day is IST's.
        let late = IST.with_ymd_and_hms(2026, 11, 5, 1, 0, 0).unwrap();
        assert_eq!(period(Rule::Daily, late.with_timezone(&Utc)), "2026-11-05");
        assert_eq!(period(Rule::Weekly, late.with_timezone(&Utc)), "2026-W45");
    }

    /// 400 daily runs at 02:00 IST up to Saturday 2026-12-05, each adding its backup and then
    /// deleting what the rules do not keep, as the job does: what remains, written by hand.
    #[test]
    fn four_hundred_days_of_daily_runs_leave_exactly_the_expected_backups() {
        let last = day("2026-12-05");
        let mut kept: Vec<DateTime<Utc>> = Vec::new();
        for n in (0..400).rev() {
            kept.push(at_two(last - Duration::days(n)));
            let reasons = decide(&kept, &RESTIC);
            kept = kept
                .iter()
                .zip(&reasons)
                .filter(|(_, r)| !r.is_empty())
                .map(|(t, _)| *t)
                .collect();
        }
        let dates: Vec<String> = kept
            .iter()
            .map(|t| t.with_timezone(&IST).format("%Y-%m-%d").to_string())
            .collect();
        let expected = [
            // monthly: the last day of January to October (November's is among the daily)
            "2026-01-31",
            "2026-02-28",
            "2026-03-31",
            "2026-04-30",
            "2026-05-31",
            "2026-06-30",
            "2026-07-31",
            "2026-08-31",
            "2026-09-30",
            "2026-10-31",
            // weekly: Sundays ending ISO weeks 46 and 47 (48 and 49 are kept by daily)
            "2026-11-15",
            "2026-11-22",
            // daily: the last 7 days (Nov 29 also ends week 48; Nov 30 is November's last)
            "2026-11-29",
            "2026-11-30",
            "2026-12-01",
            "2026-12-02",
            "2026-12-03",
            "2026-12-04",
            "2026-12-05",
        ];
        assert_eq!(dates, expected);
        // Deciding once over all 400 keeps the same: the rules keep what they kept.
        let all: Vec<DateTime<Utc>> = (0..400)
            .rev()
            .map(|n| at_two(last - Duration::days(n)))
            .collect();
        let once: Vec<String> = decide(&all, &RESTIC)
            .iter()
            .zip(&all)
            .filter(|(r, _)| !r.is_empty())
            .map(|(_, t)| t.with_timezone(&IST).format("%Y-%m-%d").to_string())
            .collect();
        assert_eq!(once, expected);
    }

    #[test]
    fn each_kept_backup_names_every_rule_that_keeps_it() {
        let taken = [at_two(day("2026-11-30")), at_two(day("2026-12-01"))];
        let reasons = decide(&taken, &RESTIC);
        let words = |r: &[Reason]| r.iter().map(|r| r.to_string()).collect::<Vec<_>>();
        assert_eq!(
            words(&reasons[1]),
            [
                "newest",
                "daily 2026-12-01",
                "weekly 2026-W49",
                "monthly 2026-12"
            ]
        );
        assert_eq!(words(&reasons[0]), ["daily 2026-11-30", "monthly 2026-11"]);
    }
}
