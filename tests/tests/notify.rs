//! Failure reports and the notification outbox, end to end: the built binaries, a real SMTP
//! server process on loopback, and the dead-man's-switch pings.

use std::path::PathBuf;

use testkit::{FixtureServer, Reply, Sandbox, SmtpServer, SmtpTls};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/nse")
}

fn config(url: &str, smtp_port: u16, extra: &str) -> String {
    config_with(url, smtp_port, "none", extra)
}

fn config_with(url: &str, smtp_port: u16, security: &str, extra: &str) -> String {
    format!(
        "[http]\nrequests_per_second = 1000\nretries = 0\n\
         [notify.email]\nhost = \"127.0.0.1\"\nport = {smtp_port}\nsecurity = \"{security}\"\n\
         from = \"jobs@desk.example\"\nto = [\"desk@desk.example\"]\n{extra}\
         [jobs.nse-index-update]\nbase_url = \"{url}\"\n"
    )
}

fn notify_failure(sandbox: &Sandbox) -> testkit::Outcome {
    notify_failure_trusting(sandbox, None)
}

/// `notify-failure`, trusting the system store, or only `ca` (by `SSL_CERT_FILE`, which
/// overrides the system store where the platform verifier reads it).
fn notify_failure_trusting(sandbox: &Sandbox, ca: Option<&std::path::Path>) -> testkit::Outcome {
    let mut cmd = sandbox.command_without_data_dir("upstox-jobs", &[]);
    cmd.env_remove("SSL_CERT_FILE").env_remove("SSL_CERT_DIR");
    if let Some(ca) = ca {
        cmd.env("SSL_CERT_FILE", ca);
    }
    cmd.arg("--data-dir")
        .arg(sandbox.data_dir())
        .args(["notify-failure", "upstox-nse-index-update.service"]);
    cmd.output().unwrap().into()
}

/// (channel, attempts, delivered) of every outbox row.
fn outbox(sandbox: &Sandbox) -> Vec<(String, i64, bool)> {
    testkit::alerts::outbox(&sandbox.db())
        .into_iter()
        .map(|(_, channel, attempts, delivered)| (channel, attempts, delivered))
        .collect()
}

#[test]
fn a_failure_report_arrives_by_email_with_the_unit_and_the_last_run() {
    let server = FixtureServer::start(&fixtures(), 0).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(dir.path(), 0);
    let sandbox = Sandbox::new(&config(server.url(), smtp.port, ""));
    server.script(
        "ind_niftyitlist.csv",
        vec![Reply::Status(403, "denied".into())],
    );
    assert_eq!(
        sandbox
            .run("upstox-nse-index-update", &["--index", "NIFTYIT"])
            .code,
        Some(69)
    );

    let out = notify_failure(&sandbox);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let mail = smtp.messages();
    assert_eq!(mail.len(), 1);
    assert!(
        mail[0].contains("Subject: [upstox-jobs] upstox-nse-index-update.service failed on "),
        "{}",
        mail[0]
    );
    assert!(mail[0].contains("To: desk@desk.example"), "{}", mail[0]);
    assert!(
        mail[0].contains("Unit: upstox-nse-index-update.service"),
        "{}",
        mail[0]
    );
    assert!(
        mail[0].contains("Last run in job_runs: failed: NIFTYIT: HTTP 403 Forbidden"),
        "{}",
        mail[0]
    );
    assert!(mail[0].contains("journal lines:"), "{}", mail[0]);
    assert_eq!(outbox(&sandbox), vec![("email".to_string(), 1, true)]);
}

#[test]
fn with_the_smtp_server_down_the_outbox_keeps_the_report_and_the_next_run_delivers_it_once() {
    let server = FixtureServer::start(&fixtures(), 0).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sandbox = Sandbox::new(&config(server.url(), port, ""));

    let out = notify_failure(&sandbox);
    assert_eq!(out.code, Some(0), "queued is enough: {}", out.stderr);
    assert!(
        out.stderr
            .contains("0 notification(s) sent, 1 waiting in the outbox"),
        "{}",
        out.stderr
    );
    assert_eq!(outbox(&sandbox), vec![("email".to_string(), 1, false)]);

    // The retry waits for its backoff; make it due now, as a minute later would.
    sandbox
        .db()
        .execute(
            "UPDATE notification_outbox SET next_attempt_at = '2000-01-01T00:00:00.000Z'",
            [],
        )
        .unwrap();
    let smtp = SmtpServer::start(dir.path(), port);
    let run = sandbox.run("upstox-nse-index-update", &["--index", "NIFTYBANK"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stderr.contains("notifications: 1 sent"),
        "{}",
        run.stderr
    );
    assert_eq!(smtp.messages().len(), 1);
    sandbox.run("upstox-nse-index-update", &["--index", "NIFTYBANK"]);
    assert_eq!(smtp.messages().len(), 1, "delivered once");
    assert_eq!(outbox(&sandbox), vec![("email".to_string(), 2, true)]);
}

#[test]
fn the_dead_mans_switch_is_pinged_at_start_success_and_failure() {
    let server = FixtureServer::start(&fixtures(), 0).unwrap();
    for path in ["ping/abc/start", "ping/abc", "ping/abc/fail"] {
        server.script(path, vec![Reply::Body(b"OK".to_vec())]);
    }
    let pings = format!(
        "[pings]\nnse-index-update = \"{}/ping/abc\"\n",
        server.url()
    );
    let sandbox = Sandbox::new(&config(server.url(), 9, &pings));
    assert_eq!(
        sandbox
            .run("upstox-nse-index-update", &["--index", "NIFTYBANK"])
            .code,
        Some(0)
    );
    assert_eq!(server.arrivals("ping/abc/start").len(), 1);
    assert_eq!(server.arrivals("ping/abc").len(), 1);
    assert!(server.arrivals("ping/abc/fail").is_empty());
    server.script(
        "ind_niftybanklist.csv",
        vec![Reply::Status(500, "x".into())],
    );
    assert_eq!(
        sandbox
            .run("upstox-nse-index-update", &["--index", "NIFTYBANK"])
            .code,
        Some(69)
    );
    assert_eq!(server.arrivals("ping/abc/fail").len(), 1);
    assert_eq!(server.arrivals("ping/abc/start").len(), 2);
    let dry = sandbox.run(
        "upstox-nse-index-update",
        &["--index", "NIFTYBANK", "--dry-run"],
    );
    assert_eq!(dry.code, Some(69));
    assert_eq!(
        server.arrivals("ping/abc/start").len(),
        2,
        "a dry run pings nothing"
    );
}

#[test]
fn a_report_goes_by_starttls_and_by_tls_to_a_server_the_trust_store_vouches_for() {
    for (tls, security) in [(SmtpTls::Starttls, "starttls"), (SmtpTls::Implicit, "tls")] {
        let server = FixtureServer::start(&fixtures(), 0).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let smtp = SmtpServer::start_with(dir.path(), 0, tls);
        let sandbox = Sandbox::new(&config_with(server.url(), smtp.port, security, ""));
        let out = notify_failure_trusting(&sandbox, Some(&testkit::test_ca()));
        assert_eq!(out.code, Some(0), "{security}: {}", out.stderr);
        assert!(
            out.stderr.contains("1 notification(s) sent, 0 waiting"),
            "{security}: {}",
            out.stderr
        );
        let mail = smtp.messages();
        assert_eq!(mail.len(), 1, "{security}");
        assert!(
            mail[0].contains("Unit: upstox-nse-index-update.service"),
            "{}",
            mail[0]
        );
    }
}

#[test]
fn a_private_ca_named_by_ca_file_is_trusted_for_starttls_and_tls() {
    for (tls, security) in [(SmtpTls::Starttls, "starttls"), (SmtpTls::Implicit, "tls")] {
        let server = FixtureServer::start(&fixtures(), 0).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let smtp = SmtpServer::start_with(dir.path(), 0, tls);
        let ca = format!("ca_file = \"{}\"\n", testkit::test_ca().display());
        let sandbox = Sandbox::new(&config_with(server.url(), smtp.port, security, &ca));
        // The system store alone does not know the test CA (the next test): the file does.
        let out = notify_failure_trusting(&sandbox, None);
        assert!(
            out.stderr.contains("1 notification(s) sent, 0 waiting"),
            "{security}: {}",
            out.stderr
        );
        assert_eq!(smtp.messages().len(), 1, "{security}");
    }
}

#[test]
fn a_ca_file_that_is_missing_or_holds_no_certificate_keeps_the_report_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    for (path, why) in [
        (dir.path().join("absent.pem"), "No such file"),
        (empty, "holds no PEM certificate"),
    ] {
        let ca = format!("ca_file = \"{}\"\n", path.display());
        let sandbox = Sandbox::new(&config_with("http://127.0.0.1:9", 25, "tls", &ca));
        let out = notify_failure(&sandbox);
        assert!(
            out.stderr.contains("0 notification(s) sent, 1 waiting"),
            "{}",
            out.stderr
        );
        let error = last_error(&sandbox);
        assert!(
            error.contains("[notify.email] ca_file") && error.contains(why),
            "{error}"
        );
    }
}

#[test]
fn a_server_whose_certificate_the_trust_store_does_not_vouch_for_gets_nothing() {
    for (tls, security) in [(SmtpTls::Starttls, "starttls"), (SmtpTls::Implicit, "tls")] {
        let server = FixtureServer::start(&fixtures(), 0).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let smtp = SmtpServer::start_with(dir.path(), 0, tls);
        let sandbox = Sandbox::new(&config_with(server.url(), smtp.port, security, ""));
        // The system store has no test CA.
        let out = notify_failure_trusting(&sandbox, None);
        assert_eq!(out.code, Some(0), "queued is enough: {}", out.stderr);
        assert!(
            out.stderr.contains("0 notification(s) sent, 1 waiting"),
            "{security}: {}",
            out.stderr
        );
        let error = last_error(&sandbox);
        assert!(
            error.contains("UnknownIssuer"),
            "{security}: the cause is kept: {error}"
        );
        assert!(smtp.messages().is_empty(), "{security}");
        assert_eq!(outbox(&sandbox), vec![("email".to_string(), 1, false)]);
    }
}

/// A bot token as Telegram issues them; it must appear in no output and no stored row.
const BOT_TOKEN: &str = "123456789:AAHtestTokenThatMustNeverBeShown";

/// A sandbox whose reports go to Telegram at `api` only, with three retries.
fn telegram_sandbox(api: &str) -> Sandbox {
    let sandbox = Sandbox::new("");
    let token = sandbox.path().join("telegram_bot_token");
    std::fs::write(&token, format!("{BOT_TOKEN}\n")).unwrap();
    sandbox.write_config(&format!(
        "[http]\nrequests_per_second = 1000\nretries = 3\nbackoff_initial_ms = 10\n\
         [credentials]\ntelegram_bot_token = \"{}\"\n\
         [notify.telegram]\nchat_id = \"-1001234\"\napi_base = \"{api}\"\n",
        token.display()
    ));
    sandbox
}

#[test]
fn a_telegram_message_answered_500_is_not_sent_again() {
    let server = FixtureServer::start(&fixtures(), 0).unwrap();
    let send = format!("bot{BOT_TOKEN}/sendMessage");
    server.script(
        &send,
        vec![
            Reply::Status(
                500,
                r#"{"ok":false,"error_code":500,"description":"Internal Server Error"}"#.into(),
            ),
            Reply::Body(br#"{"ok":true,"result":{"message_id":1}}"#.to_vec()),
        ],
    );
    let sandbox = telegram_sandbox(server.url());
    let out = notify_failure(&sandbox);
    assert_eq!(out.code, Some(0), "queued is enough: {}", out.stderr);
    assert_eq!(
        server.arrivals(&send).len(),
        1,
        "the server may have sent it before failing: {}",
        out.stderr
    );
    assert_eq!(outbox(&sandbox), vec![("telegram".to_string(), 1, false)]);
    let error = last_error(&sandbox);
    assert!(error.contains("HTTP 500"), "the cause is kept: {error}");
}

/// The outbox's last error.
fn last_error(sandbox: &Sandbox) -> String {
    sandbox
        .db()
        .query_row("SELECT last_error FROM notification_outbox", [], |r| {
            r.get(0)
        })
        .unwrap()
}
