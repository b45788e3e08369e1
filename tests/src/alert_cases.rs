//! The cases the upstox-alert-scan tests share: closing prices that put an indicator where a
//! test needs it, the indicators as the binary computes them (`common::indicators`), and the
//! usual world of one price rule on RELIANCE with the SMTP server running.

use common::indicators;

use crate::SmtpServer;
use crate::alerts::{AlertWorld, DAY, day_bar, subject};
use crate::sync::nov;

/// Closes around 2,400 (RELIANCE stays under a 2,500 level).
pub fn flat_closes(n: usize) -> Vec<f64> {
    (0..n).map(|i| 2400.0 + (i % 5) as f64).collect()
}

/// Closes alternating 1,000 and 1,002: RSI(14) near 50, so a jump of the forming bar is what
/// takes it over 70.
pub fn sideways_closes(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| if i % 2 == 0 { 1000.0 } else { 1002.0 })
        .collect()
}

/// A rise for 40 sessions then a fall for 20: MACD(12,26,9) under its signal at the last one.
pub fn rise_then_fall() -> Vec<f64> {
    let mut closes: Vec<f64> = (0..40).map(|i| 500.0 + 2.0 * f64::from(i)).collect();
    closes.extend((0..20).map(|i| 578.0 - 3.0 * f64::from(i)));
    closes
}

/// `closes` with the forming bar's price appended.
pub fn with(closes: &[f64], price: f64) -> Vec<f64> {
    let mut all = closes.to_vec();
    all.push(price);
    all
}

/// RSI(14) at the last close.
pub fn rsi14(closes: &[f64]) -> f64 {
    indicators::rsi(closes, 14)
        .last()
        .copied()
        .flatten()
        .expect("enough closes for RSI(14)")
}

/// (MACD, signal) of MACD(12,26,9) at the last close.
pub fn macd(closes: &[f64]) -> (f64, f64) {
    let lines = indicators::macd(closes, 12, 26, 9);
    (
        lines.macd.last().copied().flatten().expect("MACD"),
        lines.signal.last().copied().flatten().expect("signal"),
    )
}

/// A number as the messages write it: two decimals, four below 1.
pub fn number(x: f64) -> String {
    if x.abs() >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.4}")
    }
}

/// The day bar of 2026-11-20, the session every scan here runs in.
pub fn today_bar() -> i64 {
    day_bar(nov(DAY))
}

/// The message of `smtp` whose subject starts with `symbol`; panics unless exactly one.
pub fn mail_for(smtp: &SmtpServer, symbol: &str) -> String {
    let mut found: Vec<String> = smtp
        .messages()
        .into_iter()
        .filter(|m| subject(m).starts_with(&format!("{symbol}: ")))
        .collect();
    assert_eq!(found.len(), 1, "one message for {symbol}: {found:#?}");
    found.remove(0)
}

/// A world with a rule on RELIANCE (price above 2500, email and database), its day candles
/// under the level, and the SMTP server running.
pub fn reliance_world(
    interval: &str,
    cooldown: &str,
) -> (AlertWorld, SmtpServer, tempfile::TempDir, i64) {
    let w = AlertWorld::new();
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(dir.path(), w.smtp_port);
    w.day_candles("RELIANCE", &flat_closes(60));
    let rule = w.add_rule(
        "RELIANCE",
        "price-above",
        &["level=2500"],
        &[
            "--interval",
            interval,
            "--cooldown",
            cooldown,
            "--channels",
            "email,database",
        ],
    );
    (w, smtp, dir, rule)
}
