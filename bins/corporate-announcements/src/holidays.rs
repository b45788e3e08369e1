//! The exchange calendar kept current: NSE's holiday master (`CM`, the equity segment) and
//! Upstox's market holidays (special sessions with their hours), each checked before it
//! replaces what `market_holidays` holds: a year with fewer than 8 or more than 30 equity
//! holidays, or a date outside the list's year, is refused and the stored list kept.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Weekday};
use common::calendar::{IST, Session, YearList};
use serde::Deserialize;

use crate::body::{self, BodyError};

/// Fewest equity holidays a real year has had (weekends included, as NSE lists them).
pub const MIN_PER_YEAR: usize = 8;
/// Most.
pub const MAX_PER_YEAR: usize = 30;

/// Why a list was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// Not the expected JSON.
    #[error("{0}")]
    Body(#[from] BodyError),
    /// Implausible: the stored list is kept.
    #[error("{0}; the stored calendar is kept")]
    Implausible(String),
}

#[derive(Deserialize)]
struct NseHoliday {
    #[serde(rename = "tradingDate")]
    trading_date: String,
    description: String,
}

/// NSE's `holiday-master?type=trading` body: the `CM` segment, one list for its year.
pub fn nse(body: &[u8]) -> Result<YearList, Refused> {
    let value = body::json(body)?;
    let cm = body::member(&value, "CM", "NSE holiday master")?;
    let rows: Vec<NseHoliday> = serde_json::from_value(cm.clone())
        .map_err(|e| BodyError::Shape(format!("NSE holiday master: the `CM` list: {e}")))?;
    let mut days = Vec::new();
    for row in rows {
        let date = crate::record::date(&row.trading_date).ok_or_else(|| {
            BodyError::Shape(format!(
                "NSE holiday master: tradingDate \"{}\" is not a date like 26-Jan-2025",
                common::text::excerpt(&row.trading_date, 30)
            ))
        })?;
        days.push((date, row.description.trim().to_string()));
    }
    checked(days, Vec::new())
}

#[derive(Deserialize)]
struct UpstoxAnswer {
    data: Vec<UpstoxHoliday>,
}

#[derive(Deserialize)]
struct UpstoxHoliday {
    date: NaiveDate,
    description: String,
    #[serde(default)]
    closed_exchanges: Vec<String>,
    #[serde(default)]
    open_exchanges: Vec<OpenExchange>,
}

#[derive(Deserialize)]
struct OpenExchange {
    exchange: String,
    start_time: i64,
    end_time: i64,
}

/// Upstox's `/v2/market/holidays` body: NSE's closures, and the days NSE opens outside its
/// normal session (a Saturday, Muhurat) with their hours.
pub fn upstox(body: &[u8]) -> Result<YearList, Refused> {
    let value = body::json(body)?;
    let answer: UpstoxAnswer = serde_json::from_value(value)
        .map_err(|e| BodyError::Shape(format!("Upstox market holidays: {e}")))?;
    let (mut closed, mut sessions) = (Vec::new(), Vec::new());
    for day in answer.data {
        if day.closed_exchanges.iter().any(|e| e == "NSE") {
            closed.push((day.date, day.description.trim().to_string()));
            continue;
        }
        let Some(open) = day.open_exchanges.iter().find(|e| e.exchange == "NSE") else {
            continue;
        };
        let time =
            |ms: i64| DateTime::from_timestamp_millis(ms).map(|t| t.with_timezone(&IST).time());
        let (Some(start), Some(end)) = (time(open.start_time), time(open.end_time)) else {
            return Err(Refused::Implausible(format!(
                "Upstox market holidays: {}: session times {} to {} are not times",
                day.date, open.start_time, open.end_time
            )));
        };
        let session = Session {
            open: start,
            close: end,
        };
        let weekend = matches!(day.date.weekday(), Weekday::Sat | Weekday::Sun);
        if weekend || session != Session::regular() {
            sessions.push((day.date, day.description.trim().to_string(), session));
        }
    }
    checked(closed, sessions)
}

/// The list, if it is one plausible year.
fn checked(
    holidays: Vec<(NaiveDate, String)>,
    sessions: Vec<(NaiveDate, String, Session)>,
) -> Result<YearList, Refused> {
    let mut years: BTreeMap<i32, usize> = BTreeMap::new();
    for (date, _) in &holidays {
        *years.entry(date.year()).or_default() += 1;
    }
    let Some((&year, &count)) = years.iter().max_by_key(|(_, n)| **n) else {
        return Err(Refused::Implausible("the list has no holidays".to_string()));
    };
    if let Some((date, _)) = holidays
        .iter()
        .map(|(d, t)| (*d, t))
        .chain(sessions.iter().map(|(d, t, _)| (*d, t)))
        .find(|(d, _)| d.year() != year)
    {
        return Err(Refused::Implausible(format!(
            "the {year} list has a date outside {year} ({date})"
        )));
    }
    if !(MIN_PER_YEAR..=MAX_PER_YEAR).contains(&count) {
        return Err(Refused::Implausible(format!(
            "{count} equity holidays in {year}, where a real year has {MIN_PER_YEAR} to {MAX_PER_YEAR}"
        )));
    }
    Ok(YearList {
        year,
        holidays,
        sessions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn real(path: &str) -> Option<Vec<u8>> {
        let file = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/fixtures/real")
            .join(path);
        std::fs::read(&file).ok()
    }

    #[test]
    fn nses_real_holiday_master_is_one_plausible_year() {
        let Some(bytes) = real("nse/holiday_master_trading.json") else {
            assert!(
                std::env::var_os("CI").is_none(),
                "the real sample is missing in CI"
            );
            return;
        };
        let list = nse(&bytes).unwrap();
        assert_eq!((list.year, list.holidays.len()), (2025, 18));
    }

    #[test]
    fn upstox_gives_closures_and_special_sessions() {
        let Some(bytes) = real("upstox/market_holidays.json") else {
            assert!(
                std::env::var_os("CI").is_none(),
                "the real sample is missing in CI"
            );
            return;
        };
        // The documentation's sample has one closure: too few for a year.
        let err = upstox(&bytes).unwrap_err();
        assert!(
            err.to_string().contains("1 equity holidays in 2024"),
            "{err}"
        );
    }

    fn nse_list(dates: &[&str]) -> Vec<u8> {
        let rows: Vec<String> = dates
            .iter()
            .map(|d| format!(r#"{{"tradingDate":"{d}","weekDay":"x","description":"Holiday","morning_session":null,"evening_session":null,"Sr_no":1}}"#))
            .collect();
        format!(r#"{{"CM":[{}],"FO":[]}}"#, rows.join(",")).into_bytes()
    }

    #[test]
    fn implausible_years_are_refused() {
        let few = nse_list(&["26-Jan-2027", "15-Aug-2027"]);
        assert!(
            nse(&few)
                .unwrap_err()
                .to_string()
                .contains("2 equity holidays in 2027")
        );
        let mut dates: Vec<String> = (1..=10).map(|d| format!("{d:02}-Mar-2027")).collect();
        dates.push("01-Jan-2019".into());
        let refs: Vec<&str> = dates.iter().map(String::as_str).collect();
        let err = nse(&nse_list(&refs)).unwrap_err().to_string();
        assert!(
            err.contains("has a date outside 2027 (2019-01-01)"),
            "{err}"
        );
        let many: Vec<String> = (1..=31).map(|d| format!("{d:02}-Jan-2027")).collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        assert!(
            nse(&nse_list(&refs))
                .unwrap_err()
                .to_string()
                .contains("31 equity holidays")
        );
        assert!(matches!(
            nse(b"<html>Access Denied</html>"),
            Err(Refused::Body(BodyError::Html(_)))
        ));
    }
}
