//! An article as stored, whatever source it came from, and the normalisation every source's
//! items pass through: a canonical URL (tracking parameters gone), a title fingerprint (so one
//! story from two feeds is one article), text without HTML, entities or control characters,
//! and a time in UTC.

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use sha2::{Digest, Sha256};

/// The longest title and description kept, in characters.
const TITLE_MAX: usize = 500;
const DESCRIPTION_MAX: usize = 2000;

/// An article, normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct Article {
    /// Its canonical URL.
    pub url: String,
    /// Its title, plain text.
    pub title: String,
    /// Its description, plain text (may be empty).
    pub description: String,
    /// Who published it (the feed's name, or NewsAPI's source name).
    pub source: String,
    /// When it was published (the fetch time when the source did not say).
    pub published_at: DateTime<Utc>,
    /// The title's fingerprint: the same headline from two places is one story.
    pub fingerprint: String,
}

/// An item as a source gives it, before normalisation.
#[derive(Debug, Clone, Default)]
pub struct RawItem {
    /// The link.
    pub url: String,
    /// The title, possibly with HTML and entities.
    pub title: String,
    /// The description, possibly HTML.
    pub description: String,
    /// The publisher.
    pub source: String,
    /// The publication time, if the source gave one that could be read.
    pub published_at: Option<DateTime<Utc>>,
}

impl Article {
    /// `item` normalised; `None` when it has no usable title or link (nothing to store).
    pub fn from_raw(item: RawItem, fetched_at: DateTime<Utc>) -> Option<Article> {
        let title = plain_text(&item.title, TITLE_MAX);
        let url = canonical_url(item.url.trim())?;
        if title.is_empty() {
            return None;
        }
        Some(Article {
            fingerprint: fingerprint(&title),
            description: plain_text(&item.description, DESCRIPTION_MAX),
            source: plain_text(&item.source, 100),
            published_at: item.published_at.unwrap_or(fetched_at),
            url,
            title,
        })
    }

    /// What a scorer and the tagger read: the title, then the description.
    pub fn text(&self) -> String {
        if self.description.is_empty() {
            self.title.clone()
        } else {
            format!("{}. {}", self.title, self.description)
        }
    }
}

/// Query parameters that track a reader, not name a page.
fn is_tracking(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.starts_with("utm_")
        || matches!(
            name.as_str(),
            "from"
                | "fbclid"
                | "gclid"
                | "ref"
                | "ref_src"
                | "cmpid"
                | "mc_cid"
                | "mc_eid"
                | "ito"
                | "yclid"
                | "_ga"
                | "source"
                | "src"
        )
}

/// `raw` as one article is known by: http(s) only, host in lower case, no fragment, no
/// tracking parameters, no trailing slash on the path. `None` when it is not an http(s) URL.
pub fn canonical_url(raw: &str) -> Option<String> {
    let mut url = url::Url::parse(raw).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return None;
    }
    url.set_fragment(None);
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !is_tracking(k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    // http and https of one page are one article.
    let _ = url.set_scheme("https");
    let mut text = url.to_string();
    if text.ends_with('/') && url.path() != "/" && url.query().is_none() {
        text.pop();
    }
    Some(text)
}

/// A title's fingerprint: its words in lower case, joined by one space, hashed (SHA-256,
/// first 16 bytes in hex). Punctuation, quotes, case and spacing do not make another story.
pub fn fingerprint(title: &str) -> String {
    let words: Vec<String> = title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let digest = Sha256::digest(words.join(" ").as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// `raw` as plain text: tags removed (a block tag becomes a space), entities decoded, control
/// characters dropped, white space collapsed, at most `max` characters.
pub fn plain_text(raw: &str, max: usize) -> String {
    // Bounded before any work: a description of megabytes is cut, not parsed.
    let raw: String = raw.chars().take(max.saturating_mul(8)).collect();
    let out = strip_tags(&raw);
    // Feeds escape HTML twice ("&amp;lt;b&amp;gt;"): decoded, it may hold tags again.
    let decoded = decode_entities(&out);
    let once_more = if decoded.contains('<') && decoded.contains('>') && decoded != out {
        strip_tags(&decoded)
    } else {
        decoded
    };
    let cleaned = common::text::clean(&once_more, usize::MAX / 8).unwrap_or_default();
    cleaned
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(max)
        .collect()
}

/// Tags removed (a tag becomes a space), nothing decoded.
fn strip_tags(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut in_tag = false;
    for c in raw.chars() {
        match c {
            '<' if !in_tag => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if in_tag => {}
            c => out.push(c),
        }
    }
    out
}

/// HTML entities decoded: the named ones news text uses, and every numeric one.
fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest[1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
            .map(|i| i + 1);
        let decoded = end
            .filter(|&e| rest[e..].starts_with(';') && e <= 10)
            .and_then(|e| entity(&rest[1..e]).map(|c| (c, e + 1)));
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The character an entity's name (without `&` and `;`) stands for.
fn entity(name: &str) -> Option<char> {
    if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse().ok()?,
        };
        return char::from_u32(code);
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "rsquo" | "lsquo" => '\'',
        "rdquo" | "ldquo" => '"',
        "ndash" => '–',
        "mdash" => '—',
        "hellip" => '…',
        "rupee" | "inr" => '₹',
        "euro" => '€',
        "pound" => '£',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "bull" | "middot" => '·',
        _ => return None,
    })
}

/// A feed's date as UTC: RFC 2822 (`+0530`, `GMT`, and zone names such as `IST`, which
/// Indian feeds write and RFC 2822 does not know), or RFC 3339.
pub fn parse_time(raw: &str) -> Option<DateTime<Utc>> {
    let text = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_rfc2822(text) {
        return Some(t.with_timezone(&Utc));
    }
    // "Tue, 03 Feb 2026 09:54:00 IST": the zone as a name, the rest as RFC 2822 has it.
    let (rest, zone) = text.rsplit_once(' ')?;
    let offset = match zone.to_ascii_uppercase().as_str() {
        "IST" => FixedOffset::east_opt(5 * 3600 + 1800)?,
        "UTC" | "GMT" | "Z" | "UT" => FixedOffset::east_opt(0)?,
        _ => return None,
    };
    let rest = rest.split_once(", ").map_or(rest, |(_, r)| r);
    for format in ["%d %b %Y %H:%M:%S", "%d %b %Y %H:%M", "%Y-%m-%d %H:%M:%S"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(rest, format) {
            return offset
                .from_local_datetime(&naive)
                .single()
                .map(|t| t.with_timezone(&Utc));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_parameters_fragments_and_trailing_slashes_go() {
        assert_eq!(
            canonical_url(
                "http://EconomicTimes.IndiaTimes.com/markets/x.cms?utm_source=rss&from=mdr&id=5#top"
            )
            .as_deref(),
            Some("https://economictimes.indiatimes.com/markets/x.cms?id=5")
        );
        assert_eq!(
            canonical_url("https://www.livemint.com/market/a-b/?utm_medium=feed").as_deref(),
            Some("https://www.livemint.com/market/a-b")
        );
        assert_eq!(canonical_url("javascript:alert(1)"), None);
        assert_eq!(canonical_url("not a url"), None);
    }

    #[test]
    fn one_headline_written_two_ways_has_one_fingerprint() {
        assert_eq!(
            fingerprint("Sensex tanks 800 points; Nifty below 24,000"),
            fingerprint("  SENSEX TANKS 800 POINTS — NIFTY BELOW 24 000 ")
        );
        assert_ne!(fingerprint("Sensex rises"), fingerprint("Sensex falls"));
    }

    #[test]
    fn html_and_entities_are_stripped_once_or_twice_escaped() {
        assert_eq!(
            plain_text("<p>Shares of <b>TCS</b> rose&nbsp;2%</p><img src=x>", 100),
            "Shares of TCS rose 2%"
        );
        assert_eq!(
            plain_text("L&amp;T bags &#8377;500 cr order", 100),
            "L&T bags ₹500 cr order"
        );
        assert_eq!(plain_text("&lt;b&gt;Bold&lt;/b&gt; move", 100), "Bold move");
        assert_eq!(
            plain_text("R&D & more &unknown; &", 100),
            "R&D & more &unknown; &"
        );
        assert_eq!(plain_text("a\u{1b}[31mb\nc", 100), "a[31mb c");
        assert_eq!(plain_text(&"x".repeat(10_000), 50).len(), 50);
    }

    #[test]
    fn times_from_every_zone_feeds_use_are_utc() {
        let want = Utc.with_ymd_and_hms(2026, 2, 3, 4, 24, 0).unwrap();
        for text in [
            "Tue, 03 Feb 2026 09:54:00 +0530",
            "Tue, 03 Feb 2026 04:24:00 GMT",
            "Tue, 03 Feb 2026 09:54:00 IST",
            "03 Feb 2026 09:54 IST",
            "2026-02-03T09:54:00+05:30",
            "2026-02-03T04:24:00Z",
        ] {
            assert_eq!(parse_time(text), Some(want), "{text}");
        }
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(parse_time("Tue, 03 Feb 2026 09:54:00 XYZ"), None);
    }
}
