//! The optional package `make sentiment-model` builds (packaging/sentiment-model/): the model
//! where the job looks for it, the licences it carries, and lintian's verdict. `make test`
//! builds it first.

use std::path::PathBuf;
use std::process::Command;

use testkit::deb::{assert_lintian_clean, output, top};

fn deb() -> PathBuf {
    let path = top().join(format!(
        "target/sentiment-model/upstox-jobs-sentiment-model_{}_all.deb",
        env!("CARGO_PKG_VERSION")
    ));
    assert!(
        path.exists(),
        "{} is missing: run `make sentiment-model` (make test does)",
        path.display()
    );
    path
}

#[test]
fn the_package_installs_one_checkpoint_where_the_job_looks_with_its_notices() {
    let deb = deb();
    let listing = output(Command::new("dpkg-deb").arg("--contents").arg(&deb));
    let dir = "./usr/share/upstox-jobs/sentiment-model/";
    for file in [
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "vocab.txt",
    ] {
        assert!(
            listing.contains(&format!("{dir}{file}")),
            "{file} missing:\n{listing}"
        );
    }
    let copyright = "./usr/share/doc/upstox-jobs-sentiment-model/copyright";
    assert!(listing.contains(copyright), "{listing}");

    let control = output(Command::new("dpkg-deb").arg("--field").arg(&deb));
    for field in [
        "Package: upstox-jobs-sentiment-model",
        "Architecture: all",
        "Enhances: upstox-jobs",
    ] {
        assert!(control.contains(field), "{field} missing:\n{control}");
    }

    // The shipped config.json names the classes, so the job maps them without configuration,
    // and the notice keeps the base model's and the training data's licences.
    let unpacked = tempfile::tempdir().expect("a scratch directory");
    output(
        Command::new("dpkg-deb")
            .arg("-x")
            .arg(&deb)
            .arg(unpacked.path()),
    );
    let config = std::fs::read_to_string(unpacked.path().join(&dir[2..]).join("config.json"))
        .expect("config.json");
    let config: serde_json::Value = serde_json::from_str(&config).expect("JSON");
    assert_eq!(config["architectures"][0], "BertForSequenceClassification");
    let labels: Vec<&str> = (0..3)
        .map(|i| config["id2label"][i.to_string()].as_str().expect("a label"))
        .collect();
    assert_eq!(labels, ["negative", "positive", "neutral"]);
    let notice =
        std::fs::read_to_string(unpacked.path().join(&copyright[2..])).expect("the copyright");
    for needed in [
        "License: Apache-2.0",
        "Twitter Financial News Sentiment",
        "PhraseBank",
    ] {
        assert!(notice.contains(needed), "{needed} missing from the notice");
    }
}

#[test]
fn lintian_reports_no_errors_and_no_warnings() {
    assert_lintian_clean(&deb());
}
