//! The NSE equity trading calendar, in Asia/Kolkata whatever the server's zone: weekends, the
//! holidays NSE publishes (shipped file, else the copy built in), and entries other jobs add to
//! the `market_holidays` table (closures announced late, special sessions such as Muhurat).
//! systemd's calendar only triggers a run; this decides whether now is a trading minute.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use rusqlite::Connection;
use serde::Deserialize;

use crate::db::{Adopted, Schema};
use crate::files::ReadError;

/// India Standard Time. No DST, so no skipped or repeated hours.
pub const IST: Tz = chrono_tz::Asia::Kolkata;

/// The holiday list built into the binary, in NSE's `holiday-master` format.
const EMBEDDED: &str = include_str!("../../packaging/nse-holidays.json");

/// A trading session's hours, IST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    /// Opening time.
    pub open: NaiveTime,
    /// Closing time.
    pub close: NaiveTime,
}

impl Session {
    /// The normal equity session, 09:15–15:30.
    pub fn regular() -> Self {
        Session {
            open: NaiveTime::from_hms_opt(9, 15, 0).expect("valid time"),
            close: NaiveTime::from_hms_opt(15, 30, 0).expect("valid time"),
        }
    }
}

/// What kind of day a date is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Day {
    /// A normal trading day.
    Trading(Session),
    /// A special session on a day that is otherwise closed (Muhurat, special Saturdays).
    Special(Session, String),
    /// Saturday or Sunday.
    Weekend,
    /// An exchange holiday, with NSE's description.
    Holiday(String),
}

/// Why a holiday list could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    /// Not NSE's holiday-master JSON.
    #[error(
        "{source_name}: not an NSE holiday list: {detail}; check [calendar] holidays_file, or remove it to use the list built in"
    )]
    Format {
        /// File or table name.
        source_name: String,
        /// What was wrong.
        detail: String,
    },
    /// The file could not be read.
    #[error("{path}: {error}; check [calendar] holidays_file")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The `market_holidays` table could not be read.
    #[error("market_holidays: {0}{advice}", advice = crate::db::advice(.0))]
    Db(#[from] rusqlite::Error),
}

#[derive(Deserialize)]
struct NseHoliday {
    #[serde(rename = "tradingDate")]
    trading_date: String,
    description: String,
}

/// The calendar.
#[derive(Debug, Clone, Default)]
pub struct TradingCalendar {
    holidays: BTreeMap<NaiveDate, String>,
    special: BTreeMap<NaiveDate, (Session, String)>,
}

impl TradingCalendar {
    /// Parses NSE's `holiday-master?type=trading` body, keeping the equity (`CM`) segment.
    pub fn from_nse_json(json: &str, source_name: &str) -> Result<Self, CalendarError> {
        let format = |detail: String| CalendarError::Format {
            source_name: source_name.to_string(),
            detail,
        };
        let mut segments: BTreeMap<String, Vec<NseHoliday>> =
            serde_json::from_str(json).map_err(|e| format(e.to_string()))?;
        let cm = segments
            .remove("CM")
            .ok_or_else(|| format("no `CM` (equities) segment".to_string()))?;
        let mut holidays = BTreeMap::new();
        for h in cm {
            let date = NaiveDate::parse_from_str(&h.trading_date, "%d-%b-%Y")
                .map_err(|e| format(format!("tradingDate `{}`: {e}", h.trading_date)))?;
            holidays.insert(date, h.description.trim().to_string());
        }
        Ok(TradingCalendar {
            holidays,
            special: BTreeMap::new(),
        })
    }

    /// The list built into the binary.
    pub fn embedded() -> Self {
        Self::from_nse_json(EMBEDDED, "built-in holiday list")
            .expect("the built-in holiday list parses")
    }

    /// `file` when it exists (`[calendar] holidays_file`), else the built-in list.
    pub fn load(file: &Path) -> Result<Self, CalendarError> {
        // NSE's list for a year is a few KiB: a file a thousand times that is not one.
        match crate::files::read_text_bounded(file, 4 * 1024 * 1024) {
            Ok(text) => Self::from_nse_json(&text, &file.display().to_string()),
            Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                Ok(Self::embedded())
            }
            Err(ReadError::Io(error)) => Err(CalendarError::Io {
                path: file.display().to_string(),
                error,
            }),
            Err(too_large @ ReadError::TooLarge { .. }) => Err(CalendarError::Io {
                path: file.display().to_string(),
                error: std::io::Error::new(std::io::ErrorKind::FileTooLarge, too_large),
            }),
        }
    }

    /// Adds the `market_holidays` rows: holidays close a day, special sessions open one.
    pub fn with_table(mut self, conn: &Connection) -> Result<Self, CalendarError> {
        let mut stmt = conn.prepare(
            "SELECT date, description, kind, open_time, close_time FROM market_holidays",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })?;
        for row in rows {
            let (date, description, kind, open, close) = row?;
            let bad = |detail: String| CalendarError::Format {
                source_name: "market_holidays".to_string(),
                detail,
            };
            let date = NaiveDate::parse_from_str(&date, "%Y-%m-%d")
                .map_err(|e| bad(format!("date `{date}`: {e}")))?;
            if kind == "special_session" {
                let time = |t: Option<String>| {
                    let t = t.ok_or_else(|| {
                        bad(format!(
                            "{date}: a special session needs open_time and close_time"
                        ))
                    })?;
                    NaiveTime::parse_from_str(&t, "%H:%M")
                        .map_err(|e| bad(format!("{date}: time `{t}`: {e}")))
                };
                let session = Session {
                    open: time(open)?,
                    close: time(close)?,
                };
                self.special.insert(date, (session, description));
            } else {
                self.holidays.insert(date, description);
            }
        }
        Ok(self)
    }

    /// What `date` (an IST date) is.
    pub fn day(&self, date: NaiveDate) -> Day {
        if let Some((session, description)) = self.special.get(&date) {
            return Day::Special(*session, description.clone());
        }
        if let Some(description) = self.holidays.get(&date) {
            return Day::Holiday(description.clone());
        }
        match date.weekday() {
            Weekday::Sat | Weekday::Sun => Day::Weekend,
            _ => Day::Trading(Session::regular()),
        }
    }

    /// The session on `date`, if the market opens that day.
    pub fn session(&self, date: NaiveDate) -> Option<Session> {
        match self.day(date) {
            Day::Trading(s) | Day::Special(s, _) => Some(s),
            Day::Weekend | Day::Holiday(_) => None,
        }
    }

    /// Whether the holiday list has any entry for `year`: without one, holidays that year are unknown.
    pub fn covers(&self, year: i32) -> bool {
        self.holidays.keys().any(|d| d.year() == year)
    }

    /// Whether the holidays of every day from `from` for `days` days are known (their years
    /// are listed): `upstox-jobs status` warns when the next 30 are not.
    pub fn covers_days(&self, from: NaiveDate, days: u32) -> bool {
        let last = from + chrono::Duration::days(i64::from(days));
        (from.year()..=last.year()).all(|year| self.covers(year))
    }
}

/// The `market_holidays` table: closures NSE announces late and special sessions (Muhurat),
/// added to the published list. `IF NOT EXISTS` because a database from before the
/// bookkeeping tables were split by owner has it from the `common` component.
pub const SCHEMA: Schema = Schema {
    component: "calendar",
    migrations: &["CREATE TABLE IF NOT EXISTS market_holidays (
            date TEXT PRIMARY KEY,
            description TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('holiday', 'special_session')),
            open_time TEXT,
            close_time TEXT,
            source TEXT NOT NULL
        ) WITHOUT ROWID;"],
    adopted: Some(Adopted {
        from: "common",
        version: 1,
    }),
};

/// One year of a source's list for `market_holidays`: closures and special sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearList {
    /// The year.
    pub year: i32,
    /// Closed days, with the exchange's description.
    pub holidays: Vec<(NaiveDate, String)>,
    /// Days open for a special session (Muhurat, a Saturday), with their hours.
    pub sessions: Vec<(NaiveDate, String, Session)>,
}

/// Replaces what `source` stored for `list.year` in `market_holidays` with `list`, but for the
/// days another source already holds the same way or as a special session (a special session
/// of `list` does replace another source's closure: Muhurat on a listed holiday). Returns how
/// many days changed; a list equal to the stored one changes nothing.
pub fn store_year(conn: &Connection, source: &str, list: &YearList) -> rusqlite::Result<usize> {
    /// A `market_holidays` row: date, description, kind, open and close times.
    type Row = (String, String, String, Option<String>, Option<String>);
    let (first, last) = (
        format!("{}-01-01", list.year),
        format!("{}-12-31", list.year),
    );
    let mut stored = conn.prepare(
        "SELECT date, description, kind, open_time, close_time FROM market_holidays
         WHERE source = ?1 AND date BETWEEN ?2 AND ?3 ORDER BY date",
    )?;
    let old = stored
        .query_map(rusqlite::params![source, first, last], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<Row>>>()?;
    let time = |t: NaiveTime| t.format("%H:%M").to_string();
    let mut new: Vec<Row> = list
        .holidays
        .iter()
        .map(|(d, text)| {
            (
                d.to_string(),
                text.clone(),
                "holiday".to_string(),
                None,
                None,
            )
        })
        .chain(list.sessions.iter().map(|(d, text, s)| {
            (
                d.to_string(),
                text.clone(),
                "special_session".to_string(),
                Some(time(s.open)),
                Some(time(s.close)),
            )
        }))
        .collect();
    // Another source's day stands when it says the same, or opens a session this list closes:
    // each refresh then leaves the other's rows as they are, and a rerun changes nothing.
    let mut others = conn.prepare(
        "SELECT date, kind FROM market_holidays WHERE source <> ?1 AND date BETWEEN ?2 AND ?3",
    )?;
    let others = others
        .query_map(rusqlite::params![source, first, last], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<(String, String)>>>()?;
    new.retain(|row| {
        !others
            .iter()
            .any(|(date, kind)| *date == row.0 && (*kind == row.2 || kind == "special_session"))
    });
    new.sort();
    new.dedup_by(|a, b| a.0 == b.0);
    if new == old {
        return Ok(0);
    }
    let changed = new.iter().filter(|row| !old.contains(row)).count()
        + old
            .iter()
            .filter(|row| !new.iter().any(|n| n.0 == row.0))
            .count();
    conn.execute(
        "DELETE FROM market_holidays WHERE source = ?1 AND date BETWEEN ?2 AND ?3",
        rusqlite::params![source, first, last],
    )?;
    let mut insert = conn.prepare(
        "INSERT INTO market_holidays (date, description, kind, open_time, close_time, source)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (date) DO UPDATE SET description = excluded.description, kind = excluded.kind,
             open_time = excluded.open_time, close_time = excluded.close_time, source = excluded.source",
    )?;
    for (date, description, kind, open, close) in &new {
        insert.execute(rusqlite::params![
            date,
            description,
            kind,
            open,
            close,
            source
        ])?;
    }
    Ok(changed)
}

/// `at` in IST to the minute, as listings show it: `2026-11-20 15:45`.
pub fn ist_minute(at: DateTime<Utc>) -> String {
    at.with_timezone(&IST).format("%Y-%m-%d %H:%M").to_string()
}

/// Today's date in IST.
pub fn today(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&IST).date_naive()
}

/// The embedded calendar with the `market_holidays` rows `sql` inserts into a fresh database.
#[cfg(test)]
pub(crate) fn embedded_with(sql: &str) -> TradingCalendar {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let conn = crate::db::open(
        &dir.path().join("m.db"),
        std::time::Duration::from_secs(1),
        &crate::schemas::COMMON,
    )
    .expect("a database");
    conn.execute_batch(sql).expect("the rows insert");
    TradingCalendar::embedded()
        .with_table(&conn)
        .expect("the rows read")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::Gate;

    /// Whether the market is open at `at`, as the market-hours gate decides it.
    fn open(cal: &TradingCalendar, at: DateTime<Utc>) -> bool {
        let hours = Gate::MarketHours {
            after_close_minutes: 0,
        };
        hours.check(cal, at).is_ok()
    }
    use chrono::TimeZone;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn ist(s: &str) -> DateTime<Utc> {
        let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        IST.from_local_datetime(&naive).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn built_in_list_knows_2025_and_2026_holidays() {
        let cal = TradingCalendar::embedded();
        assert!(cal.covers(2025) && cal.covers(2026));
        assert_eq!(
            cal.day(d("2026-01-26")),
            Day::Holiday("Republic Day".into())
        );
        assert_eq!(cal.day(d("2025-12-25")), Day::Holiday("Christmas".into()));
        assert_eq!(cal.day(d("2026-11-21")), Day::Weekend);
        assert_eq!(cal.day(d("2026-11-23")), Day::Trading(Session::regular()));
    }

    #[test]
    fn market_hours_are_ist_whatever_the_utc_clock_says() {
        let cal = TradingCalendar::embedded();
        assert!(!open(&cal, ist("2026-11-23 09:14")));
        assert!(open(&cal, ist("2026-11-23 09:15")));
        assert!(open(&cal, ist("2026-11-23 15:30")));
        assert!(!open(&cal, ist("2026-11-23 15:31")));
        // 04:00 UTC is 09:30 IST.
        assert!(open(
            &cal,
            Utc.with_ymd_and_hms(2026, 11, 23, 4, 0, 0).unwrap()
        ));
        assert!(!open(&cal, ist("2026-11-24 11:00")), "Guru Nanak Jayanti");
        assert_eq!(
            today(Utc.with_ymd_and_hms(2026, 11, 22, 19, 0, 0).unwrap()),
            d("2026-11-23")
        );
    }

    #[test]
    fn reads_the_real_nse_holiday_master_body() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/fixtures/real/nse/holiday_master_trading.json");
        let Ok(text) = std::fs::read_to_string(&path) else {
            assert!(
                std::env::var_os("CI").is_none(),
                "{} is missing in CI",
                path.display()
            );
            eprintln!("skipping: {} is not present", path.display());
            return;
        };
        let cal = TradingCalendar::from_nse_json(&text, "holiday_master_trading.json").unwrap();
        assert!(matches!(cal.day(d("2025-03-14")), Day::Holiday(h) if h == "Holi"));
        assert_eq!(cal.holidays.len(), 18);
    }

    #[test]
    fn a_body_without_equities_is_refused() {
        let err = TradingCalendar::from_nse_json(r#"{"FO":[]}"#, "x.json").unwrap_err();
        assert!(err.to_string().contains("CM"), "{err}");
        let err = TradingCalendar::from_nse_json("<html>", "x.json").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("x.json: not an NSE holiday list"),
            "{err}"
        );
    }

    #[test]
    fn a_stored_year_replaces_the_sources_old_one_and_a_rerun_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::db::open(
            &dir.path().join("m.db"),
            std::time::Duration::from_secs(1),
            &crate::schemas::COMMON,
        )
        .unwrap();
        let list = YearList {
            year: 2031,
            holidays: vec![(d("2031-01-26"), "Republic Day".into())],
            sessions: vec![(
                d("2031-11-16"),
                "Muhurat Trading".into(),
                Session {
                    open: NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
                    close: NaiveTime::from_hms_opt(19, 0, 0).unwrap(),
                },
            )],
        };
        assert_eq!(store_year(&conn, "nse", &list).unwrap(), 2);
        assert_eq!(store_year(&conn, "nse", &list).unwrap(), 0);
        let cal = TradingCalendar::default().with_table(&conn).unwrap();
        assert!(cal.covers(2031) && !cal.covers(2032));
        assert!(cal.covers_days(d("2031-06-01"), 30));
        assert!(!cal.covers_days(d("2031-12-15"), 30));
        assert!(open(&cal, ist("2031-11-16 18:30")));
        let fewer = YearList {
            sessions: Vec::new(),
            ..list
        };
        assert_eq!(store_year(&conn, "nse", &fewer).unwrap(), 1);
    }

    #[test]
    fn the_table_adds_closures_and_special_sessions() {
        let cal = embedded_with(
            "INSERT INTO market_holidays VALUES ('2026-12-01', 'Election', 'holiday', NULL, NULL, 'test');
             INSERT INTO market_holidays VALUES ('2026-11-08', 'Muhurat Trading', 'special_session', '18:00', '19:00', 'test');",
        );
        assert_eq!(cal.day(d("2026-12-01")), Day::Holiday("Election".into()));
        assert!(open(&cal, ist("2026-11-08 18:30")), "Muhurat on a Sunday");
        assert!(!open(&cal, ist("2026-11-08 10:00")));
    }
}
