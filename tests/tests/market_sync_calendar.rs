//! upstox-market-sync by the NSE calendar: holidays, weekends and half days are no gaps, and
//! a scheduled run outside market hours is skipped.

use testkit::sync::*;

#[test]
fn holidays_weekends_and_half_days_follow_the_nse_calendar() {
    // 2026-11-10 is an NSE holiday in the built-in list; the 19th is made a half day.
    let mut list = sessions(nov(1), nov(30));
    let half_close = chrono::NaiveTime::from_hms_opt(13, 0, 0).unwrap();
    for s in &mut list {
        if s.0 == nov(19) {
            s.2 = half_close;
        }
    }
    assert!(
        !list.iter().any(|s| s.0 == nov(10)),
        "the 10th is a holiday"
    );
    let mut w = World::with_sessions(list, "");
    // The half day, as a desk would record it before syncing.
    w.run_ok(&["--dry-run"]);
    let conn_path = w.sandbox.db_path();
    assert!(!conn_path.exists(), "a dry run writes nothing");
    w.run_ok(&[
        "--no-options",
        "--no-quotes",
        "--interval",
        "day",
        "--symbols",
        "RELIANCE",
    ]);
    w.db()
        .execute(
            "INSERT INTO market_holidays VALUES ('2026-11-19', 'Half day', 'special_session', '09:15', '13:00', 'test')",
            [],
        )
        .unwrap();
    w.run_ok(&["--no-options"]);
    let conn = w.db();
    let bars = stored(&conn, RELIANCE, "15minute");
    let on = |d| {
        bars.iter()
            .filter(|&&ts| ts >= ist(d, 0, 0).timestamp() && ts < ist(d, 23, 59).timestamp())
            .count()
    };
    assert_eq!(on(nov(18)), 25, "a full session");
    assert_eq!(on(nov(19)), 15, "09:15 to 13:00");
    assert_eq!(on(nov(10)), 0, "holiday");
    assert_eq!(count(&conn, "data_gaps"), 0, "closed time is not a gap");

    // A scheduled run on a holiday, a weekend, or before the open is skipped; --force runs.
    for (when, reason) in [
        (ist(nov(24), 11, 0), "NSE holiday"),
        (ist(nov(22), 11, 0), "Sunday"),
        (ist(nov(23), 8, 0), "opens at 09:15"),
    ] {
        w.set_now(when);
        let out = w.run_ok(&[]);
        assert!(out.summary().contains("skipped"), "{}", out.summary());
        assert!(out.stderr.contains(reason), "{}", out.stderr);
    }
    let forced = w.run_ok(&["--force", "--no-options", "--symbols", "RELIANCE"]);
    assert!(
        forced.summary().contains("succeeded"),
        "{}",
        forced.summary()
    );
}
