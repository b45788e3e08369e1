//! What a run left in the data directory: a canonical dump of the job's tables (to compare
//! with a clean run's), the integrity check, runs left `running`, and the copies of the data
//! directory the suite starts each run from.

use std::path::Path;
use std::process::Command;

use rusqlite::Connection;

use crate::binary::Sandbox;
use crate::run::{RunRow, job_runs};

/// Columns that record when a run wrote a row rather than what it wrote: two runs that
/// store the same data differ only in these.
fn is_run_time(column: &str) -> bool {
    column.ends_with("_at") || column == "id"
}

/// Every row of `tables`, their run-time columns left out, each row as text, in a fixed
/// order: equal for two runs that stored the same data.
pub fn dump(db: &Path, tables: &[&str]) -> Vec<String> {
    if !db.exists() {
        return vec![];
    }
    let conn = Connection::open(db).expect("the database opens");
    let mut out = Vec::new();
    for table in tables {
        let columns: Vec<String> = columns(&conn, table)
            .into_iter()
            .filter(|c| !is_run_time(c))
            .collect();
        if columns.is_empty() {
            out.push(format!("{table}: absent"));
            continue;
        }
        let list = columns
            .iter()
            .map(|c| format!("quote(\"{c}\")"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let sql = format!("SELECT {list} FROM \"{table}\" ORDER BY 1");
        let mut stmt = conn.prepare(&sql).expect("the dump query");
        let mut rows: Vec<String> = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .expect("rows")
            .map(|r| format!("{table}: {}", r.expect("a row")))
            .collect();
        rows.sort();
        out.extend(rows);
    }
    out
}

fn columns(conn: &Connection, table: &str) -> Vec<String> {
    let mut stmt = conn
        .prepare("SELECT name FROM pragma_table_info(?1)")
        .expect("table_info");
    stmt.query_map([table], |r| r.get(0))
        .expect("columns")
        .collect::<Result<_, _>>()
        .expect("column names")
}

/// What is wrong with the data directory's databases: an integrity check other than `ok`, a
/// run left `running`. Empty when all is well.
pub fn damage(data: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(data) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "db") {
            continue;
        }
        let conn = match Connection::open(&path) {
            Ok(c) => c,
            Err(e) => {
                found.push(format!("{} does not open: {e}", path.display()));
                continue;
            }
        };
        match conn.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0)) {
            Ok(ok) if ok == "ok" => {}
            Ok(bad) => found.push(format!("integrity_check of {}: {bad}", path.display())),
            Err(e) => found.push(format!("integrity_check of {}: {e}", path.display())),
        }
    }
    found
}

/// The `job_runs` rows of the database at `db`: none when it, or the table, is not there yet
/// (a run killed before its migrations).
pub fn runs_of(db: &Path) -> Vec<RunRow> {
    if !db.exists() {
        return vec![];
    }
    let Ok(conn) = Connection::open(db) else {
        return vec![];
    };
    let made: bool = conn
        .query_row(
            "SELECT count(*) > 0 FROM sqlite_master WHERE name = 'job_runs'",
            [],
            |r| r.get(0),
        )
        .unwrap_or(false);
    if made { job_runs(&conn) } else { vec![] }
}

/// Runs whose `job_runs` row still says `running` (none may, once every process ended).
pub fn running_rows(sandbox: &Sandbox) -> Vec<String> {
    runs_of(&sandbox.db_path())
        .into_iter()
        .filter(|r| r.status == "running")
        .map(|r| format!("job_runs {} of {} left running", r.id, r.job))
        .collect()
}

/// Copies the directory `from` to `to`, replacing what `to` held.
pub fn copy_dir(from: &Path, to: &Path) {
    if to.exists() {
        std::fs::remove_dir_all(to).expect("the old copy removed");
    }
    std::fs::create_dir_all(to).expect("the copy's directory");
    let done = Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", from.display()))
        .arg(to)
        .status()
        .expect("cp runs");
    assert!(done.success(), "cp -a {} {}", from.display(), to.display());
}
