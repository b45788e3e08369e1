//! `upstox-jobs runs`: the runs in `job_runs`, newest first, filtered.

use std::fmt::Write as _;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use common::calendar::IST;
use rusqlite::Connection;

use common::calendar::ist_minute;
use common::text::Shown;

/// Which runs to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this job.
    pub job: Option<String>,
    /// Only runs that did not succeed (failed, partial, interrupted).
    pub failed: bool,
    /// Only runs started at or after this.
    pub since: Option<DateTime<Utc>>,
    /// At most this many.
    pub limit: usize,
}

/// Reads `--since`: a span back from `now` (`30m`, `24h`, `7d`) or an IST date (`2026-11-20`).
pub fn parse_since(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let bad = || {
        format!(
            "--since `{text}`: give a span such as 30m, 24h or 7d, or a date such as 2026-11-20"
        )
    };
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let midnight = date.and_hms_opt(0, 0, 0).ok_or_else(bad)?;
        return IST
            .from_local_datetime(&midnight)
            .single()
            .map(|d| d.with_timezone(&Utc))
            .ok_or_else(bad);
    }
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?);
    let n: i64 = number.parse().map_err(|_| bad())?;
    let span = match unit {
        "m" => Duration::try_minutes(n),
        "h" => Duration::try_hours(n),
        "d" => Duration::try_days(n),
        _ => return Err(bad()),
    };
    span.and_then(|span| now.checked_sub_signed(span))
        .ok_or_else(bad)
}

/// The runs `filter` selects, as a table.
pub fn render(conn: &Connection, filter: &Filter) -> rusqlite::Result<String> {
    let since = filter.since.map(common::runs::timestamp);
    let mut stmt = conn.prepare(
        "SELECT id, job, started_at, status, duration_ms, units_ok, units_failed, rows_changed,
                COALESCE(error, summary, ''), COALESCE(invocation_id, '')
         FROM job_runs
         WHERE (?1 IS NULL OR job = ?1)
           AND (NOT ?2 OR status IN ('failed', 'partial', 'interrupted'))
           AND (?3 IS NULL OR started_at >= ?3)
         ORDER BY id DESC LIMIT ?4",
    )?;
    let rows = stmt.query_map(
        rusqlite::params![filter.job, filter.failed, since, filter.limit as i64],
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<i64>>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, i64>(6)?,
                r.get::<_, i64>(7)?,
                r.get::<_, String>(8)?,
                r.get::<_, String>(9)?,
            ))
        },
    )?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>5} {:<24} {:<16} {:<11} {:>7} {:>7} {:>6}  {:<32}  ERROR OR SUMMARY",
        "ID", "JOB", "STARTED (IST)", "STATUS", "TOOK", "UNITS", "ROWS", "INVOCATION"
    );
    let mut count = 0;
    for row in rows {
        let (id, job, started, status, ms, ok, failed, rows, text, invocation) = row?;
        let started = DateTime::parse_from_rfc3339(&started)
            .map_or(started.clone(), |d| ist_minute(d.with_timezone(&Utc)));
        let took = ms.map_or("-".to_string(), |ms| format!("{:.1}s", ms as f64 / 1000.0));
        let text: String = text.chars().take(120).collect();
        let _ = writeln!(
            out,
            "{id:>5} {job:<24} {started:<16} {status:<11} {took:>7} {:>7} {rows:>6}  {:<32}  {}",
            format!("{ok}/{}", ok + failed),
            Shown(&invocation),
            // The error quotes sources; a row from before they were cleaned may carry escapes.
            Shown(&text)
        );
        count += 1;
    }
    if count == 0 {
        let _ = writeln!(out, "(no runs match)");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_spans_and_ist_dates() {
        let now = DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(parse_since("24h", now).unwrap(), now - Duration::hours(24));
        assert_eq!(parse_since("7d", now).unwrap(), now - Duration::days(7));
        assert_eq!(
            common::runs::timestamp(parse_since("2026-11-20", now).unwrap()),
            "2026-11-19T18:30:00.000Z"
        );
        assert!(
            parse_since("yesterday", now)
                .unwrap_err()
                .contains("--since `yesterday`")
        );
        assert!(parse_since("5w", now).is_err());
        assert!(
            parse_since("99999999999999d", now).is_err(),
            "no overflow panic"
        );
    }
}
