//! Every secret the process holds stays out of every log line, error and stored row, whatever
//! text carries it: an Upstox error message that quotes the token, a Telegram answer or URL
//! that holds the bot token.

use testkit::sync::*;
use testkit::{Fault, FixtureServer, Reply, Row, Sandbox};

/// An Upstox answer that quotes the token it was sent, as a misbehaving gateway might.
fn echoing(token: &str) -> String {
    format!(
        r#"{{"status":"error","errors":[{{"errorCode":"UDAPI100050","message":"Invalid token used to access API: {token}"}}]}}"#
    )
}

#[test]
fn an_upstox_token_quoted_back_by_the_server_is_shown_by_its_name_only() {
    let w = World::new();
    w.server.script(
        "/v3/historical-candle",
        vec![Fault::Status(200, echoing(TOKEN), None)],
    );
    let out = w
        .run(&["--no-options", "--no-quotes", "--interval", "day"])
        .expect(
            1,
            "Invalid token used to access API: <upstox_token>",
            Row::status("partial")
                .units(2, 1)
                .error("Invalid token used to access API: <upstox_token>"),
        );
    assert!(!out.stderr.contains(TOKEN), "{}", out.stderr);
    let row = out.row().unwrap();
    assert!(
        !format!("{row:?}").contains(TOKEN),
        "job_runs keeps no token: {row:?}"
    );
}

/// A bot token as Telegram issues them.
const BOT_TOKEN: &str = "123456789:AAHtestTokenThatMustNeverBeShown";

/// `upstox-jobs notify-failure` with Telegram at `api` only; returns its stderr.
fn notify_by_telegram(sandbox: &Sandbox, api: &str) -> String {
    let token = sandbox.path().join("telegram_bot_token");
    std::fs::write(&token, format!("{BOT_TOKEN}\n")).unwrap();
    sandbox.write_config(&format!(
        "[http]\nrequests_per_second = 1000\nretries = 0\n\
         [credentials]\ntelegram_bot_token = \"{}\"\n\
         [notify.telegram]\nchat_id = \"-1001234\"\napi_base = \"{api}\"\n",
        token.display()
    ));
    let out = sandbox
        .command_without_data_dir("upstox-jobs", &[])
        .arg("--data-dir")
        .arg(sandbox.data_dir())
        .args(["notify-failure", "upstox-market-sync.service"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "queued is enough: {stderr}");
    stderr
}

#[test]
fn a_telegram_token_in_the_url_or_in_the_answer_is_shown_by_its_name_only() {
    let send = format!("bot{BOT_TOKEN}/sendMessage");
    for reply in [
        // The URL carries the token: an HTTP error names the URL.
        Reply::Status(400, "{}".into()),
        // The answer quotes it.
        Reply::Body(
            format!(r#"{{"ok":false,"error_code":400,"description":"Bad Request: bot{BOT_TOKEN} is not a member"}}"#)
                .into_bytes(),
        ),
    ] {
        let server = FixtureServer::start(std::path::Path::new("/nonexistent"), 0).unwrap();
        server.script(&send, vec![reply.clone()]);
        let sandbox = Sandbox::new("");
        let stderr = notify_by_telegram(&sandbox, server.url());
        assert_eq!(server.arrivals(&send).len(), 1, "{reply:?}");
        assert!(!stderr.contains(BOT_TOKEN), "{reply:?}: {stderr}");
        let error: String = sandbox
            .db()
            .query_row("SELECT last_error FROM notification_outbox", [], |r| r.get(0))
            .unwrap();
        assert!(error.contains("<telegram_bot_token>"), "{reply:?}: {error}");
        assert!(!error.contains(BOT_TOKEN), "{reply:?}: {error}");
    }
}

/// Stands in for journald: binds its socket and appends each datagram to the file `argv[1]`.
const JOURNAL: &str = "import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind('/run/systemd/journal/socket')
with open(sys.argv[1], 'ab') as out:
    while True:
        out.write(s.recv(1 << 20) + b'\\n')
        out.flush()
";

#[test]
fn the_journal_gets_an_echoed_token_by_its_name_only() {
    if let Err(why) = testkit::namespace::available() {
        println!("skipped: {why}");
        return;
    }
    let w = World::new();
    w.server.script(
        "/v3/historical-candle",
        vec![Fault::Status(200, echoing(TOKEN), None)],
    );
    let run = w
        .job()
        .args(["--no-options", "--no-quotes", "--interval", "day"])
        .command();
    // The same run, logging to the stand-in journal on a /run of its own.
    let mut args: Vec<_> = run.get_args().map(|a| a.to_os_string()).collect();
    let format = args.iter().position(|a| a == "--log-format").unwrap() + 1;
    args[format] = "journal".into();
    let journal = w.sandbox.path().join("journal");
    let script = format!(
        "set -e; mount -t tmpfs tmpfs /run; mkdir -p /run/systemd/journal; \
         python3 -c \"$JOURNAL\" '{}' & \
         for i in $(seq 100); do [ -S /run/systemd/journal/socket ] && break; sleep 0.05; done; \
         \"$@\" || true; sleep 0.2; kill $!",
        journal.display()
    );
    let mut cmd = testkit::namespace::unshare(&script);
    for (key, value) in run.get_envs() {
        match value {
            Some(value) => cmd.env(key, value),
            None => cmd.env_remove(key),
        };
    }
    let out = cmd
        .env("JOURNAL", JOURNAL)
        .arg("journal-test")
        .arg(run.get_program())
        .args(&args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let logged = String::from_utf8_lossy(&std::fs::read(&journal).unwrap_or_default()).into_owned();
    assert!(
        logged.contains("SYSLOG_IDENTIFIER") && logged.contains("upstox-market-sync"),
        "the journal got the run's lines: {logged}\n{stderr}"
    );
    assert!(
        logged.contains("Invalid token used to access API: <upstox_token>"),
        "{logged}"
    );
    assert!(!logged.contains(TOKEN), "{logged}");
    assert!(!stderr.contains(TOKEN), "{stderr}");
}
