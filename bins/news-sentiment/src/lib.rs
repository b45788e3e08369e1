//! upstox-news-sentiment: financial news from NewsAPI and RSS/Atom feeds, tagged with NSE
//! symbols, scored, kept per symbol by hour and day, and alerted on for watched symbols.
//!
//! - [`cli`]: the command line
//! - [`config`]: the `[jobs.news-sentiment]` table
//! - [`scorer`]: the `Scorer` trait, labels, and the scorers `--scorer` chooses from
//! - [`lexicon`]: the built-in finance lexicon scorer
//! - [`model`]: the model scorer, a BERT-family checkpoint run in-process
//! - [`tagging`]: which NSE symbols a text is about
//! - [`directory`]: the companies and index members nse-index-update stored
//! - [`article`]: an article, normalised (canonical URL, fingerprint, plain text, UTC)
//! - [`newsapi`]: NewsAPI's `/v2/everything`, its errors and paging
//! - [`feeds`]: RSS and Atom feeds, fetched conditionally
//! - [`ingest`]: a source's items de-duplicated, tagged, scored, stored or printed
//! - [`store`]: the job's tables
//! - [`history`]: `sentiment_history` per symbol, hour and day
//! - [`alerts`]: the news alerts
//! - [`commands`]: `score` and `rescore`
//! - [`job`]: the run, through the common harness

pub mod alerts;
pub mod article;
pub mod cli;
pub mod commands;
pub mod config;
pub mod directory;
pub mod feeds;
pub mod history;
pub mod ingest;
pub mod job;
pub mod lexicon;
pub mod model;
pub mod newsapi;
pub mod scorer;
pub mod store;
pub mod tagging;

pub use cli::Cli;
