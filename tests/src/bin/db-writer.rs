//! A process that keeps writing a SQLite database, for the backup tests and benchmark:
//! `db-writer DB --every-ms N [--for-secs S]` creates `writer_log(id INTEGER PRIMARY KEY, at
//! INTEGER NOT NULL)` if missing, then commits one row at a time in WAL mode (busy_timeout
//! 5000) every N ms until SIGTERM/SIGINT or S seconds, and prints
//! `{"commits":N,"longest_commit_ms":X}`: ids are contiguous, so a consistent copy's max(id)
//! is the number of commits it holds.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use common::shutdown::Shutdown;
use rusqlite::Connection;

const USAGE: &str = "usage: db-writer DB --every-ms N [--for-secs S]";

struct Args {
    db: String,
    every: Duration,
    for_secs: Option<Duration>,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let db = args.next().ok_or("DB is missing")?;
    let (mut every, mut for_secs) = (None, None);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        let number: f64 = value
            .parse()
            .map_err(|_| format!("{flag} {value}: not a number"))?;
        if !(number.is_finite() && number >= 0.0) {
            return Err(format!("{flag} {value}: not a positive number"));
        }
        match flag.as_str() {
            "--every-ms" => every = Some(Duration::from_secs_f64(number / 1000.0)),
            "--for-secs" => for_secs = Some(Duration::from_secs_f64(number)),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(Args {
        db,
        every: every.ok_or("--every-ms is missing")?,
        for_secs,
    })
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("db-writer: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match write(&args) {
        Ok((commits, longest)) => {
            println!(
                "{{\"commits\":{commits},\"longest_commit_ms\":{:.3}}}",
                longest.as_secs_f64() * 1000.0
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("db-writer: {}: {e}", args.db);
            ExitCode::from(74)
        }
    }
}

/// Commits until told to stop: (commits, the longest commit).
fn write(args: &Args) -> Result<(u64, Duration), Box<dyn std::error::Error>> {
    let stop = Shutdown::install()?;
    let conn = Connection::open(&args.db)?;
    conn.busy_timeout(Duration::from_millis(5000))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS writer_log (id INTEGER PRIMARY KEY, at INTEGER NOT NULL)",
    )?;
    let started = Instant::now();
    let (mut commits, mut longest) = (0u64, Duration::ZERO);
    let mut insert = conn.prepare("INSERT INTO writer_log (at) VALUES (?1)")?;
    while !stop.requested() && args.for_secs.is_none_or(|s| started.elapsed() < s) {
        let at = chrono::Utc::now().timestamp_millis();
        let begun = Instant::now();
        insert.execute([at])?;
        longest = longest.max(begun.elapsed());
        commits += 1;
        stop.sleep(args.every);
    }
    Ok((commits, longest))
}
