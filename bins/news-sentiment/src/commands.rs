//! The commands that are not a run: `score` (any text, or standard input a line at a time,
//! the scorer built once) and `rescore` (stored articles scored again by one scorer, its
//! results and history kept apart from the others').

use std::collections::BTreeSet;
use std::io::{BufRead, Read, Write};

use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
use common::Exit;
use common::calendar::IST;
use common::config::{self, ConfigPath};
use common::harness::{CommonArgs, Fatal, open_for_editing};

use crate::config::JobConfig;
use crate::history::{self, Bucket};
use crate::job::NewsSentiment;
use crate::scorer::{self, Scorer, ScorerName};
use crate::store;

/// The longest line of standard input scored; the rest of a longer line is skipped.
const LINE_MAX: u64 = 64 * 1024;
/// Lines of standard input scored at once (a model runs a batch faster than its lines one by
/// one); a batch holds at most this many times `LINE_MAX`.
const BATCH: usize = 64;

/// The scorer asked for, else the configured one (see [`scorer::choose`]).
fn chosen(args: &CommonArgs, asked: Option<ScorerName>) -> anyhow::Result<Box<dyn Scorer>> {
    let path = ConfigPath::from_flag(args.config.as_deref());
    let config = config::load::<JobConfig>(&path, "news-sentiment")
        .map_err(|e| Fatal::new(Exit::Config, e.to_string()))?;
    // Commands log nothing: the warning goes to stderr as their errors do.
    let warn = |w: &str| eprintln!("upstox-news-sentiment: warning: {w}");
    Ok(scorer::choose(
        asked,
        config.job.scorer,
        &config.job.model_dir,
        warn,
    )?)
}

/// `score`: one line per text: label, score, scorer/version, tab-separated.
pub fn score(
    args: &CommonArgs,
    asked: Option<ScorerName>,
    text: Option<&str>,
) -> anyhow::Result<()> {
    let scorer = chosen(args, asked)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let lines = |out: &mut dyn Write, texts: &[String]| -> anyhow::Result<()> {
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        for s in scorer.score_batch(&texts)? {
            writeln!(
                out,
                "{}\t{:.3}\t{}/{}",
                s.label,
                s.score,
                scorer.name(),
                scorer.version()
            )?;
        }
        Ok(())
    };
    match text {
        Some(text) => lines(&mut out, &[text.to_string()])?,
        None => {
            let stdin = std::io::stdin();
            let mut input = stdin.lock();
            let mut buf = Vec::new();
            let mut batch = Vec::with_capacity(BATCH);
            loop {
                buf.clear();
                let read = (&mut input).take(LINE_MAX).read_until(b'\n', &mut buf)?;
                if read == 0 {
                    break;
                }
                if buf.last() != Some(&b'\n') && read as u64 == LINE_MAX {
                    // A line past the limit: the rest of it is skipped, not scored as lines.
                    let mut rest = Vec::new();
                    input.read_until(b'\n', &mut rest)?;
                }
                let text = String::from_utf8_lossy(&buf);
                batch.push(text.trim_end_matches(['\n', '\r']).to_string());
                if batch.len() == BATCH {
                    lines(&mut out, &batch)?;
                    batch.clear();
                }
            }
            lines(&mut out, &batch)?;
        }
    }
    out.flush()?;
    Ok(())
}

/// `rescore`: the articles published since `since` (IST) scored again by the chosen scorer,
/// and that scorer's history recomputed for every bucket they fall in, in one transaction.
pub fn rescore(
    args: &CommonArgs,
    asked: Option<ScorerName>,
    since: NaiveDate,
) -> anyhow::Result<()> {
    let scorer = chosen(args, asked)?;
    let mut conn = open_for_editing::<NewsSentiment>(args)?;
    let from = IST
        .from_local_datetime(&since.and_time(NaiveTime::MIN))
        .single()
        .map_or_else(
            || since.and_time(NaiveTime::MIN).and_utc(),
            |t| t.with_timezone(&Utc),
        );
    let now = Utc::now();
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let stored = store::published_since(&tx, from)?;
    let mut touched = BTreeSet::new();
    for s in &stored {
        let sentiment = scorer.score(&s.article.text())?;
        store::save_score(&tx, s.id, scorer.as_ref(), sentiment, now)?;
        for symbol in store::symbols_of(&tx, s.id)? {
            for bucket in Bucket::both(s.article.published_at) {
                touched.insert((symbol.clone(), bucket));
            }
        }
    }
    for (symbol, bucket) in &touched {
        history::recompute(&tx, symbol, scorer.name(), *bucket, now)?;
    }
    tx.commit()?;
    println!(
        "rescored {} articles published since {since} with {}/{}; {} sentiment_history rows recomputed",
        stored.len(),
        scorer.name(),
        scorer.version(),
        touched.len()
    );
    Ok(())
}
