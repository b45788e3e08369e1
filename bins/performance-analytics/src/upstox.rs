//! The trades Upstox reports, with a token: the day's fills (`/v2/order/trades/get-trades-for-day`)
//! and, for a range, the trade history (`/v2/charges/historical-trades`, paged), equity only.
//! The history gives a date but no time: its fills are taken at 15:30 IST, after the day's
//! session, in trade-number order. Neither gives charges: the schedule applies.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use common::calendar::IST;
use common::market::provider::ProviderError;
use common::market::upstox::Upstox;
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::trade::{Product, Side, Trade};

/// Rows asked for a page of the history.
const PAGE_SIZE: u32 = 500;
/// The most pages read: 50,000 fills, more than three years of a busy desk.
const MAX_PAGES: u32 = 100;

/// Why Upstox's trades could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The request failed.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// The reply is not the documented JSON.
    #[error("Upstox trades {endpoint}: {why}")]
    Format {
        /// Which endpoint.
        endpoint: &'static str,
        /// What was wrong.
        why: String,
    },
}

#[derive(Deserialize)]
struct Envelope<T> {
    data: Vec<T>,
    #[serde(default)]
    meta_data: Option<Meta>,
}

#[derive(Deserialize)]
struct Meta {
    page: Page,
}

#[derive(Deserialize)]
struct Page {
    total_pages: u32,
}

#[derive(Deserialize)]
struct DayTrade {
    exchange: String,
    product: String,
    trading_symbol: String,
    instrument_token: String,
    transaction_type: String,
    quantity: i64,
    order_id: String,
    exchange_timestamp: String,
    average_price: f64,
    trade_id: String,
}

#[derive(Deserialize)]
struct PastTrade {
    exchange: String,
    segment: String,
    quantity: i64,
    trade_id: String,
    trade_date: String,
    transaction_type: String,
    symbol: String,
    price: f64,
    instrument_token: String,
}

/// A price as the JSON number's shortest decimal, as the contract note prints it.
fn price(x: f64) -> Result<Decimal, String> {
    match x.to_string().parse::<Decimal>() {
        Ok(p) if p > Decimal::ZERO => Ok(p),
        _ => Err(format!("price {x} is not a price")),
    }
}

/// `GMRINFRA-EQ` is NSE's `GMRINFRA` in series EQ.
fn symbol(trading_symbol: &str) -> String {
    let s = trading_symbol.trim();
    s.rsplit_once('-')
        .filter(|(_, series)| matches!(*series, "EQ" | "BE" | "BZ" | "SM"))
        .map_or(s, |(name, _)| name)
        .to_ascii_uppercase()
}

/// `trade`, unless its numbers are implausible.
fn checked(trade: Trade) -> Result<Trade, String> {
    match crate::trade::implausible(trade.quantity, trade.price) {
        Some(why) => Err(format!("trade {}: {why}", trade.trade_id)),
        None => Ok(trade),
    }
}

fn key(token: &str) -> Option<String> {
    token.contains('|').then(|| token.to_string())
}

fn format_error(endpoint: &'static str) -> impl Fn(String) -> FetchError {
    move |why| FetchError::Format { endpoint, why }
}

/// The day's fills from `body`; other segments than NSE/BSE equity are left out.
pub fn parse_day(body: &[u8]) -> Result<Vec<Trade>, String> {
    let envelope: Envelope<DayTrade> =
        serde_json::from_slice(body).map_err(|e| format!("not the documented JSON: {e}"))?;
    let mut trades = Vec::new();
    for t in envelope.data {
        if !matches!(t.exchange.as_str(), "NSE" | "BSE") {
            continue;
        }
        let at = NaiveDateTime::parse_from_str(&t.exchange_timestamp, "%d-%b-%Y %H:%M:%S")
            .map_err(|_| {
                format!(
                    "trade {}: exchange_timestamp {:?}",
                    t.trade_id, t.exchange_timestamp
                )
            })?;
        trades.push(checked(Trade {
            side: Side::parse(&t.transaction_type).ok_or_else(|| {
                format!(
                    "trade {}: transaction_type {:?}",
                    t.trade_id, t.transaction_type
                )
            })?,
            quantity: Some(t.quantity)
                .filter(|q| *q > 0)
                .ok_or_else(|| format!("trade {}: quantity {}", t.trade_id, t.quantity))?,
            price: price(t.average_price).map_err(|e| format!("trade {}: {e}", t.trade_id))?,
            traded_at: ist(at)?,
            product: Product::parse(&t.product).unwrap_or(Product::Delivery),
            symbol: symbol(&t.trading_symbol),
            instrument_key: key(&t.instrument_token),
            order_id: Some(t.order_id),
            exchange: t.exchange,
            trade_id: t.trade_id,
            charges: None,
            strategy: String::new(),
        })?);
    }
    Ok(trades)
}

fn ist(at: NaiveDateTime) -> Result<DateTime<Utc>, String> {
    at.and_local_timezone(IST)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| format!("{at} is not a time in IST"))
}

/// A page of the history from `body`: its equity fills and the number of pages.
pub fn parse_history(body: &[u8]) -> Result<(Vec<Trade>, u32), String> {
    let envelope: Envelope<PastTrade> =
        serde_json::from_slice(body).map_err(|e| format!("not the documented JSON: {e}"))?;
    let pages = envelope.meta_data.map_or(1, |m| m.page.total_pages);
    let close = NaiveTime::from_hms_opt(15, 30, 0).expect("a time");
    let mut trades = Vec::new();
    for t in envelope.data {
        if t.segment != "EQ" {
            continue;
        }
        let date: NaiveDate = t
            .trade_date
            .parse()
            .map_err(|_| format!("trade {}: trade_date {:?}", t.trade_id, t.trade_date))?;
        trades.push(checked(Trade {
            side: Side::parse(&t.transaction_type).ok_or_else(|| {
                format!(
                    "trade {}: transaction_type {:?}",
                    t.trade_id, t.transaction_type
                )
            })?,
            quantity: Some(t.quantity)
                .filter(|q| *q > 0)
                .ok_or_else(|| format!("trade {}: quantity {}", t.trade_id, t.quantity))?,
            price: price(t.price).map_err(|e| format!("trade {}: {e}", t.trade_id))?,
            traded_at: ist(date.and_time(close))?,
            product: Product::Delivery,
            symbol: symbol(&t.symbol),
            instrument_key: key(&t.instrument_token),
            order_id: None,
            exchange: t.exchange,
            trade_id: t.trade_id,
            charges: None,
            strategy: String::new(),
        })?);
    }
    Ok((trades, pages))
}

/// The fills of `from..=to`: the history, page by page; or, for today alone, the day's fills.
pub fn fetch(
    upstox: &Upstox,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> Result<Vec<Trade>, FetchError> {
    if from == today && to == today {
        let body = upstox.fetch("/v2/order/trades/get-trades-for-day")?.body;
        return parse_day(&body).map_err(format_error("for the day"));
    }
    let mut all = Vec::new();
    let mut page = 1;
    loop {
        let path = format!(
            "/v2/charges/historical-trades?segment=EQ&start_date={from}&end_date={to}&page_number={page}&page_size={PAGE_SIZE}"
        );
        let body = upstox.fetch(&path)?.body;
        let (trades, pages) = parse_history(&body).map_err(format_error("history"))?;
        all.extend(trades);
        if page >= pages.min(MAX_PAGES) {
            break;
        }
        page += 1;
    }
    all.sort_by(|a, b| (a.traded_at, &a.trade_id).cmp(&(b.traded_at, &b.trade_id)));
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_day_reply_reads_as_an_ist_fill_of_the_series_symbol() {
        let body = br#"{"status":"success","data":[{"exchange":"NSE","product":"D","trading_symbol":"GMRINFRA-EQ","tradingsymbol":"GMRINFRA-EQ","instrument_token":"151064324","order_type":"MARKET","transaction_type":"BUY","quantity":1,"exchange_order_id":"221013001021540","order_id":"221013001021539","exchange_timestamp":"03-Aug-2017 15:03:42","average_price":299.4,"trade_id":"50091502","order_ref_id":"udapi-aqwsed14356","order_timestamp":"23-Apr-2021 14:22:06"}]}"#;
        let t = &parse_day(body).unwrap()[0];
        assert_eq!(
            (t.symbol.as_str(), t.quantity, t.side),
            ("GMRINFRA", 1, Side::Buy)
        );
        assert_eq!(t.price.to_string(), "299.4");
        assert_eq!(t.traded_at.to_rfc3339(), "2017-08-03T09:33:42+00:00");
        assert_eq!(t.instrument_key, None);
    }

    #[test]
    fn the_documented_history_page_reads_with_its_page_count() {
        let body = br#"{"status":"success","data":[{"exchange":"NSE","segment":"EQ","option_type":"","quantity":1,"amount":2252.35,"trade_id":"75217259","trade_date":"2023-03-28","transaction_type":"BUY","scrip_name":"RELIANCE","strike_price":"0.0","expiry":"","price":2252.35,"isin":"INE002A01018","symbol":"RELIANCE","instrument_token":"NSE_EQ|INE002A01018"}],"errors":null,"meta_data":{"page":{"page_number":1,"page_size":15,"total_records":15,"total_pages":1}}}"#;
        let (trades, pages) = parse_history(body).unwrap();
        assert_eq!(pages, 1);
        assert_eq!(
            trades[0].instrument_key.as_deref(),
            Some("NSE_EQ|INE002A01018")
        );
        assert_eq!(
            trades[0].traded_at.to_rfc3339(),
            "2023-03-28T10:00:00+00:00"
        );
        assert!(
            parse_history(b"<html>")
                .unwrap_err()
                .starts_with("not the documented JSON")
        );
    }
}
