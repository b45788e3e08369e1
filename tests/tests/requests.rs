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
