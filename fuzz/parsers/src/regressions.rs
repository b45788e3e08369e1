//! Every input a fuzz target ever crashed, hung or blew up on (`fuzz/regressions/<target>/`)
//! and every minimised corpus input (`fuzz/corpus/<target>/`), run through the production
//! entry point under stable `cargo test`: a fix that is reverted panics, or hangs, here.

use std::path::{Path, PathBuf};

use crate::targets::{TARGETS, find};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The files under `fuzz/<kind>/<target>/`, each with its target's name; a directory that
/// names no target fails the test (a renamed target would silently lose its inputs). No
/// directory at all is none (git keeps no empty one).
fn inputs(kind: &str) -> Vec<(&'static str, PathBuf)> {
    let dir = fuzz_dir().join(kind);
    let mut all = Vec::new();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return all;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let target =
            find(&name).unwrap_or_else(|| panic!("{} names no fuzz target", path.display()));
        for file in std::fs::read_dir(&path).unwrap() {
            all.push((target.name, file.unwrap().path()));
        }
    }
    all.sort();
    all
}

/// Runs every input of `kind`; how many there were.
fn run_all(kind: &str) -> usize {
    let inputs = inputs(kind);
    for (target, file) in &inputs {
        let data = std::fs::read(file).unwrap();
        eprintln!("{target} {}", file.display());
        (find(target).unwrap().run)(&data);
    }
    inputs.len()
}

#[test]
fn every_crashing_slow_or_corpus_input_returns() {
    let regressions = run_all("regressions");
    let corpus = run_all("corpus");
    assert!(corpus > 0, "fuzz/corpus is empty");
    eprintln!("{regressions} regression inputs and {corpus} corpus inputs returned");
}

#[test]
fn every_target_is_a_cargo_fuzz_target_with_a_corpus() {
    let crate_dir = fuzz_dir().join("targets");
    let manifest = std::fs::read_to_string(crate_dir.join("Cargo.toml")).unwrap();
    for t in TARGETS {
        let source = crate_dir
            .join("fuzz_targets")
            .join(format!("{}.rs", t.name));
        let text = std::fs::read_to_string(&source)
            .unwrap_or_else(|e| panic!("{}: {e}", source.display()));
        assert!(
            text.contains(&format!("parsers::run(\"{}\"", t.name)),
            "{}",
            source.display()
        );
        assert!(
            manifest.contains(&format!("name = \"{}\"", t.name)),
            "{} not in fuzz/targets/Cargo.toml",
            t.name
        );
        assert!(
            fuzz_dir().join("corpus").join(t.name).is_dir(),
            "no fuzz/corpus/{}",
            t.name
        );
        if let Some(dict) = t.dict {
            assert!(
                fuzz_dir()
                    .join("dicts")
                    .join(format!("{dict}.dict"))
                    .is_file(),
                "{dict}"
            );
        }
    }
}
