//! One provider configuration for every job: `[providers.upstox]` and `[providers.yahoo]`,
//! with the tables that used to sit under each job still read for one release.

use testkit::Row;
use testkit::sync::World;

/// The world's configuration with its provider tables where 0.1 put them.
fn old_style(w: &World) -> String {
    let config = std::fs::read_to_string(w.sandbox.path().join("config.toml")).unwrap();
    let old = config
        .replace("[providers.upstox]", "[jobs.market-sync.upstox]")
        .replace("[providers.yahoo]", "[jobs.market-sync.yahoo]");
    assert_ne!(old, config, "the world configures [providers]");
    old
}

#[test]
fn a_providers_old_table_under_its_job_still_works_with_a_warning_naming_the_new_key() {
    let w = World::new();
    w.sandbox.write_config(&old_style(&w));
    let run = w
        .run(&["--symbols", "RELIANCE", "--interval", "day", "--no-options"])
        .expect(0, "succeeded", Row::status("succeeded").units(1, 0));
    // The candles came from the loopback server the old table names, not from Upstox.
    assert!(!w.paths("/v3/historical-candle").is_empty());
    for old in ["upstox", "yahoo"] {
        assert!(
            run.stderr.contains(&format!(
                "[jobs.market-sync.{old}] is deprecated and stops working in the next release; rename it to [providers.{old}]"
            )),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn an_old_table_beside_the_new_one_is_a_configuration_error_naming_both() {
    let w = World::new();
    let both = format!(
        "{}\n[jobs.market-sync.upstox]\nbase_url = \"http://127.0.0.1:9\"\n",
        std::fs::read_to_string(w.sandbox.path().join("config.toml")).unwrap()
    );
    w.sandbox.write_config(&both);
    let run = w
        .run(&["--symbols", "RELIANCE"])
        .expect(78, "", Row::none());
    assert!(
        run.stderr.contains(
            "[jobs.market-sync.upstox] and [providers.upstox] are both set; [providers.upstox] replaces the old table"
        ),
        "{}",
        run.stderr
    );
    assert!(
        w.paths("/v3/").is_empty(),
        "nothing was asked of the provider"
    );
}
