use super::*;

fn record(fields: &[&str]) -> csv::StringRecord {
    csv::StringRecord::from(fields.to_vec())
}

#[test]
fn kinds_parse_with_their_defaults() {
    assert_eq!(
        Condition::parse("rsi-above", "").unwrap(),
        Condition::RsiAbove {
            period: 14,
            level: 70.0
        }
    );
    assert_eq!(
        Condition::parse("RSI-BELOW", "period=7").unwrap(),
        Condition::RsiBelow {
            period: 7,
            level: 30.0
        }
    );
    assert_eq!(
        Condition::parse("macd-cross-up", "").unwrap(),
        Condition::MacdCrossUp(MacdParams {
            fast: 12,
            slow: 26,
            signal: 9
        })
    );
    assert_eq!(
        Condition::parse("resistance-break", "").unwrap(),
        Condition::ResistanceBreak(Line::Bars(20))
    );
    assert_eq!(
        Condition::parse("support-break", "level=2400.5").unwrap(),
        Condition::SupportBreak(Line::Level(2400.5))
    );
    assert_eq!(
        Condition::parse("volume-spike", "factor=3;period=10").unwrap(),
        Condition::VolumeSpike {
            factor: 3.0,
            period: 10
        }
    );
}

#[test]
fn bad_rules_say_what_is_wrong() {
    let err = |kind: &str, params: &str| Condition::parse(kind, params).unwrap_err();
    assert!(err("price-above", "").contains("needs level=PRICE"));
    assert!(err("price-above", "level=-3").contains("not a price above 0"));
    assert!(err("rsi-above", "level=120").contains("below 100"));
    assert!(err("rsi-above", "period=1").contains("from 2 to 1000"));
    assert!(err("rsi-above", "period=14 period=15").contains("twice"));
    assert!(err("rsi-above", "factor=2").contains("takes no parameter factor"));
    assert!(err("macd-cross-up", "fast=30").contains("must be below slow=26"));
    assert!(err("support-break", "level=10 period=5").contains("not both"));
    assert!(err("moon-phase", "").contains("unknown kind"));
    assert!(err("price-above", "level").contains("not key=value"));
}

#[test]
fn a_rule_round_trips_through_its_csv_record() {
    let rule = from_record(&record(&[
        "reliance",
        "rsi-above",
        "level=75",
        "15minute",
        "telegram,email",
        "2h",
        "false",
    ]))
    .unwrap();
    assert_eq!(rule.symbol, "RELIANCE");
    assert_eq!(rule.channels.to_string(), "email,telegram");
    assert_eq!(rule.cooldown, Cooldown(7200));
    assert!(!rule.enabled);
    let written = to_record(&rule);
    assert_eq!(written[2], "period=14 level=75");
    let back = from_record(&csv::StringRecord::from(written.to_vec())).unwrap();
    assert_eq!(back, rule);
}

#[test]
fn missing_fields_take_the_defaults() {
    let rule = from_record(&record(&["TCS", "price-below", "level=3000"])).unwrap();
    assert_eq!(rule.interval, DEFAULT_INTERVAL);
    assert_eq!(rule.channels, Channels::all());
    assert_eq!(rule.cooldown, DEFAULT_COOLDOWN);
    assert!(rule.enabled);
}

#[test]
fn bad_fields_are_named() {
    let bad = |fields: &[&str]| from_record(&record(fields)).unwrap_err();
    assert!(bad(&["TCS"]).contains("1 fields"));
    assert!(bad(&["TC S", "rsi-above"]).contains("not an NSE symbol"));
    assert!(bad(&["TCS", "rsi-above", "", "7day"]).contains("7day"));
    assert!(bad(&["TCS", "rsi-above", "", "day", "sms"]).contains("unknown channel"));
    assert!(bad(&["TCS", "rsi-above", "", "day", "email", "soon"]).contains("not a duration"));
    assert!(
        bad(&["TCS", "rsi-above", "", "day", "email", "1h", "maybe"]).contains("true or false")
    );
}

#[test]
fn cooldowns_read_and_print_in_units() {
    for (text, secs) in [
        ("0", 0),
        ("90s", 90),
        ("30m", 1800),
        ("4h", 14_400),
        ("1d", 86_400),
    ] {
        let c: Cooldown = text.parse().unwrap();
        assert_eq!(c.0, secs);
        assert_eq!(c.to_string(), text);
    }
    assert!("31d".parse::<Cooldown>().is_err());
}
