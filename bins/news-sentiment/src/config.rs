//! `[jobs.news-sentiment]`: the scorer, NewsAPI, the feeds, the watchlist, symbol aliases and
//! the alert levels.

use std::collections::BTreeMap;
use std::path::PathBuf;

use common::harness::Validate;
use serde::Deserialize;

use crate::scorer::ScorerName;

/// Where the optional package upstox-jobs-sentiment-model installs its checkpoint.
pub const DEFAULT_MODEL_DIR: &str = "/usr/share/upstox-jobs/sentiment-model";

/// `[jobs.news-sentiment]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobConfig {
    /// The sentiment scorer (`--scorer` overrides it).
    pub scorer: ScorerName,
    /// The checkpoint `scorer = "model"` runs: a HuggingFace BERT, DistilBERT or RoBERTa
    /// sequence-classification directory; by default where upstox-jobs-sentiment-model puts it.
    pub model_dir: PathBuf,
    /// Symbols watched: their news goes first into the NewsAPI query, and alerts are about them.
    pub watchlist: Vec<String>,
    /// Names a headline uses for a company → its NSE symbol, added to the built-in ones
    /// ("RIL" = "RELIANCE"); an empty symbol means "this name is not a company we tag".
    pub aliases: BTreeMap<String, String>,
    /// `[jobs.news-sentiment.newsapi]`.
    pub newsapi: NewsApiConfig,
    /// The RSS/Atom feeds; unset, [`default_feeds`].
    pub feeds: Vec<FeedConfig>,
    /// `[jobs.news-sentiment.alerts]`.
    pub alerts: AlertConfig,
}

impl Default for JobConfig {
    fn default() -> Self {
        JobConfig {
            scorer: ScorerName::Lexicon,
            model_dir: PathBuf::from(DEFAULT_MODEL_DIR),
            watchlist: Vec::new(),
            aliases: BTreeMap::new(),
            newsapi: NewsApiConfig::default(),
            feeds: default_feeds(),
            alerts: AlertConfig::default(),
        }
    }
}

/// `[jobs.news-sentiment.newsapi]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NewsApiConfig {
    /// The API's address.
    pub base_url: String,
    /// Requests allowed a day (the free developer plan: 100), kept across runs.
    pub requests_per_day: u32,
    /// Articles a page (NewsAPI allows 1 to 100).
    pub page_size: u32,
    /// Results NewsAPI gives one query at most (the free plan: 100); paging stops there.
    pub max_results: u32,
    /// How far back the first run looks, in hours (later runs go on from the newest article).
    pub first_lookback_hours: u32,
    /// The index whose members' company names fill the query after the watchlist.
    pub index: String,
    /// Language of the articles.
    pub language: String,
}

impl Default for NewsApiConfig {
    fn default() -> Self {
        NewsApiConfig {
            base_url: "https://newsapi.org".to_string(),
            requests_per_day: 100,
            page_size: 100,
            max_results: 100,
            first_lookback_hours: 24,
            index: "NIFTY50".to_string(),
            language: "en".to_string(),
        }
    }
}

/// A feed: `{ name = "…", url = "…" }`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedConfig {
    /// The unit's name in logs and `job_runs`, and the stored source of its articles.
    pub name: String,
    /// Its address.
    pub url: String,
}

/// `[jobs.news-sentiment.alerts]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertConfig {
    /// An article about a watched symbol scoring at or below this is notified.
    pub strongly_negative: f64,
    /// A watched symbol's daily mean below this is notified …
    pub daily_mean_below: f64,
    /// … once the day has at least this many articles about it.
    pub daily_min_articles: u32,
}

impl Default for AlertConfig {
    fn default() -> Self {
        AlertConfig {
            strongly_negative: -0.6,
            daily_mean_below: -0.3,
            daily_min_articles: 3,
        }
    }
}

/// Indian market feeds (RSS 2.0) that need no key.
pub fn default_feeds() -> Vec<FeedConfig> {
    [
        (
            "et-markets",
            "https://economictimes.indiatimes.com/markets/rssfeeds/1977021501.cms",
        ),
        (
            "et-stocks",
            "https://economictimes.indiatimes.com/markets/stocks/rssfeeds/2146842.cms",
        ),
        (
            "moneycontrol-markets",
            "https://www.moneycontrol.com/rss/marketreports.xml",
        ),
        (
            "business-standard-markets",
            "https://www.business-standard.com/rss/markets-106.rss",
        ),
        ("livemint-markets", "https://www.livemint.com/rss/markets"),
        (
            "ndtv-profit",
            "https://feeds.feedburner.com/ndtvprofit-latest",
        ),
        (
            "tv9-business",
            "https://www.tv9english.com/feedapi/business",
        ),
    ]
    .into_iter()
    .map(|(name, url)| FeedConfig {
        name: name.to_string(),
        url: url.to_string(),
    })
    .collect()
}

impl Validate for JobConfig {
    fn validate(&self) -> Result<(), String> {
        let key = |k: &str| format!("[jobs.news-sentiment] {k}");
        let n = &self.newsapi;
        let http = |text: &str| {
            (text.starts_with("https://") || text.starts_with("http://"))
                && url::Url::parse(text).is_ok_and(|u| u.host_str().is_some())
        };
        if !http(&n.base_url) {
            return Err(format!(
                "{} = {:?} is not an http(s) URL: write it as https://HOST/PATH",
                key("newsapi.base_url"),
                n.base_url
            ));
        }
        for (name, value, range) in [
            ("newsapi.requests_per_day", n.requests_per_day, 1..=100_000),
            ("newsapi.page_size", n.page_size, 1..=100),
            ("newsapi.max_results", n.max_results, 1..=100_000),
            (
                "newsapi.first_lookback_hours",
                n.first_lookback_hours,
                1..=24 * 30,
            ),
        ] {
            if !range.contains(&value) {
                return Err(format!(
                    "{} = {value}: use {} to {}",
                    key(name),
                    range.start(),
                    range.end()
                ));
            }
        }
        let mut names = std::collections::BTreeSet::new();
        for feed in &self.feeds {
            if feed.name.trim().is_empty() || feed.name.len() > 64 {
                return Err(format!(
                    "{}: a feed's name must be 1 to 64 characters ({:?})",
                    key("feeds"),
                    feed.name
                ));
            }
            if !names.insert(feed.name.as_str()) || feed.name == crate::newsapi::UNIT {
                return Err(format!(
                    "{}: the name {:?} is used twice; give each feed its own",
                    key("feeds"),
                    feed.name
                ));
            }
            if !http(&feed.url) {
                return Err(format!(
                    "{}: feed {:?} has url {:?}, not an http(s) URL: write it as https://HOST/PATH",
                    key("feeds"),
                    feed.name,
                    feed.url
                ));
            }
        }
        let a = &self.alerts;
        for (name, value) in [
            ("alerts.strongly_negative", a.strongly_negative),
            ("alerts.daily_mean_below", a.daily_mean_below),
        ] {
            if !(-1.0..=0.0).contains(&value) {
                return Err(format!("{} = {value}: use -1.0 to 0.0", key(name)));
            }
        }
        if a.daily_min_articles == 0 {
            return Err(format!(
                "{} = 0: use 1 or more",
                key("alerts.daily_min_articles")
            ));
        }
        for (name, symbol) in &self.aliases {
            if name.trim().is_empty()
                || !symbol
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "&-_".contains(c))
            {
                return Err(format!(
                    "{}: {name:?} = {symbol:?}: give a name and an NSE symbol (or \"\" to tag nothing)",
                    key("aliases")
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> JobConfig {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn the_defaults_are_valid_and_name_indian_feeds() {
        let c = JobConfig::default();
        assert!(c.validate().is_ok());
        assert!(c.feeds.len() >= 5);
        assert_eq!(c.newsapi.requests_per_day, 100);
    }

    #[test]
    fn bad_values_are_refused_naming_the_key() {
        for (text, words) in [
            (
                "[newsapi]\npage_size = 0",
                "newsapi.page_size = 0: use 1 to 100",
            ),
            (
                "[alerts]\nstrongly_negative = 0.5",
                "alerts.strongly_negative = 0.5",
            ),
            (
                "feeds = [{ name = \"a\", url = \"ftp://x\" }]",
                "feed \"a\" has url \"ftp://x\"",
            ),
            (
                "feeds = [{ name = \"a\", url = \"http://x\" }, { name = \"a\", url = \"http://y\" }]",
                "used twice",
            ),
            ("aliases = { \"RIL\" = \"RELI ANCE\" }", "aliases"),
            ("[newsapi]\nbase_url = \"http://\"", "newsapi.base_url"),
        ] {
            let err = parse(text).validate().unwrap_err();
            assert!(err.contains(words), "{text}: {err}");
        }
    }
}
