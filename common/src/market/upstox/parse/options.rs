//! `/v2/option/chain` and `/v2/option/contract`: a row per strike and side, and the expiries.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::Deserialize;

use super::{CHAIN, CONTRACTS, count, date, format_error, positive, success_data};
use crate::market::instrument::InstrumentKey;
use crate::market::provider::{FormatError, OptionRow, Side};

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

#[derive(Deserialize)]
struct Greeks {
    vega: Option<f64>,
    theta: Option<f64>,
    gamma: Option<f64>,
    delta: Option<f64>,
    iv: Option<f64>,
}

/// Reads `/v2/option/chain`: one row per side present at each strike, calls before puts, in
/// the answer's strike order. IV stays in percent, as Upstox gives it; a bid or ask of 0 (no
/// order) is `None`.
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
            let greeks = leg.option_greeks.as_ref();
            rows.push(OptionRow {
                underlying: underlying.clone(),
                spot: strike.underlying_spot_price,
                expiry,
                strike: strike.strike_price,
                side,
                instrument: leg.instrument_key,
                ltp: market.and_then(|m| m.ltp),
                bid: positive(market.and_then(|m| m.bid_price)),
                ask: positive(market.and_then(|m| m.ask_price)),
                volume: count(market.and_then(|m| m.volume), "volume").map_err(&fail)?,
                oi: count(market.and_then(|m| m.oi), "oi").map_err(&fail)?,
                iv: greeks.and_then(|g| g.iv),
                delta: greeks.and_then(|g| g.delta),
                gamma: greeks.and_then(|g| g.gamma),
                theta: greeks.and_then(|g| g.theta),
                vega: greeks.and_then(|g| g.vega),
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
