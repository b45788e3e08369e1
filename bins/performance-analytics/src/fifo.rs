//! FIFO lot matching for one symbol in one strategy: a fill first closes the oldest open lots
//! of the other direction, and what is left of it opens a lot of its own. Longs and shorts
//! alike: a sale with nothing held opens a short, which a later buy covers.

use std::collections::VecDeque;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::trade::Side;

/// An open lot: what is left of one fill.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Lot {
    /// Shares left, > 0.
    quantity: i64,
    /// Price per share.
    price: Decimal,
    /// The opening fill's charges not yet matched, allocated pro rata as the lot closes.
    charges: Decimal,
}

/// What one fill closed: a closed trade, for the trade statistics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    /// The date of the closing fill.
    pub date: NaiveDate,
    /// Shares closed.
    pub quantity: i64,
    /// (exit − entry) × shares, sign-adjusted for shorts: before charges.
    pub gross: Decimal,
    /// The opening fills' charges for these shares and the closing fill's share of its own.
    pub charges: Decimal,
}

impl Closed {
    /// P&L after charges.
    pub fn net(&self) -> Decimal {
        self.gross - self.charges
    }
}

/// A symbol's open lots in one strategy, all of one direction.
#[derive(Debug, Clone, Default)]
pub struct Book {
    /// Oldest first.
    lots: VecDeque<Lot>,
    /// The direction of the open lots: +1 long, −1 short (meaningless when flat).
    direction: i64,
}

/// `part` of `whole`, where `total` stands for the whole: exact when the part is the whole,
/// else to 1/10,000 of a rupee (so a lot's allocations add up exactly to its charges).
fn pro_rata(total: Decimal, part: i64, whole: i64) -> Decimal {
    if part == whole {
        total
    } else {
        (total * Decimal::from(part) / Decimal::from(whole)).round_dp(4)
    }
}

impl Book {
    /// Shares held: > 0 long, < 0 short.
    pub fn position(&self) -> i64 {
        self.direction * self.lots.iter().map(|l| l.quantity).sum::<i64>()
    }

    /// Applies a fill; returns what it closed, if anything.
    pub fn fill(
        &mut self,
        date: NaiveDate,
        side: Side,
        quantity: i64,
        price: Decimal,
        charges: Decimal,
    ) -> Option<Closed> {
        let sign = side.sign();
        let mut left = quantity;
        let mut closed = Closed {
            date,
            quantity: 0,
            gross: Decimal::ZERO,
            charges: Decimal::ZERO,
        };
        if !self.lots.is_empty() && self.direction != sign {
            while left > 0 {
                let Some(lot) = self.lots.front_mut() else {
                    break;
                };
                let take = left.min(lot.quantity);
                let opening = pro_rata(lot.charges, take, lot.quantity);
                lot.charges -= opening;
                lot.quantity -= take;
                // A long closes at (exit − entry); a short at (entry − exit).
                closed.gross += (price - lot.price) * Decimal::from(take * self.direction);
                closed.charges += opening;
                closed.quantity += take;
                left -= take;
                if lot.quantity == 0 {
                    self.lots.pop_front();
                }
            }
        }
        let closing_charges = pro_rata(charges, closed.quantity, quantity);
        closed.charges += closing_charges;
        if left > 0 {
            self.direction = sign;
            self.lots.push_back(Lot {
                quantity: left,
                price,
                charges: charges - closing_charges,
            });
        }
        (closed.quantity > 0).then_some(closed)
    }

    /// The open lots' P&L at `close`: (close − entry) × position, before charges.
    pub fn unrealised(&self, close: Decimal) -> Decimal {
        self.lots
            .iter()
            .map(|l| (close - l.price) * Decimal::from(l.quantity * self.direction))
            .sum()
    }

    /// Whether no lot is open.
    pub fn is_flat(&self) -> bool {
        self.lots.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn day(n: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, n).unwrap()
    }

    struct Case {
        name: &'static str,
        fills: &'static [(Side, i64, &'static str, &'static str)],
        /// (position, unrealised at 110, realised gross, realised charges)
        expect: (i64, &'static str, &'static str, &'static str),
    }

    const CASES: &[Case] = &[
        Case {
            name: "partial fills of one order open one position",
            fills: &[(Side::Buy, 30, "100", "0"), (Side::Buy, 70, "100", "0")],
            expect: (100, "1000", "0", "0"),
        },
        Case {
            name: "scaling in at two prices, out partly: the oldest lot closes first",
            fills: &[
                (Side::Buy, 10, "100", "0"),
                (Side::Buy, 10, "120", "0"),
                (Side::Sell, 15, "130", "0"),
            ],
            // 10 × 30 + 5 × 10 realised; 5 left at 120.
            expect: (5, "-50", "350", "0"),
        },
        Case {
            name: "a short: sell first, cover lower",
            fills: &[(Side::Sell, 10, "120", "0"), (Side::Buy, 4, "100", "0")],
            expect: (-6, "60", "80", "0"),
        },
        Case {
            name: "a sale past the position closes the long and opens a short",
            fills: &[(Side::Buy, 10, "100", "0"), (Side::Sell, 15, "105", "0")],
            expect: (-5, "-25", "50", "0"),
        },
        Case {
            name: "charges: the opening lot's pro rata and the closing fill's share",
            fills: &[(Side::Buy, 10, "100", "3"), (Side::Sell, 4, "110", "2")],
            // 4/10 of 3 = 1.2, and all 2 of the closing fill.
            expect: (6, "60", "40", "3.2"),
        },
        Case {
            name: "a fill that closes and opens splits its charges by shares",
            fills: &[(Side::Buy, 10, "100", "0"), (Side::Sell, 20, "100", "4")],
            expect: (-10, "-100", "0", "2"),
        },
    ];

    #[test]
    fn fifo_cases() {
        for case in CASES {
            let mut book = Book::default();
            let (mut gross, mut charges) = (Decimal::ZERO, Decimal::ZERO);
            for (i, (side, qty, price, fee)) in case.fills.iter().enumerate() {
                if let Some(c) = book.fill(day(i as u32 + 1), *side, *qty, d(price), d(fee)) {
                    gross += c.gross;
                    charges += c.charges;
                }
            }
            let (position, unrealised, g, c) = case.expect;
            assert_eq!(book.position(), position, "{}", case.name);
            assert_eq!(book.unrealised(d("110")), d(unrealised), "{}", case.name);
            assert_eq!(gross, d(g), "{}", case.name);
            assert_eq!(charges, d(c), "{}", case.name);
        }
    }

    #[test]
    fn a_lot_closed_in_thirds_allocates_its_charges_exactly() {
        let mut book = Book::default();
        book.fill(day(1), Side::Buy, 3, d("100"), d("1"));
        let total: Decimal = (0..3)
            .filter_map(|_| book.fill(day(2), Side::Sell, 1, d("100"), Decimal::ZERO))
            .map(|c| c.charges)
            .sum();
        assert_eq!(total, d("1"));
        assert!(book.is_flat());
    }
}
