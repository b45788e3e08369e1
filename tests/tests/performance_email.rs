//! The daily report by email, through the outbox: off by default; when enabled, queued once
//! a date (a rerun queues nothing new), with the metrics table as its text and the chart
//! attached as a PNG.

use testkit::SmtpServer;
use testkit::performance::{Desk, GENERIC_HEADER};

fn desk(extra: &str) -> Desk {
    let desk = Desk::new(extra);
    desk.two_weeks();
    let book = format!("{GENERIC_HEADER}\n1,INFY,BUY,10,1500,2026-11-16 10:00:00,,swing\n");
    assert_eq!(desk.import("book.csv", &book, &[]).code, Some(0));
    desk
}

fn outbox(desk: &Desk) -> Vec<(String, String, String, String)> {
    let conn = desk.sandbox.db();
    let mut stmt = conn
        .prepare("SELECT dedupe_key, channel, subject, body FROM notification_outbox ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

#[test]
fn the_report_is_not_emailed_unless_enabled() {
    let desk = desk("");
    desk.job().run().ok();
    assert!(outbox(&desk).is_empty());
}

#[test]
fn when_enabled_the_report_is_queued_once_a_date() {
    let desk = desk("[jobs.performance-analytics.email]\nenabled = true\n");
    desk.job().run().ok();
    let queued = outbox(&desk);
    assert_eq!(queued.len(), 1, "{queued:?}");
    let (key, channel, subject, body) = &queued[0];
    assert_eq!(
        (key.as_str(), channel.as_str()),
        ("performance:2026-11-27", "email")
    );
    assert_eq!(subject, "Trading performance to 2026-11-27");
    assert!(body.contains("Sharpe") && body.contains("swing"), "{body}");
    desk.job().run().ok();
    assert_eq!(outbox(&desk), queued);
}

#[test]
fn the_mail_carries_the_chart_as_a_png_attachment() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(dir.path(), 0);
    let desk = desk(&format!(
        "[jobs.performance-analytics.email]\nenabled = true\n\
         [notify.email]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\n\
         from = \"jobs@desk.example\"\nto = [\"desk@desk.example\"]\n",
        smtp.port
    ));
    desk.job().run().ok();
    let mail = smtp.messages();
    assert_eq!(mail.len(), 1, "{mail:?}");
    let mail = mail[0].replace("\r\n", "\n");
    assert!(mail.contains("multipart/mixed"), "{mail}");
    assert!(mail.contains("Sharpe"), "{mail}");
    let part = mail
        .split("\n--")
        .find(|p| p.contains("Content-Type: image/png"))
        .unwrap_or_else(|| panic!("no image/png part: {mail}"));
    assert!(part.contains("performance-2026-11-27.png"), "{part}");
    let (_, encoded) = part.split_once("\n\n").unwrap();
    let png = base64(encoded);
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{:?}", &png[..8]);
    let reader = png::Decoder::new(&png[..]).read_info().unwrap();
    assert_eq!((reader.info().width, reader.info().height), (1280, 800));
}

/// Decodes base64 text (line breaks and padding ignored).
fn base64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let (mut bits, mut held, mut out) = (0u32, 0u32, Vec::new());
    for c in text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
    {
        let value = ALPHABET.iter().position(|&a| a == c).expect("base64") as u32;
        bits = (bits << 6) | value;
        held += 6;
        if held >= 8 {
            held -= 8;
            out.push((bits >> held) as u8);
            bits &= (1 << held) - 1;
        }
    }
    out
}
