use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use chrono::Utc;

use super::*;
use crate::config::{HttpConfig, TelegramConfig};
use crate::shutdown::Shutdown;

const TOKEN: &str = "123456:AAFakeTokenForTests";

type Seen = Arc<Mutex<Vec<(Instant, String, String)>>>;

/// A Bot API stand-in on 127.0.0.1: answers each request with the next (status, body).
fn bot_api(answers: Vec<(u16, &'static str)>) -> (String, Seen) {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!("http://{}", server.server_addr().to_ip().unwrap());
    let seen: Seen = Arc::default();
    let log = Arc::clone(&seen);
    thread::spawn(move || {
        for (status, body) in answers {
            let Ok(mut request) = server.recv() else {
                return;
            };
            let mut text = String::new();
            let _ = request.as_reader().read_to_string(&mut text);
            log.lock()
                .unwrap()
                .push((Instant::now(), request.url().to_string(), text));
            let response = tiny_http::Response::from_string(body)
                .with_status_code(status)
                .with_header(
                    tiny_http::Header::from_bytes("Content-Type", "application/json").unwrap(),
                );
            let _ = request.respond(response);
        }
    });
    (url, seen)
}

fn db() -> (tempfile::TempDir, rusqlite::Connection) {
    let dir = tempfile::tempdir().unwrap();
    let conn = crate::db::open(
        &dir.path().join("m.db"),
        Duration::from_secs(1),
        &[crate::runs::SCHEMA],
    )
    .unwrap();
    (dir, conn)
}

fn telegram_senders<'a>(api: &str, http: &'a HttpClient, creds: &std::path::Path) -> Senders<'a> {
    std::fs::write(creds.join("telegram_bot_token"), format!("{TOKEN}\n")).unwrap();
    let config = crate::config::NotifyConfig {
        email: None,
        telegram: Some(TelegramConfig {
            chat_id: "-1001234".to_string(),
            api_base: api.to_string(),
        }),
    };
    Senders::new(&config, Some(creds), &BTreeMap::new(), http)
}

fn http() -> HttpClient {
    let config = HttpConfig {
        backoff_initial_ms: 10,
        requests_per_second: 1000.0,
        ..HttpConfig::default()
    };
    HttpClient::new(&config, Shutdown::never()).unwrap()
}

fn note(key: &str) -> Notification {
    Notification {
        key: key.to_string(),
        subject: "[upstox-jobs] upstox-market-sync.service failed".to_string(),
        body: "Unit: upstox-market-sync.service".to_string(),
    }
}

#[test]
fn telegram_waits_out_a_429_retry_after_and_sends_once() {
    let (api, seen) = bot_api(vec![
        (
            429,
            r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 1","parameters":{"retry_after":1}}"#,
        ),
        (200, r#"{"ok":true,"result":{"message_id":7}}"#),
    ]);
    let creds = tempfile::tempdir().unwrap();
    let http = http();
    let senders = telegram_senders(&api, &http, creds.path());
    let (_dir, conn) = db();
    let now = Utc::now();
    outbox::enqueue(&conn, &note("failure:x:1"), &senders.channels(), now).unwrap();
    assert_eq!(
        outbox::enqueue(&conn, &note("failure:x:1"), &senders.channels(), now).unwrap(),
        0,
        "deduplicated"
    );
    let report = deliver_due(&conn, &senders, now).unwrap();
    assert_eq!(
        report,
        Delivery {
            delivered: 1,
            failed: 0
        }
    );
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert!(
        seen[1].0 - seen[0].0 >= Duration::from_millis(950),
        "Retry-After from the JSON body honoured"
    );
    assert_eq!(seen[1].1, format!("/bot{TOKEN}/sendMessage"));
    let body: serde_json::Value = serde_json::from_str(&seen[1].2).unwrap();
    assert_eq!(body["chat_id"], "-1001234");
    assert!(
        body["text"]
            .as_str()
            .unwrap()
            .starts_with("[upstox-jobs] upstox-market-sync.service failed\n\nUnit:")
    );
    assert_eq!(
        deliver_due(&conn, &senders, Utc::now()).unwrap(),
        Delivery::default(),
        "nothing twice"
    );
}

#[test]
fn a_refused_message_is_kept_with_backoff_and_the_token_never_shows() {
    let (api, _seen) = bot_api(vec![(
        401,
        r#"{"ok":false,"error_code":401,"description":"Unauthorized"}"#,
    )]);
    let creds = tempfile::tempdir().unwrap();
    let http = http();
    let senders = telegram_senders(&api, &http, creds.path());
    let (_dir, conn) = db();
    let now = Utc::now();
    outbox::enqueue(&conn, &note("k"), &senders.channels(), now).unwrap();
    assert_eq!(
        deliver_due(&conn, &senders, now).unwrap(),
        Delivery {
            delivered: 0,
            failed: 1
        }
    );
    let (error, next): (String, String) = conn
        .query_row(
            "SELECT last_error, next_attempt_at FROM notification_outbox",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(
        error.contains("HTTP 401") && error.contains("<telegram_bot_token>"),
        "{error}"
    );
    assert!(!error.contains(TOKEN), "{error}");
    assert_eq!(
        next,
        crate::runs::timestamp(now + chrono::Duration::minutes(1))
    );
    assert_eq!(
        deliver_due(&conn, &senders, now).unwrap(),
        Delivery::default(),
        "not due before its backoff"
    );
}

#[test]
fn a_claimed_message_is_not_taken_by_another_process() {
    let (_dir, conn) = db();
    let now = Utc::now();
    outbox::enqueue(&conn, &note("k"), &[Channel::Email], now).unwrap();
    let first = outbox::claim_next(&conn, now).unwrap();
    assert!(first.is_some());
    assert!(
        outbox::claim_next(&conn, now).unwrap().is_none(),
        "claimed for five minutes"
    );
    let later = now + chrono::Duration::minutes(6);
    assert!(
        outbox::claim_next(&conn, later).unwrap().is_some(),
        "a claim of a dead process lapses"
    );
}

#[test]
fn backoff_doubles_to_six_hours_and_gives_up() {
    let (_dir, conn) = db();
    let now = Utc::now();
    outbox::enqueue(&conn, &note("k"), &[Channel::Email], now).unwrap();
    let id: i64 = conn
        .query_row("SELECT id FROM notification_outbox", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        outbox::failed(&conn, id, 3, "x", now).unwrap(),
        Some(now + chrono::Duration::minutes(4))
    );
    assert_eq!(
        outbox::failed(&conn, id, 13, "x", now).unwrap(),
        Some(now + chrono::Duration::hours(6))
    );
    assert_eq!(
        outbox::failed(&conn, id, outbox::MAX_ATTEMPTS, "x", now).unwrap(),
        None
    );
}
