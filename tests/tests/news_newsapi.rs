//! NewsAPI through a loopback server: pages until the result cap, the next run asks only from
//! the newest article on, each error body is a clear message and its exit code, the daily
//! request budget holds across runs, and without a key the feeds still run.

use testkit::Row;
use testkit::news::{ApiReply, NewsWorld, newsapi_page, rss};

/// A world with NewsAPI's key and no feed, two results a page and at most four a query
/// (two requests a run), and `extra_newsapi` in `[jobs.news-sentiment.newsapi]`.
fn world(extra_newsapi: &str) -> NewsWorld {
    let w = NewsWorld::start(&[], true, "");
    // The world's [newsapi] table is the file's last: the keys added go into it.
    let config = std::fs::read_to_string(w.sandbox.path().join("config.toml")).unwrap();
    w.sandbox.write_config(&format!(
        "{config}page_size = 2\nmax_results = 4\n{extra_newsapi}"
    ));
    w
}

fn ok(body: String) -> ApiReply {
    ApiReply { status: 200, body }
}

const P1: [(&str, &str, &str); 2] = [
    (
        "Paytm shares crash after RBI action",
        "https://x.in/paytm?utm_source=newsapi",
        "2026-02-03T06:00:00Z",
    ),
    (
        "TCS wins $2 billion deal",
        "https://x.in/tcs",
        "2026-02-03T05:00:00Z",
    ),
];
const P2: [(&str, &str, &str); 2] = [
    (
        "Nifty ends flat",
        "https://x.in/nifty",
        "2026-02-03T04:00:00Z",
    ),
    (
        "Infosys raises guidance",
        "https://x.in/infy",
        "2026-02-03T03:00:00Z",
    ),
];

#[test]
fn pages_until_the_cap_then_the_next_run_asks_from_the_newest_article() {
    let w = world("");
    w.server.set_api(vec![
        ok(newsapi_page(9, &P1)),
        ok(newsapi_page(9, &P2)),
        ok(newsapi_page(9, &P1[..1])),
    ]);
    w.run(&[]).expect(
        0,
        "stored 4 new articles",
        Row::status("succeeded").units(1, 0),
    );
    let first = w.server.requests("/v2/everything");
    assert_eq!(first.len(), 2, "max_results 4 at 2 a page: {first:?}");
    assert!(
        first[0].contains("page=1") && first[1].contains("page=2"),
        "{first:?}"
    );
    assert!(first[0].contains("sortBy=publishedAt"), "{first:?}");
    w.run(&[]).expect(
        0,
        "stored 0 new articles",
        Row::status("succeeded").units(1, 0),
    );
    let second = w.server.requests("/v2/everything");
    assert!(
        second[2].contains("from=2026-02-03T06%3A00%3A00"),
        "from the newest stored article: {}",
        second[2]
    );
}

#[test]
fn each_error_body_is_a_clear_message_and_its_exit_code() {
    for (status, code, exit, words) in [
        (
            401,
            "apiKeyInvalid",
            78,
            "check the key in the credential newsapi_key",
        ),
        (401, "apiKeyMissing", 78, "credential newsapi_key"),
        (429, "rateLimited", 75, "requests are spent for now"),
        (426, "maximumResultsReached", 78, "max_results"),
        (
            400,
            "parameterInvalid",
            78,
            "check [jobs.news-sentiment.newsapi]",
        ),
        (500, "unexpectedError", 69, "failed on its side"),
    ] {
        let w = world("");
        let body =
            format!(r#"{{"status":"error","code":"{code}","message":"Message of {code}."}}"#);
        w.server.set_api(vec![ApiReply { status, body }]);
        let ran = w
            .run(&[])
            .expect(exit, code, Row::status("failed").units(0, 1));
        assert!(ran.stderr.contains(words), "{code}: {}", ran.stderr);
        assert!(
            ran.stderr.contains(&format!("Message of {code}.")),
            "{}",
            ran.stderr
        );
    }
}

#[test]
fn the_result_cap_on_a_later_page_ends_paging_and_keeps_what_came() {
    let w = world("");
    let real = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/fixtures/real/newsapi/error_maximum_results_reached.json"),
    )
    .unwrap_or_else(|_| {
        r#"{"status":"error","code":"maximumResultsReached","message":"Developer accounts are limited to a max of 100 results."}"#.to_string()
    });
    w.server.set_api(vec![
        ok(newsapi_page(9, &P1)),
        ApiReply {
            status: 426,
            body: real,
        },
    ]);
    let ran = w.run(&[]).expect(
        0,
        "stored 2 new articles",
        Row::status("succeeded").units(1, 0),
    );
    assert!(
        ran.stderr.contains("result cap was reached"),
        "{}",
        ran.stderr
    );
}

#[test]
fn the_daily_request_budget_holds_across_runs() {
    let w = world("requests_per_day = 3\n");
    w.server.set_api(vec![
        ok(newsapi_page(9, &P1)),
        ok(newsapi_page(9, &P2)),
        ok(newsapi_page(9, &P1)),
    ]);
    w.run(&[]).ok();
    w.server.set_api(vec![ok(newsapi_page(1, &P1[..1]))]);
    w.run(&[]).ok();
    assert_eq!(w.server.requests("/v2/everything").len(), 3);
    w.run(&[])
        .expect(75, "request budget", Row::status("failed").units(0, 1));
    assert_eq!(
        w.server.requests("/v2/everything").len(),
        3,
        "the fourth request of the day was never sent"
    );
}

#[test]
fn without_a_key_the_feeds_still_run() {
    let w = NewsWorld::start(&["et"], false, "");
    w.server.set_feed(
        "et",
        rss(&[(
            "Sensex ends higher",
            "https://x.in/s",
            "Tue, 03 Feb 2026 09:54:00 +0530",
            "",
        )]),
    );
    let ran = w.run(&[]).expect(
        0,
        "stored 1 new articles",
        Row::status("succeeded").units(1, 0),
    );
    assert!(ran.stderr.contains("no NewsAPI key"), "{}", ran.stderr);
    assert!(w.server.requests("/v2").is_empty());
}
