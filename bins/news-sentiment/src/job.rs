//! The run: each source a unit (NewsAPI when its key is configured, each feed, or the one file
//! of `--from-file`), its articles stored in one transaction; then, in one more, the touched
//! buckets of `sentiment_history` recomputed and the alerts queued.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::Duration;
use common::Exit;
use common::config::Limit;
use common::credentials::{self, Secret};
use common::files::saved_answer;
use common::harness::{Context, Fatal, Job, Outcome, UnitError};
use common::notify::{self, Channel};
use rusqlite::Connection;

use crate::alerts;
use crate::article::RawItem;
use crate::config::{FeedConfig, JobConfig};
use crate::directory::Directory;
use crate::feeds;
use crate::history::{self, Period};
use crate::ingest::{Ingest, StoreError};
use crate::newsapi;
use crate::scorer::{self, Scorer, ScorerName};
use crate::store::{self, SCHEMA, SourceState};
use crate::tagging::{Company, Tagger};

/// What the command line asks of a run.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Ingest this saved document instead of fetching.
    pub from_file: Option<PathBuf>,
    /// The scorer, instead of the configured one.
    pub scorer: Option<ScorerName>,
}

/// The news-sentiment job.
pub struct NewsSentiment {
    /// What was asked.
    pub request: Request,
}

/// A unit of work.
enum Source {
    File(PathBuf),
    NewsApi(Secret),
    Feed(FeedConfig),
}

impl Source {
    fn name(&self) -> String {
        match self {
            Source::File(path) => format!(
                "file:{}",
                path.file_name().map_or(path.display().to_string(), |n| n
                    .to_string_lossy()
                    .into_owned())
            ),
            Source::NewsApi(_) => newsapi::UNIT.to_string(),
            Source::Feed(feed) => feed.name.clone(),
        }
    }
}

/// What a unit fetched.
enum Got {
    NotModified,
    Items(Vec<RawItem>, Option<SourceState>),
}

impl Job for NewsSentiment {
    const NAME: &'static str = "news-sentiment";
    const UNIT_NOUNS: (&'static str, &'static str) = ("source", "sources");
    type Config = JobConfig;
    const SCHEMAS: &'static [common::db::Schema] = &[SCHEMA];

    fn run(&mut self, ctx: &mut Context<JobConfig>) -> anyhow::Result<Outcome> {
        let cfg = ctx.config.job.clone();
        let warn = |w: &str| tracing::warn!("{w}");
        let scorer = scorer::choose(self.request.scorer, cfg.scorer, &cfg.model_dir, warn)?;
        let directory = match &ctx.db {
            Some(conn) => Directory::load(conn, &cfg.newsapi.index)?,
            None => Directory::default(),
        };
        // The watchlist is tagged by its symbols before nse-index-update has named them.
        let mut companies = directory.companies.clone();
        for symbol in &cfg.watchlist {
            if !companies.iter().any(|c| &c.symbol == symbol) {
                companies.push(Company {
                    symbol: symbol.clone(),
                    name: symbol.clone(),
                });
            }
        }
        let tagger = Tagger::new(&companies, &cfg.aliases);
        let sources = self.sources(ctx, &cfg)?;
        ctx.plan(sources.iter().map(Source::name));
        let now = ctx.now;
        let mut ingest = Ingest::new(&tagger, scorer.as_ref(), now);
        let mut unchanged = 0;
        let stdout = std::io::stdout();
        for source in &sources {
            if ctx.stop_requested() {
                break;
            }
            let name = source.name();
            let got = match fetch(ctx, &cfg, source, &directory) {
                Ok(got) => got,
                Err(e) => {
                    ctx.unit_failed(&name, e);
                    continue;
                }
            };
            let (items, state) = match got {
                Got::NotModified => {
                    tracing::info!("{name}: not modified since the last run");
                    unchanged += 1;
                    ctx.unit_done(&name, 0);
                    continue;
                }
                Got::Items(items, state) => (items, state),
            };
            let fetched = items.len();
            let new = if ctx.dry_run {
                Ok(ingest.print(ctx.db.as_ref(), items, &mut stdout.lock())?)
            } else {
                let state = state.map(|s| (name.as_str(), s));
                match ingest.store(ctx.db_mut()?, state, items) {
                    Ok(new) => Ok(new),
                    Err(StoreError::Database(e)) => Err(ctx.db_error(e)),
                    Err(StoreError::Scoring(e)) => Err(UnitError {
                        exit: Exit::Failure,
                        message: format!(
                            "{e:#}; nothing of this source was stored and the next run fetches it again; if it keeps failing, set [jobs.news-sentiment] scorer = \"lexicon\" or check model_dir"
                        ),
                    }),
                }
            };
            match new {
                Ok(new) => {
                    tracing::info!("{name}: {fetched} items, {new} new");
                    ctx.unit_done(&name, new);
                }
                Err(e) => ctx.unit_failed(&name, e),
            }
        }
        let _ = stdout.lock().flush();
        let alerts = if ctx.dry_run {
            0
        } else {
            let channels = channels(&ctx.config.notify);
            finish(
                ctx.db_mut()?,
                &cfg,
                &ingest,
                scorer.as_ref(),
                &channels,
                now,
            )?
        };
        let tagged = ingest.new.iter().filter(|n| !n.symbols.is_empty()).count();
        let verb = if ctx.dry_run { "would store" } else { "stored" };
        let mut words = format!(
            "{verb} {} new articles ({tagged} tagged), {} already known",
            ingest.new.len(),
            ingest.duplicates
        );
        if unchanged > 0 {
            words.push_str(&format!(", {unchanged} feeds not modified"));
        }
        if ingest.unusable > 0 {
            words.push_str(&format!(
                ", {} items without title or link",
                ingest.unusable
            ));
        }
        if alerts > 0 {
            words.push_str(&format!(", {alerts} alerts queued"));
        }
        Ok(Outcome::Done(words))
    }
}

impl NewsSentiment {
    /// The run's units: the file, or NewsAPI (when its key is configured) and every feed.
    fn sources(&self, ctx: &Context<JobConfig>, cfg: &JobConfig) -> anyhow::Result<Vec<Source>> {
        if let Some(path) = &self.request.from_file {
            return Ok(vec![Source::File(path.clone())]);
        }
        let key = credentials::load(
            "newsapi_key",
            credentials::systemd_directory().as_deref(),
            &ctx.config.credentials,
        )
        .map_err(|e| Fatal::new(Exit::Config, e.to_string()))?;
        let mut sources = Vec::new();
        match key {
            Some(key) => sources.push(Source::NewsApi(key)),
            None => {
                tracing::info!("no NewsAPI key (credential newsapi_key): reading the feeds only")
            }
        }
        sources.extend(cfg.feeds.iter().cloned().map(Source::Feed));
        Ok(sources)
    }
}

/// Fetches one unit's items.
fn fetch(
    ctx: &Context<JobConfig>,
    cfg: &JobConfig,
    source: &Source,
    directory: &Directory,
) -> Result<Got, UnitError> {
    let state = |name: &str| match &ctx.db {
        Some(conn) => store::source_state(conn, name).map_err(|e| ctx.db_error(e)),
        None => Ok(SourceState::default()),
    };
    match source {
        Source::File(path) => {
            read_file(path, ctx.config.http.max_body_mib).map(|i| Got::Items(i, None))
        }
        Source::NewsApi(key) => {
            let before = state(newsapi::UNIT)?;
            let from = before
                .newest
                .unwrap_or(ctx.now - Duration::hours(i64::from(cfg.newsapi.first_lookback_hours)));
            let limits = vec![Limit {
                requests: cfg.newsapi.requests_per_day,
                per_secs: 86_400.0,
            }];
            let budget =
                common::budget::for_run(ctx, newsapi::PROVIDER, limits).map_err(|e| UnitError {
                    exit: common::harness::exit_for(&e),
                    message: format!("{e:#}"),
                })?;
            let names = directory.query_names(&cfg.watchlist);
            let items = newsapi::fetch(&ctx.http, &budget, key, &cfg.newsapi, &names, from)?;
            let newest = items
                .iter()
                .filter_map(|i| i.published_at)
                .max()
                .or(before.newest);
            Ok(Got::Items(
                items,
                Some(SourceState {
                    validators: Default::default(),
                    newest,
                }),
            ))
        }
        Source::Feed(feed) => {
            let before = state(&feed.name)?;
            match feeds::fetch(&ctx.http, feed, &before.validators)? {
                feeds::Fetched::NotModified => Ok(Got::NotModified),
                feeds::Fetched::Items(items, validators) => {
                    let newest = items.iter().filter_map(|i| i.published_at).max();
                    Ok(Got::Items(items, Some(SourceState { validators, newest })))
                }
            }
        }
    }
}

/// A saved NewsAPI answer (JSON) or feed document, read within the body size cap.
fn read_file(path: &Path, max_mib: u64) -> Result<Vec<RawItem>, UnitError> {
    let body = saved_answer(
        path,
        max_mib,
        "if the file is right, raise [http] max_body_mib",
    )?;
    let refused = |message: String| UnitError {
        exit: Exit::DataErr,
        message: format!(
            "{}: {message}; give --from-file a saved NewsAPI answer or an RSS/Atom feed",
            path.display()
        ),
    };
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        newsapi::parse(&body)
            .map(|page| page.items)
            .map_err(|e| refused(e.to_string()))
    } else {
        let name = path
            .file_stem()
            .map_or("file".to_string(), |s| s.to_string_lossy().into_owned());
        feeds::parse(&body, &name).map_err(refused)
    }
}

/// The channels `[notify]` configures.
fn channels(config: &common::config::NotifyConfig) -> Vec<Channel> {
    let mut channels = Vec::new();
    if config.email.is_some() {
        channels.push(Channel::Email);
    }
    if config.telegram.is_some() {
        channels.push(Channel::Telegram);
    }
    channels
}

/// Recomputes the touched history buckets and queues the alerts, in one transaction; the
/// number of alerts newly queued.
fn finish(
    conn: &mut Connection,
    cfg: &JobConfig,
    ingest: &Ingest<'_>,
    scorer: &dyn Scorer,
    channels: &[Channel],
    now: chrono::DateTime<chrono::Utc>,
) -> rusqlite::Result<usize> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let watched = |s: &str| cfg.watchlist.iter().any(|w| w == s);
    let mut messages = Vec::new();
    for new in &ingest.new {
        for symbol in new.symbols.iter().filter(|s| watched(s)) {
            messages.extend(alerts::negative_article(
                &cfg.alerts,
                symbol,
                &new.article,
                new.sentiment,
                scorer.name(),
            ));
        }
    }
    for (symbol, bucket) in &ingest.touched {
        let stats = history::recompute(&tx, symbol, scorer.name(), *bucket, now)?;
        if let Some(stats) = stats
            && bucket.period == Period::Day
            && watched(symbol)
        {
            messages.extend(alerts::daily_mean(
                &cfg.alerts,
                symbol,
                *bucket,
                stats,
                scorer.name(),
            ));
        }
    }
    let mut queued = 0;
    for message in &messages {
        tracing::warn!("news alert: {}", message.subject);
        if notify::outbox::enqueue(&tx, message, channels, now)? > 0 {
            queued += 1;
        }
    }
    if !messages.is_empty() && channels.is_empty() {
        tracing::warn!(
            "{} news alerts are only in the log: configure [notify.email] or [notify.telegram]",
            messages.len()
        );
    }
    tx.commit()?;
    Ok(queued)
}
