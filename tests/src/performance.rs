//! The world of upstox-performance-analytics' tests: a sandbox whose configuration has round
//! numbers (₹1,00,000 of capital, no risk-free rate, no charges unless a test sets them), a
//! trade book written and imported, and day candles of the traded symbols and NIFTY 50 in
//! `market_data.db` as market-sync would leave them.

use chrono::NaiveDate;
use rusqlite::Connection;

use crate::alerts::{fill_instruments, market_db, write_day_candles};
use crate::binary::{Outcome, Sandbox};
use crate::run::{JobRun, Ran};
use crate::sync::{ist, nov};

/// The binary.
pub const BIN: &str = "upstox-performance-analytics";

/// The NSE equities the tests trade: (instrument key, symbol).
pub const SYMBOLS: [(&str, &str); 2] = [
    ("NSE_EQ|INE009A01021", "INFY"),
    ("NSE_EQ|INE467B01029", "TCS"),
];

/// NIFTY 50's key.
pub const NIFTY: &str = "NSE_INDEX|Nifty 50";

/// The configuration: round capital, no risk-free rate, charges at zero, and `extra` lines
/// in `[jobs.performance-analytics]`.
pub fn config(extra: &str) -> String {
    format!(
        "[jobs.performance-analytics]\nstarting_capital = 100000\nrisk_free_rate = 0\n{extra}\n\
         [jobs.performance-analytics.charges]\nbrokerage_rate = 0\nbrokerage_max = 0\n\
         stt_delivery = 0\nstt_intraday_sell = 0\nexchange_txn = 0\nsebi = 0\n\
         stamp_delivery_buy = 0\nstamp_intraday_buy = 0\ngst = 0\n"
    )
}

/// A desk: the sandbox and its market data.
pub struct Desk {
    /// The sandbox.
    pub sandbox: Sandbox,
}

impl Default for Desk {
    fn default() -> Self {
        Self::new("")
    }
}

impl Desk {
    /// A desk configured by [`config`]`(extra)`, with the test symbols in the instrument master.
    pub fn new(extra: &str) -> Self {
        let sandbox = Sandbox::new(&config(extra));
        std::fs::create_dir_all(sandbox.data_dir()).expect("the data directory");
        fill_instruments(&market_db(&sandbox.db_path()), &SYMBOLS);
        Desk { sandbox }
    }

    /// Day candles of `key` on `dates` closing at `closes`.
    pub fn closes(&self, key: &str, dates: &[NaiveDate], closes: &[f64]) {
        write_day_candles(
            &market_db(&self.sandbox.db_path()),
            key,
            dates,
            closes,
            1000,
        );
    }

    /// The tests' two weeks: INFY's and NIFTY 50's closes on the nine sessions of 16-27 Nov
    /// 2026 (the 24th a holiday); returns those sessions.
    pub fn two_weeks(&self) -> [NaiveDate; 9] {
        let days = [16, 17, 18, 19, 20, 23, 25, 26, 27].map(nov);
        self.closes(
            SYMBOLS[0].0,
            &days,
            &[
                1500.0, 1510.0, 1495.0, 1490.0, 1500.0, 1530.0, 1550.0, 1540.0, 1545.0,
            ],
        );
        self.closes(
            NIFTY,
            &days,
            &[
                24000.0, 24100.0, 24050.0, 23900.0, 24000.0, 24200.0, 24150.0, 24300.0, 24250.0,
            ],
        );
        days
    }

    /// Writes `csv` to `name` in the sandbox; returns its path.
    pub fn file(&self, name: &str, csv: &str) -> String {
        let path = self.sandbox.path().join(name);
        std::fs::write(&path, csv).expect("the trade book written");
        path.display().to_string()
    }

    /// `import-trades` of `csv` (written as `name`), with more arguments.
    pub fn import(&self, name: &str, csv: &str, args: &[&str]) -> Outcome {
        let path = self.file(name, csv);
        let mut all = vec!["import-trades", path.as_str()];
        all.extend_from_slice(args);
        self.sandbox.run(BIN, &all)
    }

    /// A run of the job at 17:00 IST on 27 November 2026 (after every date the tests use).
    pub fn job(&self) -> JobRun<'_> {
        self.sandbox.job(BIN).at(ist(nov(27), 17, 0))
    }

    /// Runs the job with `args` at the desk's time.
    pub fn run(&self, args: &[&str]) -> Ran<'_> {
        self.job().args(args.iter().copied()).run()
    }

    /// `upstox.db`.
    pub fn upstox_db(&self) -> Connection {
        Connection::open(self.sandbox.data_dir().join("upstox.db")).expect("upstox.db opens")
    }

    /// Every row of `table` in `market_data.db`, each as its columns' text joined by `|`,
    /// in key order.
    pub fn rows(&self, table: &str) -> Vec<String> {
        rows(&self.sandbox.db(), table)
    }
}

/// Every row of `table` in `conn`, each as its columns' text joined by `|`, in the order of
/// its first columns.
pub fn rows(conn: &Connection, table: &str) -> Vec<String> {
    let mut stmt = conn
        .prepare(&format!("SELECT * FROM {table} ORDER BY 1, 2, 3"))
        .expect("the table exists");
    let n = stmt.column_count();
    stmt.query_map([], |r| {
        (0..n)
            .map(|i| {
                r.get_ref(i).map(|v| match v {
                    rusqlite::types::ValueRef::Null => "NULL".to_string(),
                    rusqlite::types::ValueRef::Integer(i) => i.to_string(),
                    rusqlite::types::ValueRef::Real(f) => format!("{f:?}"),
                    rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                    rusqlite::types::ValueRef::Blob(b) => format!("{b:?}"),
                })
            })
            .collect::<rusqlite::Result<Vec<_>>>()
            .map(|v| v.join("|"))
    })
    .expect("the query runs")
    .collect::<rusqlite::Result<_>>()
    .expect("the rows read")
}

/// The generic trade book's header.
pub const GENERIC_HEADER: &str = "trade_id,symbol,side,quantity,price,traded_at,charges,strategy";
