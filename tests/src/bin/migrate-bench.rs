//! The candles v2 migration at size, for `make bench`: `make` builds a `market_data.db` whose
//! `market` schema is at version 1 (the text-coded `candles` table, made by the project's own
//! first migration through `db::open`) and fills it to a given size; `open` opens it as every
//! job does, which applies migration 2 (the rebuild), and prints the seconds it took.
//!
//! Usage: `migrate-bench make DB --mib N` (prints the rows and the file's MiB);
//! `migrate-bench open DB` (prints the seconds `db::open` took).

use std::path::{Path, PathBuf};
use std::process::exit;
use std::time::{Duration, Instant};

use common::db::{self, Schema};
use common::market::store::SCHEMA;
use rusqlite::{Connection, params};

const USAGE: &str = "usage: migrate-bench make DB --mib N | migrate-bench open DB";

/// 09:15 IST on 2025-01-01, in UTC epoch seconds: the first generated session.
const FIRST_OPEN: i64 = 1_735_703_100;
/// Sessions a generated instrument has: a year of trading days.
const SESSIONS: i64 = 250;
/// Minutes in a session, 09:15 to 15:30.
const SESSION_MINUTES: i64 = 375;

enum Command {
    Make { db: PathBuf, mib: u64 },
    Open { db: PathBuf },
}

fn parse(args: &[String]) -> Result<Command, String> {
    match args {
        [cmd, db, flag, n] if cmd == "make" && flag == "--mib" => Ok(Command::Make {
            db: db.into(),
            mib: n.parse().map_err(|e| format!("--mib {n}: {e}"))?,
        }),
        [cmd, db] if cmd == "open" => Ok(Command::Open { db: db.into() }),
        _ => Err("unknown arguments".into()),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = parse(&args).unwrap_or_else(|e| {
        eprintln!("migrate-bench: {e}\n{USAGE}");
        exit(2)
    });
    let result = match command {
        Command::Make { db, mib } => make(&db, mib).map(|(rows, mib)| format!("{rows} {mib}")),
        Command::Open { db } => {
            let started = Instant::now();
            db::open(&db, Duration::from_secs(5), &[SCHEMA])
                .map(|_| format!("{:.3}", started.elapsed().as_secs_f64()))
                .map_err(|e| e.to_string())
        }
    };
    match result {
        Ok(line) => println!("{line}"),
        Err(e) => {
            eprintln!("migrate-bench: {e}");
            exit(74);
        }
    }
}

/// A version-1 database of at least `mib` MiB: instruments in turn, each a year of 1-, 5- and
/// 15-minute and day bars, every fifth from Yahoo and every third with open interest, so the
/// migration meets every code its CASE maps. Returns the rows and the file's size in MiB.
fn make(path: &Path, mib: u64) -> Result<(u64, u64), String> {
    let v1 = Schema {
        migrations: &SCHEMA.migrations[..1],
        ..SCHEMA
    };
    let conn = db::open(path, Duration::from_secs(5), &[v1]).map_err(|e| e.to_string())?;
    let sql = |e: rusqlite::Error| format!("{}: {e}", path.display());
    // A bench fixture, written once: no journal, no syncs.
    conn.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")
        .map_err(sql)?;
    let mut rows = 0;
    let mut instrument = 0;
    while size_mib(&conn).map_err(sql)? < mib {
        rows += fill_instrument(&conn, instrument).map_err(sql)?;
        instrument += 1;
    }
    // A rollback journal, so that the file stands alone, with no -wal or -shm to move with
    // it: the job's open turns it back to WAL, as it does any file.
    conn.execute_batch("PRAGMA journal_mode = DELETE;")
        .map_err(sql)?;
    Ok((rows, size_mib(&conn).map_err(sql)?))
}

fn size_mib(conn: &Connection) -> rusqlite::Result<u64> {
    let pages: i64 = conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
    let size: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
    Ok((pages * size / (1024 * 1024)) as u64)
}

/// One instrument's bars, in one transaction; returns the rows.
fn fill_instrument(conn: &Connection, n: u64) -> rusqlite::Result<u64> {
    let key = format!("NSE_EQ|INE{n:06}A01018");
    let source = if n.is_multiple_of(5) {
        "yahoo"
    } else {
        "upstox"
    };
    let with_oi = n.is_multiple_of(3);
    conn.execute_batch("BEGIN")?;
    let mut stmt = conn.prepare_cached(
        "INSERT INTO candles (instrument, interval, ts, open, high, low, close, volume, oi, source)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    let mut rows = 0;
    for (name, minutes) in [("1minute", 1), ("5minute", 5), ("15minute", 15), ("day", 0)] {
        for session in 0..SESSIONS {
            // Weekdays only: five sessions a week, two days skipped.
            let open = FIRST_OPEN + (session / 5 * 7 + session % 5) * 86_400;
            let starts: Vec<i64> = if minutes == 0 {
                vec![open - (9 * 3600 + 15 * 60)]
            } else {
                (0..SESSION_MINUTES / minutes)
                    .map(|i| open + i * minutes * 60)
                    .collect()
            };
            for ts in starts {
                let i = (ts / 60 + n as i64) % 997;
                let base = 100.0 + i as f64 * 0.05;
                let close = base + 0.05 * ((i % 7) as f64 - 3.0);
                stmt.execute(params![
                    key,
                    name,
                    ts,
                    base,
                    base.max(close) + 0.1,
                    base.min(close) - 0.1,
                    close,
                    1000 + i * 13,
                    with_oi.then_some(50_000 + i),
                    source
                ])?;
                rows += 1;
            }
        }
    }
    conn.execute_batch("COMMIT")?;
    Ok(rows)
}
