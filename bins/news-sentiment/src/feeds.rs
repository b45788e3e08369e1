//! RSS and Atom feeds: fetched with a conditional GET (the validators of the last answer sent
//! back, so an unchanged feed is a 304 with no body), parsed by feed-rs.

use common::Exit;
use common::harness::UnitError;
use common::http::{HttpClient, Validators};
use common::text::excerpt;

use crate::article::{RawItem, parse_time};
use crate::config::FeedConfig;

/// The most items read from one document: feeds carry tens; a feed of thousands is cut.
pub const MAX_ITEMS: usize = 500;

/// What fetching a feed gave.
#[derive(Debug)]
pub enum Fetched {
    /// 304: nothing new since the validators sent.
    NotModified,
    /// The feed's items, and the validators to send next time.
    Items(Vec<RawItem>, Validators),
}

/// Fetches `feed`, conditionally on `validators` (those stored from its last answer).
pub fn fetch(
    http: &HttpClient,
    feed: &FeedConfig,
    validators: &Validators,
) -> Result<Fetched, UnitError> {
    let answer = http
        .get(&feed.url, &validators.headers())
        .map_err(|e| UnitError::from(&e))?;
    if answer.not_modified {
        return Ok(Fetched::NotModified);
    }
    let items = parse(&answer.body, &feed.name).map_err(|e| UnitError {
        exit: Exit::DataErr,
        message: format!(
            "{}: {e}; check the feed's url in [jobs.news-sentiment] feeds",
            feed.url
        ),
    })?;
    Ok(Fetched::Items(items, answer.validators))
}

/// The items of an RSS 0.9–2.0 or Atom document, each credited to `source`. `Err` says in one
/// line why the document is not a feed.
pub fn parse(body: &[u8], source: &str) -> Result<Vec<RawItem>, String> {
    let parser = feed_rs::parser::Builder::new()
        .timestamp_parser(parse_time)
        .build();
    let feed = parser.parse(body).map_err(|e| {
        let start = String::from_utf8_lossy(&body[..body.len().min(80)]).into_owned();
        format!(
            "not an RSS or Atom feed ({}); it starts {:?}",
            excerpt(&e.to_string(), 120),
            excerpt(start.trim(), 60)
        )
    })?;
    Ok(feed
        .entries
        .into_iter()
        .take(MAX_ITEMS)
        .map(|entry| {
            let url = entry
                .links
                .first()
                .map(|l| l.href.clone())
                .unwrap_or_else(|| entry.id.clone());
            let description = entry
                .summary
                .map(|t| t.content)
                .or_else(|| entry.content.and_then(|c| c.body))
                .unwrap_or_default();
            RawItem {
                url,
                title: entry.title.map(|t| t.content).unwrap_or_default(),
                description,
                source: source.to_string(),
                published_at: entry.published.or(entry.updated),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn rss_with_cdata_html_and_indian_zones_parses() {
        let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>T</title>
<item><title><![CDATA[  Infosys Q3 profit rises 12%  ]]></title>
<link>https://economictimes.indiatimes.com/a.cms?utm_source=rss&amp;from=mdr</link>
<description>&lt;p&gt;Shares &lt;b&gt;rose&lt;/b&gt;&lt;/p&gt;</description>
<pubDate>Tue, 03 Feb 2026 09:54:00 +0530</pubDate></item>
<item><title>Sensex ends flat</title><link>https://x.in/b</link>
<pubDate>Tue, 03 Feb 2026 04:24:00 GMT</pubDate></item>
<item><title>IST dated</title><link>https://x.in/c</link>
<pubDate>Tue, 03 Feb 2026 09:54:00 IST</pubDate></item>
</channel></rss>"#;
        let items = parse(xml, "et").unwrap();
        assert_eq!(items.len(), 3);
        let want = Utc.with_ymd_and_hms(2026, 2, 3, 4, 24, 0).unwrap();
        for item in &items {
            assert_eq!(item.published_at, Some(want), "{}", item.title);
        }
        assert_eq!(items[0].title.trim(), "Infosys Q3 profit rises 12%");
        assert!(items[0].description.contains("<b>rose</b>"));
    }

    #[test]
    fn atom_parses_and_broken_xml_is_refused_in_one_line() {
        let atom = br#"<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
<entry><title>TCS wins deal</title><link href="https://x.in/t"/><id>1</id>
<updated>2026-02-03T04:24:00Z</updated><summary>S</summary></entry></feed>"#;
        let items = parse(atom, "a").unwrap();
        assert_eq!(items[0].url, "https://x.in/t");
        let err = parse(b"<rss><channel><item><title>cut", "b").unwrap_err();
        assert!(!err.contains('\n'), "{err}");
        assert!(parse(b"<html><body>Not a feed</body></html>", "c").is_err());
    }
}
