//! Files a person names are read whole but never past a bound: `/dev/zero` (no end, no size on
//! disk) given as a saved answer, a trade book, a rules file, the configuration, a credential
//! or the holiday list ends in one clear error with the documented exit code. Each run is held
//! to 4 GiB of address space, so a reader without its bound dies of a failed allocation here
//! in a few seconds instead of taking the machine's memory.

use std::process::Command;

use testkit::Sandbox;
use testkit::binary::{Outcome, binary};

/// `cmd` run under `prlimit --as`: the same program, arguments and environment.
fn bounded(cmd: Command) -> Outcome {
    let mut limited = Command::new("prlimit");
    limited
        .arg("--as=4294967296")
        .arg("--")
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (key, value) in cmd.get_envs() {
        match value {
            Some(v) => limited.env(key, v),
            None => limited.env_remove(key),
        };
    }
    limited.output().expect("prlimit (util-linux) runs").into()
}

fn refused(outcome: &Outcome, code: i32, words: &str) {
    assert_eq!(outcome.code, Some(code), "{}", outcome.stderr);
    assert!(outcome.stderr.contains(words), "{}", outcome.stderr);
}

#[test]
fn a_saved_answer_without_end_is_refused_at_the_body_limit() {
    let s = Sandbox::new("[http]\nmax_body_mib = 1\n");
    let nse = s.command(
        "upstox-nse-index-update",
        &["--index", "NIFTY50", "--from-file", "/dev/zero"],
    );
    refused(&bounded(nse), 65, "larger than [http] max_body_mib (1 MiB)");
    let news = s.command("upstox-news-sentiment", &["--from-file", "/dev/zero"]);
    refused(
        &bounded(news),
        65,
        "larger than [http] max_body_mib (1 MiB)",
    );
}

#[test]
fn a_trade_book_or_rules_file_without_end_is_refused() {
    let s = Sandbox::new("");
    let trades = s.command(
        "upstox-performance-analytics",
        &["import-trades", "/dev/zero"],
    );
    refused(&bounded(trades), 65, "larger than 64 MiB");
    let rules = s.command("upstox-alert-scan", &["rules", "import", "/dev/zero"]);
    refused(&bounded(rules), 65, "larger than 16 MiB");
}

#[test]
fn a_configuration_credential_or_holiday_list_without_end_is_refused() {
    let s = Sandbox::new("");
    let mut config = Command::new(binary("upstox-db-maintenance"));
    config
        .args([
            "--config",
            "/dev/zero",
            "--log-format",
            "text",
            "--data-dir",
        ])
        .arg(s.data_dir());
    refused(&bounded(config), 78, "larger than 1024 KiB");

    s.write_config("[credentials]\nupstox_token = \"/dev/zero\"\n");
    let token = s.command("upstox-market-sync", &["--force"]);
    refused(&bounded(token), 78, "holds more than 64 KiB");

    s.write_config("[calendar]\nholidays_file = \"/dev/zero\"\n");
    let calendar = s.command("upstox-market-sync", &[]);
    refused(&bounded(calendar), 78, "holidays_file");
}
