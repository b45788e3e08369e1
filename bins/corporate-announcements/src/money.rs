//! Amounts of money as the exchanges write them ("Rs 6", "Re 0.50", "Rs. - 18.0000", "Rs 1,195/-"),
//! held exactly: in ten-thousandths of the currency unit, because BSE writes four decimals and
//! a float would turn "Rs 3.55" into 3.5499999…; an integer also stores as an SQLite INTEGER
//! and compares exactly when a revised row is checked for a change.

use std::fmt;

/// Ten-thousandths in one unit (one rupee).
const SCALE: i64 = 10_000;
/// The largest amount accepted, in units: a buyback of ₹1 lakh crore fits, a garbled number
/// does not overflow.
const MAX_UNITS: i64 = 100_000_000_000_000;

/// The currency of an amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Currency {
    /// Indian rupees ("Rs", "Re", "Rs.", "INR", "₹").
    Inr,
    /// US dollars (a few depository receipts).
    Usd,
}

impl Currency {
    /// ISO 4217 code, as stored.
    pub fn code(self) -> &'static str {
        match self {
            Currency::Inr => "INR",
            Currency::Usd => "USD",
        }
    }

    /// The currency of a stored code.
    pub fn from_code(code: &str) -> Option<Currency> {
        match code {
            "INR" => Some(Currency::Inr),
            "USD" => Some(Currency::Usd),
            _ => None,
        }
    }
}

/// An amount: ten-thousandths of a unit of its currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Money {
    /// Ten-thousandths (₹3.50 is 35 000).
    pub ten_thousandths: i64,
    /// The currency.
    pub currency: Currency,
}

impl Money {
    /// Whole rupees.
    pub fn rupees(units: i64) -> Money {
        Money {
            ten_thousandths: units * SCALE,
            currency: Currency::Inr,
        }
    }

    /// Parses a number as the exchanges write it: digits, optional thousands commas, up to
    /// four decimals ("1,195", "3.50", "18.0000", "0.5"). `None` for anything else or an
    /// amount past any real one.
    pub fn parse_number(text: &str, currency: Currency) -> Option<Money> {
        let text = text.replace(',', "");
        if !text.bytes().any(|b| b.is_ascii_digit()) {
            return None;
        }
        let (whole, fraction) = match text.split_once('.') {
            Some((w, f)) => (w, f),
            None => (text.as_str(), ""),
        };
        let whole = if whole.is_empty() { "0" } else { whole };
        if !whole.bytes().all(|b| b.is_ascii_digit())
            || !fraction.bytes().all(|b| b.is_ascii_digit())
            || fraction.len() > 4
            || whole.len() > 15
        {
            return None;
        }
        let units: i64 = whole.parse().ok()?;
        if units > MAX_UNITS {
            return None;
        }
        let fraction: i64 = format!("{fraction:0<4}").parse().ok()?;
        Some(Money {
            ten_thousandths: units * SCALE + fraction,
            currency,
        })
    }

    /// The amount times `factor` (a crore is 10⁷), `None` past any real amount.
    pub fn times(self, factor: i64) -> Option<Money> {
        let scaled = self.ten_thousandths.checked_mul(factor)?;
        (scaled / SCALE <= MAX_UNITS).then_some(Money {
            ten_thousandths: scaled,
            currency: self.currency,
        })
    }
}

impl fmt::Display for Money {
    /// "Rs 10", "Rs 3.50", "Rs 0.0525", "USD 1.20": whole amounts without decimals, others with
    /// two or as many as they have.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let symbol = match self.currency {
            Currency::Inr => "Rs",
            Currency::Usd => "USD",
        };
        let (units, fraction) = (self.ten_thousandths / SCALE, self.ten_thousandths % SCALE);
        if fraction == 0 {
            return write!(f, "{symbol} {units}");
        }
        let mut digits = format!("{fraction:04}");
        while digits.len() > 2 && digits.ends_with('0') {
            digits.pop();
        }
        write!(f, "{symbol} {units}.{digits}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inr(text: &str) -> Option<Money> {
        Money::parse_number(text, Currency::Inr)
    }

    #[test]
    fn numbers_as_the_exchanges_write_them() {
        assert_eq!(inr("6"), Some(Money::rupees(6)));
        assert_eq!(inr("3.50").unwrap().ten_thousandths, 35_000);
        assert_eq!(inr("18.0000"), Some(Money::rupees(18)));
        assert_eq!(inr("1,195"), Some(Money::rupees(1195)));
        assert_eq!(inr(".5").unwrap().ten_thousandths, 5_000);
        assert_eq!(inr("0.0525").unwrap().ten_thousandths, 525);
    }

    #[test]
    fn garbage_and_absurd_amounts_are_refused() {
        for bad in [
            "",
            "-",
            "1.23456",
            "1e9",
            "12a",
            "9999999999999999999",
            "1.2.3",
        ] {
            assert_eq!(inr(bad), None, "{bad}");
        }
        assert_eq!(Money::rupees(1).times(i64::MAX), None);
    }

    #[test]
    fn shown_as_a_trader_reads_it() {
        assert_eq!(Money::rupees(10).to_string(), "Rs 10");
        assert_eq!(inr("3.5").unwrap().to_string(), "Rs 3.50");
        assert_eq!(inr("0.0525").unwrap().to_string(), "Rs 0.0525");
    }
}
