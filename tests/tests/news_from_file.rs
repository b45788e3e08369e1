//! `--from-file` on the real samples (../shared/fixtures/real/: a NewsAPI page, its error
//! body, an Indian business RSS feed), and `--dry-run`, which prints articles, tags and scores
//! and writes nothing.

use testkit::Row;
use testkit::news::{NewsWorld, fixture, shared_fixture};

#[test]
fn the_real_newsapi_page_is_stored_once_per_story() {
    let Some(page) = shared_fixture("real/newsapi/everything.json") else {
        return;
    };
    let w = NewsWorld::start(&[], false, "");
    let path = page.display().to_string();
    let ran = w.run(&["--from-file", &path]).expect(
        0,
        "new articles",
        Row::status("succeeded").units(1, 0),
    );
    let stored = w.count("news_articles");
    assert!(stored >= 95, "{stored} of 100");
    assert!(
        ran.summary()
            .contains(&format!("stored {stored} new articles")),
        "{}",
        ran.summary()
    );
    let (source, at): (String, String) = w
        .sandbox
        .db()
        .query_row(
            "SELECT source, published_at FROM news_articles WHERE url = 'https://www.theverge.com/23778745/demis-hassabis-google-deepmind-ai-alphafold-risks'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (source.as_str(), at.as_str()),
        ("The Verge", "2023-07-10T19:42:53.000Z")
    );
    // A second time, nothing is new.
    w.run(&["--from-file", &path])
        .expect(0, "stored 0 new articles", Row::status("succeeded"));
    assert_eq!(w.count("news_articles"), stored);
}

#[test]
fn the_real_error_body_and_the_real_rss_feed() {
    let (Some(error), Some(feed)) = (
        shared_fixture("real/newsapi/error_maximum_results_reached.json"),
        shared_fixture("real/rss/tv9english_business.xml"),
    ) else {
        return;
    };
    let w = NewsWorld::start(&[], false, "");
    let ran = w
        .run(&["--from-file", &error.display().to_string()])
        .expect(
            65,
            "maximumResultsReached",
            Row::status("failed").units(0, 1),
        );
    assert!(
        ran.stderr.contains("Developer accounts are limited"),
        "{}",
        ran.stderr
    );
    w.run(&["--from-file", &feed.display().to_string()]).expect(
        0,
        "stored 1 new articles",
        Row::status("succeeded"),
    );
    let (title, at): (String, String) = w
        .sandbox
        .db()
        .query_row("SELECT title, published_at FROM news_articles", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(
        title,
        "US-India trade agreement: How tariff reductions will unlock growth for Indian exports & MSMEs"
    );
    assert_eq!(at, "2026-02-03T04:24:00.000Z");
}

#[test]
fn a_dry_run_prints_articles_tags_and_scores_and_writes_nothing() {
    let w = NewsWorld::start(&[], false, "");
    let feed = fixture("sample_feed.xml").display().to_string();
    let ran = w.run(&["--dry-run", "--from-file", &feed]).ok();
    assert!(
        ran.summary().contains("would store 3 new articles"),
        "{}",
        ran.summary()
    );
    let lines: Vec<&str> = ran.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", ran.stdout);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("negative") && l.contains("SBIN") && l.contains("SBI shares")),
        "{}",
        ran.stdout
    );
    assert!(
        lines.iter().any(|l| l.contains("2026-02-03 09:54 IST")),
        "{}",
        ran.stdout
    );
    let db = w.sandbox.db_path();
    if db.exists() {
        let n: i64 = w
            .sandbox
            .db()
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = 'news_articles'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 0, "a dry run creates no table");
    }
    // Stored for real, the same file prints nothing new in a dry run.
    w.run(&["--from-file", &feed]).ok();
    let again = w.run(&["--dry-run", "--from-file", &feed]).ok();
    assert!(again.stdout.is_empty(), "{}", again.stdout);
    assert!(
        again.summary().contains("3 already known"),
        "{}",
        again.summary()
    );
}
