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
//! holes, corrupt bars, Yahoo null bars, option chains with uncomputed greeks, strikes that
//! miss the spot or only past expiries, a required token, scripted faults, Upstox-style rate
//! limits. It is a plain `std::net` server rather than tiny_http because tiny_http drops a
//! `Connection: close` response header and cannot cut a body short; every reply here closes the
//! connection so clients never pay tiny_http's ~40 ms delayed-ACK stall on reused connections.
//! Bodies are written straight into a preallocated buffer (no `serde_json::Value` trees), so the
//! server is not what a benchmark measures.
//!
//! This file is the world; `prices` the price path, `server` the controls and routing,
//! `upstox`, `options` (Black–Scholes) and `yahoo` the handlers, `http` and `json` the wire;
//! `universe` makes sessions and instruments for tests and benchmarks that need many.

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

mod bars;
mod http;
mod interval;
mod json;
mod options;
mod prices;
mod server;
#[cfg(test)]
mod tests;
mod universe;
mod upstox;
mod yahoo;

use bars::*;
use http::*;
use interval::*;
use json::*;
use options::*;
use prices::*;
use server::*;
pub use server::{Fault, Logged, MarketServer};
pub use universe::{synthetic_equities, weekday_sessions};
use upstox::*;

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

/// A trading session, epoch seconds.
#[derive(Debug, Clone, Copy)]
struct Session {
    open: i64,
    close: i64,
}

impl Session {
    /// Bar starts of this session for an intraday interval, or the day bar of `date`; nothing
    /// for a week or a month (see [`Market::stamps`]).
    fn bar_starts(&self, date: NaiveDate, iv: Interval) -> Vec<i64> {
        match iv.seconds() {
            Some(step) => (self.open..self.close).step_by(step as usize).collect(),
            None if iv == Interval::Day && self.close > self.open => vec![midnight(date)],
            None => Vec::new(),
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
    /// The day's volumes pinned by [`MarketServer::pin_day_volume`].
    pinned_volume: HashMap<String, u64>,
    /// How option contracts and chains deviate from the normal ones.
    options: OptionShape,
}

/// Option contracts and chains as tests make them misbehave (all off by default).
#[derive(Debug, Clone, Copy, Default)]
struct OptionShape {
    /// Points the strike grid is moved away from the spot ([`MarketServer::shift_strikes`]).
    shift: i64,
    /// Contracts more in the money than this many points have IV and greeks 0
    /// ([`MarketServer::uncomputed_greeks_beyond`]).
    uncomputed_beyond: Option<i64>,
    /// Only expiries before today are listed ([`MarketServer::only_past_expiries`]).
    only_past: bool,
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
                pinned_volume: HashMap::new(),
                options: OptionShape::default(),
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
    /// interval is the market's name (`1minute`, `30minute`, `1hour`, `day`, `week`, `month`)
    /// or Yahoo's (`5m`, `1h`, `1wk`…). A day bar starts 00:00 IST of its date, a week's or a
    /// month's 00:00 IST of its Monday or 1st; any time inside the day, week or month gives
    /// that bar. Prices depend only on the arguments and the session hours: a smooth wave
    /// around a base price taken from a hash of the key, plus hash noise, on the 0.05 tick;
    /// coarser bars aggregate the 1-minute path (a bar that runs past its session's close
    /// stops at the close; a week's or a month's aggregates all of its sessions). OHLC is
    /// always valid; volume > 0, or 0 for `*_INDEX` keys. Panics on an unknown interval name.
    pub fn candle(&self, key: &str, interval: &str, ts: i64) -> SynthCandle {
        let iv = Interval::parse_or_panic(interval);
        self.bar(&Profile::of(key), iv, ts).public()
    }

    /// All bar starts the server has for key/interval stamped between two IST dates inclusive,
    /// oldest first, as Upstox stamps them (a week's on its Monday, a month's on its 1st, see
    /// [`Market::candle`]): the sessions' bars, minus hidden ones, minus those not yet started
    /// at the server's "now" (a day's, a week's or a month's bar exists once its first session
    /// has opened). Today's bars are among them even though only the intraday endpoint serves
    /// them. Empty for an unknown key. Panics on an unknown interval name.
    pub fn bars(&self, key: &str, interval: &str, from: NaiveDate, to: NaiveDate) -> Vec<i64> {
        let iv = Interval::parse_or_panic(interval);
        if !self.by_key.contains_key(key) {
            return Vec::new();
        }
        let view = self.read();
        let hidden = View::set(&view.hidden, key, iv);
        self.stamps(iv, from, to, view.now_s())
            .into_iter()
            .map(|(ts, _)| ts)
            .filter(|ts| !hidden.is_some_and(|h| h.contains(ts)))
            .collect()
    }

    /// 00:00 IST of the first session of the day, week or month holding `ts`: where the jobs
    /// store that bar. `None` when the market has no session in it. Panics on an unknown
    /// interval name.
    pub fn opening_day(&self, interval: &str, ts: i64) -> Option<i64> {
        let iv = Interval::parse_or_panic(interval);
        let begin = iv.period_begin(ist_date(ts));
        self.period_sessions(begin, iv.period_end(begin), i64::MAX)
            .next()
            .map(|(date, _)| midnight(*date))
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
        // Not a session: the regular hours, so the function is still total.
        let regular = || Session {
            open: midnight(date) + 33_300,
            close: midnight(date) + 55_800,
        };
        match (iv, session) {
            (Interval::Week | Interval::Month, _) => {
                let stamp = iv.key_ts(ts);
                let first = self.stamps(iv, ist_date(stamp), ist_date(stamp), i64::MAX);
                let s = first.first().map_or_else(regular, |(_, s)| *s);
                self.bar_at(
                    prof,
                    iv,
                    stamp,
                    &s,
                    i64::MAX,
                    &mut SessionMinutes::default(),
                )
            }
            (Interval::Day, s) => self.bar_in(prof, iv, midnight(date), &s.unwrap_or_else(regular)),
            (Interval::Minutes(_), Some(s)) if ts >= s.open && ts < s.close => {
                self.bar_in(prof, iv, ts, &s)
            }
            (Interval::Minutes(m), _) => prof.span(ts, ts + i64::from(m) * 60),
        }
    }

    /// The bar at `ts` inside session `s`: an intraday bar, or the session's whole day.
    fn bar_in(&self, prof: &Profile, iv: Interval, ts: i64, s: &Session) -> Bar {
        match iv.seconds() {
            Some(step) => prof.span(ts, (ts + step).min(s.close)),
            None => {
                let mut b = prof.span(s.open, s.close);
                b.ts = ts;
                b
            }
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
            agg = Some(agg.map_or(m, |a| a.then(&m)));
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

    /// The expiries listed on `today`: [`Market::weekly_expiries`] from it, or with
    /// [`MarketServer::only_past_expiries`] those of the 4 weeks before that are past.
    fn expiries(&self, today: NaiveDate) -> Vec<NaiveDate> {
        if self.read().options.only_past {
            let from = today - chrono::Days::new(28);
            let mut past: Vec<NaiveDate> = self.weekly_expiries(from);
            past.extend(self.weekly_expiries(from + chrono::Days::new(21)));
            past.retain(|e| *e < today);
            past.dedup();
            return past;
        }
        self.weekly_expiries(today)
    }

    /// Weekly expiries from `today`: the next 3 Thursdays on or after it, each moved to the
    /// last session on or before it when the Thursday is not a session (and the week has one).
    fn weekly_expiries(&self, today: NaiveDate) -> Vec<NaiveDate> {
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
