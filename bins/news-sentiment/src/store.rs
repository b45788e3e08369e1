//! This job's tables: the articles (each story once), their symbols, their scores per scorer,
//! each source's state (validators, newest article) and per-symbol sentiment by hour and day.

use chrono::{DateTime, Utc};
use common::db::Schema;
use common::http::Validators;
use common::runs::timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use crate::article::Article;
use crate::scorer::{Scorer, Sentiment};

/// The tables, owned by this job.
pub const SCHEMA: Schema = Schema {
    component: "news-sentiment",
    migrations: &["
        -- One story, once: by canonical URL, and by title fingerprint across sites.
        CREATE TABLE news_articles (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,
            fingerprint TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            description TEXT NOT NULL,
            source TEXT NOT NULL,
            published_at TEXT NOT NULL,
            fetched_at TEXT NOT NULL
        );
        CREATE INDEX news_articles_published ON news_articles (published_at);
        CREATE TABLE news_article_symbols (
            article_id INTEGER NOT NULL REFERENCES news_articles (id) ON DELETE CASCADE,
            symbol TEXT NOT NULL,
            PRIMARY KEY (article_id, symbol)
        ) WITHOUT ROWID;
        CREATE INDEX news_article_symbols_symbol ON news_article_symbols (symbol);
        -- Each scorer's result kept apart: re-scoring with another never overwrites this one.
        CREATE TABLE news_article_scores (
            article_id INTEGER NOT NULL REFERENCES news_articles (id) ON DELETE CASCADE,
            scorer TEXT NOT NULL,
            version TEXT NOT NULL,
            label TEXT NOT NULL CHECK (label = 'positive' OR label = 'negative' OR label = 'neutral'),
            score REAL NOT NULL CHECK (score >= -1.0 AND score <= 1.0),
            scored_at TEXT NOT NULL,
            PRIMARY KEY (article_id, scorer)
        ) WITHOUT ROWID;
        CREATE TABLE news_sources (
            source TEXT PRIMARY KEY,
            etag TEXT,
            last_modified TEXT,
            newest_published TEXT,
            checked_at TEXT NOT NULL
        ) WITHOUT ROWID;
        -- Per symbol and scorer, per hour and per IST day (period_start in UTC).
        CREATE TABLE sentiment_history (
            symbol TEXT NOT NULL,
            scorer TEXT NOT NULL,
            period TEXT NOT NULL CHECK (period = 'hour' OR period = 'day'),
            period_start TEXT NOT NULL,
            articles INTEGER NOT NULL,
            mean_score REAL NOT NULL,
            positive INTEGER NOT NULL,
            negative INTEGER NOT NULL,
            neutral INTEGER NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (symbol, scorer, period, period_start)
        ) WITHOUT ROWID;
    "],
    adopted: None,
};

/// Whether an article with this URL or title fingerprint is stored.
pub fn known(conn: &Connection, article: &Article) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM news_articles WHERE url = ?1 OR fingerprint = ?2)",
        params![article.url, article.fingerprint],
        |r| r.get(0),
    )
}

/// Stores `article` unless it is known; its new id, or `None` for a story already stored.
pub fn insert(
    conn: &Connection,
    article: &Article,
    fetched_at: DateTime<Utc>,
) -> rusqlite::Result<Option<i64>> {
    let added = conn.execute(
        "INSERT INTO news_articles (url, fingerprint, title, description, source, published_at, fetched_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
        params![
            article.url,
            article.fingerprint,
            article.title,
            article.description,
            article.source,
            timestamp(article.published_at),
            timestamp(fetched_at)
        ],
    )?;
    Ok((added == 1).then(|| conn.last_insert_rowid()))
}

/// Records the symbols article `id` is about.
pub fn tag(conn: &Connection, id: i64, symbols: &[String]) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO news_article_symbols (article_id, symbol) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
    )?;
    for symbol in symbols {
        stmt.execute(params![id, symbol])?;
    }
    Ok(())
}

/// Records `scorer`'s result for article `id`, replacing that scorer's earlier one.
pub fn save_score(
    conn: &Connection,
    id: i64,
    scorer: &dyn Scorer,
    sentiment: Sentiment,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO news_article_scores (article_id, scorer, version, label, score, scored_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (article_id, scorer) DO UPDATE SET version = excluded.version,
             label = excluded.label, score = excluded.score, scored_at = excluded.scored_at",
    )?
    .execute(params![
        id,
        scorer.name(),
        scorer.version(),
        sentiment.label.as_str(),
        sentiment.score.clamp(-1.0, 1.0),
        timestamp(now)
    ])?;
    Ok(())
}

/// A stored article to score again.
#[derive(Debug, Clone)]
pub struct Stored {
    /// Its id.
    pub id: i64,
    /// Its title and description, as scored.
    pub article: Article,
}

/// The articles published at or after `since`, oldest first.
pub fn published_since(conn: &Connection, since: DateTime<Utc>) -> rusqlite::Result<Vec<Stored>> {
    let mut stmt = conn.prepare(
        "SELECT id, url, fingerprint, title, description, source, published_at FROM news_articles
         WHERE published_at >= ?1 ORDER BY published_at, id",
    )?;
    let rows = stmt.query_map([timestamp(since)], |r| {
        let published: String = r.get(6)?;
        Ok(Stored {
            id: r.get(0)?,
            article: Article {
                url: r.get(1)?,
                fingerprint: r.get(2)?,
                title: r.get(3)?,
                description: r.get(4)?,
                source: r.get(5)?,
                published_at: DateTime::parse_from_rfc3339(&published)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|e| {
                        rusqlite::Error::FromSqlConversionFailure(
                            6,
                            rusqlite::types::Type::Text,
                            Box::new(e),
                        )
                    })?,
            },
        })
    })?;
    rows.collect()
}

/// The symbols stored for article `id`.
pub fn symbols_of(conn: &Connection, id: i64) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT symbol FROM news_article_symbols WHERE article_id = ?1 ORDER BY symbol",
    )?;
    let rows = stmt.query_map([id], |r| r.get(0))?;
    rows.collect()
}

/// What a source's last answer left: its validators and its newest article's time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceState {
    /// ETag and Last-Modified, for the next conditional GET.
    pub validators: Validators,
    /// The newest article it gave, for NewsAPI's `from`.
    pub newest: Option<DateTime<Utc>>,
}

/// `source`'s state, or the default for a source never fetched.
pub fn source_state(conn: &Connection, source: &str) -> rusqlite::Result<SourceState> {
    let row = conn
        .query_row(
            "SELECT etag, last_modified, newest_published FROM news_sources WHERE source = ?1",
            [source],
            |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                ))
            },
        )
        .optional()?;
    Ok(match row {
        None => SourceState::default(),
        Some((etag, last_modified, newest)) => SourceState {
            validators: Validators {
                etag,
                last_modified,
            },
            newest: newest
                .as_deref()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc)),
        },
    })
}

/// Records `source`'s state after a successful fetch.
pub fn save_source_state(
    conn: &Connection,
    source: &str,
    state: &SourceState,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO news_sources (source, etag, last_modified, newest_published, checked_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (source) DO UPDATE SET etag = excluded.etag,
             last_modified = excluded.last_modified,
             newest_published = COALESCE(excluded.newest_published, news_sources.newest_published),
             checked_at = excluded.checked_at",
        params![
            source,
            state.validators.etag,
            state.validators.last_modified,
            state.newest.map(timestamp),
            timestamp(now)
        ],
    )?;
    Ok(())
}
