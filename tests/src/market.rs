//! A synthetic market on 127.0.0.1 that speaks the real Upstox API and Yahoo Finance chart
//! formats, for whole-binary tests of `upstox-market-sync` and for its benchmark.
//!
//! [`Market`] is the world: trading sessions (IST hours), instruments, and a deterministic price
//! path per instrument. Every candle is a pure function of (instrument key, interval, bar start),
//! so a test can compute what the job should have stored with [`Market::candle`] and
//! [`Market::bars`] instead of keeping golden files. Coarser candles are aggregates of the
//! 1-minute path (open of the first minute, close of the last, extremes, summed volume), so the
//! intervals and both providers agree with each other the way the real sources do.
//!
//! [`MarketServer`] serves that world over HTTP with the sources' byte shapes (see
//! `shared/notes/data-sources.md` §3–§4 and `shared/fixtures/real/`), and misbehaves on request:
//! holes, corrupt bars, Yahoo null bars, a required token, scripted faults, Upstox-style rate
//! limits. It is a plain `std::net` server rather than tiny_http because tiny_http drops a
//! `Connection: close` response header and cannot cut a body short; every reply here closes the
//! connection so clients never pay tiny_http's ~40 ms delayed-ACK stall on reused connections.
//! Bodies are written straight into a preallocated buffer (no `serde_json::Value` trees), so the
//! server is not what a benchmark measures.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use chrono::{
    DateTime, Datelike, FixedOffset, Months, NaiveDate, NaiveTime, Timelike, Utc, Weekday,
};

/// IST is UTC+05:30 all year (no DST).
const IST: i64 = 19_800;
const DAY: i64 = 86_400;
/// `NaiveDate::num_days_from_ce` of 1970-01-01.
const UNIX_EPOCH_CE: i64 = 719_163;
/// The default "now": 3000-01-01T00:00:00Z, after every session a test builds.
const FAR_FUTURE_MS: i64 = 32_503_680_000_000;
/// Strike spacing and how many strikes on each side of the at-the-money one.
const STRIKE_STEP: i64 = 50;
const STRIKES_EACH_SIDE: i64 = 5;
/// Upstox's limit on keys per quote request.
const MAX_QUOTE_KEYS: usize = 500;

/// Mon–Fri sessions 09:15–15:30 IST from `from` to `to` inclusive: the usual NSE week without
/// holidays, for tests and the benchmark that do not care about the calendar.
pub fn weekday_sessions(from: NaiveDate, to: NaiveDate) -> Vec<(NaiveDate, NaiveTime, NaiveTime)> {
    let open = NaiveTime::from_hms_opt(9, 15, 0).expect("09:15 is a time");
    let close = NaiveTime::from_hms_opt(15, 30, 0).expect("15:30 is a time");
    from.iter_days()
        .take_while(|d| *d <= to)
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .map(|d| (d, open, close))
        .collect()
}

/// `n` synthetic NSE equities as (instrument key, trading symbol, Yahoo symbol):
/// `NSE_EQ|INE…` with a valid-looking 12-character ISIN (correct check digit), `SYM001`…,
/// `SYM001.NS`…, for [`Market::with_instruments`].
pub fn synthetic_equities(n: usize) -> Vec<(String, String, String)> {
    (1..=n)
        .map(|i| {
            // INE + 4-character company code + "01" (equity) + "01" (serial) + check digit,
            // the layout of real Indian equity ISINs such as INE002A01018. The code ends in a
            // letter from the end of the alphabet, so a synthetic key is never a real
            // company's (INE002A01018 is RELIANCE's).
            let letter = char::from(b'Z' - ((i / 1000) % 26) as u8);
            let body = format!("INE{:03}{letter}0101", i % 1000);
            let check =
                crate::jobs::isin_check_digit(&body).expect("the body is letters and digits");
            let isin = format!("{body}{check}");
            let symbol = format!("SYM{i:03}");
            (
                format!("NSE_EQ|{isin}"),
                symbol.clone(),
                format!("{symbol}.NS"),
            )
        })
        .collect()
}

/// One candle as the server serves it (before any [`MarketServer::corrupt`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SynthCandle {
    /// Bar start, epoch seconds (day bars: 00:00 IST of the date).
    pub ts: i64,
    /// Open, rupees with at most 2 decimals (a multiple of the 0.05 tick).
    pub open: f64,
    /// High, >= max(open, close).
    pub high: f64,
    /// Low, <= min(open, close).
    pub low: f64,
    /// Close.
    pub close: f64,
    /// Traded quantity; > 0 for equities, 0 for `NSE_INDEX|…` keys.
    pub volume: u64,
    /// Open interest; always 0 (cash and index instruments have none).
    pub oi: u64,
}

/// A scripted misbehaviour for [`MarketServer::script`].
#[derive(Debug, Clone)]
pub enum Fault {
    /// This status, this body, this content type (`None`: `application/json`).
    Status(u16, String, Option<String>),
    /// Status 429: Upstox paths get Upstox's UDAPI10005 body, Yahoo paths Yahoo's plain
    /// "Too Many Requests"; `Retry-After: <secs>` only when given (Upstox never sends one).
    TooMany {
        /// Seconds for a `Retry-After` header, if any.
        retry_after: Option<u64>,
    },
    /// This status with an HTML error page like a proxy's (nginx/Cloudflare 502), `text/html`.
    Html(u16),
    /// Wait this long, then give the normal reply (for client timeouts).
    Delay(Duration),
    /// The normal reply's headers with a `Content-Length` larger than what follows: half the
    /// body is sent, then the connection is closed.
    Truncated,
}

/// One request the server received.
#[derive(Debug, Clone)]
pub struct Logged {
    /// Path with query string, exactly as sent (still percent-encoded).
    pub path: String,
    /// Wall-clock arrival (after the request head was read).
    pub at: SystemTime,
    /// Monotonic arrival, for measuring pacing.
    pub instant: Instant,
    /// The status of the reply; 0 while the reply is still being made (e.g. during a
    /// [`Fault::Delay`]).
    pub status: u16,
}

/// The candle intervals the server knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Interval {
    M1,
    M5,
    M15,
    Day,
}

impl Interval {
    /// Accepts the market's names ("1minute", "5minute", "15minute", "day") and Yahoo's
    /// ("1m", "5m", "15m", "1d").
    fn parse(s: &str) -> Option<Self> {
        match s {
            "1minute" | "1m" => Some(Self::M1),
            "5minute" | "5m" => Some(Self::M5),
            "15minute" | "15m" => Some(Self::M15),
            "day" | "1d" => Some(Self::Day),
            _ => None,
        }
    }

    /// Upstox v3's (unit, interval) path pair.
    fn from_upstox(unit: &str, n: &str) -> Option<Self> {
        match (unit, n) {
            ("minutes", "1") => Some(Self::M1),
            ("minutes", "5") => Some(Self::M5),
            ("minutes", "15") => Some(Self::M15),
            ("days", "1") => Some(Self::Day),
            _ => None,
        }
    }

    fn seconds(self) -> i64 {
        match self {
            Self::M1 => 60,
            Self::M5 => 300,
            Self::M15 => 900,
            Self::Day => DAY,
        }
    }

    fn yahoo(self) -> &'static str {
        match self {
            Self::M1 => "1m",
            Self::M5 => "5m",
            Self::M15 => "15m",
            Self::Day => "1d",
        }
    }

    /// Normalises a bar start: day bars are keyed by 00:00 IST of their date, whatever time of
    /// that date the caller used (Yahoo stamps them 09:15).
    fn key_ts(self, ts: i64) -> i64 {
        match self {
            Self::Day => midnight(ist_date(ts)),
            _ => ts,
        }
    }

    fn parse_or_panic(s: &str) -> Self {
        Self::parse(s).unwrap_or_else(|| {
            panic!("unknown interval {s:?}: use 1minute, 5minute, 15minute or day")
        })
    }
}

/// A trading session, epoch seconds.
#[derive(Debug, Clone, Copy)]
struct Session {
    open: i64,
    close: i64,
}

impl Session {
    /// Bar starts of this session for an intraday interval, or the day bar of `date`.
    fn bar_starts(&self, date: NaiveDate, iv: Interval) -> Vec<i64> {
        match iv {
            Interval::Day if self.close > self.open => vec![midnight(date)],
            Interval::Day => Vec::new(),
            _ => (self.open..self.close)
                .step_by(iv.seconds() as usize)
                .collect(),
        }
    }
}

/// One known instrument.
#[derive(Debug, Clone)]
struct Instrument {
    key: String,
    symbol: String,
    yahoo: String,
}

impl Instrument {
    /// "NSE_EQ" of "NSE_EQ|INE002A01018".
    fn segment(&self) -> &str {
        self.key.split('|').next().unwrap_or("")
    }

    fn is_index(&self) -> bool {
        self.segment().ends_with("_INDEX")
    }

    /// The F&O root: "NIFTY" for Nifty 50, "BANKNIFTY" for Nifty Bank, else the symbol in
    /// upper case without spaces.
    fn root(&self) -> String {
        match self.symbol.as_str() {
            "Nifty 50" => "NIFTY".into(),
            "Nifty Bank" => "BANKNIFTY".into(),
            "Nifty Fin Service" => "FINNIFTY".into(),
            s => s.to_uppercase().replace(' ', ""),
        }
    }
}

/// What tests change while the server runs; the candle functions read it under a read lock.
struct View {
    now_ms: i64,
    hidden: HashMap<(String, Interval), HashSet<i64>>,
    corrupt: HashMap<(String, Interval), HashSet<i64>>,
    nulls: HashMap<(String, Interval), HashSet<i64>>,
    /// Last prices pinned by [`MarketServer::pin_last_price`], paise.
    pinned: HashMap<String, i64>,
}

impl View {
    fn now_s(&self) -> i64 {
        self.now_ms.div_euclid(1000)
    }

    fn today(&self) -> NaiveDate {
        ist_date(self.now_s())
    }

    fn set<'a>(
        map: &'a HashMap<(String, Interval), HashSet<i64>>,
        key: &str,
        iv: Interval,
    ) -> Option<&'a HashSet<i64>> {
        map.get(&(key.to_string(), iv)).filter(|s| !s.is_empty())
    }
}

/// The synthetic world: sessions, instruments and their deterministic prices.
pub struct Market {
    sessions: BTreeMap<NaiveDate, Session>,
    instruments: Vec<Instrument>,
    by_key: HashMap<String, usize>,
    by_yahoo: HashMap<String, usize>,
    view: RwLock<View>,
    /// [`Market::live`] by (instrument seed, millisecond): summing a session's minutes for 500
    /// quotes takes ~80 ms, which the alert-scan benchmark must not count as alert-scan's.
    live_cache: std::sync::Mutex<HashMap<(u64, i64), Live>>,
}

impl Market {
    /// sessions: the trading days and their IST session hours (open, close), e.g.
    /// (2026-11-17, 09:15, 15:30); a half day is a session with an earlier close. A date given
    /// twice keeps the last hours.
    pub fn new(sessions: Vec<(NaiveDate, NaiveTime, NaiveTime)>) -> Self {
        let sessions = sessions
            .into_iter()
            .map(|(date, open, close)| {
                let day = midnight(date);
                let session = Session {
                    open: day + i64::from(open.num_seconds_from_midnight()),
                    close: day + i64::from(close.num_seconds_from_midnight()),
                };
                (date, session)
            })
            .collect();
        Market {
            sessions,
            instruments: Vec::new(),
            by_key: HashMap::new(),
            by_yahoo: HashMap::new(),
            live_cache: std::sync::Mutex::new(HashMap::new()),
            view: RwLock::new(View {
                now_ms: FAR_FUTURE_MS,
                hidden: HashMap::new(),
                corrupt: HashMap::new(),
                nulls: HashMap::new(),
                pinned: HashMap::new(),
            }),
        }
    }

    /// The instruments it knows: (instrument_key like "NSE_EQ|INE002A01018" or
    /// "NSE_INDEX|Nifty 50", trading symbol like "RELIANCE" / "Nifty 50", Yahoo symbol like
    /// "RELIANCE.NS" / "^NSEI"). Keys whose segment ends in `_INDEX` are indices (volume 0,
    /// no depth, no ISIN).
    pub fn with_instruments(mut self, list: &[(&str, &str, &str)]) -> Self {
        for &(key, symbol, yahoo) in list {
            let i = self.instruments.len();
            self.instruments.push(Instrument {
                key: key.to_string(),
                symbol: symbol.to_string(),
                yahoo: yahoo.to_string(),
            });
            self.by_key.insert(key.to_string(), i);
            self.by_yahoo.insert(yahoo.to_string(), i);
        }
        self
    }

    /// The deterministic candle the server serves for (key, interval, bar start epoch s);
    /// interval is "1minute" | "5minute" | "15minute" | "day" (day bars start 00:00 IST of
    /// the date; any time of the date gives that date's bar). Prices depend only on the
    /// arguments and the session hours: a smooth wave around a base price taken from a hash of
    /// the key, plus hash noise, on the 0.05 tick; coarser bars aggregate the 1-minute path
    /// (a bar that runs past its session's close stops at the close). OHLC is always valid;
    /// volume > 0, or 0 for `*_INDEX` keys. Panics on an unknown interval name.
    pub fn candle(&self, key: &str, interval: &str, ts: i64) -> SynthCandle {
        let iv = Interval::parse_or_panic(interval);
        self.bar(&Profile::of(key), iv, ts).public()
    }

    /// All bar starts the server has for key/interval between two IST dates inclusive, oldest
    /// first: the sessions' bars, minus hidden ones, minus those not yet started at the server's
    /// "now" (a day bar exists once its session has opened). Today's bars are among them even
    /// though only the intraday endpoint serves them. Empty for an unknown key. Panics on an
    /// unknown interval name.
    pub fn bars(&self, key: &str, interval: &str, from: NaiveDate, to: NaiveDate) -> Vec<i64> {
        let iv = Interval::parse_or_panic(interval);
        if !self.by_key.contains_key(key) || from > to {
            return Vec::new();
        }
        let view = self.read();
        let now = view.now_s();
        let hidden = View::set(&view.hidden, key, iv);
        let mut out = Vec::new();
        for (date, s) in self.sessions.range(from..=to) {
            for ts in s.bar_starts(*date, iv) {
                if started(iv, s, ts, now) && !hidden.is_some_and(|h| h.contains(&ts)) {
                    out.push(ts);
                }
            }
        }
        out
    }

    fn read(&self) -> RwLockReadGuard<'_, View> {
        self.view.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, View> {
        self.view.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The bar at `ts`, finding its session (if any) by the IST date.
    fn bar(&self, prof: &Profile, iv: Interval, ts: i64) -> Bar {
        let date = ist_date(ts);
        let session = self.sessions.get(&date).copied();
        match (iv, session) {
            (Interval::Day, Some(s)) => self.bar_in(prof, iv, midnight(date), &s),
            (Interval::Day, None) => {
                // Not a session: the regular hours, so the function is still total.
                let day = midnight(date);
                let s = Session {
                    open: day + 33_300,
                    close: day + 55_800,
                };
                self.bar_in(prof, iv, day, &s)
            }
            (_, Some(s)) if ts >= s.open && ts < s.close => self.bar_in(prof, iv, ts, &s),
            _ => prof.span(ts, ts + iv.seconds()),
        }
    }

    /// The bar at `ts` inside session `s`.
    fn bar_in(&self, prof: &Profile, iv: Interval, ts: i64, s: &Session) -> Bar {
        match iv {
            Interval::Day => {
                let mut b = prof.span(s.open, s.close);
                b.ts = ts;
                b
            }
            _ => prof.span(ts, (ts + iv.seconds()).min(s.close)),
        }
    }

    /// The latest session that has opened by `now`.
    fn current_session(&self, now: i64) -> Option<(NaiveDate, Session)> {
        self.sessions
            .range(..=ist_date(now))
            .rev()
            .find(|(_, s)| s.open <= now && s.close > s.open)
            .map(|(d, s)| (*d, *s))
    }

    /// The session before `date`.
    fn previous_session(&self, date: NaiveDate) -> Option<(NaiveDate, Session)> {
        self.sessions
            .range(..date)
            .rev()
            .find(|(_, s)| s.close > s.open)
            .map(|(d, s)| (*d, *s))
    }

    /// The state of the current session at `now` (what quotes and Yahoo's meta report).
    fn live(&self, prof: &Profile, now_ms: i64) -> Live {
        let key = (prof.seed, now_ms);
        let cache = || self.live_cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(live) = cache().get(&key) {
            return live.clone();
        }
        let live = self.compute_live(prof, now_ms);
        let mut cache = cache();
        if cache.len() > 100_000 {
            cache.clear();
        }
        cache.insert(key, live.clone());
        live
    }

    fn compute_live(&self, prof: &Profile, now_ms: i64) -> Live {
        let now = now_ms.div_euclid(1000);
        let Some((date, s)) = self.current_session(now) else {
            return Live::default();
        };
        let mut agg: Option<Bar> = None;
        let mut turnover = 0.0;
        let mut last_start = s.open;
        let mut t = s.open;
        while t < s.close && t <= now {
            let m = prof.minute(t);
            turnover += m.volume as f64 * (m.open + m.close) as f64 / 200.0;
            agg = Some(match agg {
                None => m,
                Some(mut a) => {
                    a.high = a.high.max(m.high);
                    a.low = a.low.min(m.low);
                    a.close = m.close;
                    a.volume += m.volume;
                    a
                }
            });
            last_start = t;
            t += 60;
        }
        let Some(day) = agg else {
            return Live::default();
        };
        let prev_close = self
            .previous_session(date)
            .map(|(_, p)| prof.minute(p.close - 60).close)
            .unwrap_or(day.open);
        // The last trade fell somewhere in the last minute, but not after now.
        let offset = (mix(prof.seed ^ last_start as u64) % 59_000) as i64 + 500;
        let last_trade_ms = (last_start * 1000 + offset).min(now_ms);
        let average = if day.volume > 0 {
            (turnover / day.volume as f64 * 100.0).round() as i64
        } else {
            0
        };
        Live {
            session: Some((date, s)),
            day,
            prev_close,
            last_trade_ms,
            average,
        }
    }

    /// Weekly expiries from `today`: the next 3 Thursdays on or after it, each moved to the
    /// last session on or before it when the Thursday is not a session (and the week has one).
    fn expiries(&self, today: NaiveDate) -> Vec<NaiveDate> {
        let mut thursday = today;
        while thursday.weekday() != Weekday::Thu {
            thursday = thursday.succ_opt().unwrap_or(thursday);
        }
        let mut out = Vec::new();
        for k in 0..3 {
            let t = thursday + chrono::Days::new(7 * k);
            let expiry = if self.sessions.contains_key(&t) {
                t
            } else {
                let earliest = today.max(t - chrono::Days::new(6));
                self.sessions
                    .range(earliest..=t)
                    .next_back()
                    .map(|(d, _)| *d)
                    .unwrap_or(t)
            };
            if !out.contains(&expiry) {
                out.push(expiry);
            }
        }
        out
    }
}

/// Whether a bar has started by `now` (the forming bar counts, as on Upstox); a day bar once
/// its session opened.
fn started(iv: Interval, s: &Session, ts: i64, now: i64) -> bool {
    match iv {
        Interval::Day => s.open <= now,
        _ => ts <= now,
    }
}

/// The current session so far.
#[derive(Default, Clone)]
struct Live {
    session: Option<(NaiveDate, Session)>,
    /// Aggregate of the session's 1-minute bars that have started.
    day: Bar,
    prev_close: i64,
    last_trade_ms: i64,
    /// Volume-weighted average price, paise.
    average: i64,
}

/// A candle in paise (integer, so formatting is exact and fast).
#[derive(Debug, Default, Clone, Copy)]
struct Bar {
    ts: i64,
    open: i64,
    high: i64,
    low: i64,
    close: i64,
    volume: u64,
}

impl Bar {
    fn public(self) -> SynthCandle {
        SynthCandle {
            ts: self.ts,
            open: rupees(self.open),
            high: rupees(self.high),
            low: rupees(self.low),
            close: rupees(self.close),
            volume: self.volume,
            oi: 0,
        }
    }

    /// What [`MarketServer::corrupt`] makes of it: high below low.
    fn corrupted(mut self) -> Self {
        self.low = self.low.max(15);
        self.high = self.low - 10;
        self
    }
}

fn rupees(paise: i64) -> f64 {
    // Division by 100 gives the double nearest the 2-decimal value, which prints as it.
    paise as f64 / 100.0
}

/// The per-instrument constants of the price path, all derived from a hash of the key.
#[derive(Debug, Clone, Copy)]
struct Profile {
    seed: u64,
    base: f64,
    /// Typical 1-minute volume.
    vol: f64,
    /// One wick step, paise.
    wick: i64,
    index: bool,
    phase: [f64; 3],
}

impl Profile {
    fn of(key: &str) -> Self {
        let seed = fnv(key.as_bytes());
        let index = key.split('|').next().is_some_and(|s| s.ends_with("_INDEX"));
        let u = unit(mix(seed ^ 1));
        let base = if index {
            10_000.0 + 40_000.0 * u
        } else {
            50.0 * 80f64.powf(u)
        };
        let vol = if index {
            0.0
        } else {
            300.0 * 100f64.powf(unit(mix(seed ^ 2)))
        };
        let wick = ((base * 0.0004 * 20.0).round() as i64).max(1) * 5;
        let phase = [3u64, 4, 5].map(|k| std::f64::consts::TAU * unit(mix(seed ^ k)));
        Profile {
            seed,
            base,
            vol,
            wick,
            index,
            phase,
        }
    }

    /// The price at instant `t`, paise on the 0.05 tick: slow, daily and hourly waves plus
    /// noise that depends on `t` only (so a bar's close is the next bar's open).
    fn price(&self, t: i64) -> i64 {
        use std::f64::consts::TAU;
        let x = t as f64;
        let wave = 0.06 * (TAU * x / (17.0 * 86_400.0) + self.phase[0]).sin()
            + 0.012 * (TAU * x / 31_000.0 + self.phase[1]).sin()
            + 0.003 * (TAU * x / 2_820.0 + self.phase[2]).sin();
        let noise = 0.0012
            * (unit(mix(
                self.seed ^ (t as u64).wrapping_mul(0xD6E8_FEB8_6659_FD93)
            )) - 0.5);
        let p = self.base * (1.0 + wave + noise);
        ((p * 20.0).round() as i64).max(1) * 5
    }

    /// The 1-minute bar starting at `t`.
    fn minute(&self, t: i64) -> Bar {
        self.minute_between(t, self.price(t), self.price(t + 60))
    }

    /// The 1-minute bar starting at `t` given its open and close prices (so a run of bars can
    /// share each price point: the path's prices are most of the cost).
    fn minute_between(&self, t: i64, open: i64, close: i64) -> Bar {
        let h = mix(self.seed.rotate_left(29) ^ t as u64);
        let high = open.max(close) + self.wick * (h & 3) as i64;
        let low = (open.min(close) - self.wick * ((h >> 2) & 3) as i64).max(5);
        let volume = if self.index {
            0
        } else {
            (self.vol * (0.4 + 1.2 * unit(h)) * intraday_shape(t)) as u64 + 1
        };
        Bar {
            ts: t,
            open,
            high,
            low,
            close,
            volume,
        }
    }

    /// Every 1-minute bar of a session, oldest first, each price point computed once.
    fn session_minutes(&self, s: &Session) -> Vec<Bar> {
        let mut out = Vec::with_capacity(((s.close - s.open).max(0) / 60) as usize);
        let mut t = s.open;
        let mut open = self.price(t);
        while t < s.close {
            let close = self.price(t + 60);
            out.push(self.minute_between(t, open, close));
            open = close;
            t += 60;
        }
        out
    }

    /// The bar from `t` to `end` (exclusive), aggregated from 1-minute bars.
    fn span(&self, t: i64, end: i64) -> Bar {
        let mut bar = self.minute(t);
        let mut m = t + 60;
        while m < end {
            let b = self.minute(m);
            bar.high = bar.high.max(b.high);
            bar.low = bar.low.min(b.low);
            bar.close = b.close;
            bar.volume += b.volume;
            m += 60;
        }
        bar
    }
}

/// The bar at `ts` of session `s` from the session's 1-minute bars (what [`Market::bar_in`]
/// computes, without recomputing the path for every bar).
fn bar_from_minutes(minutes: &[Bar], iv: Interval, ts: i64, s: &Session) -> Option<Bar> {
    let (first, count) = match iv {
        Interval::Day => (0, minutes.len()),
        _ => (
            usize::try_from((ts - s.open) / 60).ok()?,
            (iv.seconds() / 60) as usize,
        ),
    };
    let slice = minutes.get(first..(first + count).min(minutes.len()))?;
    let (head, tail) = slice.split_first()?;
    let mut bar = *head;
    for m in tail {
        bar.high = bar.high.max(m.high);
        bar.low = bar.low.min(m.low);
        bar.close = m.close;
        bar.volume += m.volume;
    }
    bar.ts = ts;
    Some(bar)
}

/// Volume is heavier after the open and before the close, as on NSE.
fn intraday_shape(t: i64) -> f64 {
    let m = (((t + IST).rem_euclid(DAY) - 33_300) as f64 / 60.0).clamp(0.0, 375.0);
    1.0 + 1.5 * (-m / 25.0).exp() + 0.8 * (-(375.0 - m) / 25.0).exp()
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// splitmix64's finaliser: a good cheap hash of a 64-bit value.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A hash as a number in [0, 1).
fn unit(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// The IST calendar date of an instant.
fn ist_date(ts: i64) -> NaiveDate {
    // Saturating: a client may send any period1/period2, even i64::MIN/MAX.
    let days = ts.saturating_add(IST).div_euclid(DAY) + UNIX_EPOCH_CE;
    i32::try_from(days)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
        .unwrap_or(if days < 0 {
            NaiveDate::MIN
        } else {
            NaiveDate::MAX
        })
}

/// 00:00 IST of `date`, epoch seconds.
fn midnight(date: NaiveDate) -> i64 {
    (i64::from(date.num_days_from_ce()) - UNIX_EPOCH_CE) * DAY - IST
}

// ---------------------------------------------------------------------------------------------
// The server

/// Scripts, token, limits: what decides a reply before the world is consulted.
#[derive(Default)]
struct Control {
    token: Option<String>,
    scripts: Vec<(String, VecDeque<Fault>)>,
    limits: Vec<(u32, Duration)>,
    windows: HashMap<&'static str, VecDeque<Instant>>,
    violations: usize,
    /// Every n-th connection is read this late.
    late: Option<(usize, Duration)>,
    connections: usize,
}

struct Shared {
    market: Market,
    control: Mutex<Control>,
    log: Mutex<Vec<Logged>>,
}

/// The running server; it stops accepting when dropped.
pub struct MarketServer {
    url: String,
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    acceptor: Option<thread::JoinHandle<()>>,
}

impl MarketServer {
    /// Serves `market` on 127.0.0.1 on a free port.
    pub fn start(market: Market) -> std::io::Result<Self> {
        Self::start_on(market, 0)
    }

    /// Serves `market` on 127.0.0.1:`port` (0 for any free port).
    pub fn start_on(market: Market, port: u16) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            market,
            control: Mutex::new(Control::default()),
            log: Mutex::new(Vec::new()),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let (sh, st) = (Arc::clone(&shared), Arc::clone(&stop));
        let acceptor = thread::spawn(move || {
            for stream in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let sh = Arc::clone(&sh);
                // One thread per connection, so a delayed reply holds up nobody else.
                thread::spawn(move || serve(stream, &sh));
            }
        });
        Ok(MarketServer {
            url: format!("http://{addr}"),
            addr,
            shared,
            stop,
            acceptor: Some(acceptor),
        })
    }

    /// The base URL, `http://127.0.0.1:PORT`; the Upstox API, the instruments file and the
    /// Yahoo chart API all live under it.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The world being served (its [`Market::bars`] sees this server's now and holes).
    pub fn market(&self) -> &Market {
        &self.shared.market
    }

    /// "Now" as the server sees it (UTC). Bars that have not started by then are not served;
    /// the forming bar is (intraday serves bars whose start <= now, like Upstox). Historical
    /// serves dates before the IST date of now. Default: 3000-01-01, after everything.
    pub fn set_now(&self, now: DateTime<Utc>) {
        self.shared.market.write().now_ms = now.timestamp_millis();
    }

    /// Bars the provider never has (holes): each (key, interval, bar start); interval as in
    /// [`Market::candle`]. Served by neither Upstox nor Yahoo. Only that interval's bar goes:
    /// the coarser bars around it are still served whole. Panics on an unknown interval name.
    pub fn hide(&self, key: &str, interval: &str, ts: &[i64]) {
        let iv = Interval::parse_or_panic(interval);
        let mut view = self.shared.market.write();
        let set = view.hidden.entry((key.to_string(), iv)).or_default();
        set.extend(ts.iter().map(|&t| iv.key_ts(t)));
    }

    /// Forgets every hole made by [`MarketServer::hide`].
    pub fn unhide_all(&self) {
        self.shared.market.write().hidden.clear();
    }

    /// Makes the served bar at (key, interval, ts) have high < low (bad data), on both
    /// providers. [`Market::candle`] still gives the clean bar. Panics on an unknown interval.
    pub fn corrupt(&self, key: &str, interval: &str, ts: i64) {
        let iv = Interval::parse_or_panic(interval);
        let mut view = self.shared.market.write();
        let set = view.corrupt.entry((key.to_string(), iv)).or_default();
        set.insert(iv.key_ts(ts));
    }

    /// Makes Yahoo serve a null bar (open, high, low, close and volume all `null`, timestamp
    /// kept) for `symbol` (Yahoo's, e.g. "RELIANCE.NS") at each bar start; interval "1m", "5m",
    /// "15m", "1d" or the market's names. Day bars may be given by 00:00 or 09:15 IST.
    pub fn yahoo_nulls(&self, symbol: &str, interval: &str, ts: &[i64]) {
        let iv = Interval::parse_or_panic(interval);
        let mut view = self.shared.market.write();
        let set = view.nulls.entry((symbol.to_string(), iv)).or_default();
        set.extend(ts.iter().map(|&t| iv.key_ts(t)));
    }

    /// Makes full quotes (`/v2/market-quote/quotes`) give `key` the last price `rupees` (rounded
    /// to the paisa), the day's high and low widened to include it, until changed; `None` goes
    /// back to the synthetic path. Only the quotes endpoint sees it: candles, option chains
    /// and the spot they are built around keep the path. For alert tests that move a price
    /// across a rule's level at a chosen minute.
    pub fn pin_last_price(&self, key: &str, rupees: Option<f64>) {
        let mut view = self.shared.market.write();
        match rupees {
            Some(r) => view
                .pinned
                .insert(key.to_string(), (r * 100.0).round() as i64),
            None => view.pinned.remove(key),
        };
    }

    /// Requires `Authorization: Bearer <token>` on every /v2 and /v3 request; otherwise 401
    /// with Upstox's UDAPI100050 "Invalid token used to access API" body. The instruments file
    /// and Yahoo need no token, as in reality.
    pub fn require_token(&self, token: &str) {
        self.shared.control().token = Some(token.to_string());
    }

    /// Scripted faults: the next replies to requests whose path starts with `prefix` (e.g.
    /// "/v3/historical-candle", "/v8/finance/chart", "/v2/market-quote", "/v2/option") are
    /// these, in order, before normal service resumes. Replaces an earlier script for the same
    /// prefix; when several prefixes match a request, the longest with faults left wins.
    /// Faults come before the token check and the rate limits.
    pub fn script(&self, prefix: &str, faults: Vec<Fault>) {
        let mut control = self.shared.control();
        control.scripts.retain(|(p, _)| p != prefix);
        control.scripts.push((prefix.to_string(), faults.into()));
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Logged> {
        let mut log = lock(&self.shared.log).clone();
        log.sort_by_key(|l| l.instant);
        log
    }

    /// Server-side limits, like Upstox's (per API: historical candles, intraday candles,
    /// quotes, option chain, option contracts and any other /v2 or /v3 path are counted
    /// apart): a request that would make more than N served requests of its API in any
    /// sliding window gets 429 with Upstox's UDAPI10005 "Too Many Request Sent" body and no
    /// Retry-After, and counts as a violation. Refused requests do not fill the window.
    /// Yahoo and the instruments file are not limited. Replaces earlier limits.
    pub fn enforce_limits(&self, limits: &[(u32, Duration)]) {
        let mut control = self.shared.control();
        control.limits = limits.to_vec();
        control.windows.clear();
    }

    /// Reads every `every`-th connection only after `lag`, as if that request had been slow on
    /// the way: the server counts it, and logs it, when it arrives.
    pub fn delay_arrivals(&self, every: usize, lag: Duration) {
        self.shared.control().late = Some((every.max(1), lag));
    }

    /// How many requests [`MarketServer::enforce_limits`] has refused.
    pub fn violations(&self) -> usize {
        self.shared.control().violations
    }
}

impl Drop for MarketServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the acceptor so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

impl Shared {
    fn control(&self) -> MutexGuard<'_, Control> {
        lock(&self.control)
    }

    /// Decides the reply to one request.
    fn respond(&self, method: &str, target: &str, authorization: Option<&str>) -> Answer {
        let (raw_path, query) = target.split_once('?').unwrap_or((target, ""));
        let path = pct_decode(raw_path, false);
        let fault = {
            let mut control = self.control();
            let matching = |p: &str| {
                raw_path.starts_with(p) || path.as_deref().is_some_and(|d| d.starts_with(p))
            };
            control
                .scripts
                .iter_mut()
                .filter(|(p, q)| !q.is_empty() && matching(p))
                .max_by_key(|(p, _)| p.len())
                .and_then(|(_, q)| q.pop_front())
        };
        let upstox = raw_path.starts_with("/v2/") || raw_path.starts_with("/v3/");
        match fault {
            None => {}
            Some(Fault::Delay(wait)) => thread::sleep(wait),
            Some(Fault::Truncated) => {
                let mut answer = self.normal(method, raw_path, query, authorization);
                answer.truncate = true;
                return answer;
            }
            Some(Fault::Status(status, body, content_type)) => {
                return Answer {
                    status,
                    content_type: content_type.unwrap_or_else(|| "application/json".into()),
                    headers: Vec::new(),
                    body: body.into_bytes(),
                    truncate: false,
                };
            }
            Some(Fault::TooMany { retry_after }) => {
                let mut answer = if upstox {
                    too_many()
                } else {
                    Answer::new(429, "text/plain", b"Too Many Requests\r\n".to_vec())
                };
                if let Some(secs) = retry_after {
                    answer
                        .headers
                        .push(("Retry-After".into(), secs.to_string()));
                }
                return answer;
            }
            Some(Fault::Html(status)) => {
                let reason = reason(status);
                let body = format!(
                    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n\
                     <center><h1>{status} {reason}</h1></center>\r\n<hr><center>cloudflare</center>\r\n\
                     </body>\r\n</html>\r\n"
                );
                return Answer::new(status, "text/html", body.into_bytes());
            }
        }
        self.normal(method, raw_path, query, authorization)
    }

    /// The reply when nothing is scripted.
    fn normal(
        &self,
        method: &str,
        raw_path: &str,
        query: &str,
        authorization: Option<&str>,
    ) -> Answer {
        let not_found = || Answer::new(404, "text/plain", b"Not Found".to_vec());
        if method != "GET" {
            return not_found();
        }
        // Decode segment by segment, so an encoded '/' inside a key cannot split it.
        let Some(segments) = raw_path
            .split('/')
            .skip(1)
            .map(|s| pct_decode(s, false))
            .collect::<Option<Vec<String>>>()
        else {
            return Answer::new(400, "text/plain", b"Bad Request".to_vec());
        };
        let Some(params) = parse_query(query) else {
            return Answer::new(400, "text/plain", b"Bad Request".to_vec());
        };
        let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
        let param = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        match segs.as_slice() {
            ["v2" | "v3", ..] => {
                let token = self.control().token.clone();
                if let Some(token) = token {
                    let ok = authorization
                        .and_then(|a| a.strip_prefix("Bearer "))
                        .is_some_and(|t| t.trim() == token);
                    if !ok {
                        return upstox_error(
                            401,
                            "UDAPI100050",
                            "Invalid token used to access API",
                        );
                    }
                }
                let api = match segs.as_slice() {
                    ["v3", "historical-candle", "intraday", ..] => "intraday",
                    [_, "historical-candle", ..] => "historical",
                    ["v2", "market-quote", ..] => "quotes",
                    ["v2", "option", "chain"] => "option-chain",
                    ["v2", "option", "contract"] => "option-contract",
                    _ => "other",
                };
                if !self.admit(api) {
                    return too_many();
                }
                match segs.as_slice() {
                    ["v3", "historical-candle", "intraday", key, unit, n] => {
                        self.intraday(key, unit, n)
                    }
                    ["v3", "historical-candle", key, unit, n, to] => {
                        self.historical(key, unit, n, to, None)
                    }
                    ["v3", "historical-candle", key, unit, n, to, from] => {
                        self.historical(key, unit, n, to, Some(from))
                    }
                    ["v2", "market-quote", "quotes"] => self.quotes(param("instrument_key")),
                    ["v2", "option", "contract"] => {
                        self.contracts(param("instrument_key"), param("expiry_date"))
                    }
                    ["v2", "option", "chain"] => {
                        self.chain(param("instrument_key"), param("expiry_date"))
                    }
                    _ => upstox_error(404, "UDAPI100060", "Resource not Found."),
                }
            }
            ["v8", "finance", "chart", symbol] => self.yahoo(symbol, &param),
            ["instruments", "NSE.json.gz"] => self.instruments_file(),
            _ => not_found(),
        }
    }

    /// Counts a request against the limits of its API; false if it breaks one.
    fn admit(&self, api: &'static str) -> bool {
        let now = Instant::now();
        let mut control = self.control();
        let Some(longest) = control.limits.iter().map(|(_, w)| *w).max() else {
            return true;
        };
        let limits = control.limits.clone();
        let window = control.windows.entry(api).or_default();
        while window
            .front()
            .is_some_and(|&t| now.duration_since(t) >= longest)
        {
            window.pop_front();
        }
        let over = limits.iter().any(|&(n, w)| {
            let recent = window
                .iter()
                .rev()
                .take_while(|&&t| now.duration_since(t) < w)
                .count();
            recent + 1 > n as usize
        });
        if over {
            control.violations += 1;
            false
        } else {
            window.push_back(now);
            true
        }
    }

    /// `/v3/historical-candle/{key}/{unit}/{n}/{to}[/{from}]`.
    fn historical(&self, key: &str, unit: &str, n: &str, to: &str, from: Option<&str>) -> Answer {
        let market = &self.market;
        if !market.by_key.contains_key(key) {
            return upstox_error(400, "UDAPI1087", "Invalid Instrument key");
        }
        let Some(iv) = Interval::from_upstox(unit, n) else {
            return upstox_error(400, "UDAPI1011", "Invalid unit or interval");
        };
        let Some(to) = parse_date(to) else {
            return upstox_error(400, "UDAPI1011", "Invalid to_date format, use YYYY-MM-DD");
        };
        // Upstox's limits per request: a month of 1–15 minute candles, a decade of days.
        let months = if iv == Interval::Day { 120 } else { 1 };
        let earliest = to
            .checked_sub_months(Months::new(months))
            .unwrap_or(NaiveDate::MIN);
        let from = match from {
            None => earliest,
            Some(f) => match parse_date(f) {
                Some(f) => f,
                None => {
                    return upstox_error(
                        400,
                        "UDAPI1011",
                        "Invalid from_date format, use YYYY-MM-DD",
                    );
                }
            },
        };
        if to < from {
            return upstox_error(
                400,
                "UDAPI1015",
                "to_date must be greater than or equal to from_date",
            );
        }
        if from < earliest {
            let what = if iv == Interval::Day {
                "1 decade for day"
            } else {
                "1 month for minute"
            };
            return upstox_error(
                400,
                "UDAPI1015",
                &format!("Invalid date range: at most {what} candles per request"),
            );
        }
        let view = market.read();
        // Today's bars come only from the intraday endpoint, as on Upstox.
        let last = to.min(view.today().pred_opt().unwrap_or(NaiveDate::MIN));
        let mut starts = Vec::new();
        if from <= last {
            for (date, s) in market.sessions.range(from..=last).rev() {
                let mut bars = s.bar_starts(*date, iv);
                bars.reverse();
                starts.push((*s, bars));
            }
        }
        upstox_candles(market, &view, key, iv, &starts)
    }

    /// `/v3/historical-candle/intraday/{key}/{unit}/{n}`: today's bars so far.
    fn intraday(&self, key: &str, unit: &str, n: &str) -> Answer {
        let market = &self.market;
        if !market.by_key.contains_key(key) {
            return upstox_error(400, "UDAPI1087", "Invalid Instrument key");
        }
        let Some(iv) = Interval::from_upstox(unit, n) else {
            return upstox_error(400, "UDAPI1011", "Invalid unit or interval");
        };
        let view = market.read();
        let now = view.now_s();
        let mut starts = Vec::new();
        if let Some(s) = market.sessions.get(&view.today()) {
            let mut bars: Vec<i64> = s
                .bar_starts(view.today(), iv)
                .into_iter()
                .filter(|&t| started(iv, s, t, now))
                .collect();
            bars.reverse();
            starts.push((*s, bars));
        }
        upstox_candles(market, &view, key, iv, &starts)
    }

    /// `/v2/market-quote/quotes?instrument_key=k1,k2,…` (full quotes).
    fn quotes(&self, keys: Option<&str>) -> Answer {
        let Some(keys) = keys.filter(|k| !k.trim().is_empty()) else {
            return upstox_error(400, "UDAPI1009", "instrument_key is required");
        };
        let keys: Vec<&str> = keys
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .collect();
        if keys.len() > MAX_QUOTE_KEYS {
            return upstox_error(
                400,
                "UDAPI100043",
                "Maximum instrument key limit exceeded. Max allowed is 500",
            );
        }
        let market = &self.market;
        let (now_ms, pinned) = {
            let view = market.read();
            (view.now_ms, view.pinned.clone())
        };
        let mut out = Vec::with_capacity(64 + keys.len() * 1200);
        out.extend_from_slice(br#"{"status":"success","data":{"#);
        let mut first = true;
        // Unknown keys are left out of the map, as Upstox does with keys it has no quote for.
        for inst in keys.iter().filter_map(|k| market.by_key.get(*k)) {
            let inst = &market.instruments[*inst];
            if !first {
                out.push(b',');
            }
            first = false;
            let prof = Profile::of(&inst.key);
            let mut live = market.live(&prof, now_ms);
            if let Some(&price) = pinned.get(&inst.key) {
                live.day.close = price;
                live.day.high = live.day.high.max(price);
                live.day.low = if live.day.low > 0 {
                    live.day.low.min(price)
                } else {
                    price
                };
            }
            push_str(&mut out, &format!("{}:{}", inst.segment(), inst.symbol));
            out.extend_from_slice(b":{\"ohlc\":{\"open\":");
            push_paise(&mut out, live.day.open);
            out.extend_from_slice(b",\"high\":");
            push_paise(&mut out, live.day.high);
            out.extend_from_slice(b",\"low\":");
            push_paise(&mut out, live.day.low);
            out.extend_from_slice(b",\"close\":");
            push_paise(&mut out, live.day.close);
            out.extend_from_slice(b"},\"depth\":{");
            let last = live.day.close;
            let mut totals = [0u64; 2];
            for (side, name) in ["buy", "sell"].iter().enumerate() {
                if side == 1 {
                    out.push(b',');
                }
                push_str(&mut out, name);
                out.extend_from_slice(b":[");
                for level in 0..5i64 {
                    if level > 0 {
                        out.push(b',');
                    }
                    let h = mix(prof.seed
                        ^ (live.last_trade_ms as u64)
                        ^ (((side as u64) << 8) | level as u64));
                    let (quantity, price, orders) = if inst.is_index() || live.session.is_none() {
                        (0, 0, 0)
                    } else {
                        let price = if side == 0 {
                            (last - 5 * level).max(5)
                        } else {
                            last + 5 * (level + 1)
                        };
                        (1 + h % 5000, price, 1 + (h >> 20) % 40)
                    };
                    totals[side] += quantity;
                    out.extend_from_slice(b"{\"quantity\":");
                    push_u64(&mut out, quantity);
                    out.extend_from_slice(b",\"price\":");
                    push_paise(&mut out, price);
                    out.extend_from_slice(b",\"orders\":");
                    push_u64(&mut out, orders);
                    out.push(b'}');
                }
                out.push(b']');
            }
            // The quote's timestamp is now, but not years after the last trade when now is
            // the far-future default.
            let stamp = now_ms
                .min((midnight(ist_date(live.last_trade_ms.div_euclid(1000))) + DAY) * 1000 - 1);
            out.extend_from_slice(b"},\"timestamp\":");
            push_str(&mut out, &iso_ms(stamp));
            out.extend_from_slice(b",\"instrument_token\":");
            push_str(&mut out, &inst.key);
            out.extend_from_slice(b",\"symbol\":");
            push_str(&mut out, &inst.symbol);
            // Upstox's last_price is a float32 widened to double (52.04999923706055), and
            // net_change is computed from it.
            let last_f = f64::from(rupees(last) as f32);
            out.extend_from_slice(b",\"last_price\":");
            push_f64(&mut out, last_f);
            out.extend_from_slice(b",\"volume\":");
            push_u64(&mut out, live.day.volume);
            out.extend_from_slice(b",\"average_price\":");
            push_paise(&mut out, live.average);
            out.extend_from_slice(b",\"oi\":0,\"net_change\":");
            let change = if live.session.is_some() {
                last_f - rupees(live.prev_close)
            } else {
                0.0
            };
            push_f64(&mut out, change);
            out.extend_from_slice(b",\"total_buy_quantity\":");
            push_u64(&mut out, totals[0]);
            out.extend_from_slice(b",\"total_sell_quantity\":");
            push_u64(&mut out, totals[1]);
            let (lower, upper) = if inst.is_index() {
                (0, 0)
            } else {
                (
                    tick(live.prev_close as f64 * 0.8),
                    tick(live.prev_close as f64 * 1.2),
                )
            };
            out.extend_from_slice(b",\"lower_circuit_limit\":");
            push_paise(&mut out, lower);
            out.extend_from_slice(b",\"upper_circuit_limit\":");
            push_paise(&mut out, upper);
            out.extend_from_slice(b",\"last_trade_time\":\"");
            push_u64(&mut out, live.last_trade_ms.max(0) as u64);
            out.extend_from_slice(b"\",\"oi_day_high\":0,\"oi_day_low\":0}");
        }
        out.extend_from_slice(b"}}");
        Answer::new(200, "application/json", out)
    }

    /// The underlying of an option request, or the error reply.
    fn underlying(&self, key: Option<&str>) -> Result<&Instrument, Answer> {
        let Some(key) = key.filter(|k| !k.is_empty()) else {
            return Err(upstox_error(400, "UDAPI1009", "instrument_key is required"));
        };
        match self.market.by_key.get(key) {
            Some(&i) => Ok(&self.market.instruments[i]),
            None => Err(upstox_error(400, "UDAPI1087", "Invalid Instrument key")),
        }
    }

    /// The strikes around spot, every 50, ATM ± 5.
    fn strikes(&self, inst: &Instrument, now_ms: i64) -> (i64, Vec<i64>) {
        let spot = self.market.live(&Profile::of(&inst.key), now_ms).day.close;
        let atm = ((spot as f64 / 100.0 / STRIKE_STEP as f64).round() as i64 * STRIKE_STEP)
            .max(STRIKE_STEP * (STRIKES_EACH_SIDE + 1));
        let strikes = (-STRIKES_EACH_SIDE..=STRIKES_EACH_SIDE)
            .map(|k| atm + k * STRIKE_STEP)
            .collect();
        (spot, strikes)
    }

    /// `/v2/option/contract?instrument_key=…[&expiry_date=…]`.
    fn contracts(&self, key: Option<&str>, expiry: Option<&str>) -> Answer {
        let inst = match self.underlying(key) {
            Ok(i) => i,
            Err(answer) => return answer,
        };
        let wanted = match expiry.filter(|e| !e.is_empty()) {
            None => None,
            Some(e) => match parse_date(e) {
                Some(d) => Some(d),
                None => return upstox_error(400, "UDAPI1011", "Invalid expiry_date format"),
            },
        };
        let now_ms = self.market.read().now_ms;
        let today = ist_date(now_ms.div_euclid(1000));
        let (_, strikes) = self.strikes(inst, now_ms);
        let root = inst.root();
        let underlying_type = if inst.is_index() { "INDEX" } else { "EQUITY" };
        let (lot, freeze) = if inst.is_index() {
            (75, 1800)
        } else {
            (500, 10_000)
        };
        let expiries = self.market.expiries(today);
        let mut out = Vec::with_capacity(66 * 3 * 480);
        out.extend_from_slice(br#"{"status":"success","data":["#);
        let mut first = true;
        for &expiry in expiries.iter().filter(|e| wanted.is_none_or(|w| w == **e)) {
            // The last weekly expiry of a month is the monthly one.
            let weekly = (expiry + chrono::Days::new(7)).month() == expiry.month();
            for &strike in &strikes {
                for kind in ["CE", "PE"] {
                    if !first {
                        out.push(b',');
                    }
                    first = false;
                    let token = option_token(&inst.key, expiry, strike, kind);
                    let symbol = format!(
                        "{root} {strike} {kind} {}",
                        expiry.format("%d %b %y").to_string().to_uppercase()
                    );
                    let _ = write!(
                        out,
                        r#"{{"name":{},"segment":"NSE_FO","exchange":"NSE","expiry":"{expiry}","instrument_key":"NSE_FO|{token}","exchange_token":"{token}","trading_symbol":{},"tick_size":5,"lot_size":{lot},"instrument_type":"{kind}","freeze_quantity":{freeze},"underlying_key":{},"underlying_type":"{underlying_type}","underlying_symbol":{},"strike_price":{strike},"minimum_lot":{lot},"weekly":{weekly}}}"#,
                        json_str(&root),
                        json_str(&symbol),
                        json_str(&inst.key),
                        json_str(&root),
                    );
                }
            }
        }
        out.extend_from_slice(b"]}");
        Answer::new(200, "application/json", out)
    }

    /// `/v2/option/chain?instrument_key=…&expiry_date=YYYY-MM-DD`.
    fn chain(&self, key: Option<&str>, expiry: Option<&str>) -> Answer {
        let inst = match self.underlying(key) {
            Ok(i) => i,
            Err(answer) => return answer,
        };
        let Some(expiry) = expiry.filter(|e| !e.is_empty()) else {
            return upstox_error(400, "UDAPI1009", "expiry_date is required");
        };
        let Some(expiry) = parse_date(expiry) else {
            return upstox_error(400, "UDAPI1011", "Invalid expiry_date format");
        };
        let now_ms = self.market.read().now_ms;
        let today = ist_date(now_ms.div_euclid(1000));
        let (spot_paise, strikes) = self.strikes(inst, now_ms);
        let spot = rupees(spot_paise);
        let prof = Profile::of(&inst.key);
        let lot: u64 = if inst.is_index() { 75 } else { 500 };
        // Years to 15:30 IST of the expiry date, at least a minute (expired chains still price).
        let expiry_close = (midnight(expiry) + 55_800) * 1000;
        let years =
            ((expiry_close - now_ms) as f64 / 1000.0 / (365.0 * 86_400.0)).max(1.0 / 525_600.0);
        // The day's at-the-money IV, percent: moves from day to day, deterministically.
        let day_n = (midnight(today) + IST) / DAY;
        let base_iv = 13.0
            + 4.0 * (day_n as f64 / 11.0 + prof.phase[0]).sin()
            + 2.0 * (unit(mix(prof.seed ^ day_n as u64)) - 0.5);
        let mut out = Vec::with_capacity(strikes.len() * 900);
        out.extend_from_slice(br#"{"status":"success","data":["#);
        if expiry >= today {
            for (i, &strike) in strikes.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let k = strike as f64;
                let m = (k / spot).ln();
                // A smile with a skew: far strikes dearer, low strikes more so.
                let smile = base_iv * (1.0 - 3.0 * m + 400.0 * m * m);
                let sides: Vec<(String, OptionSide)> = ["CE", "PE"]
                    .iter()
                    .map(|kind| {
                        let call = *kind == "CE";
                        let iv = if call { smile } else { smile + 0.4 };
                        let h = mix(prof.seed
                            ^ ((strike as u64) << 20)
                            ^ day_n as u64
                            ^ u64::from(call));
                        (
                            format!("NSE_FO|{}", option_token(&inst.key, expiry, strike, kind)),
                            OptionSide::price(spot, k, years, iv, call, h, lot),
                        )
                    })
                    .collect();
                let pcr = if sides[0].1.oi > 0 {
                    (sides[1].1.oi as f64 / sides[0].1.oi as f64 * 100.0).round() / 100.0
                } else {
                    0.0
                };
                let _ = write!(out, r#"{{"expiry":"{expiry}","pcr":"#);
                push_f64(&mut out, pcr);
                let _ = write!(
                    out,
                    r#","strike_price":{strike},"underlying_key":{},"underlying_spot_price":"#,
                    json_str(&inst.key)
                );
                push_paise(&mut out, spot_paise);
                for (name, (token, side)) in ["call_options", "put_options"].iter().zip(&sides) {
                    let _ = write!(
                        out,
                        r#","{name}":{{"instrument_key":{},"market_data":{{"ltp":"#,
                        json_str(token)
                    );
                    push_paise(&mut out, side.ltp);
                    out.extend_from_slice(b",\"volume\":");
                    push_u64(&mut out, side.volume);
                    out.extend_from_slice(b",\"oi\":");
                    push_u64(&mut out, side.oi);
                    out.extend_from_slice(b",\"close_price\":");
                    push_paise(&mut out, side.close);
                    out.extend_from_slice(b",\"bid_price\":");
                    push_paise(&mut out, side.bid);
                    out.extend_from_slice(b",\"bid_qty\":");
                    push_u64(&mut out, side.bid_qty);
                    out.extend_from_slice(b",\"ask_price\":");
                    push_paise(&mut out, side.ask);
                    out.extend_from_slice(b",\"ask_qty\":");
                    push_u64(&mut out, side.ask_qty);
                    out.extend_from_slice(b",\"prev_oi\":");
                    push_u64(&mut out, side.prev_oi);
                    out.extend_from_slice(b"},\"option_greeks\":{\"vega\":");
                    push_f64(&mut out, round_to(side.vega, 4));
                    out.extend_from_slice(b",\"theta\":");
                    push_f64(&mut out, round_to(side.theta, 4));
                    out.extend_from_slice(b",\"gamma\":");
                    push_f64(&mut out, round_to(side.gamma, 4));
                    out.extend_from_slice(b",\"delta\":");
                    push_f64(&mut out, round_to(side.delta, 4));
                    out.extend_from_slice(b",\"iv\":");
                    push_f64(&mut out, round_to(side.iv, 2));
                    out.extend_from_slice(b",\"pop\":");
                    push_f64(&mut out, round_to(side.pop, 2));
                    out.extend_from_slice(b"}}");
                }
                out.push(b'}');
            }
        }
        out.extend_from_slice(b"]}");
        Answer::new(200, "application/json", out)
    }

    /// `/instruments/NSE.json.gz`: the NSE part of Upstox's BOD instruments file, gzipped.
    fn instruments_file(&self) -> Answer {
        let mut json = Vec::with_capacity(64 + self.market.instruments.len() * 400);
        json.push(b'[');
        let nse = self
            .market
            .instruments
            .iter()
            .filter(|i| i.segment().starts_with("NSE_"));
        for (n, inst) in nse.enumerate() {
            if n > 0 {
                json.push(b',');
            }
            let token = 1000 + mix(fnv(inst.key.as_bytes())) % 90_000;
            let segment = json_str(inst.segment());
            if inst.is_index() {
                let _ = write!(
                    json,
                    r#"{{"segment":{segment},"name":{},"exchange":"NSE","instrument_type":"INDEX","instrument_key":{},"exchange_token":"{token}","trading_symbol":{}}}"#,
                    json_str(&inst.symbol),
                    json_str(&inst.key),
                    json_str(&inst.root()),
                );
            } else {
                let isin = inst.key.split_once('|').map_or("", |(_, i)| i);
                let _ = write!(
                    json,
                    r#"{{"segment":{segment},"name":{},"exchange":"NSE","isin":{},"instrument_type":"EQ","instrument_key":{},"lot_size":1,"freeze_quantity":100000.0,"exchange_token":"{token}","tick_size":5.0,"trading_symbol":{},"short_name":{},"security_type":"NORMAL"}}"#,
                    json_str(&format!("{} LIMITED", inst.symbol.to_uppercase())),
                    json_str(isin),
                    json_str(&inst.key),
                    json_str(&inst.symbol),
                    json_str(&inst.symbol),
                );
            }
        }
        json.push(b']');
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let body = gz.write_all(&json).and_then(|()| gz.finish());
        match body {
            // Served as a file (no Content-Encoding), like the CDN does: the client gunzips it.
            Ok(body) => Answer::new(200, "application/octet-stream", body),
            Err(_) => Answer::new(500, "text/plain", b"gzip failed".to_vec()),
        }
    }

    /// `/v8/finance/chart/{symbol}?interval=…&period1=…&period2=…` or `range=1d|5d|1mo`.
    fn yahoo<'a>(&self, symbol: &str, param: &dyn Fn(&str) -> Option<&'a str>) -> Answer {
        let market = &self.market;
        let bad = |what: &str| {
            let body = format!(
                r#"{{"chart":{{"result":null,"error":{{"code":"Bad Request","description":{}}}}}}}"#,
                json_str(&format!("Invalid input - {what}"))
            );
            Answer::new(400, "application/json;charset=utf-8", body.into_bytes())
        };
        let Some(inst) = market.by_yahoo.get(symbol).map(|&i| &market.instruments[i]) else {
            let body = br#"{"chart":{"result":null,"error":{"code":"Not Found","description":"No data found, symbol may be delisted"}}}"#;
            return Answer::new(404, "application/json;charset=utf-8", body.to_vec());
        };
        let interval = param("interval").unwrap_or("1d");
        let Some(iv) = Interval::parse(interval).filter(|_| interval.len() <= 3) else {
            return bad(&format!(
                "interval={interval} is not supported. Valid intervals: [1m, 5m, 15m, 1d]"
            ));
        };
        let view = market.read();
        let now = view.now_s();
        let current = market.current_session(now);
        // The window of bar starts [p1, p2).
        let (p1, p2, range) = match (param("period1"), param("period2")) {
            (Some(a), b) => {
                let Ok(a) = a.parse::<i64>() else {
                    return bad("period1 must be an integer");
                };
                let b = match b.map(str::parse::<i64>) {
                    None => now + 1,
                    Some(Ok(b)) => b,
                    Some(Err(_)) => return bad("period2 must be an integer"),
                };
                (a, b, String::new())
            }
            (None, _) => {
                let range = param("range").unwrap_or("1d");
                let sessions = match range {
                    "1d" => 1,
                    "5d" => 5,
                    "1mo" => 22,
                    _ => return bad(&format!("range={range} is not supported")),
                };
                let first = current.and_then(|(d, _)| {
                    market
                        .sessions
                        .range(..=d)
                        .rev()
                        .nth(sessions - 1)
                        .or(market.sessions.range(..=d).next())
                });
                match first {
                    Some((d, _)) => (midnight(*d), now + 1, range.to_string()),
                    None => (0, 0, range.to_string()),
                }
            }
        };
        let hidden = View::set(&view.hidden, &inst.key, iv);
        let corrupt = View::set(&view.corrupt, &inst.key, iv);
        let nulls = View::set(&view.nulls, &inst.yahoo, iv);
        let prof = Profile::of(&inst.key);
        // (Yahoo timestamp, bar or None for a null bar).
        let mut bars: Vec<(i64, Option<Bar>)> = Vec::new();
        let mut periods: Vec<Session> = Vec::new();
        if p1 < p2 {
            let (d1, d2) = (ist_date(p1), ist_date(p2));
            for (date, s) in market.sessions.range(d1..=d2) {
                let mut any = false;
                let mut minutes = None;
                for ts in s.bar_starts(*date, iv) {
                    // Yahoo stamps day bars with the session's open.
                    let yts = if iv == Interval::Day { s.open } else { ts };
                    if yts < p1 || yts >= p2 || !started(iv, s, ts, now) {
                        continue;
                    }
                    any = true;
                    if hidden.is_some_and(|h| h.contains(&ts)) {
                        continue;
                    }
                    let bar = if nulls.is_some_and(|n| n.contains(&ts)) {
                        None
                    } else {
                        let minutes = minutes.get_or_insert_with(|| prof.session_minutes(s));
                        let b = bar_from_minutes(minutes, iv, ts, s)
                            .unwrap_or_else(|| market.bar_in(&prof, iv, ts, s));
                        Some(if corrupt.is_some_and(|c| c.contains(&ts)) {
                            b.corrupted()
                        } else {
                            b
                        })
                    };
                    bars.push((yts, bar));
                }
                if any {
                    periods.push(*s);
                }
            }
        }
        let now_ms = view.now_ms;
        drop(view);
        let live = market.live(&prof, now_ms);
        let first_date = bars
            .first()
            .map_or_else(|| ist_date(p1.max(0)), |(t, _)| ist_date(*t));
        let chart_prev = market
            .previous_session(first_date)
            .map_or(live.prev_close, |(_, p)| prof.minute(p.close - 60).close);
        let (cur_open, cur_close) = live
            .session
            .or(current)
            .map_or((0, 0), |(_, s)| (s.open, s.close));
        let index = inst.is_index();

        let mut out = Vec::with_capacity(2048 + bars.len() * 110);
        out.extend_from_slice(br#"{"chart":{"result":[{"meta":{"currency":"INR","symbol":"#);
        push_str(&mut out, &inst.yahoo);
        let _ = write!(
            out,
            r#","exchangeName":"NSI","fullExchangeName":"NSE","instrumentType":"{}","firstTradeDate":820454400,"regularMarketTime":{},"hasPrePostMarketData":false,"gmtoffset":19800,"timezone":"IST","exchangeTimezoneName":"Asia/Kolkata","regularMarketPrice":"#,
            if index { "INDEX" } else { "EQUITY" },
            live.last_trade_ms.div_euclid(1000),
        );
        push_f32(&mut out, live.day.close);
        out.extend_from_slice(b",\"fiftyTwoWeekHigh\":");
        push_f32(&mut out, tick(prof.base * 100.0 * 1.12));
        out.extend_from_slice(b",\"fiftyTwoWeekLow\":");
        push_f32(&mut out, tick(prof.base * 100.0 * 0.88));
        out.extend_from_slice(b",\"regularMarketDayHigh\":");
        push_f32(&mut out, live.day.high);
        out.extend_from_slice(b",\"regularMarketDayLow\":");
        push_f32(&mut out, live.day.low);
        out.extend_from_slice(b",\"regularMarketVolume\":");
        push_u64(&mut out, live.day.volume);
        let long = if index {
            inst.symbol.clone()
        } else {
            format!("{} Limited", inst.symbol)
        };
        out.extend_from_slice(b",\"longName\":");
        push_str(&mut out, &long);
        out.extend_from_slice(b",\"shortName\":");
        push_str(&mut out, &inst.symbol.to_uppercase());
        out.extend_from_slice(b",\"chartPreviousClose\":");
        push_f32(&mut out, chart_prev);
        out.extend_from_slice(b",\"previousClose\":");
        push_f32(&mut out, live.prev_close);
        out.extend_from_slice(b",\"scale\":3,\"priceHint\":2,\"currentTradingPeriod\":{");
        for (i, (name, start, end)) in [
            ("pre", cur_open, cur_open),
            ("regular", cur_open, cur_close),
            ("post", cur_close, cur_close),
        ]
        .iter()
        .enumerate()
        {
            if i > 0 {
                out.push(b',');
            }
            let _ = write!(
                out,
                r#""{name}":{{"timezone":"IST","end":{end},"start":{start},"gmtoffset":19800}}"#
            );
        }
        out.push(b'}');
        if iv != Interval::Day {
            out.extend_from_slice(b",\"tradingPeriods\":[");
            for (i, s) in periods.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let _ = write!(
                    out,
                    r#"[{{"timezone":"IST","end":{},"start":{},"gmtoffset":19800}}]"#,
                    s.close, s.open
                );
            }
            out.push(b']');
        }
        let _ = write!(
            out,
            r#","dataGranularity":"{}","range":{},"validRanges":["1d","5d","1mo","3mo","6mo","1y","2y","5y","10y","ytd","max"]}}"#,
            iv.yahoo(),
            json_str(&range)
        );
        if bars.is_empty() {
            // Yahoo leaves out the timestamps and sends an empty quote when it has no bars.
            out.extend_from_slice(br#","indicators":{"quote":[{}]}}],"error":null}}"#);
            return Answer::new(200, "application/json;charset=utf-8", out);
        }
        out.extend_from_slice(b",\"timestamp\":[");
        for (i, (t, _)) in bars.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            push_i64(&mut out, *t);
        }
        out.extend_from_slice(b"],\"indicators\":{\"quote\":[{");
        let price_array = |out: &mut Vec<u8>, name: &str, get: &dyn Fn(&Bar) -> i64| {
            let _ = write!(out, "\"{name}\":[");
            for (i, (_, b)) in bars.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                match b {
                    Some(b) => push_f32(out, get(b)),
                    None => out.extend_from_slice(b"null"),
                }
            }
            out.push(b']');
        };
        // The field order of Yahoo's body (chart_5m.json).
        price_array(&mut out, "open", &|b| b.open);
        out.push(b',');
        price_array(&mut out, "close", &|b| b.close);
        out.push(b',');
        price_array(&mut out, "high", &|b| b.high);
        out.push(b',');
        out.extend_from_slice(b"\"volume\":[");
        for (i, (_, b)) in bars.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            match b {
                Some(b) => push_u64(&mut out, b.volume),
                None => out.extend_from_slice(b"null"),
            }
        }
        out.extend_from_slice(b"],");
        price_array(&mut out, "low", &|b| b.low);
        out.extend_from_slice(b"}]");
        if iv == Interval::Day {
            out.extend_from_slice(b",\"adjclose\":[{");
            price_array(&mut out, "adjclose", &|b| b.close);
            out.extend_from_slice(b"}]");
        }
        out.extend_from_slice(br#"}}],"error":null}}"#);
        Answer::new(200, "application/json;charset=utf-8", out)
    }
}

/// One side of an option chain row.
struct OptionSide {
    ltp: i64,
    close: i64,
    bid: i64,
    ask: i64,
    bid_qty: u64,
    ask_qty: u64,
    volume: u64,
    oi: u64,
    prev_oi: u64,
    delta: f64,
    gamma: f64,
    theta: f64,
    vega: f64,
    iv: f64,
    pop: f64,
}

impl OptionSide {
    /// Black–Scholes at `iv` percent, r = 6.5 %, with hash-made volume and open interest
    /// that peak at the money.
    fn price(spot: f64, strike: f64, years: f64, iv: f64, call: bool, h: u64, lot: u64) -> Self {
        let r = 0.065;
        let sigma = (iv / 100.0).max(0.01);
        let sq = years.sqrt();
        let d1 = ((spot / strike).ln() + (r + sigma * sigma / 2.0) * years) / (sigma * sq);
        let d2 = d1 - sigma * sq;
        let disc = (-r * years).exp();
        let pdf = (-d1 * d1 / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let (value, delta, theta_r, pop) = if call {
            (
                spot * norm_cdf(d1) - strike * disc * norm_cdf(d2),
                norm_cdf(d1),
                -r * strike * disc * norm_cdf(d2),
                norm_cdf(d2),
            )
        } else {
            (
                strike * disc * norm_cdf(-d2) - spot * norm_cdf(-d1),
                norm_cdf(d1) - 1.0,
                r * strike * disc * norm_cdf(-d2),
                norm_cdf(-d2),
            )
        };
        let theta = (-spot * pdf * sigma / (2.0 * sq) + theta_r) / 365.0;
        let ltp = tick(value * 100.0).max(5);
        let spread = 5 * (1 + (h % 3) as i64);
        let near = (-((strike - spot) / (spot * 0.01)).powi(2)).exp();
        let oi = lot * (20 + ((2_000.0 * near + 50.0) * (0.5 + unit(mix(h ^ 1)))) as u64);
        let prev_oi = (oi as f64 * (0.85 + 0.3 * unit(mix(h ^ 2)))) as u64 / lot * lot;
        Self {
            ltp,
            close: tick(ltp as f64 * (0.9 + 0.2 * unit(mix(h ^ 3)))).max(5),
            bid: (ltp - spread).max(5),
            ask: ltp + spread,
            bid_qty: lot * (1 + mix(h ^ 4) % 40),
            ask_qty: lot * (1 + mix(h ^ 5) % 40),
            volume: oi * (1 + mix(h ^ 6) % 8),
            oi,
            prev_oi,
            delta,
            gamma: pdf / (spot * sigma * sq),
            theta,
            vega: spot * pdf * sq / 100.0,
            iv,
            pop: pop * 100.0,
        }
    }
}

/// The standard normal CDF (Abramowitz–Stegun 7.1.26, |error| < 1.5e-7).
fn norm_cdf(x: f64) -> f64 {
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * z);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-z * z).exp();
    if x >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

/// A deterministic NSE_FO token, unique per underlying within any 1000-day window of expiries.
fn option_token(underlying: &str, expiry: NaiveDate, strike: i64, kind: &str) -> u64 {
    let prefix = 1 + fnv(underlying.as_bytes()) % 9;
    let day = expiry.num_days_from_ce().rem_euclid(1000) as u64;
    let strike = (strike / STRIKE_STEP).rem_euclid(500) as u64;
    prefix * 1_000_000 + day * 1000 + strike * 2 + u64::from(kind == "PE")
}

/// Rounds paise to the 0.05 tick.
fn tick(paise: f64) -> i64 {
    (paise / 5.0).round() as i64 * 5
}

fn round_to(x: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    // + 0.0 turns -0.0 into 0.0, which prints as "0".
    (x * f).round() / f + 0.0
}

/// The body of an Upstox candle response, newest first: `starts` holds each session with its
/// bar starts already newest first.
fn upstox_candles(
    market: &Market,
    view: &View,
    key: &str,
    iv: Interval,
    starts: &[(Session, Vec<i64>)],
) -> Answer {
    let hidden = View::set(&view.hidden, key, iv);
    let corrupt = View::set(&view.corrupt, key, iv);
    let prof = Profile::of(key);
    let count: usize = starts.iter().map(|(_, b)| b.len()).sum();
    let mut out = Vec::with_capacity(64 + count * 72);
    out.extend_from_slice(br#"{"status":"success","data":{"candles":["#);
    let mut first = true;
    let mut dates = DateCache::default();
    for (s, bars) in starts {
        let minutes = prof.session_minutes(s);
        for &ts in bars {
            if hidden.is_some_and(|h| h.contains(&ts)) {
                continue;
            }
            let mut b = bar_from_minutes(&minutes, iv, ts, s)
                .unwrap_or_else(|| market.bar_in(&prof, iv, ts, s));
            if corrupt.is_some_and(|c| c.contains(&ts)) {
                b = b.corrupted();
            }
            if !first {
                out.push(b',');
            }
            first = false;
            out.extend_from_slice(b"[\"");
            dates.push_iso(&mut out, ts);
            out.extend_from_slice(b"\",");
            push_paise(&mut out, b.open);
            out.push(b',');
            push_paise(&mut out, b.high);
            out.push(b',');
            push_paise(&mut out, b.low);
            out.push(b',');
            push_paise(&mut out, b.close);
            out.push(b',');
            push_u64(&mut out, b.volume);
            out.extend_from_slice(b",0]");
        }
    }
    out.extend_from_slice(b"]}}");
    Answer::new(200, "application/json", out)
}

/// A reply before it is written.
struct Answer {
    status: u16,
    content_type: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Declare the whole body, send half, close (Fault::Truncated).
    truncate: bool,
}

impl Answer {
    fn new(status: u16, content_type: &str, body: Vec<u8>) -> Self {
        Answer {
            status,
            content_type: content_type.to_string(),
            headers: Vec::new(),
            body,
            truncate: false,
        }
    }
}

/// Upstox's error body.
fn upstox_error(status: u16, code: &str, message: &str) -> Answer {
    let (code, message) = (json_str(code), json_str(message));
    let body = format!(
        r#"{{"status":"error","errors":[{{"errorCode":{code},"message":{message},"propertyPath":null,"invalidValue":null,"error_code":{code},"property_path":null,"invalid_value":null}}]}}"#
    );
    Answer::new(status, "application/json", body.into_bytes())
}

fn too_many() -> Answer {
    upstox_error(429, "UDAPI10005", "Too Many Request Sent")
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A test thread that panicked while holding the lock must not take the server down.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Answers one connection: one request, then close.
fn serve(mut stream: TcpStream, shared: &Shared) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let lag = {
        let mut control = shared.control();
        control.connections += 1;
        control
            .late
            .filter(|(every, _)| control.connections.is_multiple_of(*every))
            .map(|(_, lag)| lag)
    };
    if let Some(lag) = lag {
        thread::sleep(lag);
    }
    let Some(head) = read_head(&mut stream) else {
        return;
    };
    let (at, instant) = (SystemTime::now(), Instant::now());
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or("");
    let mut parts = request_line.split(' ');
    let (method, target) = match (parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(t), Some(v)) if v.starts_with("HTTP/1.") && t.starts_with('/') => (m, t),
        _ => {
            write_answer(
                &mut stream,
                &Answer::new(400, "text/plain", b"Bad Request".to_vec()),
            );
            return;
        }
    };
    let authorization = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("authorization"))
        .map(|(_, value)| value.trim());
    let index = {
        let mut log = lock(&shared.log);
        log.push(Logged {
            path: target.to_string(),
            at,
            instant,
            status: 0,
        });
        log.len() - 1
    };
    let answer = shared.respond(method, target, authorization);
    // Logged before the reply goes out, so a client that has its reply sees it in the log.
    lock(&shared.log)[index].status = answer.status;
    write_answer(&mut stream, &answer);
}

/// Reads up to the blank line that ends the request head (GET requests have no body).
fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            buf.truncate(end);
            // Lossy: a stray byte in a header gets a 400 or is ignored, not a dropped connection.
            return Some(String::from_utf8_lossy(&buf).into_owned());
        }
        if buf.len() > 64 * 1024 {
            return None;
        }
    }
}

fn write_answer(stream: &mut TcpStream, answer: &Answer) {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n",
        answer.status,
        reason(answer.status),
        answer.content_type,
        answer.body.len()
            + if answer.truncate {
                answer.body.len() / 2 + 100
            } else {
                0
            },
    );
    for (name, value) in &answer.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let body = if answer.truncate {
        &answer.body[..answer.body.len() / 2]
    } else {
        &answer.body[..]
    };
    // One buffer, one write: no small-packet stalls.
    let mut bytes = Vec::with_capacity(head.len() + body.len());
    bytes.extend_from_slice(head.as_bytes());
    bytes.extend_from_slice(body);
    if stream.write_all(&bytes).is_err() {
        return;
    }
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Write);
    // Wait (briefly) for the client to close first: closing with unread input would send a
    // reset that can destroy the reply in flight.
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut sink = [0u8; 1024];
    while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// Percent-decoding; `plus` also turns '+' into a space (query strings). None if the result is
/// not UTF-8.
fn pct_decode(s: &str, plus: bool) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let hex = |c: u8| (c as char).to_digit(16);
        match b {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b),
            },
            b'+' if plus => out.push(b' '),
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn parse_query(query: &str) -> Option<Vec<(String, String)>> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            Some((pct_decode(k, true)?, pct_decode(v, true)?))
        })
        .collect()
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// "2023-10-19T05:21:51.099+05:30".
fn iso_ms(ms: i64) -> String {
    let ist = FixedOffset::east_opt(IST as i32).expect("+05:30 is an offset");
    DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .with_timezone(&ist)
        .format("%Y-%m-%dT%H:%M:%S%.3f%:z")
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// JSON writing: by hand into a byte buffer, which is what makes the server fast.

/// Formats "YYYY-MM-DDTHH:MM:SS+05:30", converting each date only once.
#[derive(Default)]
struct DateCache {
    day: Option<i64>,
    text: [u8; 11],
}

impl DateCache {
    fn push_iso(&mut self, out: &mut Vec<u8>, ts: i64) {
        let local = ts + IST;
        let day = local.div_euclid(DAY);
        if self.day != Some(day) {
            let (y, m, d) = civil(day);
            let mut text = *b"0000-00-00T";
            let y = y.clamp(0, 9999) as u32;
            text[0] = b'0' + (y / 1000) as u8;
            text[1] = b'0' + (y / 100 % 10) as u8;
            text[2] = b'0' + (y / 10 % 10) as u8;
            text[3] = b'0' + (y % 10) as u8;
            text[5] = b'0' + (m / 10) as u8;
            text[6] = b'0' + (m % 10) as u8;
            text[8] = b'0' + (d / 10) as u8;
            text[9] = b'0' + (d % 10) as u8;
            self.text = text;
            self.day = Some(day);
        }
        out.extend_from_slice(&self.text);
        let sod = local.rem_euclid(DAY);
        let (h, mi, s) = (sod / 3600, sod / 60 % 60, sod % 60);
        out.extend_from_slice(&[
            b'0' + (h / 10) as u8,
            b'0' + (h % 10) as u8,
            b':',
            b'0' + (mi / 10) as u8,
            b'0' + (mi % 10) as u8,
            b':',
            b'0' + (s / 10) as u8,
            b'0' + (s % 10) as u8,
        ]);
        out.extend_from_slice(b"+05:30");
    }
}

/// Days since 1970-01-01 → (year, month, day) (Howard Hinnant's civil_from_days).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn push_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

fn push_i64(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    push_u64(out, v.unsigned_abs());
}

/// Paise as the shortest decimal rupees: 230530 → 2305.3, 230100 → 2301 (Upstox prints
/// whole prices as integers too).
fn push_paise(out: &mut Vec<u8>, paise: i64) {
    if paise < 0 {
        out.push(b'-');
    }
    let p = paise.unsigned_abs();
    push_u64(out, p / 100);
    let frac = p % 100;
    if frac != 0 {
        out.push(b'.');
        out.push(b'0' + (frac / 10) as u8);
        if !frac.is_multiple_of(10) {
            out.push(b'0' + (frac % 10) as u8);
        }
    }
}

/// Paise as Yahoo prints prices: a float32 widened to double (2305.300048828125).
fn push_f32(out: &mut Vec<u8>, paise: i64) {
    push_f64(out, f64::from(rupees(paise) as f32));
}

/// The shortest representation that reads back as `x` (what JSON encoders print).
fn push_f64(out: &mut Vec<u8>, x: f64) {
    let x = if x.is_finite() { x } else { 0.0 };
    let _ = write!(out, "{x}");
}

fn push_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(json_str(s).as_bytes());
}

/// `s` as a JSON string literal.
fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_formatting_matches_chrono_and_std() {
        let mut cache = DateCache::default();
        for ts in [
            0i64,
            1_697_707_500,
            1_704_080_700,
            4_102_444_800,
            951_782_400,
        ] {
            let mut out = Vec::new();
            cache.push_iso(&mut out, ts);
            let want = DateTime::from_timestamp(ts, 0)
                .unwrap()
                .with_timezone(&FixedOffset::east_opt(IST as i32).unwrap())
                .format("%Y-%m-%dT%H:%M:%S%:z")
                .to_string();
            assert_eq!(String::from_utf8(out).unwrap(), want);
        }
        for (paise, want) in [
            (230_530, "2305.3"),
            (230_100, "2301"),
            (5, "0.05"),
            (230_505, "2305.05"),
        ] {
            let mut out = Vec::new();
            push_paise(&mut out, paise);
            assert_eq!(String::from_utf8(out).unwrap(), want);
        }
        assert_eq!(midnight(ist_date(1_697_707_500)), 1_697_653_800);
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(
            pct_decode("NSE_EQ%7CINE002A01018", false).unwrap(),
            "NSE_EQ|INE002A01018"
        );
        assert_eq!(pct_decode("Nifty%2050+x", false).unwrap(), "Nifty 50+x");
        assert_eq!(pct_decode("Nifty+50", true).unwrap(), "Nifty 50");
        assert_eq!(pct_decode("100%", false).unwrap(), "100%");
        assert_eq!(pct_decode("%E2%82%AC%zz%4", false).unwrap(), "€%zz%4");
        assert!(pct_decode("%FF", false).is_none());
    }
}
