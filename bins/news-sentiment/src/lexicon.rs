//! The built-in finance lexicon scorer: phrases and words with a valence, movements (up,
//! down) read against what moved (profit up is good, losses up are bad), negation,
//! intensifiers and contrast. Pure and fast: no model, no configuration.
//!
//! How a text is scored: it is cut into lower-case words and clause breaks (`,` `;` `:` and a
//! sentence's end); at each word the longest known phrase is taken. A movement takes its sign
//! from the nearest thing it can move in the same clause (within [`REACH`] words), or counts
//! weakly by itself. A negator up to three words before a term turns it around and weakens
//! it; an intensifier next to it scales it. After "but" or "however" the clause counts more
//! and what came before less; a clause opened by "despite" or "although" counts less. The sum
//! is squashed into [-1, 1], and a score beyond [`THRESHOLD`] either way is a label.

mod movement;
mod words;

use std::collections::HashMap;

use crate::scorer::{Label, Scorer, Sentiment};

/// The version stored with every result: bump it whenever a list or a rule changes.
const VERSION: &str = "1";

/// How far (in words) a movement looks for what moved.
const REACH: usize = 5;

/// How far back (in words) a negator reaches.
const NEGATION_REACH: usize = 3;

/// A movement's weight when it is tied to what moved, and when it stands alone.
const MOVED: f64 = 1.0;
const ALONE: f64 = 0.4;

/// A negated term is turned around and weakened (as VADER does).
const NEGATED: f64 = -0.74;

/// Weights of the clauses around a contrast.
const BEFORE_CONTRAST: f64 = 0.5;
const AFTER_CONTRAST: f64 = 1.5;
const CONCEDED: f64 = 0.5;

/// |score| from which a text is positive or negative rather than neutral.
const THRESHOLD: f64 = 0.2;

/// The most of a text read: a headline and its description are far shorter, and a bound
/// keeps a hostile text from costing more than a long article.
const MAX_CHARS: usize = 4000;

/// The longest phrase, in words.
const LONGEST: usize = 4;

/// What a known word or phrase is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Term {
    Valence(f64),
    Up,
    Down,
    Good,
    Bad(f64),
    Negator,
    Intensifier(f64),
    Contrast,
    Concessive,
}

/// A word of the text, or a break between clauses.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Break,
}

/// A known term found in the text: where it starts and ends (token indices) and what it is.
#[derive(Debug, Clone, Copy)]
struct Found {
    start: usize,
    end: usize,
    term: Term,
}

/// The lexicon scorer.
pub struct Lexicon {
    terms: HashMap<&'static str, Term>,
}

impl Default for Lexicon {
    fn default() -> Self {
        Lexicon::new()
    }
}

impl Lexicon {
    /// The lexicon, its lists indexed.
    pub fn new() -> Self {
        let mut terms = HashMap::new();
        // Later lists do not override earlier ones: a word that is news by itself stays so.
        let mut add = |word: &'static str, term: Term| {
            terms.entry(word).or_insert(term);
        };
        for &(w, v) in words::VALENCE {
            add(w, Term::Valence(v));
        }
        for &(w, v) in movement::BAD {
            add(w, Term::Bad(v));
        }
        for &w in movement::GOOD {
            add(w, Term::Good);
        }
        for &w in movement::UP {
            add(w, Term::Up);
        }
        for &w in movement::DOWN {
            add(w, Term::Down);
        }
        for &w in words::NEGATORS {
            add(w, Term::Negator);
        }
        for &(w, f) in words::INTENSIFIERS {
            add(w, Term::Intensifier(f));
        }
        for &w in words::CONTRAST {
            add(w, Term::Contrast);
        }
        for &w in words::CONCESSIVE {
            add(w, Term::Concessive);
        }
        Lexicon { terms }
    }

    /// The raw sum of the text's valences (before squashing).
    fn sum(&self, text: &str) -> f64 {
        let tokens = tokenize(text);
        let found = self.find(&tokens);
        let clause = clause_ids(&tokens);
        let weights = clause_weights(&tokens, &found, &clause);
        let mut used = vec![false; found.len()];
        let mut total = 0.0;
        for (i, f) in found.iter().enumerate() {
            let direction = match f.term {
                Term::Up => 1.0,
                Term::Down => -1.0,
                _ => continue,
            };
            let moved = nearest_object(&found, i, &clause);
            let value = match moved {
                Some(j) => {
                    used[j] = true;
                    match found[j].term {
                        Term::Bad(_) => -direction * MOVED,
                        _ => direction * MOVED,
                    }
                }
                None => direction * ALONE,
            };
            total += self.modified(value, &tokens, &found, i, &clause) * weights[f.start];
        }
        for (i, f) in found.iter().enumerate() {
            let value = match f.term {
                Term::Valence(v) => v,
                Term::Bad(v) if !used[i] => v,
                _ => continue,
            };
            if value != 0.0 {
                total += self.modified(value, &tokens, &found, i, &clause) * weights[f.start];
            }
        }
        total
    }

    /// `value` of the term `found[i]` with the negators and intensifiers around it applied.
    fn modified(
        &self,
        value: f64,
        tokens: &[Token],
        found: &[Found],
        i: usize,
        clause: &[usize],
    ) -> f64 {
        let here = found[i];
        let mut value = value;
        // Every found term spans a word at least, so those within reach are a few indices away.
        let near = &found[i.saturating_sub(NEGATION_REACH + 1)..(i + 2).min(found.len())];
        for other in near {
            if clause[other.start] != clause[here.start] {
                continue;
            }
            match other.term {
                Term::Negator
                    if other.end <= here.start && here.start - other.end < NEGATION_REACH =>
                {
                    value *= NEGATED;
                }
                // "sharply higher", "rose sharply": next to the term on either side.
                Term::Intensifier(factor) if other.end == here.start || other.start == here.end => {
                    value *= factor;
                }
                _ => {}
            }
        }
        // "n't" negates as "not" does.
        let from = here.start.saturating_sub(NEGATION_REACH);
        if tokens[from..here.start]
            .iter()
            .any(|t| matches!(t, Token::Word(w) if w.ends_with("n't")))
        {
            value *= NEGATED;
        }
        value
    }

    /// The known terms of `tokens`, the longest phrase at each position, left to right.
    fn find(&self, tokens: &[Token]) -> Vec<Found> {
        let mut found = Vec::new();
        let mut at = 0;
        while at < tokens.len() {
            let mut matched = None;
            for len in (1..=LONGEST).rev() {
                let Some(words) = words_at(tokens, at, len) else {
                    continue;
                };
                if let Some(&term) = self.terms.get(words.as_str()) {
                    matched = Some((len, term));
                    break;
                }
            }
            match matched {
                Some((len, term)) if counts(term, tokens, at, len) => {
                    found.push(Found {
                        start: at,
                        end: at + len,
                        term,
                    });
                    at += len;
                }
                _ => at += 1,
            }
        }
        found
    }

    /// The sentiment of `text`: the lexicon cannot fail.
    pub fn sentiment(&self, text: &str) -> Sentiment {
        let sum = self.sum(text);
        // VADER's normalisation: near-linear for small sums, approaching ±1 for large ones.
        let score = sum / (sum * sum + 1.0).sqrt();
        let label = if score >= THRESHOLD {
            Label::Positive
        } else if score <= -THRESHOLD {
            Label::Negative
        } else {
            Label::Neutral
        };
        Sentiment { label, score }
    }
}

impl Scorer for Lexicon {
    fn name(&self) -> &'static str {
        "lexicon"
    }

    fn version(&self) -> &str {
        VERSION
    }

    fn score_batch(&self, texts: &[&str]) -> anyhow::Result<Vec<Sentiment>> {
        Ok(texts.iter().map(|text| self.sentiment(text)).collect())
    }
}

/// Whether a matched term counts here: "up" and "down" are movements only before a figure
/// ("Sensex up 300 points"), not in "set up" or "up to".
fn counts(term: Term, tokens: &[Token], at: usize, len: usize) -> bool {
    let word = match &tokens[at] {
        Token::Word(w) => w.as_str(),
        Token::Break => return false,
    };
    if len == 1 && matches!(term, Term::Up | Term::Down) && matches!(word, "up" | "down") {
        return matches!(tokens.get(at + 1), Some(Token::Word(next)) if next.starts_with(|c: char| c.is_ascii_digit()));
    }
    true
}

/// The `len` words from `at`, joined by spaces; `None` across a clause break or the end.
fn words_at(tokens: &[Token], at: usize, len: usize) -> Option<String> {
    let slice = tokens.get(at..at + len)?;
    let mut out = String::new();
    for token in slice {
        let Token::Word(w) = token else {
            return None;
        };
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    Some(out)
}

/// The nearest thing a movement `found[i]` can have moved: same clause, within [`REACH`]
/// words, the one before it preferred at equal distance ("net sales rose", "rise in sales").
fn nearest_object(found: &[Found], i: usize, clause: &[usize]) -> Option<usize> {
    let here = found[i];
    let from = i.saturating_sub(REACH + 1);
    found
        .iter()
        .enumerate()
        .skip(from)
        .take(2 * REACH + 3)
        .filter(|(_, f)| matches!(f.term, Term::Good | Term::Bad(_)))
        .filter(|(_, f)| clause[f.start] == clause[here.start])
        .filter_map(|(j, f)| {
            let distance = if f.end <= here.start {
                (here.start - f.end, 0)
            } else {
                (f.start.saturating_sub(here.end), 1)
            };
            (distance.0 <= REACH).then_some((distance, j))
        })
        .min()
        .map(|(_, j)| j)
}

/// The clause each token belongs to (numbered from 0, a break starting the next).
fn clause_ids(tokens: &[Token]) -> Vec<usize> {
    let mut id = 0;
    tokens
        .iter()
        .map(|t| {
            if *t == Token::Break {
                id += 1;
            }
            id
        })
        .collect()
}

/// Each token's weight from contrast: before "but" less, after it more; a clause opened by
/// "despite" less.
fn clause_weights(tokens: &[Token], found: &[Found], clause: &[usize]) -> Vec<f64> {
    let mut weights = vec![1.0; tokens.len()];
    if let Some(pivot) = found.iter().find(|f| f.term == Term::Contrast) {
        for (i, w) in weights.iter_mut().enumerate() {
            *w = if i < pivot.start {
                BEFORE_CONTRAST
            } else {
                AFTER_CONTRAST
            };
        }
    }
    for f in found.iter().filter(|f| f.term == Term::Concessive) {
        for (i, w) in weights.iter_mut().enumerate().skip(f.start) {
            if clause[i] != clause[f.start] {
                break;
            }
            *w *= CONCEDED;
        }
    }
    weights
}

/// Lower-case words (letters, digits, apostrophes, and `.` or `,` inside a figure) and
/// clause breaks. Anything else, hyphens included, separates words.
fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    let chars: Vec<char> = text.chars().take(MAX_CHARS).collect();
    let flush = |word: &mut String, tokens: &mut Vec<Token>| {
        if !word.is_empty() {
            tokens.push(Token::Word(std::mem::take(word)));
        }
    };
    for (i, &c) in chars.iter().enumerate() {
        let in_figure = i > 0
            && chars[i - 1].is_ascii_digit()
            && chars.get(i + 1).is_some_and(char::is_ascii_digit);
        if c.is_alphanumeric() {
            word.extend(c.to_lowercase());
        } else if (c == '\'' || c == '’') && !word.is_empty() {
            word.push('\'');
        } else if (c == '.' || c == ',') && in_figure {
            word.push(c);
        } else {
            flush(&mut word, &mut tokens);
            if matches!(c, ',' | ';' | ':' | '.' | '!' | '?' | '|')
                && tokens.last() != Some(&Token::Break)
            {
                tokens.push(Token::Break);
            }
        }
    }
    flush(&mut word, &mut tokens);
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(text: &str) -> Label {
        Lexicon::new().sentiment(text).label
    }

    #[test]
    fn the_issue_s_phrases_have_their_sign() {
        for text in [
            "Infosys beats estimates",
            "Record profit for Tata Motors",
            "Broker upgrades HDFC Bank to buy",
        ] {
            assert_eq!(label(text), Label::Positive, "{text}");
        }
        for text in [
            "Wipro cuts guidance for FY26",
            "Analyst downgrade to sell on Paytm",
            "Net loss widens at Vodafone Idea",
            "Margin pressure seen for cement makers",
        ] {
            assert_eq!(label(text), Label::Negative, "{text}");
        }
    }

    #[test]
    fn a_movement_takes_its_sign_from_what_moved() {
        assert_eq!(label("Net profit rose 12%"), Label::Positive);
        assert_eq!(label("Losses rose 12%"), Label::Negative);
        assert_eq!(label("The company narrowed its net loss"), Label::Positive);
        assert_eq!(label("Operating costs were cut"), Label::Positive);
        assert_eq!(label("Sales declined in the quarter"), Label::Negative);
    }

    #[test]
    fn negation_turns_a_term_around() {
        assert_eq!(label("Results were strong"), Label::Positive);
        assert_eq!(label("Results were not strong"), Label::Negative);
        assert_eq!(label("Results weren't strong"), Label::Negative);
    }

    #[test]
    fn intensifiers_scale_and_contrast_weighs_the_second_clause() {
        let s = |t: &str| Lexicon::new().sentiment(t).score;
        assert!(
            s("Profit rose sharply") > s("Profit rose")
                && s("Profit rose") > s("Profit rose slightly")
        );
        assert_eq!(
            label("Revenue grew, but margins fell sharply"),
            Label::Negative
        );
        assert_eq!(
            label("Despite weak demand, profit rose strongly"),
            Label::Positive
        );
    }

    #[test]
    fn a_fact_without_direction_is_neutral_and_up_to_is_not_a_rise() {
        assert_eq!(
            label("The company has 200 employees in Pune"),
            Label::Neutral
        );
        assert_eq!(
            label("The deal is worth up to Rs 500 crore"),
            Label::Neutral
        );
        assert_eq!(label("Sensex up 300 points"), Label::Positive);
        assert_eq!(
            label("Board fixes record date for dividend"),
            Label::Neutral
        );
    }

    #[test]
    fn scores_stay_in_range_for_any_text() {
        let lexicon = Lexicon::new();
        let long = "record profit beats estimates strong ".repeat(2000);
        for text in ["", "   ", ",,,;;", "🙂 €", long.as_str(), "n't n't not no"] {
            let s = lexicon.sentiment(text).score;
            assert!((-1.0..=1.0).contains(&s), "{s}");
        }
    }

    #[test]
    fn figures_stay_one_word() {
        assert_eq!(
            tokenize("Up 5.2%, to 1,200"),
            vec![
                Token::Word("up".into()),
                Token::Word("5.2".into()),
                Token::Break,
                Token::Word("to".into()),
                Token::Word("1,200".into()),
            ]
        );
    }
}
