//! Shared set-up of the upstox-alert-scan whole-binary tests: the synthetic market on loopback
//! answering full quotes (with prices pinned where a test needs a crossing), a sandbox whose
//! `market_data.db` holds candles written straight into market-sync's `candles` table, an
//! SMTP port for `[notify.email]`, and a pinned market clock.

use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::time::Duration;

use chrono::NaiveDate;
use rusqlite::{Connection, params};

use crate::market::Market;
use crate::sync::{ist, nov, sessions};
use crate::world::{MarketWorld, email, fast_http, provider, upstox_credentials};
pub use crate::world::{TOKEN, free_port};

/// The binary under test.
pub const BIN: &str = "upstox-alert-scan";
/// The day every run of these tests happens on: Friday 2026-11-20, an NSE session.
pub const DAY: u32 = 20;
/// (instrument key, trading symbol, Yahoo symbol) of the test universe; every one is in the
/// sandbox's `instruments` table, so rules name them by symbol.
pub const STOCKS: [(&str, &str, &str); 4] = [
    ("NSE_EQ|INE002A01018", "RELIANCE", "RELIANCE.NS"),
    ("NSE_EQ|INE467B01029", "TCS", "TCS.NS"),
    ("NSE_EQ|INE009A01021", "INFY", "INFY.NS"),
    ("NSE_EQ|INE075A01022", "WIPRO", "WIPRO.NS"),
];

/// An index the quote server serves too (indices need no `instruments` row).
pub const INDEX: (&str, &str, &str) = ("NSE_INDEX|Nifty 50", "Nifty 50", "^NSEI");

/// The instrument key of a symbol of [`STOCKS`]; panics on another.
pub fn key(symbol: &str) -> &'static str {
    STOCKS
        .iter()
        .find(|(_, s, _)| *s == symbol)
        .map(|(k, _, _)| *k)
        .unwrap_or_else(|| panic!("{symbol} is not one of the test stocks"))
}

/// The configuration: Upstox at `url` with the token file in `dir`, fast retries, email to an
/// SMTP server on 127.0.0.1:`smtp_port` (running or not).
pub fn config(url: &str, dir: &Path, smtp_port: u16) -> String {
    format!(
        "{}\n{}\n{}\n[jobs.alert-scan]\nsource = \"upstox\"\nhistory_bars = 400\n\n{}",
        fast_http(1, 0.1),
        upstox_credentials(dir),
        email(smtp_port, "alerts@desk.example"),
        provider("providers.upstox", url, ""),
    )
}

/// A running market, a sandbox pointed at it, and the clock of every run: a [`MarketWorld`]
/// running [`BIN`], with an SMTP port.
pub struct AlertWorld {
    world: MarketWorld,
    /// The port `[notify.email]` names; start an [`crate::SmtpServer`] on it to receive mail.
    pub smtp_port: u16,
}

impl Deref for AlertWorld {
    type Target = MarketWorld;
    fn deref(&self) -> &MarketWorld {
        &self.world
    }
}

impl DerefMut for AlertWorld {
    fn deref_mut(&mut self) -> &mut MarketWorld {
        &mut self.world
    }
}

impl AlertWorld {
    /// NSE sessions from 2026-08-01 to 2026-11-30 served for [`STOCKS`] and [`INDEX`], the clock at
    /// 2026-11-20 10:00 IST, a valid token, and `market_data.db` created with market-sync's
    /// tables and the stocks in `instruments`.
    pub fn new() -> Self {
        let from = NaiveDate::from_ymd_opt(2026, 8, 1).expect("a date");
        let market = Market::new(sessions(from, nov(30)))
            .with_instruments(&STOCKS)
            .with_instruments(&[INDEX]);
        let smtp_port = free_port();
        let world = MarketWorld::start(BIN, market, ist(nov(DAY), 10, 0), |url, dir| {
            config(url, dir, smtp_port)
        });
        let conn = market_db(&world.sandbox.db_path());
        let pairs: Vec<_> = STOCKS.iter().map(|(k, s, _)| (*k, *s)).collect();
        fill_instruments(&conn, &pairs);
        AlertWorld { world, smtp_port }
    }

    /// Moves the clock of the binary and the server to `hh:mm` IST on 2026-11-20.
    pub fn at(&mut self, hh: u32, mm: u32) {
        self.set_now(ist(nov(DAY), hh, mm));
    }

    /// Pins the price the quote server gives `symbol` (one of [`STOCKS`]).
    pub fn price(&self, symbol: &str, rupees: f64) {
        self.server.pin_last_price(key(symbol), Some(rupees));
    }

    /// Pins the day's volume so far the quote server gives `symbol` (one of [`STOCKS`]).
    pub fn day_volume(&self, symbol: &str, volume: u64) {
        self.server.pin_day_volume(key(symbol), Some(volume));
    }

    /// `rules add SYMBOL KIND PARAMS… EXTRA…` (e.g. `--cooldown 10m`); returns the rule's number
    /// as `rules add` printed it.
    pub fn add_rule(&self, symbol: &str, kind: &str, params: &[&str], extra: &[&str]) -> i64 {
        let mut args = vec!["rules", "add", symbol, kind];
        args.extend_from_slice(params);
        args.extend_from_slice(extra);
        let out = self.run_ok(&args);
        added_rule(&out.stdout)
    }

    /// Writes day candles of `symbol` closing at `closes`, oldest first, one per NSE session,
    /// the last on the session before the clock's date: the stored history a scan at the
    /// pinned time extends with the forming bar. Highs and lows are 1 rupee around the open
    /// and close, volume 100,000. Replaces the symbol's earlier day candles.
    pub fn day_candles(&self, symbol: &str, closes: &[f64]) {
        let today = self
            .now
            .with_timezone(&chrono_tz::Asia::Kolkata)
            .date_naive();
        let dates = sessions_before(today, closes.len());
        let conn = self.db();
        write_day_candles(&conn, key(symbol), &dates, closes, 100_000);
    }

    /// Every `alert_events` row, oldest first.
    pub fn events(&self) -> Vec<EventRow> {
        events(&self.db())
    }

    /// Every `notification_outbox` row, oldest first.
    pub fn outbox(&self) -> Vec<OutboxRow> {
        outbox(&self.db())
    }

    /// The requests for full quotes received so far (path and query, percent-encoded).
    pub fn quote_requests(&self) -> Vec<String> {
        self.paths("/v2/market-quote/quotes")
    }
}

impl Default for AlertWorld {
    fn default() -> Self {
        Self::new()
    }
}

/// The rule number in `rules add`'s "added rule N: …"; panics on other output.
pub fn added_rule(stdout: &str) -> i64 {
    stdout
        .strip_prefix("added rule ")
        .and_then(|rest| rest.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not `added rule N: …`: {stdout:?}"))
}

/// Opens (creating) `market_data.db` at `path` with market-sync's tables, as
/// `upstox-market-sync` would leave it.
pub fn market_db(path: &Path) -> Connection {
    common::db::open(
        path,
        Duration::from_secs(5),
        crate::jobs::MARKET_SYNC_SCHEMAS,
    )
    .expect("market_data.db opens with market-sync's schema")
}

/// Puts (key, trading symbol) pairs of NSE equities into `instruments`, as market-sync does
/// from Upstox's instrument master, so a rule's symbol resolves to its key.
pub fn fill_instruments(conn: &Connection, list: &[(&str, &str)]) {
    let mut stmt = conn
        .prepare(
            "INSERT OR REPLACE INTO instruments (instrument_key, trading_symbol, name, isin, segment,
                 instrument_type, lot_size, tick_size, fetched_on)
             VALUES (?1, ?2, ?2, ?3, 'NSE_EQ', 'EQ', 1, 0.05, '2026-11-20')",
        )
        .expect("insert into instruments");
    for (key, symbol) in list {
        let isin = key.split_once('|').map_or(*key, |(_, i)| i);
        stmt.execute(params![key, symbol, isin])
            .expect("an instrument row");
    }
}

/// The last `n` NSE sessions (the embedded calendar, as the binaries use) before `date`,
/// oldest first.
pub fn sessions_before(date: NaiveDate, n: usize) -> Vec<NaiveDate> {
    let calendar = common::calendar::TradingCalendar::embedded();
    let mut dates = Vec::with_capacity(n);
    let mut day = date;
    while dates.len() < n {
        day = day.pred_opt().expect("a date");
        if calendar.session(day).is_some() {
            dates.push(day);
        }
    }
    dates.reverse();
    dates
}

/// The start of the day bar of `date` as stored: 00:00 IST, in UTC epoch seconds.
pub fn day_bar(date: NaiveDate) -> i64 {
    ist(date, 0, 0).timestamp()
}

/// Writes day candles of `key` on `dates` closing at `closes` (same length), in one
/// transaction, replacing the key's earlier day candles: open at the previous close, high and
/// low 1 rupee beyond, `volume` each.
pub fn write_day_candles(
    conn: &Connection,
    key: &str,
    dates: &[NaiveDate],
    closes: &[f64],
    volume: i64,
) {
    assert_eq!(dates.len(), closes.len(), "one close per date");
    conn.execute_batch("BEGIN").expect("begin");
    conn.execute(
        "DELETE FROM candles WHERE instrument = ?1 AND interval = 1440",
        [key],
    )
    .expect("old candles removed");
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO candles (instrument, interval, ts, open, high, low, close, volume, oi, source)
             VALUES (?1, 1440, ?2, ?3, ?4, ?5, ?6, ?7, NULL, 1)",
        )
        .expect("insert into candles");
    let mut open = closes.first().copied().unwrap_or_default();
    for (date, &close) in dates.iter().zip(closes) {
        stmt.execute(params![
            key,
            day_bar(*date),
            open,
            open.max(close) + 1.0,
            open.min(close) - 1.0,
            close,
            volume
        ])
        .expect("a candle");
        open = close;
    }
    drop(stmt);
    conn.execute_batch("COMMIT").expect("commit");
}

/// One `alert_events` row.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    /// The rule.
    pub rule_id: i64,
    /// Its symbol.
    pub symbol: String,
    /// What it watches, as the message says it.
    pub rule: String,
    /// Its interval.
    pub interval: String,
    /// The indicator's value.
    pub value: f64,
    /// What it was compared with.
    pub threshold: f64,
    /// The last price.
    pub price: f64,
    /// The bar it fired on.
    pub bar_ts: i64,
    /// When (RFC 3339).
    pub fired_at: String,
}

/// Every `alert_events` row, oldest first.
pub fn events(conn: &Connection) -> Vec<EventRow> {
    let mut stmt = conn
        .prepare(
            "SELECT rule_id, symbol, rule, interval, value, threshold, price, bar_ts, fired_at
             FROM alert_events ORDER BY id",
        )
        .expect("query alert_events");
    stmt.query_map([], |r| {
        Ok(EventRow {
            rule_id: r.get(0)?,
            symbol: r.get(1)?,
            rule: r.get(2)?,
            interval: r.get(3)?,
            value: r.get(4)?,
            threshold: r.get(5)?,
            price: r.get(6)?,
            bar_ts: r.get(7)?,
            fired_at: r.get(8)?,
        })
    })
    .expect("rows")
    .collect::<Result<_, _>>()
    .expect("events")
}

/// One `notification_outbox` row: (dedupe key, channel, attempts, delivered).
pub type OutboxRow = (String, String, i64, bool);

/// Every `notification_outbox` row, oldest first.
pub fn outbox(conn: &Connection) -> Vec<OutboxRow> {
    let mut stmt = conn
        .prepare(
            "SELECT dedupe_key, channel, attempts, delivered_at IS NOT NULL
             FROM notification_outbox ORDER BY id",
        )
        .expect("query notification_outbox");
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("outbox")
}

/// `alert_rules` as (id, symbol, kind, params, interval, channels, cooldown_secs, enabled),
/// by number.
pub type RuleRow = (i64, String, String, String, String, String, i64, bool);

/// Every `alert_rules` row, by number.
pub fn rule_rows(conn: &Connection) -> Vec<RuleRow> {
    let mut stmt = conn
        .prepare(
            "SELECT id, symbol, kind, params, interval, channels, cooldown_secs, enabled
             FROM alert_rules ORDER BY id",
        )
        .expect("query alert_rules");
    stmt.query_map([], |r| r.try_into())
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("rules")
}

/// The `Subject:` line of a raw email message, unfolded.
pub fn subject(message: &str) -> String {
    let mut lines = message.lines();
    let mut out = String::new();
    while let Some(line) = lines.next() {
        if let Some(rest) = line.strip_prefix("Subject: ") {
            out.push_str(rest);
            for more in lines.by_ref() {
                match more.strip_prefix([' ', '\t']) {
                    Some(folded) => {
                        out.push(' ');
                        out.push_str(folded.trim_start());
                    }
                    None => break,
                }
            }
            break;
        }
    }
    out
}
