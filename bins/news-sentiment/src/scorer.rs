//! Sentiment behind one trait: every scorer gives a text a label and a score in [-1, 1], and
//! says its name and version, which are stored beside each result so that the results of two
//! scorers (or two versions of one) are kept apart and compared, never mixed.

use std::fmt;
use std::str::FromStr;

use crate::lexicon::Lexicon;

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
    /// The sentiment of `text` (a headline, or a headline and its description).
    fn score(&self, text: &str) -> Sentiment;
}

/// The scorers `--scorer` chooses from. Model-based scorers join this list as they are built;
/// the stored rows already carry the scorer's name and version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScorerName {
    /// The built-in finance lexicon: no configuration, no model files.
    #[default]
    Lexicon,
}

impl ScorerName {
    /// The scorer of this name, ready to score.
    pub fn build(self) -> Box<dyn Scorer> {
        match self {
            ScorerName::Lexicon => Box::new(Lexicon::new()),
        }
    }
}

impl fmt::Display for ScorerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ScorerName::Lexicon => "lexicon",
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
        let scorer = ScorerName::default().build();
        assert_eq!(scorer.name(), "lexicon");
        assert_eq!(scorer.name(), ScorerName::Lexicon.to_string());
        assert!(!scorer.version().is_empty());
    }
}
