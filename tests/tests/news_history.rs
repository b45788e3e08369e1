//! `sentiment_history` per symbol per IST hour and day, recomputed for the buckets a run
//! touched: a rerun leaves it as it was, a new article changes only its buckets, and
//! `rescore` writes the same figures again under its scorer's name.

use testkit::news::{BIN, NewsWorld, rss};

const SBI: [(&str, &str, &str, &str); 3] = [
    (
        "SBI shares slump 4% as deposit growth disappoints",
        "https://x.in/1",
        "Tue, 03 Feb 2026 09:10:00 +0530",
        "",
    ),
    (
        "SBI Q3 net profit jumps 12%, beats estimates",
        "https://x.in/2",
        "Tue, 03 Feb 2026 09:40:00 +0530",
        "",
    ),
    (
        "SBI board to meet on Friday",
        "https://x.in/3",
        "Tue, 03 Feb 2026 11:15:00 +0530",
        "",
    ),
];

type Row = (String, String, i64, f64, i64, i64, i64);

fn history(w: &NewsWorld) -> Vec<Row> {
    let db = w.sandbox.db();
    let mut stmt = db
        .prepare(
            "SELECT period, period_start, articles, mean_score, positive, negative, neutral
             FROM sentiment_history WHERE symbol = 'SBIN' AND scorer = 'lexicon'
             ORDER BY period, period_start",
        )
        .unwrap();
    stmt.query_map([], |r| {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
        ))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

#[test]
fn hours_and_days_are_recomputed_for_what_a_run_touched() {
    let w = NewsWorld::start(&["et"], false, "");
    w.server.set_feed("et", rss(&SBI[..2]));
    w.run(&[]).ok();
    let first = history(&w);
    let scores: Vec<f64> = {
        let db = w.sandbox.db();
        let mut stmt = db
            .prepare("SELECT score FROM news_article_scores ORDER BY article_id")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let mean = (scores[0] + scores[1]) / 2.0;
    // 09:10 and 09:40 IST: one hour (03:30 UTC), one day (from 18:30 UTC the day before).
    assert_eq!(first.len(), 2, "{first:?}");
    assert_eq!(
        (first[0].0.as_str(), first[0].1.as_str(), first[0].2),
        ("day", "2026-02-02T18:30:00.000Z", 2)
    );
    assert_eq!(
        (first[1].0.as_str(), first[1].1.as_str(), first[1].2),
        ("hour", "2026-02-03T03:30:00.000Z", 2)
    );
    assert!((first[0].3 - mean).abs() < 1e-9 && (first[1].3 - mean).abs() < 1e-9);
    assert_eq!((first[0].4, first[0].5, first[0].6), (1, 1, 0));

    // A rerun of the same feed (a new ETag, nothing new) changes nothing.
    w.server.set_feed("et", rss(&SBI[..2]));
    w.run(&[]).ok();
    assert_eq!(history(&w), first);

    // A third story at 11:15 IST: a new hour, and the day recounted.
    w.server.set_feed("et", rss(&SBI));
    w.run(&[]).ok();
    let third = history(&w);
    assert_eq!(third.len(), 3, "{third:?}");
    assert_eq!(third[0].2, 3);
    assert_eq!(third[0].6, 1, "one neutral");
    assert_eq!(&third[1], &first[1], "the 09:00 hour untouched");
    assert_eq!(
        (third[2].1.as_str(), third[2].2),
        ("2026-02-03T05:30:00.000Z", 1)
    );

    // rescore: the same scorer writes the same figures again.
    let ran = w
        .sandbox
        .job(BIN)
        .args(["rescore", "--since", "2026-02-03", "--scorer", "lexicon"])
        .run()
        .ok();
    assert!(ran.stdout.contains("rescored 3 articles"), "{}", ran.stdout);
    let rescored = history(&w);
    assert_eq!(rescored.len(), third.len());
    for (a, b) in rescored.iter().zip(&third) {
        assert_eq!(
            (&a.0, &a.1, a.2, a.4, a.5, a.6),
            (&b.0, &b.1, b.2, b.4, b.5, b.6)
        );
        assert!((a.3 - b.3).abs() < 1e-9);
    }
    let per_scorer: i64 = w
        .sandbox
        .db()
        .query_row(
            "SELECT COUNT(*) FROM news_article_scores WHERE scorer = 'lexicon'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(per_scorer, 3, "one result per article and scorer");
}
