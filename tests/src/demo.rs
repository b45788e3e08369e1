//! The desk's market for `make demo`: the synthetic NIFTY 50 of the NSE fixtures (both days:
//! before and after the rebalance), three real NIFTY 50 names the README's examples use, and
//! the main indices, over the NSE calendar's sessions up to now, with two quotes moved so the
//! demo's alert rules cross their levels.

use std::path::Path;

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Kolkata;

use crate::market::Market;
use crate::sync::sessions;

/// Real NIFTY 50 members the README's examples name: (instrument key, symbol, Yahoo symbol).
pub const REAL: [(&str, &str, &str); 3] = [
    ("NSE_EQ|INE002A01018", "RELIANCE", "RELIANCE.NS"),
    ("NSE_EQ|INE467B01029", "TCS", "TCS.NS"),
    ("NSE_EQ|INE009A01021", "INFY", "INFY.NS"),
];

/// The main indices, as market-sync's defaults name them.
pub const INDICES: [(&str, &str, &str); 3] = [
    ("NSE_INDEX|Nifty 50", "Nifty 50", "^NSEI"),
    ("NSE_INDEX|Nifty Bank", "Nifty Bank", "^NSEBANK"),
    ("NSE_INDEX|India VIX", "India VIX", "^INDIAVIX"),
];

/// How far a moved quote is from the previous session's close (4 %): the rule's level sits
/// half-way, so the forming bar crosses it and the previous bar did not.
const MOVE: f64 = 0.04;

/// An alert rule the demo adds, with the quote that makes it fire.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoRule {
    /// NSE symbol.
    pub symbol: &'static str,
    /// `price-above` or `price-below`.
    pub kind: &'static str,
    /// The level, rupees on the 0.05 tick.
    pub level: f64,
    /// The last price the quote gives, rupees.
    pub quote: f64,
}

/// The demo's market at `now`: sessions of the NSE calendar from 500 days before it to its IST
/// date; instruments of every `ind_nifty50list.csv` under `nse_dir` (keys from their ISINs),
/// [`REAL`] and [`INDICES`].
pub fn market(nse_dir: &Path, now: DateTime<Utc>) -> Result<Market, String> {
    let today = now.with_timezone(&Kolkata).date_naive();
    let list = instruments(nse_dir)?;
    let borrowed: Vec<(&str, &str, &str)> = list
        .iter()
        .map(|(k, s, y)| (k.as_str(), s.as_str(), y.as_str()))
        .collect();
    let from = today - Days::new(500);
    Ok(Market::new(sessions(from, today)).with_instruments(&borrowed))
}

/// The demo's instruments: (instrument key, symbol, Yahoo symbol) of every
/// `ind_nifty50list.csv` under `nse_dir` (keys from their ISINs), [`REAL`] and [`INDICES`].
pub fn instruments(nse_dir: &Path) -> Result<Vec<(String, String, String)>, String> {
    let mut list: Vec<(String, String, String)> = Vec::new();
    for file in [
        nse_dir.join("ind_nifty50list.csv"),
        nse_dir.join("rebalanced/ind_nifty50list.csv"),
    ] {
        let text = std::fs::read_to_string(&file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
            let fields: Vec<&str> = line.trim_end().split(',').collect();
            let [_, _, symbol, _, isin] = fields[..] else {
                return Err(format!("{}: not 5 columns: {line}", file.display()));
            };
            let key = format!("NSE_EQ|{isin}");
            if !list.iter().any(|(k, _, _)| *k == key) {
                list.push((key, symbol.to_string(), format!("{symbol}.NS")));
            }
        }
    }
    list.extend(
        REAL.iter()
            .chain(&INDICES)
            .map(|(k, s, y)| (k.to_string(), s.to_string(), y.to_string())),
    );
    Ok(list)
}

/// The demo's rules at `now`: RELIANCE quoted 4 % above its previous session's close with a
/// `price-above` level half-way, TCS 4 % below with a `price-below`. `None` before the
/// calendar's first two sessions.
pub fn rules(market: &Market, now: DateTime<Utc>) -> Option<Vec<DemoRule>> {
    let (_, previous) = last_two_sessions(now)?;
    let midnight = Kolkata
        .from_local_datetime(&previous.and_hms_opt(0, 0, 0)?)
        .single()?
        .timestamp();
    let tick = |x: f64| (x * 20.0).round() / 20.0;
    let rule = |(key, symbol, _): (&str, &'static str, &str), kind, sign: f64| {
        let close = market.candle(key, "day", midnight).close;
        DemoRule {
            symbol,
            kind,
            level: tick(close * (1.0 + sign * MOVE / 2.0)),
            quote: tick(close * (1.0 + sign * MOVE)),
        }
    };
    Some(vec![
        rule(REAL[0], "price-above", 1.0),
        rule(REAL[1], "price-below", -1.0),
    ])
}

/// The IST dates of the session under way or last held at `now`, and of the one before it.
fn last_two_sessions(now: DateTime<Utc>) -> Option<(NaiveDate, NaiveDate)> {
    let calendar = common::calendar::TradingCalendar::embedded();
    let ist = now.with_timezone(&Kolkata);
    let mut held = (0..30u64).filter_map(|back| {
        let date = ist.date_naive().checked_sub_days(Days::new(back))?;
        let session = calendar.session(date)?;
        (back > 0 || ist.time() >= session.open).then_some(date)
    });
    Some((held.next()?, held.next()?))
}

/// The instrument key of one of [`REAL`]'s symbols.
pub fn key_of(symbol: &str) -> Option<&'static str> {
    REAL.iter()
        .find(|(_, s, _)| *s == symbol)
        .map(|(k, _, _)| *k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_cross_their_levels_from_the_previous_close() {
        // Friday 2026-11-20 18:00 IST: the previous session is Thursday the 19th.
        let now = Utc.with_ymd_and_hms(2026, 11, 20, 12, 30, 0).unwrap();
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/nse");
        let market = market(&dir, now).expect("the fixtures read");
        let rules = rules(&market, now).expect("two sessions");
        let thursday = Kolkata
            .with_ymd_and_hms(2026, 11, 19, 0, 0, 0)
            .unwrap()
            .timestamp();
        for rule in rules {
            let close = market
                .candle(key_of(rule.symbol).unwrap(), "day", thursday)
                .close;
            let (low, high) = match rule.kind {
                "price-above" => (close, rule.quote),
                _ => (rule.quote, close),
            };
            assert!(
                low < rule.level && rule.level < high,
                "{rule:?} around {close}"
            );
        }
    }

    #[test]
    fn the_session_under_way_counts_from_its_open() {
        // Monday 2026-11-23 09:00 IST, before the open: Friday and Thursday.
        let before = Utc.with_ymd_and_hms(2026, 11, 23, 3, 30, 0).unwrap();
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        assert_eq!(last_two_sessions(before), Some((day(20), day(19))));
        // 09:30 IST: Monday and Friday.
        let after = Utc.with_ymd_and_hms(2026, 11, 23, 4, 0, 0).unwrap();
        assert_eq!(last_two_sessions(after), Some((day(23), day(20))));
    }
}
