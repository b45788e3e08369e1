//! The model scorer through the binary: `score --scorer model` runs each tiny checkpoint of
//! tests/fixtures/news/models (BERT, BERT from vocab.txt, DistilBERT, RoBERTa) and prints the
//! label and score its independent logits (expected.json, made by make_tiny.py) give; a run
//! configured with the model stores its results under its name and version; a configured model
//! that is absent or broken is said once and the lexicon scores; a model asked for on the
//! command line that cannot be loaded is exit 78.

use std::path::{Path, PathBuf};

use serde_json::Value;
use testkit::news::{BIN, NewsWorld, fixture, rss};
use testkit::run::JobRun;

fn models() -> PathBuf {
    fixture("models")
}

fn expected() -> Value {
    let text = std::fs::read_to_string(models().join("expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// `[jobs.news-sentiment]`'s keys choosing the model in `dir`.
fn model_keys(dir: &Path) -> String {
    format!("scorer = \"model\"\nmodel_dir = \"{}\"\n", dir.display())
}

fn model_config(dir: &Path) -> String {
    format!("[jobs.news-sentiment]\n{}", model_keys(dir))
}

/// Label and P(positive) − P(negative) from logits and the checkpoint's class names.
fn sentiment(logits: &[f64], names: &[String]) -> (String, f64) {
    let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exp: Vec<f64> = logits.iter().map(|l| (l - max).exp()).collect();
    let total: f64 = exp.iter().sum();
    let read = |name: &str| match name.to_ascii_lowercase().as_str() {
        "positive" | "bullish" => "positive",
        "negative" | "bearish" => "negative",
        _ => "neutral",
    };
    let mut score = 0.0;
    let mut best = (0, f64::NEG_INFINITY);
    for (i, e) in exp.iter().enumerate() {
        match read(&names[i]) {
            "positive" => score += e / total,
            "negative" => score -= e / total,
            _ => {}
        }
        if *e > best.1 {
            best = (i, *e);
        }
    }
    (read(&names[best.0]).to_string(), score)
}

#[test]
fn score_prints_what_each_checkpoints_independent_logits_say() {
    let expected = expected();
    let sentences: Vec<String> = expected["sentences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect();
    let input = sentences.join("\n") + "\n";
    for (name, model) in expected["models"].as_object().unwrap() {
        let names: Vec<String> = model["labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap().to_string())
            .collect();
        let ran = JobRun::new(BIN)
            .config(&model_config(&models().join(name)))
            .args(["score", "--scorer", "model"])
            .stdin(input.clone().into_bytes())
            .run()
            .ok();
        let lines: Vec<&str> = ran.stdout.lines().collect();
        assert_eq!(lines.len(), sentences.len(), "{name}: {}", ran.stdout);
        for (line, result) in lines.iter().zip(model["results"].as_array().unwrap()) {
            let logits: Vec<f64> = result["logits"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l.as_f64().unwrap())
                .collect();
            let (label, score) = sentiment(&logits, &names);
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(cols[0], label, "{name}: {line}");
            let printed: f64 = cols[1].parse().unwrap();
            assert!(
                (printed - score).abs() <= 5e-4 + 1e-9,
                "{name}: {line} vs {score}"
            );
            let (scorer, version) = cols[2].split_once('/').unwrap();
            assert_eq!(scorer, "model");
            assert!(
                version.len() == 12 && version.chars().all(|c| c.is_ascii_hexdigit()),
                "{line}"
            );
        }
        assert!(warnings(&ran.stderr).is_empty(), "{}", ran.stderr);
    }
}

#[test]
fn a_run_with_the_model_stores_its_results_under_its_name_and_version() {
    let dir = models().join("bert");
    let w = NewsWorld::start(&["et"], false, &model_keys(&dir));
    w.server.set_feed(
        "et",
        rss(&[
            (
                "Infosys beats estimates, raises guidance",
                "https://x.in/1",
                "Tue, 03 Feb 2026 09:10:00 +0530",
                "",
            ),
            (
                "RBI keeps repo rate unchanged",
                "https://x.in/2",
                "Tue, 03 Feb 2026 09:40:00 +0530",
                "",
            ),
        ]),
    );
    let ran = w.run(&[]).ok();
    assert!(!ran.stderr.contains("lexicon"), "{}", ran.stderr);
    let db = w.sandbox.db();
    let rows: Vec<(String, String)> = db
        .prepare("SELECT scorer, version FROM news_article_scores")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), 2);
    let printed = JobRun::new(BIN)
        .config(&model_config(&dir))
        .args(["score", "x"])
        .run()
        .ok();
    let version = printed
        .stdout
        .trim_end()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    for (scorer, v) in rows {
        assert_eq!((scorer.as_str(), v.as_str()), ("model", version.as_str()));
    }
}

/// A copy of the tiny BERT with `file` replaced by `bytes` (or removed when `None`).
fn broken(file: &str, bytes: Option<&[u8]>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(models().join("bert")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    match bytes {
        Some(bytes) => std::fs::write(dir.path().join(file), bytes).unwrap(),
        None => std::fs::remove_file(dir.path().join(file)).unwrap(),
    }
    dir
}

/// The warning lines of a run's log or a command's stderr.
fn warnings(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.contains("WARN") || l.contains("warning:"))
        .collect()
}

#[test]
fn a_configured_model_that_is_absent_or_broken_is_said_once_and_the_lexicon_scores() {
    let weights = std::fs::read(models().join("bert/model.safetensors")).unwrap();
    let config = std::fs::read_to_string(models().join("bert/config.json")).unwrap();
    let absent = tempfile::tempdir().unwrap();
    let cases: Vec<(tempfile::TempDir, PathBuf, &str)> = vec![
        {
            let p = absent.path().join("sentiment-model");
            (tempfile::tempdir().unwrap(), p, "is not a directory")
        },
        {
            let d = broken("config.json", Some(b"{\"architectures\": "));
            let p = d.path().to_path_buf();
            (d, p, "config.json: not valid JSON")
        },
        {
            let d = broken("model.safetensors", Some(&weights[..weights.len() / 2]));
            let p = d.path().to_path_buf();
            (d, p, "model.safetensors: is not a safetensors file")
        },
        {
            // Another hidden size than the weights have.
            let d = broken(
                "config.json",
                Some(
                    config
                        .replace("\"hidden_size\": 32", "\"hidden_size\": 16")
                        .as_bytes(),
                ),
            );
            let p = d.path().to_path_buf();
            (d, p, "model.safetensors: does not fit config.json")
        },
        {
            let d = broken(
                "config.json",
                Some(
                    config
                        .replace("\"positive\"", "\"LABEL_0\"")
                        .replace("\"negative\"", "\"LABEL_1\"")
                        .as_bytes(),
                ),
            );
            let p = d.path().to_path_buf();
            (d, p, "class 0 \"LABEL_0\"")
        },
        {
            let d = broken("tokenizer.json", None);
            let p = d.path().to_path_buf();
            (d, p, "has no tokenizer.json or vocab.txt")
        },
        {
            let d = broken("tokenizer.json", Some(&vec![b' '; 65 << 20]));
            let p = d.path().to_path_buf();
            (d, p, "tokenizer.json: is larger than")
        },
    ];
    for (_keep, dir, why) in &cases {
        let w = NewsWorld::start(&["et"], false, &model_keys(dir));
        w.server.set_feed(
            "et",
            rss(&[(
                "Infosys beats estimates, raises guidance",
                "https://x.in/1",
                "Tue, 03 Feb 2026 09:10:00 +0530",
                "",
            )]),
        );
        let ran = w.run(&[]).ok();
        let said = warnings(&ran.stderr);
        assert_eq!(said.len(), 1, "{why}: {}", ran.stderr);
        assert!(said[0].contains(&dir.display().to_string()), "{}", said[0]);
        assert!(said[0].contains(why), "{why}: {}", said[0]);
        assert!(said[0].contains("scoring with the lexicon"), "{}", said[0]);
        let scorer: String = w
            .sandbox
            .db()
            .query_row("SELECT scorer FROM news_article_scores", [], |r| r.get(0))
            .unwrap();
        assert_eq!(scorer, "lexicon", "{why}");
        // score without --scorer follows the configuration the same way, a line out per line in.
        let scored = JobRun::new(BIN)
            .config(&model_config(dir))
            .arg("score")
            .stdin(b"TCS beats estimates\nnet loss widens\n".to_vec())
            .run()
            .ok();
        let said = warnings(&scored.stderr);
        assert_eq!(said.len(), 1, "{}", scored.stderr);
        assert!(said[0].contains(why), "{why}: {}", said[0]);
        assert_eq!(scored.stdout.lines().count(), 2);
        assert!(scored.stdout.contains("lexicon/"), "{}", scored.stdout);
    }
}

#[test]
fn a_model_asked_for_that_cannot_be_loaded_is_a_configuration_error() {
    let absent = tempfile::tempdir().unwrap();
    let dir = absent.path().join("sentiment-model");
    let ran = JobRun::new(BIN)
        .config(&model_config(&dir))
        .args(["score", "--scorer", "model", "TCS beats estimates"])
        .run();
    assert_eq!(ran.code, Some(78), "{}", ran.stderr);
    assert!(ran.stdout.is_empty(), "{}", ran.stdout);
    let line = ran.stderr.trim_end().lines().last().unwrap();
    assert!(line.contains("--scorer model"), "{line}");
    assert!(line.contains(&dir.display().to_string()), "{line}");
    assert!(line.contains("upstox-jobs-sentiment-model"), "{line}");
    // With nothing configured the default directory is the one named (unless the package is
    // installed on this machine).
    if Path::new("/usr/share/upstox-jobs/sentiment-model").exists() {
        return;
    }
    let ran = JobRun::new(BIN)
        .args(["score", "--scorer", "model", "TCS beats estimates"])
        .run();
    assert_eq!(ran.code, Some(78), "{}", ran.stderr);
    assert!(
        ran.stderr
            .contains("/usr/share/upstox-jobs/sentiment-model"),
        "{}",
        ran.stderr
    );
}
