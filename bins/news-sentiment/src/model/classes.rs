//! A checkpoint's classes read as positive, negative or neutral, and its logits as a
//! [`Sentiment`]: the most probable class, scored P(positive) − P(negative).

use crate::scorer::{Label, Sentiment};

/// Each class of the classifier, as one of our labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Classes(Vec<Label>);

impl Classes {
    /// From `id2label`'s names in index order. Names are read case-insensitively; a name that
    /// says nothing of sentiment (`LABEL_0`) is refused, as is a set without both a positive
    /// and a negative class.
    pub fn from_names(names: &[String]) -> Result<Classes, String> {
        let mut labels = Vec::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            let label = match name.trim().to_ascii_lowercase().as_str() {
                "positive" | "pos" | "bullish" => Label::Positive,
                "negative" | "neg" | "bearish" => Label::Negative,
                "neutral" | "neu" => Label::Neutral,
                _ => {
                    return Err(format!(
                        "id2label names class {i} {name:?}, which says nothing of sentiment: \
                         name every class positive, negative or neutral (or bullish, bearish) \
                         in its id2label"
                    ));
                }
            };
            if labels.contains(&label) {
                return Err(format!(
                    "id2label names two classes {label}: give each of positive, negative and \
                     neutral to one class"
                ));
            }
            labels.push(label);
        }
        for needed in [Label::Positive, Label::Negative] {
            if !labels.contains(&needed) {
                return Err(format!(
                    "id2label has no {needed} class: a sentiment classifier needs positive and negative"
                ));
            }
        }
        Ok(Classes(labels))
    }

    /// How many there are: the classifier's output width.
    pub fn count(&self) -> usize {
        self.0.len()
    }

    /// The sentiment of one row of logits (as many as [`Classes::count`]); `None` when they are
    /// not numbers (weights that overflow).
    pub fn sentiment(&self, logits: &[f32]) -> Option<Sentiment> {
        let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let exp: Vec<f64> = logits.iter().map(|&l| f64::from(l - max).exp()).collect();
        let total: f64 = exp.iter().sum();
        if !total.is_finite() || total <= 0.0 {
            return None;
        }
        let mut best = (Label::Neutral, f64::NEG_INFINITY);
        let mut score = 0.0;
        for (&label, &e) in self.0.iter().zip(&exp) {
            let p = e / total;
            if p > best.1 {
                best = (label, p);
            }
            match label {
                Label::Positive => score += p,
                Label::Negative => score -= p,
                Label::Neutral => {}
            }
        }
        Some(Sentiment {
            label: best.0,
            score: score.clamp(-1.0, 1.0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes(names: &[&str]) -> Result<Classes, String> {
        Classes::from_names(&names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn names_are_read_whatever_their_case() {
        let c = classes(&["Bearish", "NEUTRAL", "bullish"]).unwrap();
        assert_eq!(c.0, [Label::Negative, Label::Neutral, Label::Positive]);
        assert_eq!(classes(&["NEGATIVE", "POSITIVE"]).unwrap().count(), 2);
    }

    #[test]
    fn names_without_sentiment_are_refused_saying_what_to_do() {
        let err = classes(&["LABEL_0", "LABEL_1", "LABEL_2"]).unwrap_err();
        assert!(err.contains("class 0 \"LABEL_0\""), "{err}");
        assert!(err.contains("in its id2label"), "{err}");
        assert!(
            classes(&["positive", "neutral"])
                .unwrap_err()
                .contains("no negative")
        );
        assert!(classes(&["positive", "positive", "negative"]).is_err());
    }

    #[test]
    fn the_score_is_p_positive_minus_p_negative() {
        let c = classes(&["positive", "negative", "neutral"]).unwrap();
        let s = c.sentiment(&[0.0, 0.0, 0.0]).unwrap();
        assert_eq!(s.label, Label::Positive);
        assert!(s.score.abs() < 1e-12);
        let s = c.sentiment(&[1.0, 3.0, 0.5]).unwrap();
        let e = [1f64.exp(), 3f64.exp(), 0.5f64.exp()];
        let t: f64 = e.iter().sum();
        assert_eq!(s.label, Label::Negative);
        assert!((s.score - (e[0] - e[1]) / t).abs() < 1e-6);
        // Huge logits do not overflow.
        assert_eq!(c.sentiment(&[1e30, -1e30, 0.0]).unwrap().score, 1.0);
        assert_eq!(c.sentiment(&[f32::NAN, 0.0, 0.0]), None);
    }
}
