//! What a simulated week left, read back: mail, backups and the data directory's size. Each
//! reading is independent of the jobs' own code (retention is worked out again here from its
//! documented rule), so a check built on it can disagree with them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{DateTime, Datelike, NaiveDateTime, TimeZone, Utc};
use common::calendar::IST;

/// A received message reduced to what a reader sees: its subject and body, without the
/// headers each delivery makes its own (Date, Message-ID, the server's Received lines).
pub fn reading(message: &str) -> String {
    let (head, body) = message
        .split_once("\n\n")
        .or_else(|| message.split_once("\r\n\r\n"))
        .unwrap_or((message, ""));
    let subject = head
        .lines()
        .find_map(|l| l.strip_prefix("Subject: "))
        .unwrap_or("");
    format!("{subject}\n{body}")
}

/// The messages received more than once, each with its count.
pub fn repeated(messages: &[String]) -> Vec<(String, usize)> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for m in messages {
        *seen.entry(reading(m)).or_default() += 1;
    }
    seen.into_iter().filter(|(_, n)| *n > 1).collect()
}

/// The backups of `database` in `dir` (`<name>-<YYYYmmdd-HHMMSS>.db.zst`, IST), by time.
pub fn backups(dir: &Path, database: &str) -> BTreeSet<DateTime<Utc>> {
    let prefix = format!("{database}-");
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| {
                    let name = e.ok()?.file_name().to_string_lossy().to_string();
                    let stamp = name.strip_prefix(&prefix)?.strip_suffix(".db.zst")?;
                    let naive = NaiveDateTime::parse_from_str(stamp, "%Y%m%d-%H%M%S").ok()?;
                    Some(
                        IST.from_local_datetime(&naive)
                            .single()?
                            .with_timezone(&Utc),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The name of the period (day, ISO week, month) a time falls in, in IST.
type Period = fn(DateTime<Utc>) -> String;

/// What restic's `--keep-daily D --keep-weekly W --keep-monthly M` keeps of backups made at
/// `made`, in IST periods: the newest, and going back from it the newest of each of the
/// next D days, W ISO weeks and M months that have a backup.
pub fn kept(
    made: &BTreeSet<DateTime<Utc>>,
    daily: usize,
    weekly: usize,
    monthly: usize,
) -> BTreeSet<DateTime<Utc>> {
    let mut keep: BTreeSet<DateTime<Utc>> = made.iter().next_back().copied().into_iter().collect();
    let rules: [(usize, Period); 3] = [
        (daily, |t| {
            t.with_timezone(&IST).format("%Y-%m-%d").to_string()
        }),
        (weekly, |t| {
            let w = t.with_timezone(&IST).iso_week();
            format!("{}-W{:02}", w.year(), w.week())
        }),
        (monthly, |t| {
            t.with_timezone(&IST).format("%Y-%m").to_string()
        }),
    ];
    for (count, period) in rules {
        let mut periods = BTreeSet::new();
        for t in made.iter().rev() {
            if periods.len() == count {
                break;
            }
            if periods.insert(period(*t)) {
                keep.insert(*t);
            }
        }
    }
    keep
}

/// The bytes the databases under `dir` hold: each one's pages in use (what is in its WAL
/// included, free pages not), so that a checkpoint or a VACUUM moving bytes between files
/// does not read as growth.
pub fn size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| {
            let path = e.path();
            match e.file_type() {
                Ok(t) if t.is_dir() => size(&path),
                Ok(_) if path.extension().is_some_and(|x| x == "db" || x == "sqlite") => {
                    in_use(&path)
                }
                _ => 0,
            }
        })
        .sum()
}

/// `(page_count - freelist_count) * page_size` of the database at `path`.
fn in_use(path: &Path) -> u64 {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("a database opens read-only");
    let pragma = |name: &str| -> u64 {
        conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get::<_, i64>(0))
            .map_or(0, |n| n as u64)
    };
    (pragma("page_count") - pragma("freelist_count")) * pragma("page_size")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        IST.from_local_datetime(&naive).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn retention_keeps_the_newest_of_each_period_going_back() {
        let made: BTreeSet<_> = [
            "2026-11-22 02:05",
            "2026-11-23 02:01",
            "2026-11-24 02:09",
            "2026-11-26 09:00",
            "2026-11-27 02:03",
            "2026-11-28 02:11",
            "2026-11-29 02:02",
            "2026-11-30 02:07",
        ]
        .into_iter()
        .map(at)
        .collect();
        let expected: BTreeSet<_> = [
            // Three days; the ISO weeks 49, 48 (Sunday the 29th) and 47 (Sunday the 22nd);
            // November's newest (the 30th).
            "2026-11-30 02:07",
            "2026-11-29 02:02",
            "2026-11-28 02:11",
            "2026-11-22 02:05",
        ]
        .into_iter()
        .map(at)
        .collect();
        assert_eq!(kept(&made, 3, 3, 1), expected);
    }

    #[test]
    fn a_reading_drops_the_headers_each_delivery_makes() {
        let a = "Date: Mon\nMessage-ID: <1@x>\nSubject: Alert\n\nRELIANCE above 1500\n";
        let b = "Date: Tue\nMessage-ID: <2@x>\nSubject: Alert\n\nRELIANCE above 1500\n";
        assert_eq!(repeated(&[a.into(), b.into()]).len(), 1);
        assert!(repeated(&[a.into()]).is_empty());
    }
}
