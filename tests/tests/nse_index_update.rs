//! upstox-nse-index-update as a user runs it: the built binary against a loopback server in
//! NSE's real file format, writing a real SQLite file: loads, re-runs, rebalances, dry runs,
//! imports, the command line, configuration, logs and the data directory.

use testkit::nse::*;

#[test]
fn a_clean_run_stores_every_default_index_and_records_the_run() {
    let s = setup();
    let out = s.run(&[]).expect(
        0,
        "s: 9/9 indices done",
        Row::status("succeeded").units(9, 0).rows(1322 + 500),
    );
    let conn = s.sandbox.db();
    for (index, n) in [
        ("NIFTY50", 50),
        ("NIFTYNEXT50", 50),
        ("NIFTY100", 100),
        ("NIFTY200", 200),
        ("NIFTY500", 500),
        ("NIFTYMIDCAP150", 150),
        ("NIFTYSMALLCAP250", 250),
        ("NIFTYBANK", 12),
        ("NIFTYIT", 10),
    ] {
        assert_eq!(current_symbols(&conn, index).len(), n, "{index}");
    }
    let sectors: i64 = conn
        .query_row("SELECT COUNT(*) FROM nse_sector_info", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sectors, 500);
    assert_eq!(
        industry_of(&conn, "S&SMOTORS"),
        "Automobile and Auto Components"
    );
    assert_summary(&out, "nse-index-update succeeded in ");
    assert_summary(&out, "1322 joined, 0 left");
}

#[test]
fn a_second_run_changes_nothing() {
    let s = setup();
    s.run_ok(&[]);
    let before = tables(&s.sandbox.db());
    s.run(&[]).expect(
        0,
        "0 joined, 0 left, 0 renamed",
        Row::status("succeeded").units(9, 0).rows(0),
    );
    assert_eq!(tables(&s.sandbox.db()), before);
}

#[test]
fn a_rebalance_records_joins_exits_renames_and_keeps_history() {
    let s = setup();
    s.run_ok(&[]);
    s.server.set_root(&rebalanced());
    let out = s.run_ok(&[]);
    let conn = s.sandbox.db();
    let nifty50 = current_symbols(&conn, "NIFTY50");
    assert!(
        nifty50.contains(&"PIRPANJHFL".to_string()) && nifty50.contains(&"GANDAMTOOL".to_string())
    );
    assert!(
        !nifty50.contains(&"HARISHCENT".to_string()) && !nifty50.contains(&"BEASENGG".to_string())
    );
    assert!(
        nifty50.contains(&"KONKANENGY".to_string()) && !nifty50.contains(&"KONKANPGRD".to_string())
    );
    let left: Vec<_> = spells(&conn, "NIFTY50")
        .into_iter()
        .filter(|s| s.3.is_some())
        .map(|s| s.0)
        .collect();
    assert_eq!(
        left.len(),
        2,
        "the leavers' spells are kept, closed: {left:?}"
    );
    assert_eq!(industry_of(&conn, "VASUNDHIND"), "Capital Goods");
    assert!(
        out.stderr.contains("NIFTY50: 50 constituents; 2 joined"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("1 renamed (KONKANPGRD → KONKANENGY)"),
        "{}",
        out.stderr
    );
}

#[test]
fn dry_run_writes_nothing_and_says_who_would_join_and_leave() {
    let s = setup();
    let fresh = s.run(&["--dry-run", "--index", "NIFTYBANK"]).expect(
        0,
        "nse-index-update (dry run) succeeded in ",
        Row::none(),
    );
    assert!(
        fresh
            .stdout
            .contains("NIFTYBANK: 12 constituents; 12 would join"),
        "{}",
        fresh.stdout
    );
    assert!(
        !s.sandbox.data_dir().exists(),
        "a dry run on a fresh machine creates nothing"
    );

    s.run_ok(&[]);
    // The job leaves its WAL for a later checkpoint; fold it into the file, so that the bytes
    // compared are all the data and no reader of the test's own checkpoints them in between.
    s.sandbox
        .db()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
    let listing = || {
        let mut v: Vec<_> = std::fs::read_dir(s.sandbox.data_dir())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        v.sort();
        v
    };
    let (before, files) = (std::fs::read(s.sandbox.db_path()).unwrap(), listing());
    s.server.set_root(&rebalanced());
    let out = s
        .run(&["--dry-run"])
        .expect(0, "(dry run) succeeded", Row::none());
    assert_eq!(
        std::fs::read(s.sandbox.db_path()).unwrap(),
        before,
        "byte-identical"
    );
    assert_eq!(listing(), files, "no -wal or -shm left behind");
    assert!(
        out.stdout.contains("NIFTY50: 50 constituents; 2 would join (GANDAMTOOL, PIRPANJHFL), 2 would leave (BEASENGG, HARISHCENT), 1 would be renamed (KONKANPGRD → KONKANENGY)"),
        "{}",
        out.stdout
    );
    assert!(
        out.summary()
            .contains("nse-index-update (dry run) succeeded in "),
        "{}",
        out.summary()
    );
    assert_eq!(
        job_runs(&s.sandbox.db()).len(),
        1,
        "no job_runs row for a dry run"
    );
}

#[test]
fn from_file_imports_any_index_without_downloading() {
    let s = setup();
    let file = s.sandbox.path().join("watchlist.csv");
    std::fs::write(
        &file,
        "Company Name,Industry,Symbol,Series,ISIN Code\nReliance Industries Ltd.,Oil Gas & Consumable Fuels,RELIANCE,EQ,INE002A01018\n",
    )
    .unwrap();
    s.run_ok(&[
        "--index",
        "my-watchlist",
        "--from-file",
        file.to_str().unwrap(),
    ]);
    assert_eq!(
        current_symbols(&s.sandbox.db(), "MY-WATCHLIST"),
        vec!["RELIANCE"]
    );
    assert!(s.server.arrivals(NIFTY50).is_empty());

    let missing = s.run(&["--index", "X", "--from-file", "/nonexistent/file.csv"]);
    assert_eq!(missing.code, Some(74), "{}", missing.stderr);
    assert!(
        missing
            .stderr
            .contains("X: cannot read /nonexistent/file.csv"),
        "{}",
        missing.stderr
    );
}

#[test]
fn bad_command_lines_exit_2() {
    let s = setup();
    let out = s.run(&["--index", "A", "--index", "B", "--from-file", "x.csv"]);
    assert_eq!(out.code, Some(2));
    assert!(
        out.stderr.contains("give exactly one --index"),
        "{}",
        out.stderr
    );
    let out = s.run(&["--index", "NIFTY51"]);
    assert_eq!(out.code, Some(2));
    assert!(
        out.stderr.contains("unknown index `NIFTY51`"),
        "{}",
        out.stderr
    );
    assert!(!s.sandbox.data_dir().exists());
}

#[test]
fn configuration_errors_name_the_file_and_key_and_exit_78() {
    let s = setup();
    let cfg = s.sandbox.path().join("config.toml");
    s.sandbox
        .write_config("[jobs.nse-index-update]\nindexes = [\"NIFTY50\"]\n");
    let out = s.run(&[]);
    assert_eq!(out.code, Some(78), "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "{}: line 2: [jobs.nse-index-update] indexes: unknown field `indexes`",
            cfg.display()
        )),
        "{}",
        out.stderr
    );

    s.sandbox
        .write_config("[jobs.nse-index-update]\nindices = [\"NIFTY51\"]\n");
    let out = s.run(&[]);
    assert_eq!(out.code, Some(78), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("[jobs.nse-index-update] indices: unknown index `NIFTY51`"),
        "{}",
        out.stderr
    );

    s.sandbox
        .write_config("[jobs.nse-index-update]\nindices = []\n");
    let out = s.run(&[]);
    assert_eq!(out.code, Some(78), "{}", out.stderr);
    assert!(out.stderr.contains("indices is empty"), "{}", out.stderr);

    s.sandbox.write_config("[http]\nretries = -1\n");
    let out = s.run(&[]);
    assert_eq!(out.code, Some(78), "{}", out.stderr);
    assert!(out.stderr.contains("line 2"), "{}", out.stderr);
}

#[test]
fn show_prints_what_was_stored() {
    let s = setup();
    s.run_ok(&[]);
    let out = s.run_ok(&["show"]);
    assert!(
        out.stdout
            .contains("NIFTYBANK                  12            0"),
        "{}",
        out.stdout
    );
    let out = s.run_ok(&["show", "--index", "niftyit"]);
    assert_eq!(out.stdout.lines().count(), 11, "{}", out.stdout);
}

#[test]
fn json_logs_are_one_object_per_line_with_fields() {
    let s = setup();
    let out = s
        .sandbox
        .command_without_data_dir(
            BIN,
            &["--log-format", "json", "--index", "NIFTYBANK", "--data-dir"],
        )
        .arg(s.sandbox.data_dir())
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<serde_json::Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let bank = lines.iter().find(|v| v["index"] == "NIFTYBANK").unwrap();
    assert_eq!(bank["rows"], 12);
    assert_eq!(bank["level"], "INFO");
    assert!(
        bank["message"]
            .as_str()
            .unwrap()
            .starts_with("NIFTYBANK: 12 constituents")
    );
    let last = lines.last().unwrap();
    assert_eq!(last["status"], "succeeded");
}

#[test]
fn the_data_directory_comes_from_systemd_then_the_users_home() {
    let s = setup();
    let state = s.sandbox.path().join("state");
    let out = s
        .sandbox
        .command_without_data_dir(BIN, &["--log-format", "text", "--index", "NIFTYIT"])
        .env("STATE_DIRECTORY", format!("{}:/elsewhere", state.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        state.join("market_data.db").exists(),
        "$STATE_DIRECTORY's first path"
    );

    let system = std::path::Path::new("/var/lib/upstox-jobs");
    if system.is_dir() {
        eprintln!(
            "not running the home part: {} exists here and would be used",
            system.display()
        );
        return;
    }
    let home = s.sandbox.path().join("home");
    let out = s
        .sandbox
        .command_without_data_dir(BIN, &["--log-format", "text", "--index", "NIFTYIT"])
        .env("HOME", &home)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        home.join(".local/share/upstox-jobs/market_data.db")
            .exists(),
        "an ad hoc run without /var/lib/upstox-jobs writes to ~/.local/share/upstox-jobs"
    );
}

#[test]
fn show_exits_with_the_documented_codes() {
    let s = setup();
    // Before the first run there is nothing to show, which is not an error.
    let out = s.run(&["show"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout.contains("(no index stored yet)"),
        "{}",
        out.stdout
    );
    assert!(!s.sandbox.db_path().exists(), "show created the database");
    s.sandbox.write_config("[http]\nretrys = 1\n");
    let out = s.run(&["show"]);
    assert_eq!(out.code, Some(78), "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
}
