//! `/v2/option/chain` and `/v2/option/contract`: a row per strike and side, and the expiries.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::Deserialize;

use super::{CHAIN, CONTRACTS, count, date, format_error, positive, success_data};
use crate::market::instrument::InstrumentKey;
use crate::market::provider::{FormatError, OptionRow, Side};
use crate::text;

/// One strike of `/v2/option/chain`.
#[derive(Deserialize)]
struct Strike {
    expiry: String,
    strike_price: f64,
    underlying_key: String,
    underlying_spot_price: f64,
    call_options: Option<Leg>,
    put_options: Option<Leg>,
}

#[derive(Deserialize)]
struct Leg {
    instrument_key: String,
    market_data: Option<MarketData>,
    option_greeks: Option<Greeks>,
}

#[derive(Deserialize)]
struct MarketData {
    ltp: Option<f64>,
    volume: Option<f64>,
    oi: Option<f64>,
    bid_price: Option<f64>,
    ask_price: Option<f64>,
}

#[derive(Deserialize, Default)]
struct Greeks {
    vega: Option<f64>,
    theta: Option<f64>,
    gamma: Option<f64>,
    delta: Option<f64>,
    iv: Option<f64>,
}

impl Greeks {
    /// The greeks Upstox computed, its "not computed" zeros made `None`.
    ///
    /// Upstox solves the IV from the option's price and derives the greeks from it. Where it
    /// cannot solve one (deep in-the-money contracts, priced at or below intrinsic value) it
    /// sends `iv: 0` and 0 for every greek: no volatility is 0, so an IV of 0 (or none) is
    /// `None`, and so is every greek that is 0 beside it. A greek that is not 0 is kept
    /// whatever the IV, as Upstox sent it. With a real IV a 0 greek is a real value rounded
    /// to Upstox's four decimals (the real sample's far out-of-the-money put has IV 50.78 and
    /// gamma 0) and is kept too.
    fn computed(self) -> Greeks {
        if self.iv.is_some_and(|iv| iv != 0.0) {
            return self;
        }
        let sent = |greek: Option<f64>| greek.filter(|g| *g != 0.0);
        Greeks {
            vega: sent(self.vega),
            theta: sent(self.theta),
            gamma: sent(self.gamma),
            delta: sent(self.delta),
            iv: None,
        }
    }
}

/// Reads `/v2/option/chain`: one row per side present at each strike, calls before puts, in
/// the answer's strike order. IV stays in percent, as Upstox gives it; a bid or ask of 0 (no
/// order) is `None`, and so are an IV and greeks Upstox did not compute (see
/// [`Greeks::computed`]).
pub fn option_chain(body: &[u8]) -> Result<Vec<OptionRow>, FormatError> {
    let strikes: Vec<Strike> = success_data(CHAIN, body)?;
    let mut rows = Vec::with_capacity(strikes.len() * 2);
    for (i, strike) in strikes.into_iter().enumerate() {
        let fail = |detail: String| format_error(CHAIN, format!("data[{i}]: {detail}"));
        let underlying = InstrumentKey::parse(&strike.underlying_key)
            .map_err(|e| fail(format!("underlying_key: {e}")))?;
        let expiry = date(&strike.expiry)
            .ok_or_else(|| fail(format!("expiry `{}` is not YYYY-MM-DD", strike.expiry)))?;
        let sides = [
            (Side::Call, strike.call_options),
            (Side::Put, strike.put_options),
        ];
        for (side, leg) in sides {
            let Some(leg) = leg else { continue };
            let market = leg.market_data.as_ref();
            let greeks = leg.option_greeks.unwrap_or_default().computed();
            rows.push(OptionRow {
                underlying: underlying.clone(),
                spot: strike.underlying_spot_price,
                expiry,
                strike: strike.strike_price,
                side,
                // Stored and shown: no control character, no kilobytes (see `crate::text`).
                instrument: text::identifier(&leg.instrument_key, 64)
                    .ok_or_else(|| {
                        fail(format!(
                            "instrument_key `{}` is not valid",
                            text::excerpt(&leg.instrument_key, 40)
                        ))
                    })?
                    .to_string(),
                ltp: market.and_then(|m| m.ltp),
                bid: positive(market.and_then(|m| m.bid_price)),
                ask: positive(market.and_then(|m| m.ask_price)),
                volume: count(market.and_then(|m| m.volume), "volume").map_err(&fail)?,
                oi: count(market.and_then(|m| m.oi), "oi").map_err(&fail)?,
                iv: greeks.iv,
                delta: greeks.delta,
                gamma: greeks.gamma,
                theta: greeks.theta,
                vega: greeks.vega,
            });
        }
    }
    Ok(rows)
}

/// One contract of `/v2/option/contract`; only its expiry is read.
#[derive(Deserialize)]
struct Contract {
    expiry: String,
}

/// Reads `/v2/option/contract`: the distinct expiry dates, soonest first.
pub fn expiries(body: &[u8]) -> Result<Vec<NaiveDate>, FormatError> {
    let contracts: Vec<Contract> = success_data(CONTRACTS, body)?;
    let mut dates = BTreeSet::new();
    for (i, contract) in contracts.iter().enumerate() {
        let expiry = date(&contract.expiry).ok_or_else(|| {
            format_error(
                CONTRACTS,
                format!("data[{i}]: expiry `{}` is not YYYY-MM-DD", contract.expiry),
            )
        })?;
        dates.insert(expiry);
    }
    Ok(dates.into_iter().collect())
}
