//! Symbol tagging measured on the labelled Indian headlines (tests/fixtures/news/): precision
//! and recall over (headline, symbol) pairs, with the companies as nse_sector_info names them.
//! The figures are the README's; the test fails if either drops below them.

use std::collections::BTreeMap;

use news_sentiment::tagging::{Company, Tagger};
use testkit::news::{fixture, headlines};

/// What the README reports.
const PRECISION: f64 = 1.0;
const RECALL: f64 = 0.994;

fn companies() -> Vec<Company> {
    let text = std::fs::read_to_string(fixture("companies.csv")).expect("companies.csv");
    text.lines()
        .skip(1)
        .map(|l| {
            let (symbol, name) = l.split_once(',').expect("symbol,name");
            Company {
                symbol: symbol.to_string(),
                name: name.to_string(),
            }
        })
        .collect()
}

#[test]
fn tagging_precision_and_recall_on_the_labelled_headlines_hold() {
    let tagger = Tagger::new(&companies(), &BTreeMap::new());
    let all = headlines();
    assert!(all.len() >= 150, "{} headlines", all.len());
    let (mut tp, mut fp, mut fn_) = (0, 0, 0);
    let mut misses = Vec::new();
    for h in &all {
        let got = tagger.tag(&h.text);
        for s in &got {
            if h.symbols.contains(s) {
                tp += 1;
            } else {
                fp += 1;
                misses.push(format!("extra {s}: {}", h.text));
            }
        }
        for s in &h.symbols {
            if !got.contains(s) {
                fn_ += 1;
                misses.push(format!("missed {s}: {}", h.text));
            }
        }
    }
    let precision = f64::from(tp) / f64::from(tp + fp);
    let recall = f64::from(tp) / f64::from(tp + fn_);
    println!(
        "tagging on {} headlines: precision {precision:.3}, recall {recall:.3}",
        all.len()
    );
    for m in &misses {
        println!("  {m}");
    }
    assert!(
        precision >= PRECISION - 5e-4,
        "precision {precision:.3} < {PRECISION}"
    );
    assert!(recall >= RECALL - 5e-4, "recall {recall:.3} < {RECALL}");
}
