//! The command line.

use std::path::PathBuf;

use chrono::NaiveDate;
use common::harness::{self, CommonArgs, Invocation};

use crate::commands;
use crate::job::{NewsSentiment, Request};
use crate::scorer::ScorerName;

const AFTER_HELP: &str = "\
Sources, each a unit of work: NewsAPI /v2/everything (credential newsapi_key; its free plan's
100 requests a day are kept across runs in the request budget) and the RSS/Atom feeds of
[jobs.news-sentiment] feeds, fetched with ETag/Last-Modified (a 304 costs nothing). Without a
key the feeds still run. An article is stored once (canonical URL and title fingerprint), its
NSE symbols tagged (company names, symbols, aliases), scored, and sentiment_history is
recomputed per symbol per hour and per IST day for the buckets the run touched. A strongly
negative article about a watched symbol, and a watched symbol's daily mean below the configured
level, are notified once each through the outbox.

Scorers: lexicon, the built-in finance lexicon (the default), and model, a HuggingFace BERT,
DistilBERT or RoBERTa sequence-classification checkpoint (config.json, model.safetensors,
tokenizer.json or vocab.txt) in [jobs.news-sentiment] model_dir, by default
/usr/share/upstox-jobs/sentiment-model (package upstox-jobs-sentiment-model), run on the CPU in
this process; its version is the start of model.safetensors' SHA-256. A configured model that is
absent or broken is said once (a warning naming the file and why) and the lexicon scores; one
asked for with --scorer model must load, else exit 78.

score prints one line per text: label, score in [-1, 1], scorer/version (tab-separated).

Examples:
  upstox-news-sentiment                           as the timer runs it
  upstox-news-sentiment --dry-run                 articles, tags and scores; nothing written
  upstox-news-sentiment --from-file saved.xml     a saved feed or NewsAPI answer, stored
  upstox-news-sentiment score \"Infosys beats estimates, raises guidance\"
  upstox-news-sentiment score < headlines.txt     one line out per line in
  upstox-news-sentiment score --scorer model < headlines.txt    the model loaded once
  upstox-news-sentiment rescore --since 2026-11-01 --scorer lexicon";

/// Fetch financial news (NewsAPI, RSS/Atom), tag NSE symbols, score sentiment, keep per-symbol
/// hourly and daily sentiment, and notify on strongly negative news about watched symbols.
#[derive(Debug, clap::Parser)]
#[command(name = "upstox-news-sentiment", version, after_help = AFTER_HELP)]
pub struct Cli {
    /// The flags every job takes.
    #[command(flatten)]
    pub common: CommonArgs,
    /// Ingest this saved NewsAPI answer (JSON) or RSS/Atom document instead of fetching
    #[arg(long, value_name = "FILE")]
    pub from_file: Option<PathBuf>,
    /// The sentiment scorer: lexicon, or model (the checkpoint in model_dir) [default: the
    /// configured one, else lexicon]
    #[arg(long, value_enum, global = true)]
    pub scorer: Option<ScorerName>,
    /// What to do instead of a run.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Print the label, score and scorer of TEXT, or of each line of standard input
    Score {
        /// The text; without it, standard input is scored a line at a time
        text: Option<String>,
    },
    /// Score again the stored articles published since DATE, kept apart per scorer
    Rescore {
        /// The first day (IST) whose articles are scored again, YYYY-MM-DD
        #[arg(long, value_name = "DATE")]
        since: NaiveDate,
    },
}

impl harness::Cli for Cli {
    type Job = NewsSentiment;

    fn common(&self) -> &CommonArgs {
        &self.common
    }

    fn invocation(self, today: NaiveDate) -> Result<Invocation<NewsSentiment>, String> {
        let scorer = self.scorer;
        match self.command {
            Some(Command::Score { text }) => Ok(Invocation::command(self.common, move |args| {
                commands::score(args, scorer, text.as_deref())
            })),
            Some(Command::Rescore { since }) => {
                if since > today {
                    return Err(format!(
                        "--since {since} is in the future: give a day up to {today}"
                    ));
                }
                Ok(Invocation::command(self.common, move |args| {
                    commands::rescore(args, scorer, since)
                }))
            }
            None => Ok(Invocation::Run(
                NewsSentiment {
                    request: Request {
                        from_file: self.from_file,
                        scorer,
                    },
                },
                self.common,
            )),
        }
    }
}
