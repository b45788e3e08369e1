use std::io::Read as _;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, RETRY_AFTER};

use super::fetch::retry_after;
use super::*;
use crate::exit::Exit;

/// One scripted answer: status, extra headers, body, and a delay before answering.
#[derive(Clone)]
struct Answer {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    delay: Duration,
}

fn answer(status: u16, body: &str) -> Answer {
    Answer {
        status,
        headers: vec![],
        body: body.as_bytes().to_vec(),
        delay: Duration::ZERO,
    }
}

/// When a request arrived, and its User-Agent.
type Arrival = (Instant, Option<String>);

/// Serves the answers in order on 127.0.0.1 and records when each request arrived.
struct Script {
    url: String,
    arrivals: Arc<Mutex<Vec<Arrival>>>,
}

fn serve(answers: Vec<Answer>) -> Script {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!("http://{}/file.csv", server.server_addr().to_ip().unwrap());
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&arrivals);
    thread::spawn(move || {
        for a in answers {
            let Ok(request) = server.recv() else { return };
            let ua = request
                .headers()
                .iter()
                .find(|h| h.field.equiv("User-Agent"))
                .map(|h| h.value.to_string());
            log.lock().unwrap().push((Instant::now(), ua));
            thread::sleep(a.delay);
            let mut response = tiny_http::Response::from_data(a.body).with_status_code(a.status);
            for (name, value) in a.headers {
                response.add_header(tiny_http::Header::from_bytes(name, value.as_bytes()).unwrap());
            }
            let _ = request.respond(response);
        }
    });
    Script { url, arrivals }
}

fn config() -> HttpConfig {
    HttpConfig {
        backoff_initial_ms: 10,
        backoff_max_secs: 0.05,
        retries: 3,
        timeout_secs: 0.5,
        requests_per_second: 1000.0,
        ..HttpConfig::default()
    }
}

fn client(config: &HttpConfig) -> HttpClient {
    HttpClient::new(config, Shutdown::never())
}

#[test]
fn two_server_errors_then_success_is_retried_and_succeeds() {
    let s = serve(vec![
        answer(500, "oops"),
        answer(503, "oops"),
        answer(200, "a,b\n"),
    ]);
    let fetched = client(&config()).get(&s.url, &[]).unwrap();
    assert_eq!(fetched.body, b"a,b\n");
    assert_eq!(fetched.attempts, 3);
    assert_eq!(s.arrivals.lock().unwrap().len(), 3);
}

#[test]
fn forbidden_is_not_retried() {
    let s = serve(vec![answer(403, "Access Denied"), answer(200, "never")]);
    let err = client(&config()).get(&s.url, &[]).unwrap_err();
    assert_eq!(err.status(), Some(StatusCode::FORBIDDEN));
    assert_eq!(err.exit(), Exit::Unavailable);
    assert_eq!(s.arrivals.lock().unwrap().len(), 1);
    assert!(
        err.to_string()
            .starts_with("HTTP 403 Forbidden from http://127.0.0.1:"),
        "{err}"
    );
}

/// Serves `first`, then a 200; returns how long the client waited before the second request.
fn wait_after(first: Answer, config: &HttpConfig) -> Duration {
    let s = serve(vec![first, answer(200, "ok")]);
    client(config).get(&s.url, &[]).unwrap();
    let arrivals = s.arrivals.lock().unwrap();
    arrivals[1].0 - arrivals[0].0
}

fn with_retry_after(status: u16, value: &str) -> Answer {
    let mut a = answer(status, "wait");
    a.headers.push(("Retry-After", value.to_string()));
    a
}

#[test]
fn retry_after_is_waited_for() {
    let gap = wait_after(with_retry_after(429, "1"), &config());
    assert!(gap >= Duration::from_millis(950), "retried after {gap:?}");
}

#[test]
fn retry_after_on_a_503_is_waited_for_too() {
    let gap = wait_after(with_retry_after(503, "1"), &config());
    assert!(gap >= Duration::from_millis(950), "retried after {gap:?}");
}

#[test]
fn retry_after_zero_still_backs_off() {
    let mut config = config();
    config.backoff_initial_ms = 300;
    config.backoff_max_secs = 1.0;
    let gap = wait_after(with_retry_after(429, "0"), &config);
    assert!(gap >= Duration::from_millis(290), "retried after {gap:?}");
}

#[test]
fn a_chunked_body_over_the_cap_is_refused_while_streaming() {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!("http://{}/big", server.server_addr().to_ip().unwrap());
    thread::spawn(move || {
        if let Ok(request) = server.recv() {
            // No Content-Length: tiny_http sends it chunked, so only the streaming cap can stop it.
            let body = std::io::repeat(b'x').take(3 * 1024 * 1024);
            let _ = request.respond(tiny_http::Response::new(
                200.into(),
                vec![],
                body,
                None,
                None,
            ));
        }
    });
    let mut config = config();
    config.max_body_mib = 1;
    config.timeout_secs = 10.0;
    let err = client(&config).get(&url, &[]).unwrap_err();
    assert!(matches!(err, HttpError::TooLarge { .. }), "{err}");
}

#[test]
fn retry_after_beyond_the_limit_fails_at_once_as_temporary_and_nothing_more_goes_there() {
    let s = serve(vec![with_retry_after(429, "3600"), answer(200, "late")]);
    let client = client(&config());
    let err = client.get(&s.url, &[]).unwrap_err();
    assert_eq!(err.exit(), Exit::TempFail);
    assert!(err.to_string().contains("Retry-After 3600s"), "{err}");
    assert!(
        matches!(err.halt(), Some((Halt::RateLimited { .. }, true))),
        "{err:?}"
    );
    let again = client.get(&s.url, &[]).unwrap_err();
    assert!(
        matches!(again.halt(), Some((Halt::RateLimited { .. }, false))),
        "{again:?}"
    );
    assert_eq!(
        s.arrivals.lock().unwrap().len(),
        1,
        "the host was not asked again"
    );
}

#[test]
fn a_host_that_times_out_twice_in_a_row_is_not_asked_again() {
    let slow = Answer {
        delay: Duration::from_secs(2),
        ..answer(200, "late")
    };
    let s = serve(vec![slow.clone(), slow, answer(200, "fast")]);
    let client = client(&HttpConfig {
        timeout_secs: 0.3,
        ..config()
    });
    let err = client.get(&s.url, &[]).unwrap_err();
    assert_eq!(err.exit(), Exit::Unavailable);
    assert!(
        matches!(err.halt(), Some((Halt::Unresponsive { .. }, true))),
        "{err:?}"
    );
    assert!(err.to_string().contains("stopped answering"), "{err}");
    let again = client.get(&s.url, &[]).unwrap_err();
    assert!(
        matches!(again.halt(), Some((Halt::Unresponsive { .. }, false))),
        "{again:?}"
    );
}

#[test]
fn no_request_outlasts_the_deadline_and_none_starts_after_it() {
    let slow = Answer {
        delay: Duration::from_secs(5),
        ..answer(200, "late")
    };
    let s = serve(vec![slow]);
    let client = client(&HttpConfig {
        timeout_secs: 30.0,
        ..config()
    })
    .with_deadline(Instant::now(), Duration::from_millis(600));
    let started = Instant::now();
    let err = client.get(&s.url, &[]).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(
        matches!(err.halt(), Some((Halt::Deadline { .. }, true))),
        "{err:?}"
    );
    let fork = client.fork();
    let again = fork.get(&s.url, &[]).unwrap_err();
    assert!(
        matches!(again.halt(), Some((Halt::Deadline { .. }, false))),
        "{again:?}"
    );
    assert_eq!(s.arrivals.lock().unwrap().len(), 1);
}

#[test]
fn persistent_server_errors_give_up_after_the_configured_retries() {
    let s = serve(vec![answer(500, "x"); 4]);
    let err = client(&config()).get(&s.url, &[]).unwrap_err();
    assert!(
        err.to_string().contains("gave up after 4 attempts"),
        "{err}"
    );
    assert_eq!(err.exit(), Exit::Unavailable);
}

#[test]
fn a_slow_server_times_out() {
    let mut slow = answer(200, "late");
    slow.delay = Duration::from_secs(2);
    let mut config = config();
    config.retries = 0;
    let s = serve(vec![slow]);
    let err = client(&config).get(&s.url, &[]).unwrap_err();
    assert!(matches!(err, HttpError::Timeout { .. }), "{err}");
    assert_eq!(err.exit(), Exit::Unavailable);
}

#[test]
fn a_body_over_the_cap_is_refused() {
    let mut config = config();
    config.max_body_mib = 1;
    let s = serve(vec![Answer {
        body: vec![b'x'; 1024 * 1024 + 1],
        ..answer(200, "")
    }]);
    let err = client(&config).get(&s.url, &[]).unwrap_err();
    assert!(matches!(err, HttpError::TooLarge { .. }), "{err}");
}

#[test]
fn the_cap_counts_bytes_after_content_encoding_is_decoded() {
    use std::io::Write as _;
    // 64 KiB of gzip that inflates to 4 MiB: the wire size is far under the cap, the body not.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&vec![b' '; 4 * 1024 * 1024]).unwrap();
    let bomb = gz.finish().unwrap();
    assert!(bomb.len() < 64 * 1024, "{}", bomb.len());
    let mut config = config();
    config.max_body_mib = 1;
    let s = serve(vec![Answer {
        headers: vec![("Content-Encoding", "gzip".to_string())],
        body: bomb,
        ..answer(200, "")
    }]);
    let err = client(&config).get(&s.url, &[]).unwrap_err();
    assert!(matches!(err, HttpError::TooLarge { .. }), "{err}");
    assert!(err.to_string().contains("max_body_mib"), "{err}");
}

#[test]
fn nothing_listening_is_a_connection_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut config = config();
    config.retries = 1;
    let err = client(&config)
        .get(&format!("http://127.0.0.1:{port}/x"), &[])
        .unwrap_err();
    assert!(err.to_string().contains("connection to"), "{err}");
    assert!(
        err.to_string().contains("gave up after 2 attempts"),
        "{err}"
    );
}

#[test]
fn requests_to_one_host_are_paced_and_carry_the_user_agent() {
    let mut config = config();
    config.requests_per_second = 5.0;
    let s = serve(vec![answer(200, "1"), answer(200, "2"), answer(200, "3")]);
    let client = client(&config);
    for _ in 0..3 {
        client.get(&s.url, &[]).unwrap();
    }
    let arrivals = s.arrivals.lock().unwrap();
    let span = arrivals[2].0 - arrivals[0].0;
    // Paced at 200 ms when sent; arrivals may bunch by the time a loaded machine takes to
    // start the first request. Unpaced, the three would arrive within a few milliseconds.
    assert!(
        span >= Duration::from_millis(300),
        "three requests within {span:?}"
    );
    assert!(arrivals[0].1.as_deref().unwrap().starts_with("Mozilla/5.0"));
}

#[test]
fn retry_after_accepts_an_http_date() {
    let mut headers = HeaderMap::new();
    let at = chrono::Utc::now() + chrono::Duration::seconds(30);
    headers.insert(
        RETRY_AFTER,
        at.to_rfc2822().replace("+0000", "GMT").parse().unwrap(),
    );
    let wait = retry_after(&headers).unwrap();
    assert!(
        wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
        "{wait:?}"
    );
}

#[test]
fn a_stop_does_not_wait_for_a_server_that_never_answers() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hang", listener.local_addr().unwrap());
    let held = thread::spawn(move || listener.accept());
    let shutdown = Shutdown::never();
    let mut config = config();
    config.timeout_secs = 60.0;
    let client = HttpClient::new(&config, shutdown.clone());
    let trigger = shutdown.clone();
    thread::spawn(move || {
        thread::sleep(Duration::from_millis(300));
        trigger.trigger(signal_hook::consts::SIGTERM);
    });
    let started = Instant::now();
    let err = client.get(&url, &[]).unwrap_err();
    assert!(matches!(err, HttpError::Interrupted { .. }), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    drop(held);
}

/// POSTs to a server that answers `first`, then 200; returns how many requests it saw.
fn posts_after(first: Answer) -> (Result<Fetched, HttpError>, usize) {
    let s = serve(vec![first, answer(200, "{}")]);
    let result = client(&config()).post_json(&s.url, &serde_json::json!({"text": "hi"}));
    let seen = s.arrivals.lock().unwrap().len();
    (result, seen)
}

#[test]
fn a_post_is_retried_only_where_the_server_cannot_have_acted() {
    for status in [500, 502, 503, 504, 408] {
        let (result, seen) = posts_after(answer(status, "oops"));
        let err = result.unwrap_err();
        assert_eq!(seen, 1, "HTTP {status} to a POST was retried: {err}");
        assert_eq!(err.status().map(|s| s.as_u16()), Some(status));
    }
    for first in [
        with_retry_after(503, "0"),
        with_retry_after(429, "0"),
        answer(429, "{}"),
    ] {
        let status = first.status;
        let (result, seen) = posts_after(first);
        assert!(result.is_ok(), "HTTP {status} then 200");
        assert_eq!(seen, 2, "HTTP {status} says the server did not act");
    }
}

#[test]
fn a_refusals_gist_is_its_words_without_markup() {
    use super::error::gist_of;
    let page =
        b"<html><head><title>Oops</title><style>p{x:1}</style><script>var a='<b>';</script></head>\
                 <body><p>No authorization   token\nwas found</p></body></html>";
    assert_eq!(
        gist_of(page).as_deref(),
        Some("Oops No authorization token was found")
    );
    assert_eq!(gist_of(b"").as_deref(), None);
    assert_eq!(gist_of(b"<html></html>").as_deref(), None);
    let long = "x ".repeat(500);
    assert!(gist_of(long.as_bytes()).unwrap().chars().count() <= 121);
}

#[test]
fn validators_come_back_and_a_304_is_an_answer_without_a_body() {
    let mut first = answer(200, "<rss/>");
    first.headers = vec![
        ("ETag", "\"v1\"".to_string()),
        ("Last-Modified", "Tue, 03 Feb 2026 04:24:00 GMT".to_string()),
    ];
    let script = serve(vec![first, answer(304, "")]);
    let http = client(&config());
    let fetched = http.get(&script.url, &[]).unwrap();
    assert!(!fetched.not_modified);
    assert_eq!(fetched.validators.etag.as_deref(), Some("\"v1\""));
    let headers = fetched.validators.headers();
    assert_eq!(
        headers,
        [
            ("If-None-Match", "\"v1\""),
            ("If-Modified-Since", "Tue, 03 Feb 2026 04:24:00 GMT")
        ]
    );
    let again = http.get(&script.url, &headers).unwrap();
    assert!(again.not_modified && again.body.is_empty());
}

#[test]
fn an_error_status_keeps_the_start_of_its_body_out_of_the_message() {
    let body = r#"{"status":"error","code":"apiKeyInvalid","message":"Your API key is invalid."}"#;
    let script = serve(vec![answer(401, body)]);
    let error = client(&config()).get(&script.url, &[]).unwrap_err();
    assert_eq!(error.body(), Some(body));
    assert!(!error.to_string().contains("apiKeyInvalid"), "{error}");
}
