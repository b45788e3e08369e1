//! Indian equity charges of a fill, when the trade rows do not carry them: a schedule of
//! rates in `[jobs.performance-analytics.charges]`, each charge rounded to the paisa as a
//! contract note rounds it. Every rate can be set to zero.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::Deserialize;

use crate::trade::{Product, Side, Trade};

/// `[jobs.performance-analytics.charges]`: rates as fractions of turnover (0.001 is 0.1%).
/// The defaults are Upstox's equity rates of 2026 (NSE).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChargeSchedule {
    /// Brokerage: this fraction of turnover …
    pub brokerage_rate: Decimal,
    /// … at most this many rupees an order (fill).
    pub brokerage_max: Decimal,
    /// Securities transaction tax on delivery, both sides.
    pub stt_delivery: Decimal,
    /// STT on intraday, sell side only.
    pub stt_intraday_sell: Decimal,
    /// Exchange transaction charges (NSE), both sides.
    pub exchange_txn: Decimal,
    /// SEBI turnover fees (₹10 a crore), both sides.
    pub sebi: Decimal,
    /// Stamp duty on delivery, buy side only.
    pub stamp_delivery_buy: Decimal,
    /// Stamp duty on intraday, buy side only.
    pub stamp_intraday_buy: Decimal,
    /// GST on brokerage, exchange and SEBI charges.
    pub gst: Decimal,
}

impl Default for ChargeSchedule {
    fn default() -> Self {
        ChargeSchedule {
            brokerage_rate: Decimal::new(5, 4),
            brokerage_max: Decimal::from(20),
            stt_delivery: Decimal::new(1, 3),
            stt_intraday_sell: Decimal::new(25, 5),
            exchange_txn: Decimal::new(297, 7),
            sebi: Decimal::new(1, 6),
            stamp_delivery_buy: Decimal::new(15, 5),
            stamp_intraday_buy: Decimal::new(3, 5),
            gst: Decimal::new(18, 2),
        }
    }
}

/// A charge as a contract note shows it: to the paisa, half away from zero.
fn paise(x: Decimal) -> Decimal {
    x.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

impl ChargeSchedule {
    /// The sum of the charges on `trade`.
    pub fn charges(&self, trade: &Trade) -> Decimal {
        let turnover = trade.turnover();
        let brokerage = paise((turnover * self.brokerage_rate).min(self.brokerage_max));
        let (stt, stamp) = match (trade.product, trade.side) {
            (Product::Delivery, Side::Buy) => (self.stt_delivery, self.stamp_delivery_buy),
            (Product::Delivery, Side::Sell) => (self.stt_delivery, Decimal::ZERO),
            (Product::Intraday, Side::Buy) => (Decimal::ZERO, self.stamp_intraday_buy),
            (Product::Intraday, Side::Sell) => (self.stt_intraday_sell, Decimal::ZERO),
        };
        let stt = paise(turnover * stt);
        let stamp = paise(turnover * stamp);
        let exchange = paise(turnover * self.exchange_txn);
        let sebi = paise(turnover * self.sebi);
        let gst = paise((brokerage + exchange + sebi) * self.gst);
        brokerage + stt + stamp + exchange + sebi + gst
    }

    /// Whether a rate is negative (which no charge is).
    pub fn negative_rate(&self) -> Option<&'static str> {
        [
            ("brokerage_rate", self.brokerage_rate),
            ("brokerage_max", self.brokerage_max),
            ("stt_delivery", self.stt_delivery),
            ("stt_intraday_sell", self.stt_intraday_sell),
            ("exchange_txn", self.exchange_txn),
            ("sebi", self.sebi),
            ("stamp_delivery_buy", self.stamp_delivery_buy),
            ("stamp_intraday_buy", self.stamp_intraday_buy),
            ("gst", self.gst),
        ]
        .into_iter()
        .find(|(_, v)| v.is_sign_negative() && !v.is_zero())
        .map(|(k, _)| k)
    }

    /// A schedule of zeros: P&L before charges.
    pub fn zero() -> Self {
        ChargeSchedule {
            brokerage_rate: Decimal::ZERO,
            brokerage_max: Decimal::ZERO,
            stt_delivery: Decimal::ZERO,
            stt_intraday_sell: Decimal::ZERO,
            exchange_txn: Decimal::ZERO,
            sebi: Decimal::ZERO,
            stamp_delivery_buy: Decimal::ZERO,
            stamp_intraday_buy: Decimal::ZERO,
            gst: Decimal::ZERO,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn trade(side: Side, product: Product, qty: i64, price: &str) -> Trade {
        Trade {
            trade_id: "1".into(),
            exchange: "NSE".into(),
            order_id: None,
            symbol: "RELIANCE".into(),
            instrument_key: None,
            side,
            quantity: qty,
            price: price.parse().unwrap(),
            charges: None,
            traded_at: chrono::Utc.with_ymd_and_hms(2026, 11, 20, 5, 0, 0).unwrap(),
            product,
            strategy: String::new(),
        }
    }

    #[test]
    fn a_delivery_buy_pays_brokerage_capped_stt_stamp_exchange_sebi_and_gst() {
        // Turnover 100,000: brokerage min(50, 20) = 20; STT 100; stamp 15; exchange 2.97;
        // SEBI 0.10; GST 18% of 23.07 = 4.15 (4.1526).
        let c = ChargeSchedule::default().charges(&trade(Side::Buy, Product::Delivery, 40, "2500"));
        assert_eq!(c, "142.22".parse::<Decimal>().unwrap());
    }

    #[test]
    fn an_intraday_sale_pays_stt_on_the_sell_side_and_no_stamp() {
        // Turnover 10,000: brokerage 5; STT 2.50; exchange 0.297 → 0.30; SEBI 0.01;
        // GST 18% of 5.31 = 0.9558 → 0.96.
        let c = ChargeSchedule::default().charges(&trade(Side::Sell, Product::Intraday, 4, "2500"));
        assert_eq!(c, "8.77".parse::<Decimal>().unwrap());
    }

    #[test]
    fn a_zero_schedule_charges_nothing() {
        let t = trade(Side::Sell, Product::Delivery, 4, "2500");
        assert_eq!(ChargeSchedule::zero().charges(&t), Decimal::ZERO);
    }
}
