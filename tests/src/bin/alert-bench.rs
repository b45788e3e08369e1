//! Prepares the data directory of the upstox-alert-scan benchmark (`make bench`).
//!
//! Usage: `alert-bench DIR [--symbols N] [--bars B] [--rules-per-symbol R]` (defaults 500,
//! 250, 4). Writes `DIR/market_data.db` with market-sync's tables: N synthetic equities
//! (`SYM001`…, keys `NSE_EQ|INE…`, as `market-server --symbols N` serves them) in
//! `instruments`, and B day candles each, taken from the synthetic market's price path, on the
//! NSE sessions (the binaries' embedded calendar) before the session that is forming now, so a
//! scan finds every series current. Writes `DIR/rules.csv`: R rules a symbol, the kinds taken in
//! turn (price levels just around the last close, RSI, volume spikes, MACD crosses, support and
//! resistance breaks), told to the database only. Prints the date of the forming session
//! (YYYY-MM-DD), for `market-server --to`.

use std::io::Write;
use std::process::exit;

use chrono::{NaiveDate, Utc};
use chrono_tz::Asia::Kolkata;
use rusqlite::params;
use testkit::alerts::{day_bar, fill_instruments, market_db, sessions_before};
use testkit::market::{Market, synthetic_equities};

const USAGE: &str =
    "usage: alert-bench DIR [--symbols N] [--bars B] [--rules-per-symbol R]  (defaults 500 250 4)";

/// The rule kinds in turn; `{up}` and `{down}` are levels 1% above and below the last close.
const KINDS: [(&str, &str); 9] = [
    ("price-above", "level={up}"),
    ("rsi-above", "period=14 level=70"),
    ("macd-cross-up", "fast=12 slow=26 signal=9"),
    ("volume-spike", "factor=2 period=20"),
    ("price-below", "level={down}"),
    ("rsi-below", "period=14 level=30"),
    ("macd-cross-down", "fast=12 slow=26 signal=9"),
    ("resistance-break", "period=20"),
    ("support-break", "period=20"),
];

struct Args {
    dir: std::path::PathBuf,
    symbols: usize,
    bars: usize,
    per_symbol: usize,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        dir: std::path::PathBuf::new(),
        symbols: 500,
        bars: 250,
        per_symbol: 4,
    };
    let number = |v: Option<String>, name: &str| -> Result<usize, String> {
        let v = v.ok_or(format!("{name} needs a value"))?;
        v.parse().map_err(|e| format!("{name} {v}: {e}"))
    };
    let mut dir = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--symbols" => parsed.symbols = number(args.next(), "--symbols")?,
            "--bars" => parsed.bars = number(args.next(), "--bars")?,
            "--rules-per-symbol" => parsed.per_symbol = number(args.next(), "--rules-per-symbol")?,
            "-h" | "--help" => {
                println!("{USAGE}");
                exit(0);
            }
            other if other.starts_with('-') => return Err(format!("unknown argument {other}")),
            other => dir = Some(other.into()),
        }
    }
    parsed.dir = dir.ok_or("DIR is required")?;
    Ok(parsed)
}

/// The session whose day bar a scan now extends: the latest that has opened, by IST.
fn forming_session() -> NaiveDate {
    let calendar = common::calendar::TradingCalendar::embedded();
    let now = Utc::now();
    let mut date = now.with_timezone(&Kolkata).date_naive();
    loop {
        if let Some(s) = calendar.session(date) {
            let open = testkit::sync::ist(date, 0, 0)
                + chrono::Duration::seconds(i64::from(
                    chrono::Timelike::num_seconds_from_midnight(&s.open),
                ));
            if open <= now {
                return date;
            }
        }
        date = date.pred_opt().expect("a date");
    }
}

fn main() {
    let args = match parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("alert-bench: {e}\n{USAGE}");
            exit(2);
        }
    };
    let equities = synthetic_equities(args.symbols);
    let list: Vec<(&str, &str, &str)> = equities
        .iter()
        .map(|(k, s, y)| (k.as_str(), s.as_str(), y.as_str()))
        .collect();
    let market = Market::new(Vec::new()).with_instruments(&list);
    let forming = forming_session();
    let dates = sessions_before(forming, args.bars);

    std::fs::create_dir_all(&args.dir).expect("the directory");
    let conn = market_db(&args.dir.join("market_data.db"));
    fill_instruments(
        &conn,
        &list.iter().map(|(k, s, _)| (*k, *s)).collect::<Vec<_>>(),
    );
    let mut csv = String::from("symbol,kind,params,interval,channels,cooldown,enabled\n");
    conn.execute_batch("BEGIN").expect("begin");
    {
        let mut stmt = conn
            .prepare(
                "INSERT OR REPLACE INTO candles
                 (instrument, interval, ts, open, high, low, close, volume, oi, source)
                 VALUES (?1, 1440, ?2, ?3, ?4, ?5, ?6, ?7, NULL, 1)",
            )
            .expect("insert into candles");
        for (i, (key, symbol, _)) in list.iter().enumerate() {
            let mut last = 0.0;
            for date in &dates {
                let ts = day_bar(*date);
                let c = market.candle(key, "day", ts);
                stmt.execute(params![
                    key,
                    ts,
                    c.open,
                    c.high,
                    c.low,
                    c.close,
                    c.volume as i64
                ])
                .expect("a candle");
                last = c.close;
            }
            for j in 0..args.per_symbol {
                let (kind, params) = KINDS[(i * args.per_symbol + j) % KINDS.len()];
                let params = params
                    .replace("{up}", &format!("{:.2}", last * 1.01))
                    .replace("{down}", &format!("{:.2}", last * 0.99));
                csv.push_str(&format!("{symbol},{kind},{params},day,database,30m,true\n"));
            }
        }
    }
    conn.execute_batch("COMMIT").expect("commit");
    std::fs::write(args.dir.join("rules.csv"), csv).expect("rules.csv");
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{forming}");
}
