//! Serves a synthetic market (Upstox API + Yahoo chart API) on 127.0.0.1 until killed, for the
//! market-sync benchmark.
//!
//! Usage: `market-server --symbols N --from YYYY-MM-DD --to YYYY-MM-DD [--port P] [--list]`.
//! N synthetic equities (`NSE_EQ|INE…`, `SYM001`…, `SYM001.NS`…), sessions Mon–Fri 09:15–15:30
//! IST in the range, "now" in the far future. Prints the base URL on one line of stdout, or
//! with `--list` the instrument keys, one a line, and exits.

use std::io::Write;
use std::process::exit;

use chrono::NaiveDate;
use testkit::market::{Market, MarketServer, synthetic_equities, weekday_sessions};

const USAGE: &str =
    "usage: market-server --symbols N --from YYYY-MM-DD --to YYYY-MM-DD [--port P] [--list]";

struct Args {
    symbols: usize,
    from: NaiveDate,
    to: NaiveDate,
    port: u16,
    list: bool,
}

/// Hand-rolled so the test kit's library needs no clap.
fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let (mut symbols, mut from, mut to, mut port, mut list) = (None, None, None, 0, false);
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
            "--port" => {
                let v = args.next().ok_or("--port needs a value")?;
                port = v.parse().map_err(|e| format!("--port {v}: {e}"))?;
            }
            "--list" => list = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                exit(0);
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let (Some(symbols), Some(from), Some(to)) = (symbols, from, to) else {
        return Err("--symbols, --from and --to are required".into());
    };
    if from > to {
        return Err("--from is after --to".into());
    }
    Ok(Args {
        symbols,
        from,
        to,
        port,
        list,
    })
}

fn main() {
    let args = match parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("market-server: {e}\n{USAGE}");
            exit(2);
        }
    };
    let equities = synthetic_equities(args.symbols);
    if args.list {
        let mut out = std::io::stdout().lock();
        for (key, _, _) in &equities {
            let _ = writeln!(out, "{key}");
        }
        return;
    }
    let list: Vec<(&str, &str, &str)> = equities
        .iter()
        .map(|(k, s, y)| (k.as_str(), s.as_str(), y.as_str()))
        .collect();
    let market = Market::new(weekday_sessions(args.from, args.to)).with_instruments(&list);
    let server = match MarketServer::start_on(market, args.port) {
        Ok(s) => s,
        Err(e) => {
            eprintln!(
                "market-server: cannot listen on 127.0.0.1:{}: {e}",
                args.port
            );
            exit(69);
        }
    };
    println!("{}", server.url());
    let _ = std::io::stdout().flush();
    loop {
        std::thread::park();
    }
}
