//! The identifiers of a listed security, validated on the way in.

use std::fmt;

/// An NSE trading symbol: `RELIANCE`, `M&M`, `BAJAJ-AUTO`, `360ONE`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Symbol(String);

impl Symbol {
    /// Upper-case letters, digits and `&`, `-`, `_`, `.`; starts with a letter or digit; at most 20.
    pub fn parse(text: &str) -> Option<Self> {
        let ok = (1..=20).contains(&text.len())
            && text.starts_with(|c: char| c.is_ascii_uppercase() || c.is_ascii_digit())
            && text
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || "&-_.".contains(c));
        ok.then(|| Symbol(text.to_string()))
    }

    /// The symbol.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An Indian ISIN (ISO 6166): `IN`, nine alphanumerics, and a check digit that is verified.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Isin(String);

impl Isin {
    /// Accepts only a well-formed `IN…` ISIN whose check digit is right.
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        let ok = bytes.len() == 12
            && text.starts_with("IN")
            && bytes[..11]
                .iter()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            && bytes[11].is_ascii_digit()
            && check_digit(&text[..11]) == Some(bytes[11] - b'0');
        ok.then(|| Isin(text.to_string()))
    }

    /// The ISIN.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Isin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The ISIN check digit of `body`, its first 11 characters: letters become two digits
/// (A=10 … Z=35); then Luhn over the digit string, doubling from the right. `None` if a
/// character is not a letter or digit.
pub fn check_digit(body: &str) -> Option<u8> {
    let mut digits = Vec::with_capacity(22);
    for c in body.chars() {
        let value = c.to_digit(36)?;
        if value >= 10 {
            digits.push(value / 10);
        }
        digits.push(value % 10);
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 0 {
                let twice = d * 2;
                twice / 10 + twice % 10
            } else {
                d
            }
        })
        .sum();
    Some(((10 - sum % 10) % 10) as u8)
}

/// The trading series: `EQ`, `BE`, `BZ`, `SM`…
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Series(String);

impl Series {
    /// One to three upper-case letters or digits.
    pub fn parse(text: &str) -> Option<Self> {
        let ok = (1..=3).contains(&text.len())
            && text
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        ok.then(|| Series(text.to_string()))
    }

    /// The series.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digits_match_real_isins() {
        assert_eq!(check_digit("INE002A0101"), Some(8)); // RELIANCE INE002A01018
        assert_eq!(check_digit("INE848E0101"), Some(6)); // NHPC INE848E01016
        assert_eq!(check_digit("US037833100"), Some(5)); // Apple US0378331005
        assert_eq!(check_digit("INE-02A0101"), None);
    }

    #[test]
    fn real_isins_pass_and_a_changed_digit_fails() {
        for isin in [
            "INE002A01018",
            "INE467B01029",
            "INE040A01034",
            "INE009A01021",
            "INE742F01042",
            "INE296A01032",
        ] {
            assert!(Isin::parse(isin).is_some(), "{isin}");
        }
        assert!(Isin::parse("INE002A01019").is_none());
        assert!(Isin::parse("INE002A0101").is_none());
        assert!(Isin::parse("US0378331005").is_none(), "not Indian");
        assert!(Isin::parse("ine002a01018").is_none());
    }

    #[test]
    fn symbols_allow_what_nse_uses() {
        for s in [
            "M&M",
            "BAJAJ-AUTO",
            "J&KBANK",
            "360ONE",
            "MCDOWELL-N",
            "L&TFH",
        ] {
            assert!(Symbol::parse(s).is_some(), "{s}");
        }
        for s in [
            "",
            "reliance",
            "-X",
            "A B",
            "ABCDEFGHIJKLMNOPQRSTU",
            "<HTML>",
        ] {
            assert!(Symbol::parse(s).is_none(), "{s}");
        }
    }

    #[test]
    fn series_is_short_and_upper_case() {
        assert!(Series::parse("EQ").is_some());
        assert!(Series::parse("eq").is_none());
        assert!(Series::parse("").is_none());
    }
}
