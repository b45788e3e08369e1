//! The baseline for `make bench`: a plain `INSERT` loop of synthetic 1-minute candles into
//! market-sync's `candles` table, one transaction per instrument, no parsing, no upsert.
//!
//! Usage: `insert-bench DB INSTRUMENTS BARS_EACH`; prints the rows and the seconds taken.

use std::time::Instant;

use rusqlite::{Connection, params};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [db, instruments, bars] = args.as_slice() else {
        eprintln!("usage: insert-bench DB INSTRUMENTS BARS_EACH");
        std::process::exit(2);
    };
    let (instruments, bars): (usize, i64) = match (instruments.parse(), bars.parse()) {
        (Ok(i), Ok(b)) => (i, b),
        _ => {
            eprintln!("insert-bench: INSTRUMENTS and BARS_EACH are numbers");
            std::process::exit(2);
        }
    };
    let mut conn = Connection::open(db).expect("the database opens");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("WAL");
    conn.pragma_update(None, "synchronous", "NORMAL")
        .expect("synchronous");
    conn.execute_batch(common::market::store::SCHEMA.migrations[0])
        .expect("the schema");
    let started = Instant::now();
    for i in 0..instruments {
        let key = format!("NSE_EQ|INE{i:06}01010");
        let tx = conn.transaction().expect("a transaction");
        {
            let mut stmt = tx
                .prepare_cached("INSERT INTO candles VALUES (?1, '1minute', ?2, ?3, ?4, ?5, ?6, ?7, NULL, 'bench')")
                .expect("the statement");
            for b in 0..bars {
                let price = 100.0 + (b % 97) as f64 * 0.05;
                stmt.execute(params![
                    key,
                    1_780_000_000 + b * 60,
                    price,
                    price + 1.0,
                    price - 1.0,
                    price + 0.5,
                    1000 + b
                ])
                .expect("a row");
            }
        }
        tx.commit().expect("commit");
    }
    let secs = started.elapsed().as_secs_f64();
    println!("{} {secs:.3}", instruments as i64 * bars);
}
