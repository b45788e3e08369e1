//! What is fetched and stored: instrument keys in Upstox's spelling, and the Yahoo symbol of each.

use std::fmt;

/// An Upstox instrument key: `SEGMENT|identifier`, e.g. `NSE_EQ|INE002A01018` or
/// `NSE_INDEX|Nifty 50`. It is also the key every market table is stored under, whatever
/// the provider, so switching providers never splits an instrument's history.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstrumentKey(String);

/// Why a string is not an instrument key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not an instrument key: expected SEGMENT|ID, e.g. NSE_EQ|INE002A01018 or \"NSE_INDEX|Nifty 50\""
)]
pub struct BadKey(pub String);

impl InstrumentKey {
    /// Parses `NSE_EQ|INE002A01018`; `NSE_EQ:…` (the quote endpoints' spelling) is accepted too.
    /// A control character or more than 64 characters is refused: keys come from the
    /// instrument master, and are printed and logged.
    pub fn parse(text: &str) -> Result<Self, BadKey> {
        let text = text.trim();
        // Debug-quoted in the message, which escapes what an excerpt keeps.
        let bad = || BadKey(text.chars().take(80).collect());
        if crate::text::identifier(text, 64).is_none() {
            return Err(bad());
        }
        let (segment, id) = text
            .split_once('|')
            .or_else(|| text.split_once(':'))
            .ok_or_else(bad)?;
        let segment_ok = !segment.is_empty()
            && segment
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if !segment_ok || id.trim().is_empty() || id.contains('|') {
            return Err(bad());
        }
        Ok(InstrumentKey(format!("{segment}|{}", id.trim())))
    }

    /// The equity key for an ISIN on NSE.
    pub fn nse_equity(isin: &str) -> Self {
        InstrumentKey(format!("NSE_EQ|{isin}"))
    }

    /// The key as stored and sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The segment (`NSE_EQ`, `NSE_INDEX`, …).
    pub fn segment(&self) -> &str {
        self.0.split_once('|').map_or("", |(s, _)| s)
    }

    /// Whether this is an index (`NSE_INDEX|…`, `BSE_INDEX|…`).
    pub fn is_index(&self) -> bool {
        self.segment().ends_with("_INDEX")
    }

    /// The key percent-encoded for a URL path or query (`|` → `%7C`, space → `%20`).
    pub fn url_encoded(&self) -> String {
        let mut out = String::with_capacity(self.0.len() + 8);
        for b in self.0.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }
}

impl fmt::Display for InstrumentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One instrument of the run's universe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instrument {
    /// The key it is stored under.
    pub key: InstrumentKey,
    /// What people call it: the NSE symbol (`RELIANCE`) or the index name (`Nifty 50`).
    pub symbol: String,
    /// Yahoo Finance's symbol (`RELIANCE.NS`, `^NSEI`), when Yahoo has one.
    pub yahoo: Option<String>,
}

/// The main indices: their Upstox keys and Yahoo symbols.
pub const MAIN_INDICES: [(&str, &str); 3] = [
    ("NSE_INDEX|Nifty 50", "^NSEI"),
    ("NSE_INDEX|Nifty Bank", "^NSEBANK"),
    ("NSE_INDEX|India VIX", "^INDIAVIX"),
];

impl Instrument {
    /// An NSE equity.
    pub fn equity(symbol: &str, key: InstrumentKey) -> Self {
        Instrument {
            key,
            symbol: symbol.to_string(),
            yahoo: Some(format!("{symbol}.NS")),
        }
    }

    /// An index by its Upstox key, with its Yahoo symbol when it is one of [`MAIN_INDICES`].
    pub fn index(key: InstrumentKey) -> Self {
        let yahoo = MAIN_INDICES
            .iter()
            .find(|(k, _)| *k == key.as_str())
            .map(|(_, y)| y.to_string());
        let symbol = key
            .as_str()
            .split_once('|')
            .map_or("", |(_, n)| n)
            .to_string();
        Instrument { key, symbol, yahoo }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_with_control_characters_or_of_a_kilobyte_are_refused() {
        assert!(InstrumentKey::parse("NSE_INDEX|Nifty 50").is_ok());
        for bad in ["NSE_EQ|INE002A0\u{1b}[31m1018", "NSE_EQ|A\nB", "NSE_EQ|A\0"] {
            let err = InstrumentKey::parse(bad).unwrap_err().to_string();
            assert!(!err.contains('\u{1b}') && !err.contains('\n'), "{err}");
        }
        let long = format!("NSE_EQ|{}", "A".repeat(1024));
        let err = InstrumentKey::parse(&long).unwrap_err().to_string();
        assert!(err.len() < 300, "{err}");
    }

    #[test]
    fn keys_parse_in_both_spellings_and_encode_for_urls() {
        let key = InstrumentKey::parse("NSE_INDEX|Nifty 50").unwrap();
        assert_eq!(key.url_encoded(), "NSE_INDEX%7CNifty%2050");
        assert!(key.is_index());
        let eq = InstrumentKey::parse("NSE_EQ:INE848E01016").unwrap();
        assert_eq!(eq.as_str(), "NSE_EQ|INE848E01016");
        assert!(!eq.is_index());
        for bad in ["RELIANCE", "|X", "nse_eq|X", "NSE_EQ|", "A|B|C"] {
            assert!(InstrumentKey::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn main_indices_know_their_yahoo_symbols() {
        let nifty = Instrument::index(InstrumentKey::parse("NSE_INDEX|Nifty 50").unwrap());
        assert_eq!(nifty.symbol, "Nifty 50");
        assert_eq!(nifty.yahoo.as_deref(), Some("^NSEI"));
        let other = Instrument::index(InstrumentKey::parse("NSE_INDEX|Nifty IT").unwrap());
        assert_eq!(other.yahoo, None);
    }
}
