//! A trade as the application records it: one fill of an order.

use chrono::{DateTime, NaiveDate, Utc};
use common::calendar::IST;
use rust_decimal::Decimal;

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Side {
    /// A purchase: opens or adds to a long, or covers a short.
    Buy,
    /// A sale: closes a long, or opens or adds to a short.
    Sell,
}

impl Side {
    /// As stored: `BUY` or `SELL`.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "BUY",
            Side::Sell => "SELL",
        }
    }

    /// `BUY`/`B`/`SELL`/`S`, any case.
    pub fn parse(text: &str) -> Option<Side> {
        match text.trim().to_ascii_uppercase().as_str() {
            "BUY" | "B" => Some(Side::Buy),
            "SELL" | "S" => Some(Side::Sell),
            _ => None,
        }
    }

    /// +1 for a buy, −1 for a sale.
    pub fn sign(self) -> i64 {
        match self {
            Side::Buy => 1,
            Side::Sell => -1,
        }
    }
}

/// Whether a trade is settled by delivery or squared off the same day: the charges differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Product {
    /// Delivery (Upstox `D`, also `CNC`, `MTF`).
    Delivery,
    /// Intraday (Upstox `I`, also `MIS`, `CO`).
    Intraday,
}

impl Product {
    /// As stored: `D` or `I`.
    pub fn as_str(self) -> &'static str {
        match self {
            Product::Delivery => "D",
            Product::Intraday => "I",
        }
    }

    /// Upstox's and the usual Indian brokers' product codes, any case.
    pub fn parse(text: &str) -> Option<Product> {
        match text.trim().to_ascii_uppercase().as_str() {
            "D" | "CNC" | "MTF" | "DELIVERY" => Some(Product::Delivery),
            "I" | "MIS" | "CO" | "INTRADAY" => Some(Product::Intraday),
            _ => None,
        }
    }
}

/// The most shares a fill may have: bounds every product of money, so that no sum overflows.
pub const MAX_QUANTITY: i64 = 1_000_000_000;

/// The highest price a share may have, in rupees (for the same reason).
pub const MAX_PRICE: i64 = 1_000_000_000;

/// Why a fill's numbers cannot be a trade, if they cannot.
pub fn implausible(quantity: i64, price: Decimal) -> Option<String> {
    if !(1..=MAX_QUANTITY).contains(&quantity) {
        Some(format!(
            "quantity {quantity}: use 1 to {MAX_QUANTITY} shares"
        ))
    } else if price <= Decimal::ZERO || price > Decimal::from(MAX_PRICE) {
        Some(format!(
            "price {price}: use above 0 and at most {MAX_PRICE} rupees"
        ))
    } else {
        None
    }
}

/// One fill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trade {
    /// The exchange's trade number: with `exchange`, the natural key.
    pub trade_id: String,
    /// `NSE` or `BSE`.
    pub exchange: String,
    /// The order it filled, when known.
    pub order_id: Option<String>,
    /// The trading symbol (`RELIANCE`).
    pub symbol: String,
    /// The instrument key its candles are stored under (`NSE_EQ|INE002A01018`), when known;
    /// else looked up by symbol in the instrument master.
    pub instrument_key: Option<String>,
    /// Buy or sell.
    pub side: Side,
    /// Shares, > 0.
    pub quantity: i64,
    /// Price per share in rupees, exact.
    pub price: Decimal,
    /// Charges and taxes of the fill in rupees, when the source gives them; else computed
    /// from the configured schedule.
    pub charges: Option<Decimal>,
    /// When it was filled.
    pub traded_at: DateTime<Utc>,
    /// Delivery or intraday.
    pub product: Product,
    /// The strategy tag; empty when untagged.
    pub strategy: String,
}

impl Trade {
    /// The IST trading date of the fill.
    pub fn date(&self) -> NaiveDate {
        self.traded_at.with_timezone(&IST).date_naive()
    }

    /// Price × quantity.
    pub fn turnover(&self) -> Decimal {
        self.price * Decimal::from(self.quantity)
    }

    /// The strategy as people read it: its tag, or `untagged`.
    pub fn strategy_name(&self) -> &str {
        if self.strategy.is_empty() {
            "untagged"
        } else {
            &self.strategy
        }
    }
}
