//! The lexicon scorer's figures, through `upstox-news-sentiment score` on standard input (one
//! line out per line in): on the Financial PhraseBank dev half (read from ../shared at run
//! time, never copied: its licence is non-commercial) and on the project's labelled Indian
//! headlines. The floors are the README's figures: a change that lowers them fails here.

use testkit::news::{BIN, figures, headlines, phrasebank, score_labels};
use testkit::run::JobRun;

/// The README's figures on the PhraseBank dev half.
const PHRASEBANK_ACCURACY: f64 = 0.731;
const PHRASEBANK_MACRO_F1: f64 = 0.676;

/// The README's figures on the Indian headlines.
const HEADLINES_ACCURACY: f64 = 0.881;
const HEADLINES_MACRO_F1: f64 = 0.871;

#[test]
fn phrasebank_dev_half_figures_hold() {
    let Some((sentences, gold)) = phrasebank() else {
        return;
    };
    let f = figures(&gold, &score_labels(&sentences));
    println!(
        "PhraseBank dev half: accuracy {:.3}, macro-F1 {:.3}",
        f.accuracy, f.macro_f1
    );
    assert!(f.accuracy >= PHRASEBANK_ACCURACY - 5e-4, "{f:?}");
    assert!(f.macro_f1 >= PHRASEBANK_MACRO_F1 - 5e-4, "{f:?}");
}

#[test]
fn indian_headline_figures_hold() {
    let all = headlines();
    let texts: Vec<String> = all.iter().map(|h| h.text.clone()).collect();
    let gold: Vec<String> = all.iter().map(|h| h.label.clone()).collect();
    let f = figures(&gold, &score_labels(&texts));
    println!(
        "Indian headlines ({}): accuracy {:.3}, macro-F1 {:.3}",
        all.len(),
        f.accuracy,
        f.macro_f1
    );
    assert!(f.accuracy >= HEADLINES_ACCURACY - 5e-4, "{f:?}");
    assert!(f.macro_f1 >= HEADLINES_MACRO_F1 - 5e-4, "{f:?}");
}

#[test]
fn score_prints_label_score_and_scorer_for_a_text_and_for_each_line() {
    let one = JobRun::new(BIN)
        .args(["score", "Infosys cuts guidance; shares plunge"])
        .run()
        .ok();
    let cols: Vec<&str> = one.stdout.trim_end().split('\t').collect();
    assert_eq!(cols[0], "negative", "{}", one.stdout);
    let score: f64 = cols[1].parse().expect("a score");
    assert!((-1.0..0.0).contains(&score), "{score}");
    assert_eq!(cols[2], "lexicon/1");
    // Empty, long and invalid UTF-8 lines each get their line out, in order.
    let mut input = b"TCS beats estimates\n\n".to_vec();
    input.extend(b"\xff\xfe broken bytes\n");
    input.extend("record profit ".repeat(10_000).into_bytes());
    input.extend(b"\nnet loss widens\n");
    let many = JobRun::new(BIN)
        .args(["score", "--scorer", "lexicon"])
        .stdin(input)
        .run()
        .ok();
    let labels: Vec<&str> = many
        .stdout
        .lines()
        .map(|l| l.split('\t').next().unwrap_or(""))
        .collect();
    assert_eq!(
        labels,
        ["positive", "neutral", "neutral", "positive", "negative"],
        "{}",
        many.stdout
    );
}
