//! The deterministic price path: per-instrument profiles, 1-minute bars and their aggregates,
//! the hashes they are drawn from, and IST date arithmetic in epoch seconds.

use super::*;

/// Whether a bar has started by `now` (the forming bar counts, as on Upstox); a day's, a
/// week's or a month's once its (first) session `s` opened.
pub(super) fn started(iv: Interval, s: &Session, ts: i64, now: i64) -> bool {
    match iv {
        Interval::Minutes(_) => ts <= now,
        Interval::Day | Interval::Week | Interval::Month => s.open <= now,
    }
}

/// The current session so far.
#[derive(Default, Clone)]
pub(super) struct Live {
    pub(super) session: Option<(NaiveDate, Session)>,
    /// Aggregate of the session's 1-minute bars that have started.
    pub(super) day: Bar,
    pub(super) prev_close: i64,
    pub(super) last_trade_ms: i64,
    /// Volume-weighted average price, paise.
    pub(super) average: i64,
}

/// A candle in paise (integer, so formatting is exact and fast).
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Bar {
    pub(super) ts: i64,
    pub(super) open: i64,
    pub(super) high: i64,
    pub(super) low: i64,
    pub(super) close: i64,
    pub(super) volume: u64,
}

impl Bar {
    pub(super) fn public(self) -> SynthCandle {
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

    /// This bar followed by `next`: one bar over both.
    pub(super) fn then(mut self, next: &Bar) -> Self {
        self.high = self.high.max(next.high);
        self.low = self.low.min(next.low);
        self.close = next.close;
        self.volume += next.volume;
        self
    }

    /// What [`MarketServer::corrupt`] makes of it: high below low.
    pub(super) fn corrupted(mut self) -> Self {
        self.low = self.low.max(15);
        self.high = self.low - 10;
        self
    }
}

pub(super) fn rupees(paise: i64) -> f64 {
    // Division by 100 gives the double nearest the 2-decimal value, which prints as it.
    paise as f64 / 100.0
}

/// The per-instrument constants of the price path, all derived from a hash of the key.
#[derive(Debug, Clone, Copy)]
pub(super) struct Profile {
    pub(super) seed: u64,
    pub(super) base: f64,
    /// Typical 1-minute volume.
    pub(super) vol: f64,
    /// One wick step, paise.
    pub(super) wick: i64,
    pub(super) index: bool,
    pub(super) phase: [f64; 3],
}

impl Profile {
    pub(super) fn of(key: &str) -> Self {
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
    pub(super) fn price(&self, t: i64) -> i64 {
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
    pub(super) fn minute(&self, t: i64) -> Bar {
        self.minute_between(t, self.price(t), self.price(t + 60))
    }

    /// The 1-minute bar starting at `t` given its open and close prices (so a run of bars can
    /// share each price point: the path's prices are most of the cost).
    pub(super) fn minute_between(&self, t: i64, open: i64, close: i64) -> Bar {
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
    pub(super) fn session_minutes(&self, s: &Session) -> Vec<Bar> {
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
    pub(super) fn span(&self, t: i64, end: i64) -> Bar {
        let mut bar = self.minute(t);
        let mut m = t + 60;
        while m < end {
            bar = bar.then(&self.minute(m));
            m += 60;
        }
        bar
    }
}

/// The bar at `ts` of session `s` from the session's 1-minute bars (what [`Market::bar_in`]
/// computes, without recomputing the path for every bar).
pub(super) fn bar_from_minutes(minutes: &[Bar], iv: Interval, ts: i64, s: &Session) -> Option<Bar> {
    let (first, count) = match iv.seconds() {
        None => (0, minutes.len()),
        Some(step) => (
            usize::try_from((ts - s.open) / 60).ok()?,
            (step / 60) as usize,
        ),
    };
    let slice = minutes.get(first..(first + count).min(minutes.len()))?;
    let (head, tail) = slice.split_first()?;
    let mut bar = tail.iter().fold(*head, |bar, m| bar.then(m));
    bar.ts = ts;
    Some(bar)
}

/// Volume is heavier after the open and before the close, as on NSE.
pub(super) fn intraday_shape(t: i64) -> f64 {
    let m = (((t + IST).rem_euclid(DAY) - 33_300) as f64 / 60.0).clamp(0.0, 375.0);
    1.0 + 1.5 * (-m / 25.0).exp() + 0.8 * (-(375.0 - m) / 25.0).exp()
}

pub(super) fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// splitmix64's finaliser: a good cheap hash of a 64-bit value.
pub(super) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A hash as a number in [0, 1).
pub(super) fn unit(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// The IST calendar date of an instant.
pub(super) fn ist_date(ts: i64) -> NaiveDate {
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
pub(super) fn midnight(date: NaiveDate) -> i64 {
    (i64::from(date.num_days_from_ce()) - UNIX_EPOCH_CE) * DAY - IST
}
