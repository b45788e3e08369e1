//! The SQLite floor under market-sync's ingest in `make bench`: the same rows the synthetic
//! market serves, built in memory oldest first, upserted into the same table by the job's own
//! statement (`common::market::store::upsert_candles`), one transaction per instrument, with
//! no HTTP, no parsing and no checks. The table comes from the project's schema through
//! common's `db::open`, so it follows whatever shape `candles` has and gets the job's pragmas.
//!
//! Usage: `insert-bench DB --symbols N --from YYYY-MM-DD --to YYYY-MM-DD` (the market-server
//! arguments of the job's run); prints the rows and the seconds the upserts and commits took.

use std::process::exit;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use common::market::candle::Candle;
use common::market::instrument::InstrumentKey;
use common::market::interval::Interval;
use common::market::provider::Source;
use testkit::market::{Market, synthetic_equities, weekday_sessions};

const USAGE: &str = "usage: insert-bench DB --symbols N --from YYYY-MM-DD --to YYYY-MM-DD";

struct Args {
    db: std::path::PathBuf,
    symbols: usize,
    from: NaiveDate,
    to: NaiveDate,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let (mut db, mut symbols, mut from, mut to) = (None, None, None, None);
    let date = |v: Option<String>, name: &str| {
        let v = v.ok_or(format!("{name} needs a value"))?;
        NaiveDate::parse_from_str(&v, "%Y-%m-%d").map_err(|e| format!("{name} {v}: {e}"))
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--symbols" => {
                let v = args.next().ok_or("--symbols needs a value")?;
                symbols = Some(v.parse().map_err(|e| format!("--symbols {v}: {e}"))?);
            }
            "--from" => from = Some(date(args.next(), "--from")?),
            "--to" => to = Some(date(args.next(), "--to")?),
            other if other.starts_with('-') => return Err(format!("unknown argument {other}")),
            other => db = Some(other.into()),
        }
    }
    match (db, symbols, from, to) {
        (Some(db), Some(symbols), Some(from), Some(to)) => Ok(Args {
            db,
            symbols,
            from,
            to,
        }),
        _ => Err("DB, --symbols, --from and --to are required".into()),
    }
}

fn main() {
    let args = match parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("insert-bench: {e}\n{USAGE}");
            exit(2);
        }
    };
    let equities = synthetic_equities(args.symbols);
    let list: Vec<(&str, &str, &str)> = equities
        .iter()
        .map(|(k, s, y)| (k.as_str(), s.as_str(), y.as_str()))
        .collect();
    let market = Market::new(weekday_sessions(args.from, args.to)).with_instruments(&list);
    let mut conn = common::db::open(
        &args.db,
        Duration::from_secs(5),
        &[common::market::store::SCHEMA],
    )
    .unwrap_or_else(|e| {
        eprintln!("insert-bench: {e}");
        exit(74);
    });
    let mut rows = 0;
    let mut upserting = Duration::ZERO;
    for (key, _, _) in &list {
        // Built before the clock starts: the floor is SQLite's part alone.
        let candles: Vec<Candle> = market
            .bars(key, "1minute", args.from, args.to)
            .into_iter()
            .map(|ts| {
                let c = market.candle(key, "1minute", ts);
                Candle {
                    ts,
                    open: c.open,
                    high: c.high,
                    low: c.low,
                    close: c.close,
                    volume: c.volume as i64,
                    oi: Some(c.oi as i64),
                }
            })
            .collect();
        let key = InstrumentKey::parse(key).expect("a synthetic key parses");
        let started = Instant::now();
        let tx = conn.transaction().expect("a transaction");
        rows += common::market::store::upsert_candles(
            &tx,
            &key,
            Interval::Minutes(1),
            &candles,
            Source::Upstox,
        )
        .expect("the upsert");
        tx.commit().expect("commit");
        upserting += started.elapsed();
    }
    println!("{rows} {:.3}", upserting.as_secs_f64());
}
