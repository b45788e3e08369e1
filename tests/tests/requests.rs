//! A bad request or a bad configuration is refused the same way by every job, before anything
//! is locked, created or opened: a usage error in clap's format (exit 2), a configuration
//! error naming the file and the key (exit 78), and nothing left behind.

use testkit::{JobRun, Row};

/// Runs `bin` with `args` in a fresh sandbox configured with `config`; asserts `code`, that
/// stderr says `says`, that no row was recorded and that the data directory was not created.
fn refused(bin: &str, config: &str, args: &[&str], code: i32, says: &str) {
    let run = JobRun::new(bin)
        .config(config)
        .args(args.iter().copied())
        .run()
        .expect(code, "", Row::none());
    assert!(run.stderr.contains(says), "{bin} {args:?}: {}", run.stderr);
    assert!(
        !run.sandbox().data_dir().exists(),
        "{bin} {args:?} created the data directory before refusing"
    );
}

#[test]
fn a_bad_request_is_a_usage_error_in_clap_format_before_anything_is_opened() {
    for (bin, args, says) in [
        (
            "upstox-market-sync",
            &["--to", "2026-11-20"][..],
            "--to needs --from or --period",
        ),
        (
            "upstox-market-sync",
            &["--from", "2026-11-20", "--to", "2026-11-10"][..],
            "--from 2026-11-20 is after --to 2026-11-10",
        ),
        (
            "upstox-nse-index-update",
            &["--from-file", "/nonexistent.csv"][..],
            "--from-file imports one index: give exactly one --index NAME",
        ),
        (
            "upstox-nse-index-update",
            &["--index", "NIFTY9999"][..],
            "NIFTY9999",
        ),
        ("upstox-alert-scan", &["explain", "NSE_EQ|"][..], "NSE_EQ|"),
    ] {
        let usage = format!("\n\nUsage: {bin} ");
        refused(bin, "", args, 2, "error: ");
        refused(bin, "", args, 2, says);
        refused(bin, "", args, 2, &usage);
    }
}

#[test]
fn a_bad_configuration_names_the_file_and_the_key_before_anything_is_locked() {
    for (bin, config, key) in [
        (
            "upstox-market-sync",
            "[jobs.market-sync]\ngap_lookback_days = 0\n",
            "[jobs.market-sync] gap_lookback_days = 0: use 1 to 3650",
        ),
        (
            "upstox-market-sync",
            "[jobs.market-sync]\natm_max_distance = \"near\"\n",
            "atm_max_distance = \"near\": use \"step\" (one strike step), a percentage of spot",
        ),
        (
            "upstox-alert-scan",
            "[jobs.alert-scan]\nhistory_bars = 10\n",
            "[jobs.alert-scan] history_bars = 10: use 50 to 5000",
        ),
        (
            "upstox-nse-index-update",
            "[jobs.nse-index-update]\nindices = [\"NIFTY9999\"]\n",
            "[jobs.nse-index-update] indices: ",
        ),
        (
            "upstox-market-sync",
            "[providers.upstox]\nlimits = [{ requests = 0, per_secs = 1.0 }]\n",
            "[providers.upstox] limits: ",
        ),
    ] {
        // The configuration file's path starts the message: which file, then which key.
        refused(bin, config, &[], 78, "config.toml: ");
        refused(bin, config, &[], 78, key);
    }
}

/// Every numeric key of every table the jobs read: the binary, the configuration with `{}`
/// where the value goes, the table and the key the refusal must name, and which of the
/// extreme values the key accepts (the others must be refused).
const NUMERIC_KEYS: &[(&str, &str, &str, &str, &[&str])] = &[
    (
        "upstox-market-sync",
        "[http]\nconnect_timeout_secs = {}\n",
        "[http]",
        "connect_timeout_secs",
        &[],
    ),
    (
        "upstox-market-sync",
        "[http]\ntimeout_secs = {}\n",
        "[http]",
        "timeout_secs",
        &[],
    ),
    (
        "upstox-market-sync",
        "[http]\nretries = {}\n",
        "[http]",
        "retries",
        &["0"],
    ),
    (
        "upstox-market-sync",
        "[http]\nbackoff_initial_ms = {}\n",
        "[http]",
        "backoff_initial_ms",
        &["0"],
    ),
    (
        "upstox-market-sync",
        "[http]\nbackoff_max_secs = {}\n",
        "[http]",
        "backoff_max_secs",
        &[],
    ),
    (
        "upstox-market-sync",
        "[http]\nmax_retry_after_secs = {}\n",
        "[http]",
        "max_retry_after_secs",
        &["0", "1e-300"],
    ),
    (
        "upstox-market-sync",
        "[http]\nmax_body_mib = {}\n",
        "[http]",
        "max_body_mib",
        &[],
    ),
    (
        "upstox-market-sync",
        "[http]\nrequests_per_second = {}\n",
        "[http]",
        "requests_per_second",
        &[],
    ),
    (
        "upstox-market-sync",
        "[http.hosts.\"127.0.0.1\"]\nrequests_per_second = {}\n",
        "[http.hosts.\"127.0.0.1\"]",
        "requests_per_second",
        &[],
    ),
    (
        "upstox-market-sync",
        "[database]\nbusy_timeout_secs = {}\n",
        "[database]",
        "busy_timeout_secs",
        &["0", "1e-300"],
    ),
    (
        "upstox-market-sync",
        "[providers.upstox]\nlimits = [{ requests = {}, per_secs = 1.0 }]\n",
        "[providers.upstox]",
        "requests",
        &[],
    ),
    (
        "upstox-market-sync",
        "[providers.upstox]\nlimits = [{ requests = 1, per_secs = {} }]\n",
        "[providers.upstox]",
        "per_secs",
        &[],
    ),
    (
        "upstox-alert-scan",
        "[providers.yahoo]\nlimits = [{ requests = {}, per_secs = 1.0 }]\n",
        "[providers.yahoo]",
        "requests",
        &[],
    ),
    (
        "upstox-alert-scan",
        "[providers.yahoo]\nlimits = [{ requests = 1, per_secs = {} }]\n",
        "[providers.yahoo]",
        "per_secs",
        &[],
    ),
    (
        "upstox-market-sync",
        "[notify.email]\nhost = \"127.0.0.1\"\nfrom = \"jobs@example.org\"\nto = [\"desk@example.org\"]\nport = {}\n",
        "[notify.email]",
        "port",
        &[],
    ),
    (
        "upstox-market-sync",
        "[jobs.market-sync.initial_days]\n1d = {}\n",
        "[jobs.market-sync",
        "initial_days",
        &[],
    ),
    (
        "upstox-market-sync",
        "[jobs.market-sync]\ngap_lookback_days = {}\n",
        "[jobs.market-sync]",
        "gap_lookback_days",
        &[],
    ),
    (
        "upstox-market-sync",
        "[jobs.market-sync]\ngap_requests_per_run = {}\n",
        "[jobs.market-sync]",
        "gap_requests_per_run",
        &["0"],
    ),
    (
        "upstox-market-sync",
        "[jobs.market-sync]\nunfillable_after = {}\n",
        "[jobs.market-sync]",
        "unfillable_after",
        &[],
    ),
    (
        "upstox-market-sync",
        "[jobs.market-sync]\noption_expiries = {}\n",
        "[jobs.market-sync]",
        "option_expiries",
        &["0"],
    ),
    (
        "upstox-market-sync",
        "[jobs.market-sync]\natm_max_distance = {}\n",
        "[jobs.market-sync]",
        "atm_max_distance",
        &[],
    ),
    (
        "upstox-market-sync",
        "[jobs.market-sync]\nafter_close_minutes = {}\n",
        "[jobs.market-sync]",
        "after_close_minutes",
        &["0"],
    ),
    (
        "upstox-alert-scan",
        "[jobs.alert-scan]\nhistory_bars = {}\n",
        "[jobs.alert-scan]",
        "history_bars",
        &[],
    ),
    (
        "upstox-alert-scan",
        "[jobs.alert-scan]\ndeadline_secs = {}\n",
        "[jobs.alert-scan]",
        "deadline_secs",
        &[],
    ),
    (
        "upstox-nse-index-update",
        "[jobs.nse-index-update]\ndeadline_secs = {}\n",
        "[jobs.nse-index-update]",
        "deadline_secs",
        &[],
    ),
    (
        "upstox-market-sync",
        "[jobs.market-sync]\nmax_invalid_share = {}\n",
        "[jobs.market-sync]",
        "max_invalid_share",
        &["0", "1e-300"],
    ),
    (
        "upstox-market-sync",
        "[providers.upstox]\ninstruments_max_mib = {}\n",
        "[providers.upstox]",
        "instruments_max_mib",
        &[],
    ),
];

#[test]
fn no_numeric_value_panics_every_out_of_range_one_is_refused_naming_the_key() {
    // TOML has inf and nan literals; 1e-300 once made a 1/rate interval no Duration holds.
    const EXTREMES: [&str; 7] = ["0", "-1", "1e-300", "1e300", "inf", "-inf", "nan"];
    for (bin, template, table, key, accepted) in NUMERIC_KEYS {
        for value in EXTREMES.iter().filter(|v| !accepted.contains(v)) {
            let config = template.replace("{}", value);
            let run = JobRun::new(bin).config(&config).run();
            let stderr = &run.stderr;
            assert_eq!(run.code, Some(78), "{bin} with {config:?}: {stderr}");
            assert!(!stderr.contains("panicked"), "{config}: {stderr}");
            assert!(
                stderr.contains("config.toml: ") && stderr.contains(table) && stderr.contains(key),
                "{bin} with {config}: the refusal must name {table} {key}: {stderr}"
            );
            assert!(!run.sandbox().data_dir().exists(), "{config}");
        }
    }
}
