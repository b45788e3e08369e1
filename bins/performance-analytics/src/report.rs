//! The report a trader reads: every metric of every scope, as a text table, JSON (every
//! metric at full precision, for other programs) or CSV (a row per scope).

use std::fmt::Write as _;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use crate::analysis::Analysis;
use crate::performance::Performance;
use crate::store::rupees;

/// How `report` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table for people.
    Text,
    /// Every metric at full precision, with the daily series.
    Json,
    /// A header and a row per scope.
    Csv,
}

/// One metric's value.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cell {
    Money(Option<Decimal>),
    Percent(Option<f64>),
    Ratio(Option<f64>),
    Count(u64),
    Date(Option<NaiveDate>),
}

impl Cell {
    fn text(self) -> String {
        match self {
            Cell::Money(Some(x)) => rupee_text(x),
            Cell::Percent(Some(x)) => format!("{:.2}%", x * 100.0),
            Cell::Ratio(Some(x)) => format!("{x:.2}"),
            Cell::Count(n) => n.to_string(),
            Cell::Date(Some(d)) => d.to_string(),
            Cell::Money(None) | Cell::Percent(None) | Cell::Ratio(None) | Cell::Date(None) => {
                "—".to_string()
            }
        }
    }

    fn json(self) -> Value {
        match self {
            Cell::Money(x) => x.map_or(Value::Null, |x| json!(rupees(x))),
            Cell::Percent(x) | Cell::Ratio(x) => x.map_or(Value::Null, |x| json!(x)),
            Cell::Count(n) => json!(n),
            Cell::Date(d) => d.map_or(Value::Null, |d| json!(d.to_string())),
        }
    }

    fn csv(self) -> String {
        match self.json() {
            Value::Null => String::new(),
            Value::String(s) => s,
            v => v.to_string(),
        }
    }
}

/// Rupees with Indian digit grouping (12,34,567.89), the way a desk in India reads them.
pub fn rupee_text(x: Decimal) -> String {
    let x = x.round_dp(2);
    let negative = x.is_sign_negative() && !x.is_zero();
    let text = format!("{:.2}", x.abs());
    let (whole, paise) = text.split_once('.').unwrap_or((&text, "00"));
    let mut grouped = String::new();
    let digits: Vec<char> = whole.chars().collect();
    let n = digits.len();
    for (i, c) in digits.iter().enumerate() {
        let left = n - i;
        if i > 0 && (left == 3 || (left > 3 && (left - 3).is_multiple_of(2))) {
            grouped.push(',');
        }
        grouped.push(*c);
    }
    format!("{}{grouped}.{paise}", if negative { "-" } else { "" })
}

/// The metrics of a scope, in the report's order: (key, label, value).
fn metrics(a: &Analysis) -> Vec<(&'static str, &'static str, Cell)> {
    let r = &a.risk;
    let t = &a.trades;
    let dd = a.drawdown;
    vec![
        ("pnl", "P&L (₹)", Cell::Money(Some(a.pnl))),
        (
            "realised_pnl",
            "Realised before charges (₹)",
            Cell::Money(Some(a.realised)),
        ),
        (
            "charges",
            "Charges and taxes (₹)",
            Cell::Money(Some(a.charges)),
        ),
        (
            "end_equity",
            "Equity at the end (₹)",
            Cell::Money(a.days.last().map(|d| d.session.equity)),
        ),
        ("sessions", "Sessions", Cell::Count(r.days as u64)),
        (
            "cumulative_return",
            "Cumulative return",
            Cell::Percent(r.cumulative_return),
        ),
        (
            "annual_return",
            "Annual return",
            Cell::Percent(r.annual_return),
        ),
        (
            "annual_volatility",
            "Annual volatility",
            Cell::Percent(r.annual_volatility),
        ),
        ("sharpe", "Sharpe", Cell::Ratio(r.sharpe)),
        ("sortino", "Sortino", Cell::Ratio(r.sortino)),
        (
            "max_drawdown",
            "Maximum drawdown",
            Cell::Percent(r.max_drawdown),
        ),
        (
            "drawdown_peak",
            "  peak",
            Cell::Date(dd.and_then(|d| d.peak)),
        ),
        (
            "drawdown_trough",
            "  trough",
            Cell::Date(dd.map(|d| d.trough)),
        ),
        (
            "drawdown_recovery",
            "  recovery",
            Cell::Date(dd.and_then(|d| d.recovery)),
        ),
        ("calmar", "Calmar", Cell::Ratio(r.calmar)),
        ("alpha", "Alpha (annual)", Cell::Percent(r.alpha)),
        ("beta", "Beta", Cell::Ratio(r.beta)),
        ("trades", "Closed trades", Cell::Count(t.trades.into())),
        ("wins", "Wins", Cell::Count(t.wins.into())),
        ("losses", "Losses", Cell::Count(t.losses.into())),
        ("win_rate", "Win rate", Cell::Percent(t.win_rate)),
        (
            "profit_factor",
            "Profit factor",
            Cell::Ratio(t.profit_factor),
        ),
        ("average_win", "Average win (₹)", Cell::Money(t.average_win)),
        (
            "average_loss",
            "Average loss (₹)",
            Cell::Money(t.average_loss),
        ),
        ("payoff_ratio", "Payoff ratio", Cell::Ratio(t.payoff_ratio)),
        (
            "expectancy",
            "Expectancy a trade (₹)",
            Cell::Money(t.expectancy),
        ),
        ("largest_win", "Largest win (₹)", Cell::Money(t.largest_win)),
        (
            "largest_loss",
            "Largest loss (₹)",
            Cell::Money(t.largest_loss),
        ),
        (
            "longest_winning_streak",
            "Longest winning streak",
            Cell::Count(t.longest_winning_streak.into()),
        ),
        (
            "longest_losing_streak",
            "Longest losing streak",
            Cell::Count(t.longest_losing_streak.into()),
        ),
    ]
}

/// The report of `p`'s scopes in `format`; `benchmark` names the benchmark in the heading.
pub fn render(p: &Performance, format: Format, benchmark: &str) -> String {
    match format {
        Format::Text => text(p, benchmark),
        Format::Json => json_report(p, benchmark),
        Format::Csv => csv(p),
    }
}

fn heading(p: &Performance) -> String {
    let from = p
        .analyses
        .first()
        .and_then(|a| a.days.first())
        .map(|d| d.session.date)
        .or(p.window.from);
    match from {
        Some(from) => format!("{from} to {} (IST)", p.window.to),
        None => format!("up to {} (IST)", p.window.to),
    }
}

fn text(p: &Performance, benchmark: &str) -> String {
    let mut out = String::new();
    let rf = p.analyses.first().map_or(0.0, |a| a.risk_free_rate);
    let _ = writeln!(
        out,
        "Performance {}; risk-free {:.2}% a year; alpha and beta against {benchmark}",
        heading(p),
        rf * 100.0
    );
    if p.analyses.is_empty() {
        let _ = writeln!(out, "no trades up to {}", p.window.to);
        return out;
    }
    let columns: Vec<Vec<(&str, &str, Cell)>> = p.analyses.iter().map(metrics).collect();
    let names: Vec<&str> = p.analyses.iter().map(|a| a.scope.label()).collect();
    let label_width = columns[0]
        .iter()
        .map(|(_, l, _)| l.chars().count())
        .max()
        .unwrap_or(0);
    let cells: Vec<Vec<String>> = columns
        .iter()
        .map(|c| c.iter().map(|(_, _, v)| v.text()).collect())
        .collect();
    let widths: Vec<usize> = cells
        .iter()
        .zip(&names)
        .map(|(c, n)| {
            c.iter()
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
                .max(n.chars().count())
        })
        .collect();
    let _ = write!(out, "\n{:label_width$}", "");
    for (n, w) in names.iter().zip(&widths) {
        let _ = write!(out, "  {n:>w$}");
    }
    out.push('\n');
    for (row, (_, label, _)) in columns[0].iter().enumerate() {
        let pad = label_width - label.chars().count();
        let _ = write!(out, "{label}{}", " ".repeat(pad));
        for (c, w) in cells.iter().zip(&widths) {
            let _ = write!(out, "  {:>w$}", c[row]);
        }
        out.push('\n');
    }
    out
}

fn json_report(p: &Performance, benchmark: &str) -> String {
    let scopes: Vec<Value> = p
        .analyses
        .iter()
        .map(|a| {
            let mut m = Map::new();
            m.insert("strategy".into(), json!(a.scope.label()));
            for (key, _, cell) in metrics(a) {
                m.insert(key.into(), cell.json());
            }
            let daily: Vec<Value> = a
                .days
                .iter()
                .map(|d| {
                    json!({
                        "date": d.session.date.to_string(),
                        "pnl": rupees(d.session.pnl),
                        "realised_pnl": rupees(d.session.realised),
                        "charges": rupees(d.session.charges),
                        "unrealised_pnl": rupees(d.session.unrealised),
                        "cash_flow": rupees(d.session.flows),
                        "equity": rupees(d.session.equity),
                        "daily_return": d.session.daily_return,
                        "drawdown": d.drawdown,
                        "benchmark_return": d.benchmark_return,
                        "fills": d.session.fills,
                        "closed_trades": d.closed_trades,
                    })
                })
                .collect();
            m.insert("daily".into(), Value::Array(daily));
            Value::Object(m)
        })
        .collect();
    let report = json!({
        "from": p.analyses.first().and_then(|a| a.days.first()).map(|d| d.session.date.to_string()),
        "to": p.window.to.to_string(),
        "risk_free_rate": p.analyses.first().map(|a| a.risk_free_rate),
        "benchmark": benchmark,
        "scopes": scopes,
    });
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
    text.push('\n');
    text
}

fn csv(p: &Performance) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let Some(first) = p.analyses.first() else {
        return String::new();
    };
    let mut header = vec!["strategy"];
    header.extend(metrics(first).iter().map(|(k, _, _)| *k));
    let _ = w.write_record(&header);
    for a in &p.analyses {
        let mut row = vec![a.scope.label().to_string()];
        row.extend(metrics(a).iter().map(|(_, _, c)| c.csv()));
        let _ = w.write_record(&row);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rupees_are_grouped_in_lakhs_and_crores() {
        for (x, text) in [
            ("0", "0.00"),
            ("999.5", "999.50"),
            ("1000", "1,000.00"),
            ("123456.789", "1,23,456.79"),
            ("-12345678", "-1,23,45,678.00"),
        ] {
            assert_eq!(rupee_text(x.parse().unwrap()), text);
        }
    }
}
