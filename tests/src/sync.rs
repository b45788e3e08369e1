//! Shared set-up of the upstox-market-sync whole-binary tests: a synthetic market on
//! loopback in Upstox's and Yahoo's formats, a sandbox configured to use it, and a pinned
//! market clock.

use std::ops::{Deref, DerefMut};

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Asia::Kolkata;
use rusqlite::Connection;

use crate::market::Market;
pub use crate::world::TOKEN;
use crate::world::{MarketWorld, fast_http, provider, upstox_credentials};

/// The binary under test.
pub const BIN: &str = "upstox-market-sync";
/// (instrument key, trading symbol, Yahoo symbol) of the test universe.
pub const INSTRUMENTS: [(&str, &str, &str); 3] = [
    ("NSE_EQ|INE002A01018", "RELIANCE", "RELIANCE.NS"),
    ("NSE_EQ|INE467B01029", "TCS", "TCS.NS"),
    ("NSE_INDEX|Nifty 50", "Nifty 50", "^NSEI"),
];

/// `hh:mm` IST on `date` as UTC.
pub fn ist(date: NaiveDate, hh: u32, mm: u32) -> DateTime<Utc> {
    Kolkata
        .from_local_datetime(&date.and_hms_opt(hh, mm, 0).expect("a time"))
        .single()
        .expect("IST has no gaps")
        .with_timezone(&Utc)
}

/// A date in 2026.
pub fn nov(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, day).expect("a date")
}

/// The sessions of the NSE calendar (the one built into the binaries) between two dates.
pub fn sessions(from: NaiveDate, to: NaiveDate) -> Vec<(NaiveDate, NaiveTime, NaiveTime)> {
    let calendar = common::calendar::TradingCalendar::embedded();
    from.iter_days()
        .take_while(|d| *d <= to)
        .filter_map(|d| calendar.session(d).map(|s| (d, s.open, s.close)))
        .collect()
}

/// A running market and a sandbox pointed at it: a [`MarketWorld`] running [`BIN`].
pub struct World(MarketWorld);

impl Deref for World {
    type Target = MarketWorld;
    fn deref(&self) -> &MarketWorld {
        &self.0
    }
}

impl DerefMut for World {
    fn deref_mut(&mut self) -> &mut MarketWorld {
        &mut self.0
    }
}

/// RELIANCE's instrument key in the world's market.
pub const RELIANCE: &str = "NSE_EQ|INE002A01018";

/// NIFTY 50's instrument key.
pub const NIFTY: &str = "NSE_INDEX|Nifty 50";

/// The configuration: Upstox at `url` (token file in `dir`), the test universe, 15-minute and
/// day bars, gaps looked for over 20 days, fast retries. `extra` is appended inside
/// `[jobs.market-sync]`.
pub fn config(url: &str, dir: &std::path::Path, extra: &str) -> String {
    configured(url, dir, 20, extra)
}

/// [`config`] looking for gaps over `lookback_days`.
pub fn configured(url: &str, dir: &std::path::Path, lookback_days: u32, extra: &str) -> String {
    let instruments = format!("instruments_url = \"{url}/instruments/NSE.json.gz\"\n");
    format!(
        r#"{http}
{credentials}
[jobs.market-sync]
watchlist = ["RELIANCE", "TCS"]
indices = ["NSE_INDEX|Nifty 50"]
intervals = ["15minute", "day"]
initial_days = {{ "15minute" = 10, "day" = 45 }}
gap_lookback_days = {lookback_days}
unfillable_after = 2
option_underlyings = ["NSE_INDEX|Nifty 50"]
option_expiries = 2
{extra}
{upstox}
{yahoo}"#,
        http = fast_http(2, 0.2),
        credentials = upstox_credentials(dir),
        upstox = provider("providers.upstox", url, &instruments),
        yahoo = provider("providers.yahoo", url, ""),
    )
}

impl World {
    /// Sessions from 2026-10-01 to 2026-11-30, runs at Friday 2026-11-20 15:45 IST (after the
    /// close), Upstox with a valid token.
    pub fn new() -> Self {
        Self::with_sessions(sessions(nov(1) - chrono::Days::new(31), nov(30)), "")
    }

    /// A world with these sessions and extra `[jobs.market-sync]` lines.
    pub fn with_sessions(list: Vec<(NaiveDate, NaiveTime, NaiveTime)>, extra: &str) -> Self {
        Self::with_lookback(list, 20, extra)
    }

    /// A world with these sessions, gaps looked for over `lookback_days`, and extra
    /// `[jobs.market-sync]` lines.
    pub fn with_lookback(
        list: Vec<(NaiveDate, NaiveTime, NaiveTime)>,
        lookback_days: u32,
        extra: &str,
    ) -> Self {
        let market = Market::new(list).with_instruments(&INSTRUMENTS);
        World(MarketWorld::start(
            BIN,
            market,
            ist(nov(20), 15, 45),
            |url, dir| configured(url, dir, lookback_days, extra),
        ))
    }
}

impl Default for World {
    fn default() -> Self {
        Self::new()
    }
}

/// Stored bar starts of (key, interval), oldest first.
pub fn stored(conn: &Connection, key: &str, interval: &str) -> Vec<i64> {
    let code = interval
        .parse::<common::market::interval::Interval>()
        .expect("an interval")
        .code();
    let mut stmt = conn
        .prepare("SELECT ts FROM candles WHERE instrument = ?1 AND interval = ?2 ORDER BY ts")
        .expect("query");
    stmt.query_map(rusqlite::params![key, code], |r| r.get(0))
        .expect("rows")
        .collect::<Result<Vec<i64>, _>>()
        .expect("ts")
}

/// One gap row: (gap_from, gap_to, bars, status, attempts).
pub type Gap = (i64, i64, i64, String, i64);

/// The gap rows of (key, interval).
pub fn gaps(conn: &Connection, key: &str, interval: &str) -> Vec<Gap> {
    let mut stmt = conn
        .prepare(
            "SELECT gap_from, gap_to, bars, status, attempts FROM data_gaps
             WHERE instrument = ?1 AND interval = ?2 ORDER BY gap_from",
        )
        .expect("query");
    stmt.query_map([key, interval], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
    })
    .expect("rows")
    .collect::<Result<Vec<Gap>, _>>()
    .expect("gaps")
}

/// `SELECT count(*) FROM <table>`.
pub fn count(conn: &Connection, table: &str) -> i64 {
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .expect("count")
}
