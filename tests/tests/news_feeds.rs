//! RSS feeds through a loopback server: the first run stores, a rerun finds nothing new (each
//! feed answers 304 to its own ETag), a changed feed brings only its new story, one story in
//! two feeds is stored once, HTML and CDATA and +0530/GMT/IST dates come out clean, and a
//! broken feed fails alone while the others are stored.

use testkit::Row;
use testkit::news::{NewsWorld, rss};

const A: (&str, &str, &str, &str) = (
    "Infosys Q3 profit rises 12%, beats estimates",
    "https://economictimes.indiatimes.com/markets/infosys-q3.cms?utm_source=rss&from=mdr",
    "Tue, 03 Feb 2026 09:54:00 +0530",
    "<p>Shares of <b>Infosys</b> rose&nbsp;3% &amp; more</p><img src=\"x.jpg\">",
);
const B: (&str, &str, &str, &str) = (
    "Sensex tanks 800 points as FIIs sell",
    "https://www.moneycontrol.com/news/sensex-tanks.html",
    "Tue, 03 Feb 2026 04:24:00 GMT",
    "Markets fell sharply.",
);
const C: (&str, &str, &str, &str) = (
    "SBI shares slump 4% as deposit growth disappoints",
    "https://www.livemint.com/market/sbi-slump",
    "Tue, 03 Feb 2026 11:00:00 IST",
    "",
);

fn text(db: &rusqlite::Connection, sql: &str) -> String {
    db.query_row(sql, [], |r| r.get(0)).expect(sql)
}

#[test]
fn first_run_stores_a_rerun_gets_304s_and_a_changed_feed_brings_only_what_is_new() {
    let w = NewsWorld::start(&["et", "mc"], false, "");
    w.server.set_feed("et", rss(&[A, B]));
    w.server.set_feed("mc", rss(&[B]));
    w.run(&[]).expect(
        0,
        "stored 2 new articles",
        Row::status("succeeded").units(2, 0),
    );
    assert_eq!(w.count("news_articles"), 2, "B from two feeds is one story");
    w.run(&[]).expect(
        0,
        "2 feeds not modified",
        Row::status("succeeded").units(2, 0),
    );
    assert_eq!(w.server.not_modified(), 2);
    assert_eq!(w.count("news_articles"), 2);
    // The same stories under tracking parameters, and one new one.
    let a_again = (
        A.0,
        "https://economictimes.indiatimes.com/markets/infosys-q3.cms?utm_medium=x",
        A.2,
        A.3,
    );
    w.server.set_feed("et", rss(&[a_again, C, B]));
    w.run(&[]).expect(
        0,
        "stored 1 new articles",
        Row::status("succeeded").units(2, 0),
    );
    assert_eq!(w.count("news_articles"), 3);
}

#[test]
fn html_cdata_and_indian_zones_come_out_clean_and_in_utc() {
    let w = NewsWorld::start(&["et"], false, "");
    w.server.set_feed("et", rss(&[A, B, C]));
    w.run(&[]).ok();
    let db = w.sandbox.db();
    let row = |url_part: &str| -> (String, String, String, String) {
        db.query_row(
            "SELECT url, title, description, published_at FROM news_articles WHERE url LIKE ?1",
            [format!("%{url_part}%")],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .expect(url_part)
    };
    let (url, title, description, at) = row("infosys");
    assert_eq!(
        url,
        "https://economictimes.indiatimes.com/markets/infosys-q3.cms"
    );
    assert_eq!(title, A.0, "CDATA padding trimmed");
    assert_eq!(description, "Shares of Infosys rose 3% & more");
    assert_eq!(at, "2026-02-03T04:24:00.000Z");
    assert_eq!(row("sensex").3, "2026-02-03T04:24:00.000Z", "GMT");
    assert_eq!(row("sbi").3, "2026-02-03T05:30:00.000Z", "IST");
    let symbols = text(
        &db,
        "SELECT group_concat(symbol) FROM news_article_symbols JOIN news_articles ON id = article_id WHERE url LIKE '%sbi%'",
    );
    assert_eq!(symbols, "SBIN", "tagged by the built-in alias list");
    let label = text(
        &db,
        "SELECT label FROM news_article_scores JOIN news_articles ON id = article_id WHERE url LIKE '%sensex%'",
    );
    assert_eq!(label, "negative");
}

#[test]
fn a_broken_feed_fails_alone_and_the_others_are_stored() {
    let w = NewsWorld::start(&["good", "broken", "html"], false, "");
    w.server.set_feed("good", rss(&[A]));
    w.server
        .set_feed("broken", "<rss><channel><item><title>cut off");
    w.server.set_feed(
        "html",
        "<!DOCTYPE html><html><body>Subscribe!</body></html>",
    );
    let ran = w
        .run(&[])
        .expect(1, "broken", Row::status("partial").units(1, 2));
    assert!(
        ran.stderr.contains("not an RSS or Atom feed"),
        "{}",
        ran.stderr
    );
    assert_eq!(w.count("news_articles"), 1);
}
