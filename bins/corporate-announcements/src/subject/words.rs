//! A subject's words, as the parser asks about them: which phrases it has (case, dots and
//! punctuation ignored: "E.G.M." is "egm"), its amounts with what surrounds them, its ratio.

use crate::money::{Currency, Money};
use crate::subject::Ratio;

/// One part of a subject.
pub(super) struct Text<'a> {
    raw: &'a str,
    /// Lower case, dots dropped, other punctuation a space, spaces collapsed, padded with a
    /// space each side so that `" agm "` matches a whole word.
    key: String,
}

/// An amount in the text.
pub(super) struct Amount {
    /// The amount.
    pub money: Money,
    /// What the text before it (since the previous amount) says, lower case.
    before: String,
    /// "crore" (10⁷) or "lakh" (10⁵) after it: a total, not a price.
    pub multiplier: Option<i64>,
}

impl Amount {
    /// Whether `word` comes between the previous amount and this one.
    pub fn after_word(&self, word: &str) -> bool {
        self.before.contains(word)
    }
}

impl<'a> Text<'a> {
    pub fn new(raw: &'a str) -> Self {
        let mut key = String::from(" ");
        for c in raw.chars().flat_map(char::to_lowercase) {
            match c {
                '.' => {}
                c if c.is_alphanumeric() => key.push(c),
                _ if !key.ends_with(' ') => key.push(' '),
                _ => {}
            }
        }
        if !key.ends_with(' ') {
            key.push(' ');
        }
        Text { raw, key }
    }

    /// The words, without the padding.
    pub fn key(&self) -> &str {
        self.key.trim()
    }

    /// Whether the words include `phrase` (whole words).
    pub fn has(&self, phrase: &str) -> bool {
        self.key.contains(&format!(" {phrase} "))
    }

    /// Whether the words include any of `phrases`.
    pub fn has_any(&self, phrases: &[&str]) -> bool {
        phrases.iter().any(|p| self.has(p))
    }

    /// The first `a:b` with both sides whole numbers above zero.
    pub fn ratio(&self) -> Option<Ratio> {
        for (i, _) in self.raw.match_indices(':') {
            let left = self.raw[..i].trim_end();
            let digits_left = left.bytes().rev().take_while(u8::is_ascii_digit).count();
            let right = self.raw[i + 1..].trim_start();
            let digits_right = right.bytes().take_while(u8::is_ascii_digit).count();
            if digits_left == 0 || digits_right == 0 || digits_left > 6 || digits_right > 6 {
                continue;
            }
            let new: u32 = left[left.len() - digits_left..].parse().ok()?;
            let held: u32 = right[..digits_right].parse().ok()?;
            if new > 0 && held > 0 {
                return Some(Ratio { new, held });
            }
        }
        None
    }

    /// The amounts, in order: a currency marker ("Rs", "Re", "Rs.", "INR", "₹", "USD") at a
    /// word's start, then spaces, dots, dashes or colons, then the number.
    pub fn amounts(&self) -> Vec<Amount> {
        let lower = self.raw.to_lowercase();
        // Lower-casing may change byte lengths outside ASCII: work on the lower-case text only.
        let mut out = Vec::new();
        let mut previous_end = 0;
        let mut i = 0;
        while i < lower.len() {
            if !lower.is_char_boundary(i) {
                i += 1;
                continue;
            }
            let rest = &lower[i..];
            let at_word_start = lower[..i]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric());
            let marker = ["rupees", "inr", "usd", "us$", "rs", "re", "₹"]
                .iter()
                .find(|m| rest.starts_with(*m))
                .filter(|_| at_word_start);
            let Some(marker) = marker else {
                i += rest.chars().next().map_or(1, char::len_utf8);
                continue;
            };
            let currency = if ["usd", "us$"].contains(marker) {
                Currency::Usd
            } else {
                Currency::Inr
            };
            let after_marker = &rest[marker.len()..];
            let skipped = after_marker
                .bytes()
                .take_while(|b| matches!(b, b' ' | b'.' | b'-' | b':'))
                .count();
            let number_text = &after_marker[skipped..];
            let len = number_text
                .bytes()
                .take_while(|b| b.is_ascii_digit() || *b == b',' || *b == b'.')
                .count();
            let number = number_text[..len].trim_end_matches(['.', ',']);
            let end = i + marker.len() + skipped + len;
            if number.bytes().any(|b| b.is_ascii_digit())
                && let Some(money) = Money::parse_number(number, currency)
            {
                let tail = lower[end..].trim_start_matches(['/', '-', ' ']);
                let multiplier =
                    if tail.starts_with("crore") || tail.starts_with("cr ") || tail == "cr" {
                        Some(10_000_000)
                    } else if tail.starts_with("lakh") {
                        Some(100_000)
                    } else {
                        None
                    };
                out.push(Amount {
                    money,
                    before: lower[previous_end..i].to_string(),
                    multiplier,
                });
                previous_end = end;
            }
            i = end.max(i + 1);
        }
        out
    }
}

/// The month a word names ("sep", "September", "sept"), 1 to 12.
pub(super) fn month_number(word: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    if word.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|m| m.starts_with(word))
        .and_then(|i| u32::try_from(i + 1).ok())
}
