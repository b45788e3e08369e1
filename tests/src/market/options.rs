//! Upstox option contracts and chains: weekly expiries, strikes around the spot, and prices and
//! greeks from Black–Scholes.

use super::*;

impl Shared {
    /// The underlying of an option request, or the error reply.
    pub(super) fn underlying(&self, key: Option<&str>) -> Result<&Instrument, Answer> {
        let Some(key) = key.filter(|k| !k.is_empty()) else {
            return Err(upstox_error(400, "UDAPI1009", "instrument_key is required"));
        };
        match self.market.by_key.get(key) {
            Some(&i) => Ok(&self.market.instruments[i]),
            None => Err(upstox_error(400, "UDAPI1087", "Invalid Instrument key")),
        }
    }

    /// The strikes around spot, every 50, ATM ± 5 (moved by [`MarketServer::shift_strikes`]).
    pub(super) fn strikes(&self, inst: &Instrument, now_ms: i64) -> (i64, Vec<i64>) {
        let spot = self.market.live(&Profile::of(&inst.key), now_ms).day.close;
        let shift = self.market.read().options.shift;
        let atm = ((spot as f64 / 100.0 / STRIKE_STEP as f64).round() as i64 * STRIKE_STEP + shift)
            .max(STRIKE_STEP * (STRIKES_EACH_SIDE + 1));
        let strikes = (-STRIKES_EACH_SIDE..=STRIKES_EACH_SIDE)
            .map(|k| atm + k * STRIKE_STEP)
            .collect();
        (spot, strikes)
    }

    /// `/v2/option/contract?instrument_key=…[&expiry_date=…]`.
    pub(super) fn contracts(&self, key: Option<&str>, expiry: Option<&str>) -> Answer {
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
    pub(super) fn chain(&self, key: Option<&str>, expiry: Option<&str>) -> Answer {
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
        let (now_ms, shape) = {
            let view = self.market.read();
            (view.now_ms, view.options)
        };
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
                let sides: Vec<(String, OptionSide)> =
                    ["CE", "PE"]
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
                                OptionSide::price(spot, k, years, iv, call, h, lot)
                                    .computed_within(spot, k, call, shape.uncomputed_beyond),
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
}

/// One side of an option chain row.
pub(super) struct OptionSide {
    pub(super) ltp: i64,
    pub(super) close: i64,
    pub(super) bid: i64,
    pub(super) ask: i64,
    pub(super) bid_qty: u64,
    pub(super) ask_qty: u64,
    pub(super) volume: u64,
    pub(super) oi: u64,
    pub(super) prev_oi: u64,
    pub(super) delta: f64,
    pub(super) gamma: f64,
    pub(super) theta: f64,
    pub(super) vega: f64,
    pub(super) iv: f64,
    pub(super) pop: f64,
}

impl OptionSide {
    /// Black–Scholes at `iv` percent, r = 6.5 %, with hash-made volume and open interest
    /// that peak at the money.
    pub(super) fn price(
        spot: f64,
        strike: f64,
        years: f64,
        iv: f64,
        call: bool,
        h: u64,
        lot: u64,
    ) -> Self {
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

impl OptionSide {
    /// As Upstox sends a contract whose IV it could not solve: IV, greeks and probability of
    /// profit all 0, when the contract is more than `beyond` points in the money.
    fn computed_within(self, spot: f64, strike: f64, call: bool, beyond: Option<i64>) -> Self {
        let in_the_money = if call { spot - strike } else { strike - spot };
        match beyond {
            Some(points) if in_the_money > points as f64 => Self {
                delta: 0.0,
                gamma: 0.0,
                theta: 0.0,
                vega: 0.0,
                iv: 0.0,
                pop: 0.0,
                ..self
            },
            _ => self,
        }
    }
}

/// The standard normal CDF (Abramowitz–Stegun 7.1.26, |error| < 1.5e-7).
pub(super) fn norm_cdf(x: f64) -> f64 {
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
pub(super) fn option_token(underlying: &str, expiry: NaiveDate, strike: i64, kind: &str) -> u64 {
    let prefix = 1 + fnv(underlying.as_bytes()) % 9;
    let day = expiry.num_days_from_ce().rem_euclid(1000) as u64;
    let strike = (strike / STRIKE_STEP).rem_euclid(500) as u64;
    prefix * 1_000_000 + day * 1000 + strike * 2 + u64::from(kind == "PE")
}

/// Rounds paise to the 0.05 tick.
pub(super) fn tick(paise: f64) -> i64 {
    (paise / 5.0).round() as i64 * 5
}

pub(super) fn round_to(x: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    // + 0.0 turns -0.0 into 0.0, which prints as "0".
    (x * f).round() / f + 0.0
}
