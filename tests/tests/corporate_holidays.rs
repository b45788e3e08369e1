//! The exchange calendar kept current: NSE's holiday master and Upstox's market holidays are
//! stored in market_holidays (a new year, a Muhurat session), and a list that fails the
//! checks is refused with the stored one kept.

use testkit::Reply;
use testkit::corporate::*;

fn days(conn: &rusqlite::Connection) -> Vec<(String, String, String)> {
    conn.prepare("SELECT date, kind, source FROM market_holidays ORDER BY date")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn a_new_year_is_stored_with_upstoxs_special_session() {
    let s = setup();
    let out = s.run(&["--source", "nse"]).expect(
        0,
        "calendar: nse-holidays 2027: 15 holidays",
        Row::status("succeeded").units(5, 0),
    );
    assert!(
        out.summary()
            .contains("upstox-holidays 2027: 14 holidays, 1 special sessions"),
        "{}",
        out.summary()
    );
    let stored = days(&s.sandbox.db());
    assert!(
        stored.contains(&("2027-01-26".into(), "holiday".into(), "nse-holidays".into())),
        "{stored:#?}"
    );
    assert!(
        stored.contains(&(
            "2027-10-29".into(),
            "special_session".into(),
            "upstox-holidays".into()
        )),
        "{stored:#?}"
    );
    // A rerun changes no day.
    s.run(&["--source", "nse"]).ok();
    assert_eq!(days(&s.sandbox.db()), stored);
}

#[test]
fn a_bad_list_is_refused_and_the_stored_one_kept() {
    let s = setup_with("");
    s.run(&["--source", "nse"]).ok();
    let stored = days(&s.sandbox.db());
    assert_eq!(stored.len(), 15);
    let bad = std::fs::read(fixtures().join("bad-holidays/nse-holidays.json")).unwrap();
    s.server
        .script("/api/holiday-master", vec![Reply::Body(bad)]);
    s.run(&["--source", "nse"]).expect(
        1,
        "3/4 sources done",
        Row::status("partial")
            .units(3, 1)
            .error("3 equity holidays in 2027, where a real year has 8 to 30"),
    );
    assert_eq!(days(&s.sandbox.db()), stored, "the old list kept");
}

/// `upstox-jobs status` at `when` (IST), on the sandbox's database.
fn status_at(s: &Setup, when: &str) -> testkit::Outcome {
    let at = chrono::NaiveDateTime::parse_from_str(when, "%Y-%m-%d %H:%M").unwrap();
    let at = chrono::TimeZone::from_local_datetime(&chrono_tz::Asia::Kolkata, &at).unwrap();
    let mut cmd = s.sandbox.command_without_data_dir("upstox-jobs", &[]);
    cmd.arg("--data-dir")
        .arg(s.sandbox.data_dir())
        .arg("status")
        .env("UPSTOX_JOBS_NOW", at.to_rfc3339());
    cmd.output().unwrap().into()
}

#[test]
fn status_warns_until_the_next_years_holidays_are_stored() {
    let s = setup_with("");
    s.run(&["--source", "bse"]).ok();
    // 20 December 2026: the built-in list ends with 2026.
    let before = status_at(&s, "2026-12-20 10:00");
    assert!(
        before.stdout.contains(
            "! the calendar does not cover the next 30 days (no holidays known for 2027): run upstox-corporate-announcements"
        ),
        "{}",
        before.stdout
    );
    s.run(&["--source", "nse"]).ok();
    let after = status_at(&s, "2026-12-20 10:00");
    assert!(!after.stdout.contains("does not cover"), "{}", after.stdout);
    assert!(
        status_at(&s, "2026-06-01 10:00")
            .stdout
            .lines()
            .all(|l| !l.contains("does not cover"))
    );
}
