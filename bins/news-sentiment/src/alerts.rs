//! News alerts, each once (its outbox key): a strongly negative article about a watched symbol,
//! and a watched symbol's daily mean sentiment below the configured level.

use chrono::{DateTime, Utc};
use common::calendar::IST;
use common::notify::{Attachments, Notification};
use common::text::Shown;

use crate::article::Article;
use crate::config::AlertConfig;
use crate::history::{Bucket, Stats};
use crate::scorer::Sentiment;

/// The alert for `article` about `symbol`, if it is strongly negative.
pub fn negative_article(
    cfg: &AlertConfig,
    symbol: &str,
    article: &Article,
    sentiment: Sentiment,
    scorer: &str,
) -> Option<Notification> {
    (sentiment.score <= cfg.strongly_negative).then(|| Notification {
        key: format!("news-negative:{symbol}:{}", article.fingerprint),
        attachments: Attachments::default(),
        subject: format!(
            "{symbol}: negative news ({:.2}): {}",
            sentiment.score,
            Shown(&article.title)
        ),
        body: format!(
            "{}\n{}\n{} · {} · scored {:.2} by {scorer}\n{}",
            Shown(&article.title),
            Shown(&article.description),
            Shown(&article.source),
            ist(article.published_at),
            sentiment.score,
            article.url
        ),
    })
}

/// The alert for `symbol`'s day, if its mean is below the level with enough articles.
pub fn daily_mean(
    cfg: &AlertConfig,
    symbol: &str,
    day: Bucket,
    stats: Stats,
    scorer: &str,
) -> Option<Notification> {
    let date = day.start.with_timezone(&IST).date_naive();
    (stats.articles >= cfg.daily_min_articles && stats.mean < cfg.daily_mean_below).then(|| {
        Notification {
            key: format!("news-daily:{symbol}:{date}"),
            attachments: Attachments::default(),
            subject: format!(
                "{symbol}: news sentiment {:.2} on {date} (below {:.2})",
                stats.mean, cfg.daily_mean_below
            ),
            body: format!(
                "{symbol}'s {} articles on {date} (IST) average {:.2} by {scorer}: {} negative, {} neutral, {} positive.",
                stats.articles, stats.mean, stats.negative, stats.neutral, stats.positive
            ),
        }
    })
}

fn ist(at: DateTime<Utc>) -> String {
    at.with_timezone(&IST)
        .format("%Y-%m-%d %H:%M IST")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Period;
    use crate::scorer::Label;
    use chrono::TimeZone;

    fn article() -> Article {
        Article {
            url: "https://x.in/a".into(),
            title: "Paytm shares crash".into(),
            description: String::new(),
            source: "et".into(),
            published_at: Utc.with_ymd_and_hms(2026, 2, 3, 4, 24, 0).unwrap(),
            fingerprint: "f".into(),
        }
    }

    #[test]
    fn only_strongly_negative_articles_alert_and_the_key_is_per_story() {
        let cfg = AlertConfig::default();
        let bad = Sentiment {
            label: Label::Negative,
            score: -0.8,
        };
        let mild = Sentiment {
            label: Label::Negative,
            score: -0.3,
        };
        let n = negative_article(&cfg, "PAYTM", &article(), bad, "lexicon").unwrap();
        assert_eq!(n.key, "news-negative:PAYTM:f");
        assert!(n.body.contains("2026-02-03 09:54 IST"));
        assert!(negative_article(&cfg, "PAYTM", &article(), mild, "lexicon").is_none());
    }

    #[test]
    fn a_day_alerts_below_the_level_with_enough_articles() {
        let cfg = AlertConfig::default();
        let day = Bucket::of(Period::Day, article().published_at);
        let stats = |articles, mean| Stats {
            articles,
            mean,
            positive: 0,
            negative: articles,
            neutral: 0,
        };
        let n = daily_mean(&cfg, "PAYTM", day, stats(3, -0.5), "lexicon").unwrap();
        assert_eq!(n.key, "news-daily:PAYTM:2026-02-03");
        assert!(daily_mean(&cfg, "PAYTM", day, stats(2, -0.9), "lexicon").is_none());
        assert!(daily_mean(&cfg, "PAYTM", day, stats(5, -0.1), "lexicon").is_none());
    }
}
