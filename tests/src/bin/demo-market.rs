//! Serves the desk's demo market ([`testkit::demo`]) on 127.0.0.1 until killed, for
//! `make demo`.
//!
//! Usage: `demo-market NSE_DIR`. Prints the base URL on the first line of stdout, then one
//! line per alert rule that fires on the quotes it serves: `SYMBOL KIND level=LEVEL QUOTE`.

use std::io::Write;
use std::path::PathBuf;
use std::process::exit;

use chrono::Utc;
use testkit::MarketServer;
use testkit::demo;

fn main() {
    let Some(dir) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!("usage: demo-market NSE_DIR");
        exit(2);
    };
    let now = Utc::now();
    let market = demo::market(&dir, now).unwrap_or_else(|e| {
        eprintln!("demo-market: {e}");
        exit(74);
    });
    let Some(rules) = demo::rules(&market, now) else {
        eprintln!("demo-market: the NSE calendar has no two sessions before now");
        exit(1);
    };
    let server = MarketServer::start(market).unwrap_or_else(|e| {
        eprintln!("demo-market: cannot listen on 127.0.0.1: {e}");
        exit(69);
    });
    // Quotes and bars as of now, so nothing served lies in the jobs' future.
    server.set_now(now);
    // One write, so whoever sees the URL sees the rules too.
    let mut text = format!("{}\n", server.url());
    for rule in rules {
        server.pin_last_price(
            demo::key_of(rule.symbol).expect("the rules name REAL symbols"),
            Some(rule.quote),
        );
        text.push_str(&format!(
            "{} {} level={:.2} {:.2}\n",
            rule.symbol, rule.kind, rule.level, rule.quote
        ));
    }
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    drop(out);
    loop {
        std::thread::park();
    }
}
