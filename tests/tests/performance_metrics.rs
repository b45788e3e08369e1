//! performance-analytics' risk statistics agree with empyrical to 1e-9 relative, on the
//! committed reference (tests/reference/empyrical: a real daily return series, a synthetic
//! trade list marked FIFO, and the edge cases: no trades, one day, all wins, all losses,
//! zero volatility), where empyrical's NaN and infinities are our `None`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{NaiveDate, TimeZone};
use performance_analytics::charges::ChargeSchedule;
use performance_analytics::ledger::{self, Marking, Scope};
use performance_analytics::returns::{RiskStats, risk_stats};
use performance_analytics::trade::{Product, Side, Trade};
use rust_decimal::Decimal;
use serde_json::Value;

fn reference() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("reference/empyrical/reference.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn field(s: &RiskStats, name: &str) -> Option<f64> {
    match name {
        "cumulative_return" => s.cumulative_return,
        "annual_return" => s.annual_return,
        "annual_volatility" => s.annual_volatility,
        "sharpe" => s.sharpe,
        "sortino" => s.sortino,
        "max_drawdown" => s.max_drawdown,
        "calmar" => s.calmar,
        "alpha" => s.alpha,
        "beta" => s.beta,
        other => panic!("unknown metric {other}"),
    }
}

/// Agreement to 1e-9 relative; 0 agrees with 0 (a maximum drawdown of a rising series).
fn agree(case: &str, name: &str, ours: Option<f64>, theirs: Option<f64>) {
    match (ours, theirs) {
        (None, None) => {}
        (Some(a), Some(b)) => {
            let scale = a.abs().max(b.abs());
            assert!(
                (a - b).abs() <= 1e-9 * scale,
                "{case}: {name}: ours {a:e}, empyrical {b:e}"
            );
        }
        _ => panic!("{case}: {name}: ours {ours:?}, empyrical {theirs:?}"),
    }
}

fn check(case: &str, stats: &RiskStats, expected: &Value) {
    let expected = expected.as_object().unwrap();
    assert_eq!(
        expected.len(),
        9,
        "{case}: every metric is in the reference"
    );
    for (name, value) in expected {
        agree(case, name, field(stats, name), value.as_f64());
    }
}

#[test]
fn risk_statistics_agree_with_empyrical_on_every_case() {
    let reference = reference();
    let cases = reference["cases"].as_array().unwrap();
    assert!(cases.len() >= 7);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let returns = floats(&case["returns"]);
        let factor = floats(&case["factor"]);
        let stats = risk_stats(&returns, case["risk_free"].as_f64().unwrap(), Some(&factor));
        check(name, &stats, &case["expected"]);
    }
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[test]
fn a_trade_list_marked_fifo_gives_empyricals_returns_and_statistics() {
    let reference = reference();
    let list = &reference["trade_list"];
    let days: Vec<NaiveDate> = list["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| date(v.as_str().unwrap()))
        .collect();
    let closes: BTreeMap<(String, NaiveDate), Decimal> = list["closes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                (
                    c[0].as_str().unwrap().to_string(),
                    date(c[1].as_str().unwrap()),
                ),
                d(c[2].as_str().unwrap()),
            )
        })
        .collect();
    let trades: Vec<Trade> = list["trades"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| Trade {
            trade_id: t["trade_id"].as_str().unwrap().to_string(),
            exchange: "NSE".to_string(),
            order_id: None,
            symbol: t["symbol"].as_str().unwrap().to_string(),
            instrument_key: None,
            side: Side::parse(t["side"].as_str().unwrap()).unwrap(),
            quantity: t["quantity"].as_i64().unwrap(),
            price: d(t["price"].as_str().unwrap()),
            charges: Some(d(t["charges"].as_str().unwrap())),
            // 10:00 IST on the day.
            traded_at: common::calendar::IST
                .from_local_datetime(
                    &date(t["date"].as_str().unwrap())
                        .and_hms_opt(10, 0, 0)
                        .unwrap(),
                )
                .unwrap()
                .with_timezone(&chrono::Utc),
            product: Product::Delivery,
            strategy: t["strategy"].as_str().unwrap().to_string(),
        })
        .collect();
    let ledgers = ledger::mark(
        &trades,
        &Marking {
            // Every row carries its charges: the schedule must not be used.
            schedule: &ChargeSchedule::default(),
            capital: d(list["capital"].as_str().unwrap()),
            flows: &[],
            days: &days,
            closes: &closes,
        },
    )
    .unwrap();
    assert_eq!(ledgers[0].scope, Scope::Portfolio);
    let ours: Vec<f64> = ledgers[0].sessions.iter().map(|s| s.daily_return).collect();
    let theirs = floats(&list["returns"]);
    assert_eq!(ours.len(), theirs.len());
    for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
        agree(&format!("session {i}"), "daily return", Some(*a), Some(*b));
    }
    let case = reference["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "trade list")
        .unwrap();
    let stats = risk_stats(
        &ours,
        case["risk_free"].as_f64().unwrap(),
        Some(&floats(&case["factor"])),
    );
    check("trade list", &stats, &case["expected"]);
    // The two strategies' P&L add up to the portfolio's, to the paisa.
    let total: Decimal = ledgers[0].sessions.iter().map(|s| s.pnl).sum();
    let parts: Decimal = ledgers[1..]
        .iter()
        .flat_map(|l| l.sessions.iter().map(|s| s.pnl))
        .sum();
    assert_eq!(total, parts);
    assert_eq!(ledgers.len(), 3);
}
