//! The news-sentiment tests' world: a loopback server playing NewsAPI (`/v2/everything`, its
//! key checked, pages or scripted error bodies) and any number of RSS/Atom feeds (each with an
//! ETag, answered 304 when the client sends it back), a sandbox configured for it, and the
//! labelled fixtures (`tests/fixtures/news/`, and `../shared/fixtures/` when present).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::binary::Sandbox;
use crate::run::{JobRun, Ran};
use crate::server::Loopback;
use crate::world::fast_http;

/// The binary under test.
pub const BIN: &str = "upstox-news-sentiment";

/// The NewsAPI key the sandbox's credential file holds and the server requires.
pub const KEY: &str = "test-newsapi-key";

/// One scripted NewsAPI reply: a status and a body.
#[derive(Debug, Clone)]
pub struct ApiReply {
    /// The HTTP status.
    pub status: u16,
    /// The body.
    pub body: String,
}

#[derive(Default)]
struct State {
    /// Feed path (`/feeds/<name>.xml`) → body and ETag.
    feeds: HashMap<String, (Vec<u8>, String)>,
    /// NewsAPI's answers, one per request, the last repeated; empty: an empty result.
    api: Vec<ApiReply>,
    /// Every request: path with query, and whether it was answered 304.
    log: Vec<(String, bool)>,
}

/// The server; it stops when dropped.
pub struct NewsServer(Loopback<State>);

impl NewsServer {
    /// Starts on a free port of 127.0.0.1.
    pub fn start() -> Self {
        NewsServer(Loopback::start(0, State::default(), answer).expect("a loopback port"))
    }

    /// The base URL.
    pub fn url(&self) -> &str {
        self.0.url()
    }

    /// The URL of feed `name`.
    pub fn feed_url(&self, name: &str) -> String {
        format!("{}/feeds/{name}.xml", self.0.url())
    }

    /// Serves `body` as feed `name`, with a new ETag.
    pub fn set_feed(&self, name: &str, body: impl Into<Vec<u8>>) {
        let mut st = self.0.state();
        let etag = format!("\"{name}-{}\"", st.log.len() + st.feeds.len() + 1);
        st.feeds
            .insert(format!("/feeds/{name}.xml"), (body.into(), etag));
    }

    /// NewsAPI's replies from now on, in order (the last repeats).
    pub fn set_api(&self, replies: Vec<ApiReply>) {
        self.0.state().api = replies;
    }

    /// The requests so far whose path starts with `prefix`, with their query.
    pub fn requests(&self, prefix: &str) -> Vec<String> {
        self.0
            .state()
            .log
            .iter()
            .filter(|(p, _)| p.starts_with(prefix))
            .map(|(p, _)| p.clone())
            .collect()
    }

    /// How many requests were answered 304.
    pub fn not_modified(&self) -> usize {
        self.0.state().log.iter().filter(|(_, n)| *n).count()
    }
}

fn answer(request: tiny_http::Request, state: &Mutex<State>) {
    let full = request.url().to_string();
    let path = full.split('?').next().unwrap_or("/").to_string();
    let header = |name: &'static str| {
        request
            .headers()
            .iter()
            .find(|h| h.field.equiv(name))
            .map(|h| h.value.as_str().to_string())
    };
    let (if_none_match, key) = (header("If-None-Match"), header("X-Api-Key"));
    let mut st = state.lock().unwrap();
    let response = if path == "/v2/everything" {
        st.log.push((full, false));
        if key.as_deref() != Some(KEY) {
            json(
                401,
                r#"{"status":"error","code":"apiKeyInvalid","message":"Your API key is invalid or incorrect."}"#,
            )
        } else {
            let reply = match st.api.len() {
                0 => ApiReply {
                    status: 200,
                    body: r#"{"status":"ok","totalResults":0,"articles":[]}"#.to_string(),
                },
                1 => st.api[0].clone(),
                _ => st.api.remove(0),
            };
            json(reply.status, &reply.body)
        }
    } else if let Some((body, etag)) = st.feeds.get(&path).cloned() {
        let unchanged = if_none_match.as_deref() == Some(etag.as_str());
        st.log.push((full, unchanged));
        if unchanged {
            tiny_http::Response::from_data(Vec::new())
                .with_status_code(304)
                .with_header(header_of("ETag", &etag))
        } else {
            tiny_http::Response::from_data(body)
                .with_header(header_of("Content-Type", "application/rss+xml"))
                .with_header(header_of("ETag", &etag))
        }
    } else {
        st.log.push((full, false));
        tiny_http::Response::from_data(b"not found".to_vec()).with_status_code(404)
    };
    drop(st);
    let _ = request.respond(response);
}

fn json(status: u16, body: &str) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
    tiny_http::Response::from_data(body.as_bytes().to_vec())
        .with_status_code(status)
        .with_header(header_of("Content-Type", "application/json"))
}

fn header_of(name: &str, value: &str) -> tiny_http::Header {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("a valid header")
}

/// A world: the server, a sandbox configured for it (its feeds, NewsAPI with a key when
/// `with_key`), and the extra configuration given.
pub struct NewsWorld {
    /// The loopback server.
    pub server: NewsServer,
    /// The sandbox.
    pub sandbox: Sandbox,
    feeds: Vec<String>,
    with_key: bool,
    extra: String,
}

impl NewsWorld {
    /// A world whose configuration names `feeds` (served by the server) and, if `with_key`,
    /// NewsAPI's key; `extra` is added to `[jobs.news-sentiment]`.
    pub fn start(feeds: &[&str], with_key: bool, extra: &str) -> Self {
        let server = NewsServer::start();
        let sandbox = Sandbox::new("");
        std::fs::write(sandbox.path().join("newsapi_key"), KEY).expect("key written");
        let world = NewsWorld {
            server,
            sandbox,
            feeds: feeds.iter().map(|f| f.to_string()).collect(),
            with_key,
            extra: extra.to_string(),
        };
        world.write_config("");
        world
    }

    /// Rewrites the configuration with `top` (common tables) added before the job's.
    pub fn write_config(&self, top: &str) {
        let feeds: Vec<String> = self
            .feeds
            .iter()
            .map(|f| {
                format!(
                    "{{ name = \"{f}\", url = \"{}\" }}",
                    self.server.feed_url(f)
                )
            })
            .collect();
        let credentials = if self.with_key {
            format!(
                "[credentials]\nnewsapi_key = \"{}\"\n",
                self.sandbox.path().join("newsapi_key").display()
            )
        } else {
            String::new()
        };
        self.sandbox.write_config(&format!(
            "{}{credentials}{top}\n[jobs.news-sentiment]\nfeeds = [{}]\n{}\n[jobs.news-sentiment.newsapi]\nbase_url = \"{}\"\n",
            fast_http(0, 0.1),
            feeds.join(", "),
            self.extra,
            self.server.url()
        ));
    }

    /// A run of the job here.
    pub fn job(&self) -> JobRun<'_> {
        self.sandbox.job(BIN)
    }

    /// Runs the job with `args`.
    pub fn run(&self, args: &[&str]) -> Ran<'_> {
        self.job().args(args).run()
    }

    /// `SELECT COUNT(*) FROM <table>`.
    pub fn count(&self, table: &str) -> i64 {
        self.sandbox
            .db()
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .expect("a count")
    }
}

/// An RSS 2.0 document with `items` (title, link, pubDate, description), as Indian feeds write
/// it: titles in CDATA with padding, HTML escaped in descriptions.
pub fn rss(items: &[(&str, &str, &str, &str)]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><title>Markets</title><link>https://news.example/</link>\n",
    );
    let escape = |t: &str| {
        t.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    for (title, link, date, description) in items {
        out.push_str(&format!(
            "<item><title><![CDATA[ {title} ]]></title><link>{}</link><pubDate>{date}</pubDate><description>{}</description></item>\n",
            escape(link),
            escape(description)
        ));
    }
    out.push_str("</channel></rss>\n");
    out
}

/// A NewsAPI answer with `articles` (title, url, publishedAt) of `total` results.
pub fn newsapi_page(total: usize, articles: &[(&str, &str, &str)]) -> String {
    let items: Vec<String> = articles
        .iter()
        .map(|(title, url, at)| {
            format!(
                r#"{{"source":{{"id":null,"name":"Mint"}},"author":null,"title":"{title}","description":"<p>{title}</p>","url":"{url}","urlToImage":null,"publishedAt":"{at}","content":"… [+1200 chars]"}}"#
            )
        })
        .collect();
    format!(
        r#"{{"status":"ok","totalResults":{total},"articles":[{}]}}"#,
        items.join(",")
    )
}

/// `../shared/fixtures/<rel>`, or `None` (with a visible message) where it is absent.
pub fn shared_fixture(rel: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures")
        .join(rel);
    if path.exists() {
        Some(path)
    } else {
        eprintln!(
            "SKIPPED: {} is absent (../shared is not beside the repository)",
            path.display()
        );
        None
    }
}

/// The Financial PhraseBank dev half from `../shared` as (sentences, labels), or None (said)
/// when `../shared` is absent. Read at run time, never copied: its licence allows measuring only.
pub fn phrasebank() -> Option<(Vec<String>, Vec<String>)> {
    let path = shared_fixture("sentiment/phrasebank_50agree_dev.txt")?;
    let text = std::fs::read_to_string(path).expect("the PhraseBank file");
    let pairs: (Vec<String>, Vec<String>) = text
        .lines()
        .filter_map(|l| l.rsplit_once('@'))
        .map(|(s, l)| (s.to_string(), l.to_string()))
        .unzip();
    assert_eq!(pairs.0.len(), 2423, "the dev half's 2,423 sentences");
    Some(pairs)
}

/// The project's own fixture `tests/fixtures/news/<name>`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/news")
        .join(name)
}

/// A labelled headline of `indian_headlines.tsv`.
#[derive(Debug, Clone)]
pub struct Headline {
    /// positive, negative or neutral.
    pub label: String,
    /// The NSE symbols it is about.
    pub symbols: Vec<String>,
    /// The headline.
    pub text: String,
}

/// The labelled Indian headlines.
pub fn headlines() -> Vec<Headline> {
    let text = std::fs::read_to_string(fixture("indian_headlines.tsv")).expect("the headlines");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut cols = l.splitn(3, '\t');
            let (label, symbols, text) = (
                cols.next().expect("a label"),
                cols.next().expect("symbols"),
                cols.next().expect("a headline"),
            );
            Headline {
                label: label.to_string(),
                symbols: symbols
                    .split(',')
                    .filter(|s| *s != "-")
                    .map(str::to_string)
                    .collect(),
                text: text.to_string(),
            }
        })
        .collect()
}

/// Accuracy and macro-F1 (the unweighted mean of the three classes' F1).
#[derive(Debug, Clone, Copy)]
pub struct Figures {
    /// Share of labels right.
    pub accuracy: f64,
    /// Mean per-class F1.
    pub macro_f1: f64,
}

/// The figures of `predicted` against `gold`.
pub fn figures(gold: &[String], predicted: &[String]) -> Figures {
    assert_eq!(gold.len(), predicted.len(), "one prediction per text");
    let right = gold.iter().zip(predicted).filter(|(g, p)| g == p).count();
    let mut f1 = 0.0;
    for class in ["positive", "negative", "neutral"] {
        let count = |f: &dyn Fn(&String, &String) -> bool| {
            gold.iter().zip(predicted).filter(|(g, p)| f(g, p)).count() as f64
        };
        let tp = count(&|g, p| g == class && p == class);
        let fp = count(&|g, p| g != class && p == class);
        let fn_ = count(&|g, p| g == class && p != class);
        let precision = if tp + fp > 0.0 { tp / (tp + fp) } else { 0.0 };
        let recall = if tp + fn_ > 0.0 { tp / (tp + fn_) } else { 0.0 };
        if precision + recall > 0.0 {
            f1 += 2.0 * precision * recall / (precision + recall);
        }
    }
    Figures {
        accuracy: right as f64 / gold.len() as f64,
        macro_f1: f1 / 3.0,
    }
}

/// Labels `texts` with `upstox-news-sentiment score` (standard input, one line each).
pub fn score_labels(texts: &[String]) -> Vec<String> {
    score_labels_with(texts, &[])
}

/// Labels `texts` with `upstox-news-sentiment score ARGS` (standard input, one line each),
/// e.g. with `--config` and `--scorer model`.
pub fn score_labels_with(texts: &[String], args: &[&str]) -> Vec<String> {
    let input = texts.join("\n") + "\n";
    let ran = crate::run::JobRun::new(BIN)
        .arg("score")
        .args(args.iter().copied())
        .stdin(input.into_bytes())
        .run()
        .ok();
    ran.stdout
        .lines()
        .map(|l| l.split('\t').next().unwrap_or("").to_string())
        .collect()
}
