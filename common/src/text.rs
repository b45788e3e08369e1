//! Text from outside sources (NSE's CSVs, Upstox's instrument master, the providers' answers),
//! made safe on the way in and on the way out.
//!
//! On the way in, every parser passes what it keeps through one of two gates:
//!
//! - [`clean`] for names (company, industry, instrument name): control characters are
//!   *stripped*. A tab or a line break inside a name is layout noise, not a different name, so
//!   it becomes a space; ESC, NUL, BEL, DEL, the C1 controls and the Unicode direction
//!   overrides carry nothing a name needs and could rewrite a terminal, so they are dropped.
//!   A name longer than its bound is *refused*: no security is named in kilobytes, so such a
//!   field means a broken or hostile file, and its parser refuses the file (or the entry).
//! - [`identifier`] for symbols, ISINs, keys and codes: control characters are *refused*,
//!   since a stripped symbol would be another symbol, silently.
//!
//! On the way out, [`Shown`] escapes whatever control characters still reach a terminal or
//! the log (rows stored before the gates existed, errors quoting a server): `\x1b` for ESC,
//! `\n` for a line break, so no stored text can colour a terminal or forge a log line;
//! [`Html`] escapes markup, so no stored text can add to a page.

use std::fmt;

/// The longest company, industry or instrument name kept, in characters. NSE's longest company
/// name is about 70; Upstox's instrument names are shorter.
pub const NAME_MAX: usize = 200;

/// A field refused for its length.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("longer than the {max} characters allowed")]
pub struct TooLong {
    /// The bound, in characters.
    pub max: usize,
}

/// Whether `c` is a control or a direction-formatting character (`U+202A`–`U+202E`,
/// `U+2066`–`U+2069`, marks): nothing a name or an identifier from a source may carry.
fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{2028}' | '\u{2029}')
        || ('\u{202A}'..='\u{202E}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// `raw`, a name, with control characters stripped (white-space ones become a space), trimmed;
/// refused if longer than `max` characters. See the module documentation for why.
pub fn clean(raw: &str, max: usize) -> Result<String, TooLong> {
    // Four bytes a character at most: a longer field cannot fit, whatever it holds.
    if raw.len() > max.saturating_mul(4).saturating_add(64) {
        return Err(TooLong { max });
    }
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        if !is_hidden(c) {
            out.push(c);
        } else if c.is_whitespace() {
            out.push(' ');
        }
    }
    let out = out.trim();
    if out.chars().count() > max {
        return Err(TooLong { max });
    }
    Ok(out.to_string())
}

/// `raw`, an identifier, if it has no control or direction character and at most `max`
/// characters; `None` otherwise.
pub fn identifier(raw: &str, max: usize) -> Option<&str> {
    (raw.len() <= max.saturating_mul(4)
        && raw.chars().count() <= max
        && !raw.chars().any(is_hidden))
    .then_some(raw)
}

/// Text as it may be printed to a terminal or written to the log: control and direction
/// characters escaped (`\x1b`, `\n`, `\u{202e}`), everything else as is.
#[derive(Debug, Clone, Copy)]
pub struct Shown<'a>(pub &'a str);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.0.chars().any(is_hidden) {
            // Width and alignment (`{:<34}`) apply to plain text, as to a `str`.
            return f.pad(self.0);
        }
        let mut escaped = String::with_capacity(self.0.len() + 8);
        for c in self.0.chars() {
            match c {
                '\n' => escaped.push_str("\\n"),
                '\r' => escaped.push_str("\\r"),
                '\t' => escaped.push_str("\\t"),
                c if (c as u32) < 0x100 && is_hidden(c) => {
                    escaped.push_str(&format!("\\x{:02x}", c as u32));
                }
                c if is_hidden(c) => escaped.push_str(&format!("\\u{{{:x}}}", c as u32)),
                c => escaped.push(c),
            }
        }
        f.pad(&escaped)
    }
}

/// Text as it may be put in an HTML page, as element content or a quoted attribute value:
/// `&`, `<`, `>`, `"` and `'` as character references, so no stored text can add markup.
#[derive(Debug, Clone, Copy)]
pub struct Html<'a>(pub &'a str);

impl fmt::Display for Html<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(at) = rest.find(['&', '<', '>', '"', '\'']) {
            f.write_str(&rest[..at])?;
            f.write_str(match rest.as_bytes()[at] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                _ => "&#39;",
            })?;
            rest = &rest[at + 1..];
        }
        f.write_str(rest)
    }
}

/// At most `max` characters of `raw`, [`Shown`], with `…` when cut: a source's text quoted in
/// an error message.
pub fn excerpt(raw: &str, max: usize) -> String {
    let mut cut: String = raw.chars().take(max).collect();
    if cut.len() < raw.len() {
        cut.push('…');
    }
    Shown(&cut).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_every_character_that_could_start_markup() {
        assert_eq!(
            Html("<script>alert('x')</script> & \"q\" ₹").to_string(),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot; ₹"
        );
        assert_eq!(Html("plain").to_string(), "plain");
    }

    #[test]
    fn names_lose_control_characters_and_line_breaks_become_spaces() {
        assert_eq!(
            clean("ACME\u{1b}[31m LTD\nINFO forged\r\n\0", NAME_MAX).unwrap(),
            "ACME[31m LTD INFO forged"
        );
        assert_eq!(
            clean("\u{202e}Tata\u{85}Motors\u{7f}", NAME_MAX).unwrap(),
            "Tata Motors"
        );
        assert_eq!(
            clean("Larsen & Toubro Ltd.", NAME_MAX).unwrap(),
            "Larsen & Toubro Ltd."
        );
        assert_eq!(clean("Société Générale", 16).unwrap(), "Société Générale");
    }

    #[test]
    fn names_past_the_bound_are_refused_without_reading_them_whole() {
        assert_eq!(clean("abcd", 3), Err(TooLong { max: 3 }));
        assert_eq!(clean("ab\0c", 3).unwrap(), "abc");
        let huge = "x".repeat(5 << 20);
        assert_eq!(clean(&huge, NAME_MAX), Err(TooLong { max: NAME_MAX }));
    }

    #[test]
    fn identifiers_with_control_characters_are_refused_not_stripped() {
        assert_eq!(identifier("RELIANCE", 20), Some("RELIANCE"));
        assert_eq!(
            identifier("NSE_INDEX|Nifty 50", 64),
            Some("NSE_INDEX|Nifty 50")
        );
        assert_eq!(identifier("RELI\u{1b}ANCE", 20), None);
        assert_eq!(identifier("TCS\n", 20), None);
        assert_eq!(identifier("TCS\0", 20), None);
        assert_eq!(identifier(&"A".repeat(21), 20), None);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        #[test]
        fn whatever_a_source_sends_is_stored_and_shown_without_hidden_characters(
            raw in "(\\PC|\\p{Cc}|[\u{1b}\u{85}\u{202a}-\u{202e}\u{2066}-\u{2069}\u{2028}\u{2029}]){0,80}"
        ) {
            if let Ok(name) = clean(&raw, 40) {
                proptest::prop_assert!(!name.chars().any(is_hidden), "{:?}", name);
                proptest::prop_assert!(name.chars().count() <= 40);
            }
            let shown = Shown(&raw).to_string();
            proptest::prop_assert!(!shown.chars().any(is_hidden), "{:?}", shown);
            if let Some(id) = identifier(&raw, 80) {
                proptest::prop_assert_eq!(id, raw.as_str());
                proptest::prop_assert!(!id.chars().any(is_hidden));
            }
        }
    }

    #[test]
    fn shown_text_carries_no_escape_and_no_line_break() {
        let shown = Shown("ACME\u{1b}[2J\n2026-11-20T10:00:00Z  INFO forged\u{202e}").to_string();
        assert_eq!(
            shown,
            "ACME\\x1b[2J\\n2026-11-20T10:00:00Z  INFO forged\\u{202e}"
        );
        assert_eq!(format!("{:<6}|", Shown("TCS")), "TCS   |");
        assert_eq!(excerpt("a\nbcdef", 3), "a\\nb…");
        assert_eq!(excerpt("abc", 3), "abc");
    }
}
