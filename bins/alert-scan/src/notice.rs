//! What an alert says, by email and Telegram: what fired, the value, the threshold, and the
//! time in IST.

use chrono::{DateTime, Utc};
use common::calendar::IST;
use common::market::interval::Interval;
use common::notify::{Attachments, Notification};

use crate::rule::Rule;

/// A time in IST, to the second: `2026-11-23 10:15:42 IST`.
pub fn ist(at: DateTime<Utc>) -> String {
    at.with_timezone(&IST)
        .format("%Y-%m-%d %H:%M:%S IST")
        .to_string()
}

/// A bar's start as people name it: the date for day bars, the IST minute otherwise.
pub fn bar(ts: i64, interval: Interval) -> String {
    let at = DateTime::from_timestamp(ts, 0)
        .unwrap_or_default()
        .with_timezone(&IST);
    match interval.minutes() {
        None => at.format("%Y-%m-%d").to_string(),
        Some(_) => at.format("%Y-%m-%d %H:%M IST").to_string(),
    }
}

/// A number as traders read it: two decimals, four below 1.
pub fn number(x: f64) -> String {
    if x.abs() >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.4}")
    }
}

/// The message for a firing of `rule`.
pub fn notification(
    rule: &Rule,
    value: f64,
    threshold: f64,
    price: f64,
    bar_ts: i64,
    at: DateTime<Utc>,
) -> Notification {
    let what = rule.condition.describe();
    Notification {
        key: format!("alert:{}:{bar_ts}", rule.id),
        attachments: Attachments::default(),
        subject: format!("{}: {what} ({})", rule.symbol, number(value)),
        body: format!(
            "{symbol}: {what} on {interval} candles.\n\
             Value: {value} (threshold {threshold})\n\
             Last price: {price}\n\
             Bar: {bar}\n\
             Time: {time}\n\
             Rule #{id}; `upstox-alert-scan explain {symbol}` shows its state.",
            symbol = rule.symbol,
            interval = rule.interval,
            value = number(value),
            threshold = number(threshold),
            price = number(price),
            bar = bar(bar_ts, rule.interval),
            time = ist(at),
            id = rule.id,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::{Channels, Condition, Cooldown};
    use chrono::TimeZone;

    #[test]
    fn the_message_says_what_fired_the_value_the_threshold_and_the_ist_time() {
        let rule = Rule {
            id: 7,
            symbol: "RELIANCE".to_string(),
            condition: Condition::RsiAbove {
                period: 14,
                level: 70.0,
            },
            interval: Interval::Minutes(15),
            channels: Channels::all(),
            cooldown: Cooldown(1800),
            enabled: true,
        };
        let at = Utc.with_ymd_and_hms(2026, 11, 23, 4, 46, 5).unwrap();
        let bar_ts = Utc
            .with_ymd_and_hms(2026, 11, 23, 4, 45, 0)
            .unwrap()
            .timestamp();
        let n = notification(&rule, 71.234, 70.0, 2512.3, bar_ts, at);
        assert_eq!(n.key, format!("alert:7:{bar_ts}"));
        assert_eq!(n.subject, "RELIANCE: RSI(14) above 70 (71.23)");
        assert!(
            n.body.contains("Value: 71.23 (threshold 70.00)"),
            "{}",
            n.body
        );
        assert!(n.body.contains("Last price: 2512.30"), "{}", n.body);
        assert!(n.body.contains("Bar: 2026-11-23 10:15 IST"), "{}", n.body);
        assert!(
            n.body.contains("Time: 2026-11-23 10:16:05 IST"),
            "{}",
            n.body
        );
    }
}
