//! A source's items on their way in: normalised, de-duplicated (against the database and
//! within the run), tagged and scored; stored in one transaction per source, or, in a dry
//! run, printed. What the run touched (new articles, their symbols' buckets) is kept for the
//! history and the alerts at the end.

use std::collections::{BTreeSet, HashSet};
use std::io::Write;

use chrono::{DateTime, Utc};
use common::calendar::IST;
use common::text::Shown;
use rusqlite::Connection;

use crate::article::{Article, RawItem};
use crate::history::Bucket;
use crate::scorer::{Scorer, Sentiment};
use crate::store::{self, SourceState};
use crate::tagging::Tagger;

/// Why a source's items were not stored.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused (the unit fails as any database error does).
    #[error(transparent)]
    Database(#[from] rusqlite::Error),
    /// The scorer could not score them.
    #[error("{0:#}")]
    Scoring(anyhow::Error),
}

/// An article the run stored (or, in a dry run, would store).
#[derive(Debug, Clone)]
pub struct New {
    /// The article.
    pub article: Article,
    /// Its symbols.
    pub symbols: Vec<String>,
    /// Its score.
    pub sentiment: Sentiment,
}

/// What the run has taken in so far.
pub struct Ingest<'a> {
    tagger: &'a Tagger,
    scorer: &'a dyn Scorer,
    now: DateTime<Utc>,
    /// URLs and fingerprints seen this run (a dry run stores nothing to check against).
    seen: HashSet<String>,
    /// Articles new this run.
    pub new: Vec<New>,
    /// Items that were stories already stored (or seen this run).
    pub duplicates: usize,
    /// Items without a usable title or link.
    pub unusable: usize,
    /// (symbol, bucket) pairs whose history the new articles change.
    pub touched: BTreeSet<(String, Bucket)>,
}

impl<'a> Ingest<'a> {
    /// An empty intake for a run at `now`.
    pub fn new(tagger: &'a Tagger, scorer: &'a dyn Scorer, now: DateTime<Utc>) -> Self {
        Ingest {
            tagger,
            scorer,
            now,
            seen: HashSet::new(),
            new: Vec::new(),
            duplicates: 0,
            unusable: 0,
            touched: BTreeSet::new(),
        }
    }

    /// Normalises `items`, dropping those already seen this run.
    fn fresh(&mut self, items: Vec<RawItem>) -> Vec<Article> {
        let mut out = Vec::new();
        for item in items {
            let Some(article) = Article::from_raw(item, self.now) else {
                self.unusable += 1;
                continue;
            };
            let url_new = self.seen.insert(article.url.clone());
            let story_new = self.seen.insert(format!("#{}", article.fingerprint));
            if url_new && story_new {
                out.push(article);
            } else {
                self.duplicates += 1;
            }
        }
        out
    }

    /// Stores a source's `items` and its `state` in one transaction; the number of articles new.
    pub fn store(
        &mut self,
        conn: &mut Connection,
        source: Option<(&str, SourceState)>,
        items: Vec<RawItem>,
    ) -> Result<u64, StoreError> {
        let articles = self.fresh(items);
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut inserted = Vec::new();
        for article in articles {
            match store::insert(&tx, &article, self.now)? {
                Some(id) => inserted.push((id, article)),
                None => self.duplicates += 1,
            }
        }
        // Scored together once known to be new: a model runs a batch faster than one by one.
        let texts: Vec<String> = inserted.iter().map(|(_, a)| a.text()).collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let sentiments = self
            .scorer
            .score_batch(&refs)
            .map_err(StoreError::Scoring)?;
        let mut added = Vec::new();
        for (((id, article), text), sentiment) in inserted.into_iter().zip(&texts).zip(sentiments) {
            let symbols = self.tagger.tag(text);
            store::tag(&tx, id, &symbols)?;
            store::save_score(&tx, id, self.scorer, sentiment, self.now)?;
            added.push(New {
                article,
                symbols,
                sentiment,
            });
        }
        if let Some((name, state)) = source {
            store::save_source_state(&tx, name, &state, self.now)?;
        }
        tx.commit()?;
        let count = added.len() as u64;
        for new in added {
            self.remember(new);
        }
        Ok(count)
    }

    /// Prints a source's new `items` (articles, tags, scores) to `out`, storing nothing;
    /// `db` (when readable) tells which are known already. The number of articles new.
    pub fn print(
        &mut self,
        db: Option<&Connection>,
        items: Vec<RawItem>,
        out: &mut dyn Write,
    ) -> anyhow::Result<u64> {
        let mut count = 0;
        for article in self.fresh(items) {
            if let Some(conn) = db
                && store::known(conn, &article)?
            {
                self.duplicates += 1;
                continue;
            }
            let text = article.text();
            let symbols = self.tagger.tag(&text);
            let sentiment = self.scorer.score(&text)?;
            writeln!(
                out,
                "{}\t{}\t{} {:+.2}\t{}\t{}",
                article
                    .published_at
                    .with_timezone(&IST)
                    .format("%Y-%m-%d %H:%M IST"),
                Shown(&article.source),
                sentiment.label,
                sentiment.score,
                if symbols.is_empty() {
                    "-".to_string()
                } else {
                    symbols.join(",")
                },
                Shown(&article.title)
            )?;
            count += 1;
            self.remember(New {
                article,
                symbols,
                sentiment,
            });
        }
        Ok(count)
    }

    fn remember(&mut self, new: New) {
        for symbol in &new.symbols {
            for bucket in Bucket::both(new.article.published_at) {
                self.touched.insert((symbol.clone(), bucket));
            }
        }
        self.new.push(new);
    }
}
