//! Sentiment behind one trait: every scorer gives a text a label and a score in [-1, 1], and
//! says its name and version, which are stored beside each result so that the results of two
//! scorers (or two versions of one) are kept apart and compared, never mixed.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use common::Exit;
use common::harness::Fatal;

use crate::lexicon::Lexicon;
use crate::model::{ModelError, ModelScorer};

/// The three classes every scorer maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Label {
    /// Good news for the company or market it is about.
    Positive,
    /// Bad news.
    Negative,
    /// Neither, or a fact without a direction.
    Neutral,
}

impl Label {
    /// The stored and printed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Positive => "positive",
            Label::Negative => "negative",
            Label::Neutral => "neutral",
        }
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Label {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "positive" => Ok(Label::Positive),
            "negative" => Ok(Label::Negative),
            "neutral" => Ok(Label::Neutral),
            other => Err(format!(
                "{other:?} is not a label (positive, negative, neutral)"
            )),
        }
    }
}

/// What a scorer says of one text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sentiment {
    /// The class.
    pub label: Label,
    /// How good (1) or bad (-1) the text is; 0 for nothing either way.
    pub score: f64,
}

/// A sentiment scorer.
pub trait Scorer {
    /// Its name, as `--scorer` takes it and rows store it.
    fn name(&self) -> &'static str;
    /// Its version: a changed word list or model is a new version, whose results are kept
    /// apart from the old ones'.
    fn version(&self) -> &str;
    /// The sentiment of each of `texts` (a headline, or a headline and its description), in
    /// order: a model scores many at once faster than one at a time.
    fn score_batch(&self, texts: &[&str]) -> anyhow::Result<Vec<Sentiment>>;
    /// The sentiment of one text.
    fn score(&self, text: &str) -> anyhow::Result<Sentiment> {
        self.score_batch(&[text])?
            .into_iter()
            .next()
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "scorer {} gave no result, which is a bug: report it; --scorer lexicon scores meanwhile",
                    self.name()
                )
            })
    }
}

/// The scorers `--scorer` chooses from; the stored rows carry the scorer's name and version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScorerName {
    /// The built-in finance lexicon: no configuration, no model files.
    #[default]
    Lexicon,
    /// The BERT-family checkpoint in `[jobs.news-sentiment] model_dir`.
    Model,
}

impl ScorerName {
    /// The scorer of this name, ready to score; the model is read from `model_dir`.
    pub fn build(self, model_dir: &Path) -> Result<Box<dyn Scorer>, ModelError> {
        Ok(match self {
            ScorerName::Lexicon => Box::new(Lexicon::new()),
            ScorerName::Model => Box::new(ModelScorer::load(model_dir)?),
        })
    }
}

/// The scorer `asked` on the command line, which must load (exit 78 naming what is wrong), else
/// the `configured` one; a configured model that cannot be loaded is said once, through `warn`
/// in one line, and the lexicon scores instead, so that a missing model never stops the news.
pub fn choose(
    asked: Option<ScorerName>,
    configured: ScorerName,
    model_dir: &Path,
    warn: impl FnOnce(&str),
) -> Result<Box<dyn Scorer>, Fatal> {
    match asked {
        Some(name) => name.build(model_dir).map_err(|e| {
            Fatal::new(
                Exit::Config,
                format!("--scorer {name}: {e} (or use --scorer lexicon)"),
            )
        }),
        None => Ok(configured.build(model_dir).unwrap_or_else(|e| {
            warn(&format!(
                "the sentiment model cannot be used, scoring with the lexicon instead: {e} \
                 (or set [jobs.news-sentiment] scorer = \"lexicon\")"
            ));
            Box::new(Lexicon::new())
        })),
    }
}

impl fmt::Display for ScorerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ScorerName::Lexicon => "lexicon",
            ScorerName::Model => "model",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_read_back_what_they_print() {
        for label in [Label::Positive, Label::Negative, Label::Neutral] {
            assert_eq!(label.as_str().parse::<Label>(), Ok(label));
        }
        assert!("bullish".parse::<Label>().is_err());
    }

    #[test]
    fn the_default_scorer_is_the_lexicon_and_names_itself() {
        let scorer = ScorerName::default()
            .build(Path::new("/nonexistent"))
            .unwrap();
        assert_eq!(scorer.name(), "lexicon");
        assert_eq!(scorer.name(), ScorerName::Lexicon.to_string());
        assert!(!scorer.version().is_empty());
    }

    #[test]
    fn a_model_asked_for_must_load_and_a_configured_one_falls_back() {
        let none = Path::new("/nonexistent/model");
        let never = |_: &str| panic!("nothing to warn about");
        let err = choose(Some(ScorerName::Model), ScorerName::Lexicon, none, never)
            .err()
            .unwrap();
        assert_eq!(err.exit, Exit::Config);
        assert!(
            err.message.contains("/nonexistent/model"),
            "{}",
            err.message
        );
        let mut said = Vec::new();
        let scorer = choose(None, ScorerName::Model, none, |w| said.push(w.to_string())).unwrap();
        assert_eq!(scorer.name(), "lexicon");
        assert_eq!(said.len(), 1);
        assert!(
            said[0].contains("/nonexistent/model: is not a directory"),
            "{}",
            said[0]
        );
    }
}
