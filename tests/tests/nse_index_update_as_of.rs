//! upstox-nse-index-update --as-of: a file loaded for an earlier date dates its joins by it,
//! so a later run's rebalance is history on a day of its own; a file older than a stored change
//! writes nothing, and a date after today is a usage error.

use testkit::nse::*;

const FIRST: &str = "2026-11-02";
/// The later run's market clock, pinned: its date is the day the rebalance is put on.
const LATER: &str = "2026-12-04 19:00 IST";

/// The sandbox's configuration pointed at the rebalanced files.
fn rebalance(s: &Setup) {
    s.sandbox
        .write_config(&config(&format!("{}/rebalanced", s.server.url())));
}

#[test]
fn a_first_load_as_of_an_earlier_date_puts_the_rebalance_on_a_later_day() {
    let s = setup();
    s.run_ok(&["--index", "NIFTY50", "--as-of", FIRST]);
    rebalance(&s);
    s.job().at(LATER).args(["--index", "NIFTY50"]).run().ok();
    let today = "2026-12-04".to_string();
    let spells = spells(&s.sandbox.db(), "NIFTY50");
    let left: Vec<_> = spells.iter().filter(|x| x.3.is_some()).collect();
    let joined_today: Vec<_> = spells.iter().filter(|x| x.2 == today).collect();
    // Ranks 49-50 left and ranks 51-52 joined (fixtures/nse/README.md), today.
    assert_eq!(left.len(), 2, "{spells:?}");
    assert!(
        left.iter()
            .all(|x| x.2 == FIRST && x.3.as_deref() == Some(today.as_str())),
        "{left:?}"
    );
    assert_eq!(joined_today.len(), 2, "{spells:?}");
    assert_eq!(
        spells.iter().filter(|x| x.2 == FIRST).count(),
        50,
        "{spells:?}"
    );
}

#[test]
fn a_file_older_than_a_stored_change_writes_nothing() {
    let s = setup();
    s.run_ok(&["--index", "NIFTY50", "--as-of", "2026-11-10"]);
    let before = spells(&s.sandbox.db(), "NIFTY50");
    rebalance(&s);
    s.run(&["--index", "NIFTY50", "--as-of", FIRST]).expect(
        2,
        "NIFTY50",
        Row::status("failed")
            .units(0, 1)
            .error("load archived files oldest first"),
    );
    assert_eq!(spells(&s.sandbox.db(), "NIFTY50"), before);
}

#[test]
fn a_date_after_today_is_a_usage_error() {
    let s = setup();
    let out = s
        .run(&["--as-of", "2999-01-01"])
        .expect(2, "--help", Row::none());
    assert!(
        out.stderr.contains("after today")
            && out.stderr.contains("give the date the file was published"),
        "{}",
        out.stderr
    );
}
