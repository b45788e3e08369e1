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
        &crate::schemas::COMMON,
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
        timeout_secs: 2.0,
        ..HttpConfig::default()
    };
    HttpClient::new(&config, Shutdown::never())
}

fn note(key: &str) -> Notification {
    Notification {
        key: key.to_string(),
        subject: "[upstox-jobs] upstox-market-sync.service failed".to_string(),
        body: "Unit: upstox-market-sync.service".to_string(),
        attachments: Attachments::default(),
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
    let first = outbox::claim_next(&conn, now, &[]).unwrap().unwrap();
    assert!(
        outbox::claim_next(&conn, now, &[]).unwrap().is_none(),
        "claimed"
    );
    // Half an hour later the first holder's claim has lapsed (it died, or is still stuck).
    std::thread::sleep(Duration::from_millis(5));
    conn.execute(
        "UPDATE notification_outbox SET claimed_until = '2000-01-01T00:00:00.000Z'",
        [],
    )
    .unwrap();
    let second = outbox::claim_next(&conn, now, &[]).unwrap().unwrap();
    assert_ne!(first.token, second.token);
    // The first holder was only slow: its late outcome must not undo the new holder's claim.
    outbox::failed(&conn, &first, "late", now).unwrap();
    let holder: Option<String> = conn
        .query_row("SELECT claimed_by FROM notification_outbox", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(holder.as_deref(), Some(second.token.as_str()));
    outbox::delivered(&conn, &second, now).unwrap();
    let delivered: bool = conn
        .query_row(
            "SELECT delivered_at IS NOT NULL FROM notification_outbox",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(delivered);
}

#[test]
fn a_channel_that_is_down_does_not_stop_the_other() {
    let (api, seen) = bot_api(vec![(200, r#"{"ok":true,"result":{"message_id":1}}"#)]);
    let creds = tempfile::tempdir().unwrap();
    let http = http();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::write(creds.path().join("telegram_bot_token"), TOKEN).unwrap();
    let config = crate::config::NotifyConfig {
        email: Some(crate::config::EmailConfig {
            host: "127.0.0.1".to_string(),
            port: Some(port),
            security: crate::config::SmtpSecurity::None,
            username: None,
            from: "jobs@desk.example".to_string(),
            to: vec!["desk@desk.example".to_string()],
            ca_file: None,
        }),
        telegram: Some(TelegramConfig {
            chat_id: "1".to_string(),
            api_base: api,
        }),
    };
    let senders = Senders::new(&config, Some(creds.path()), &BTreeMap::new(), &http);
    let (_dir, conn) = db();
    let now = Utc::now();
    for key in ["a", "b"] {
        outbox::enqueue(&conn, &note(key), &[Channel::Email, Channel::Telegram], now).unwrap();
    }
    let report = deliver_due(&conn, &senders, now).unwrap();
    assert_eq!(
        seen.lock().unwrap().len(),
        1,
        "telegram got the first; the stand-in answers once"
    );
    assert_eq!(report.delivered, 1);
    let attempts: Vec<(String, i64)> = conn
        .prepare("SELECT channel, attempts FROM notification_outbox ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        attempts,
        vec![
            ("email".into(), 1),
            ("telegram".into(), 1),
            ("email".into(), 0),
            ("telegram".into(), 1)
        ],
        "email failed once and was not tried again in the pass; telegram went on"
    );
}

#[test]
fn backoff_doubles_to_six_hours_and_gives_up() {
    let (_dir, conn) = db();
    let now = Utc::now();
    outbox::enqueue(&conn, &note("k"), &[Channel::Email], now).unwrap();
    let mut claim = outbox::claim_next(&conn, now, &[]).unwrap().unwrap();
    for (attempts, delay) in [
        (3, Some(chrono::Duration::minutes(4))),
        (13, Some(chrono::Duration::hours(6))),
        (outbox::MAX_ATTEMPTS, None),
    ] {
        claim.attempts = attempts;
        conn.execute(
            "UPDATE notification_outbox SET claimed_by = ?1",
            [&claim.token],
        )
        .unwrap();
        assert_eq!(
            outbox::failed(&conn, &claim, "x", now).unwrap(),
            delay.map(|d| now + d)
        );
    }
}

#[test]
fn an_attachment_round_trips_with_the_email_row_and_goes_when_it_is_purged() {
    let (_dir, conn) = db();
    let now = Utc::now();
    let chart = Attachment {
        name: "performance-2026-11-27.png".to_string(),
        mime: "image/png".to_string(),
        bytes: b"\x89PNG\r\n\x1a\n rest".to_vec(),
    };
    let mut n = note("performance:2026-11-27");
    n.attachments.add(chart.clone()).unwrap();
    outbox::enqueue(&conn, &n, &[Channel::Email, Channel::Telegram], now).unwrap();
    let email = outbox::claim_next(&conn, now, &[Channel::Telegram])
        .unwrap()
        .unwrap();
    assert_eq!(email.attachments.iter().collect::<Vec<_>>(), [&chart]);
    let telegram = outbox::claim_next(&conn, now, &[Channel::Email])
        .unwrap()
        .unwrap();
    assert!(telegram.attachments.is_empty());
    conn.execute("DELETE FROM notification_outbox", []).unwrap();
    let left: i64 = conn
        .query_row("SELECT count(*) FROM notification_attachments", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(left, 0);
}
