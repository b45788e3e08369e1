//! upstox-market-sync and a hostile instrument master: a gzip bomb stops the run with 65 in
//! bounded memory and changes no data.

use std::io::Read;
use std::process::Child;

use testkit::run::last_run;
use testkit::sync::*;
use testkit::{Fault, Outcome};

/// Every row of the tables market-sync writes, but `job_runs`: what "no data changed" compares.
fn data(w: &World) -> Vec<String> {
    let conn = w.db();
    let mut rows = Vec::new();
    for (table, order) in [
        ("instruments", "instrument_key"),
        ("candles", "instrument, interval, ts"),
        ("quotes", "instrument, ts"),
    ] {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM {table} ORDER BY {order}"))
            .unwrap();
        let width = stmt.column_count();
        let mut all = stmt.query([]).unwrap();
        while let Some(row) = all.next().unwrap() {
            let values: Vec<String> = (0..width)
                .map(|i| format!("{:?}", row.get_ref(i).unwrap()))
                .collect();
            rows.push(format!("{table}: {}", values.join(", ")));
        }
    }
    rows
}

/// Waits for `child`, reading its output; returns it with the peak resident set size in KiB as
/// the kernel counted it for that process (`wait4`'s `ru_maxrss`).
fn wait_measured(mut child: Child) -> (Outcome, u64) {
    let read = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            pipe.read_to_string(&mut text).unwrap();
            text
        })
    };
    let stdout = read(Box::new(child.stdout.take().unwrap()));
    let stderr = read(Box::new(child.stderr.take().unwrap()));
    let mut status = 0;
    // SAFETY: wait4 on our own child's pid, with valid pointers; std has not reaped it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as i32, "wait4");
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    let outcome = Outcome {
        code,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    };
    (outcome, usage.ru_maxrss as u64)
}

#[test]
fn a_gzip_bomb_master_stops_the_run_with_65_in_bounded_memory_and_changes_nothing() {
    let mut w = World::new();
    let config = std::fs::read_to_string(w.sandbox.path().join("config.toml")).unwrap();
    let config = config.replace(
        "/instruments/NSE.json.gz\"\n",
        "/instruments/NSE.json.gz\"\ninstruments_max_mib = 8\n",
    );
    w.sandbox.write_config(&config);
    let args = ["--no-options", "--interval", "day"];
    w.set_now(ist(nov(19), 15, 45));
    w.run_ok(&args);
    let before = data(&w);
    assert!(before.iter().any(|r| r.starts_with("instruments: ")));

    // The next day's master: 512 MiB of JSON in 3.3 MB of gzip, under [http] max_body_mib.
    let bomb = testkit::gzip::bomb(512 << 20);
    assert!(bomb.len() < 4 << 20, "{}", bomb.len());
    w.server.script(
        "/instruments",
        vec![Fault::Bytes(bomb, "application/octet-stream".to_string())],
    );
    w.set_now(ist(nov(20), 15, 45));
    let candle_requests = w.paths("/v3/").len();
    let (out, peak_kib) = wait_measured(w.job().args(args).spawn());
    let context = format!("stdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
    assert_eq!(out.code, Some(65), "{context}");
    let summary = out.summary();
    assert!(
        summary.contains("inflates to more than 8 MiB")
            && summary.contains("[providers.upstox] instruments_max_mib"),
        "{summary}"
    );
    // The limit, the compressed body and the process itself: far from the 512 MiB inflated.
    assert!(
        peak_kib < 128 * 1024,
        "peak RSS {} MiB\n{context}",
        peak_kib / 1024
    );
    let row = last_run(&w.db());
    assert_eq!(
        (row.status.as_str(), row.exit_code),
        ("failed", Some(65)),
        "{row:?}"
    );
    assert!(data(&w) == before, "no data changed");
    // A dry run reads the master into memory instead: the same limit, the same refusal.
    w.server.script(
        "/instruments",
        vec![Fault::Bytes(
            testkit::gzip::bomb(512 << 20),
            "application/octet-stream".to_string(),
        )],
    );
    let dry = w.run(&["--no-options", "--interval", "day", "--dry-run"]);
    assert_eq!(dry.code, Some(65), "{}", dry.stderr);
    assert!(
        dry.summary().contains("instruments_max_mib"),
        "{}",
        dry.summary()
    );
    assert_eq!(
        w.paths("/v3/").len(),
        candle_requests,
        "nothing fetched after the master was refused"
    );
}

#[test]
fn a_master_with_escapes_line_breaks_nul_and_a_5_mb_name_stores_only_clean_text() {
    use std::io::Write;
    let w = World::new();
    let huge = "A".repeat(5 << 20);
    let entry = |key: &str, symbol: &str, name: &str| {
        serde_json::json!({"segment": key.split('|').next().unwrap(), "name": name,
            "isin": key.split('|').nth(1).unwrap(), "instrument_type": "EQ",
            "instrument_key": key, "trading_symbol": symbol})
    };
    let master = serde_json::json!([
        entry(
            RELIANCE,
            "RELIANCE",
            "RELIANCE\u{1b}[2J\u{1b}[31m INDUSTRIES\n2026-11-20T10:00:00Z  INFO forged\u{0}"
        ),
        entry("NSE_EQ|INE467B01029", "TCS", "TATA CONSULTANCY SERVICES LTD"),
        entry("NSE_EQ|INE009A01021", "INFY\u{1b}[31m", "INFOSYS LIMITED"),
        entry("NSE_EQ|INE040A01034", "HDFCBANK", &huge),
        {"segment": "NSE_INDEX", "name": "Nifty 50", "instrument_type": "INDEX",
         "instrument_key": NIFTY, "trading_symbol": "NIFTY"},
    ]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(master.to_string().as_bytes()).unwrap();
    w.server.script(
        "/instruments",
        vec![Fault::Bytes(
            gz.finish().unwrap(),
            "application/octet-stream".to_string(),
        )],
    );
    let out = w.run_ok(&["--no-options", "--interval", "day"]);
    assert!(!out.stderr.contains('\u{1b}'), "{}", out.stderr);
    let conn = w.db();
    let mut stmt = conn
        .prepare("SELECT trading_symbol, name FROM instruments ORDER BY trading_symbol")
        .unwrap();
    let stored: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(|row: rusqlite::Result<(String, String)>| {
            // A failure prints 80 characters of a name, not 5 MB.
            row.map(|(symbol, name)| (symbol, name.chars().take(80).collect()))
        })
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        stored,
        [
            ("NIFTY".to_string(), "Nifty 50".to_string()),
            (
                "RELIANCE".to_string(),
                "RELIANCE[2J[31m INDUSTRIES 2026-11-20T10:00:00Z  INFO forged".to_string()
            ),
            (
                "TCS".to_string(),
                "TATA CONSULTANCY SERVICES LTD".to_string()
            ),
        ],
        "the entries with an escape in the symbol or a 5 MB name are skipped"
    );
}
