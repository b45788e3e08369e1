//! `sentiment_history`: per symbol and scorer, per IST hour and per IST day, the article
//! count, mean score and label counts, recomputed from the articles for exactly the buckets a
//! run touched, so a rerun or a catch-up run writes the same rows.

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Timelike, Utc};
use common::calendar::IST;
use common::runs::timestamp;
use rusqlite::{Connection, params};

/// A bucket's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Period {
    /// An hour of Indian time.
    Hour,
    /// A day of Indian time.
    Day,
}

impl Period {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Hour => "hour",
            Period::Day => "day",
        }
    }

    fn length(self) -> Duration {
        match self {
            Period::Hour => Duration::hours(1),
            Period::Day => Duration::days(1),
        }
    }
}

/// One hour or day, by its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bucket {
    /// Hour or day.
    pub period: Period,
    /// When it starts (an IST hour or midnight), in UTC.
    pub start: DateTime<Utc>,
}

impl Bucket {
    /// The bucket of `period` that `at` falls in.
    pub fn of(period: Period, at: DateTime<Utc>) -> Bucket {
        let local = at.with_timezone(&IST);
        let start = match period {
            Period::Hour => local
                .date_naive()
                .and_time(NaiveTime::from_hms_opt(local.hour(), 0, 0).unwrap_or(NaiveTime::MIN)),
            Period::Day => local.date_naive().and_time(NaiveTime::MIN),
        };
        let start = IST
            .from_local_datetime(&start)
            .single()
            .map_or(at, |t| t.with_timezone(&Utc));
        Bucket { period, start }
    }

    /// The hour and the day `at` falls in.
    pub fn both(at: DateTime<Utc>) -> [Bucket; 2] {
        [Bucket::of(Period::Hour, at), Bucket::of(Period::Day, at)]
    }

    /// When it ends.
    pub fn end(&self) -> DateTime<Utc> {
        self.start + self.period.length()
    }
}

/// A bucket's figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    /// Articles about the symbol in the bucket.
    pub articles: u32,
    /// Their mean score.
    pub mean: f64,
    /// How many were positive, negative and neutral.
    pub positive: u32,
    /// Negative.
    pub negative: u32,
    /// Neutral.
    pub neutral: u32,
}

/// Recomputes `symbol`'s row for `bucket` and `scorer` from the stored articles: replaced,
/// or deleted when no article is left in it. Returns the figures written.
pub fn recompute(
    conn: &Connection,
    symbol: &str,
    scorer: &str,
    bucket: Bucket,
    now: DateTime<Utc>,
) -> rusqlite::Result<Option<Stats>> {
    let stats = conn.query_row(
        "SELECT COUNT(*), AVG(s.score),
                COALESCE(SUM(s.label = 'positive'), 0), COALESCE(SUM(s.label = 'negative'), 0),
                COALESCE(SUM(s.label = 'neutral'), 0)
         FROM news_article_symbols t
         JOIN news_articles a ON a.id = t.article_id
         JOIN news_article_scores s ON s.article_id = t.article_id AND s.scorer = ?2
         WHERE t.symbol = ?1 AND a.published_at >= ?3 AND a.published_at < ?4",
        params![
            symbol,
            scorer,
            timestamp(bucket.start),
            timestamp(bucket.end())
        ],
        |r| {
            Ok(Stats {
                articles: r.get(0)?,
                mean: r.get::<_, Option<f64>>(1)?.unwrap_or(0.0),
                positive: r.get(2)?,
                negative: r.get(3)?,
                neutral: r.get(4)?,
            })
        },
    )?;
    let key = params![
        symbol,
        scorer,
        bucket.period.as_str(),
        timestamp(bucket.start)
    ];
    if stats.articles == 0 {
        conn.execute(
            "DELETE FROM sentiment_history WHERE symbol = ?1 AND scorer = ?2 AND period = ?3 AND period_start = ?4",
            key,
        )?;
        return Ok(None);
    }
    conn.execute(
        "INSERT INTO sentiment_history
             (symbol, scorer, period, period_start, articles, mean_score, positive, negative, neutral, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (symbol, scorer, period, period_start) DO UPDATE SET
             articles = excluded.articles, mean_score = excluded.mean_score,
             positive = excluded.positive, negative = excluded.negative,
             neutral = excluded.neutral, updated_at = excluded.updated_at",
        params![
            symbol,
            scorer,
            bucket.period.as_str(),
            timestamp(bucket.start),
            stats.articles,
            stats.mean,
            stats.positive,
            stats.negative,
            stats.neutral,
            timestamp(now)
        ],
    )?;
    Ok(Some(stats))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_indian_hours_and_days() {
        // 2026-02-03 00:10 UTC is 05:40 IST.
        let at = Utc.with_ymd_and_hms(2026, 2, 3, 0, 10, 0).unwrap();
        let [hour, day] = Bucket::both(at);
        assert_eq!(
            hour.start,
            Utc.with_ymd_and_hms(2026, 2, 2, 23, 30, 0).unwrap()
        );
        assert_eq!(
            hour.end(),
            Utc.with_ymd_and_hms(2026, 2, 3, 0, 30, 0).unwrap()
        );
        assert_eq!(
            day.start,
            Utc.with_ymd_and_hms(2026, 2, 2, 18, 30, 0).unwrap()
        );
        // 23:59 IST the day before is another day.
        let before = Utc.with_ymd_and_hms(2026, 2, 2, 18, 29, 0).unwrap();
        assert_ne!(Bucket::of(Period::Day, before), day);
    }
}
