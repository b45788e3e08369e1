//! NSE's session: its API answers only with the cookie its homepage sets (403 before), the
//! cookie is reused for the run, refreshed once when NSE refuses it (401 mid-run), and a
//! refusal after the refresh fails the source saying what NSE answered.

use testkit::Reply;
use testkit::corporate::*;

#[test]
fn the_homepage_is_fetched_first_and_its_cookie_reused() {
    let s = setup_with("holidays = false\n");
    s.run(&["--source", "nse"])
        .expect(0, "3/3 sources done", Row::status("succeeded").units(3, 0));
    let log = s.server.log();
    assert_eq!(log.first().map(String::as_str), Some("/"), "{log:?}");
    assert_eq!(s.server.hits("/"), 1, "one session for the run: {log:?}");
    assert_eq!(log.iter().filter(|p| p.starts_with("/api/")).count(), 3);
}

#[test]
fn a_cookie_gone_stale_mid_run_is_refreshed_once() {
    let s = setup_with("holidays = false\n");
    s.server.stale_after(1);
    s.run(&["--source", "nse"])
        .expect(0, "3/3 sources done", Row::status("succeeded").units(3, 0));
    assert_eq!(s.server.hits("/"), 2, "{:?}", s.server.log());
    assert!(count(&s.sandbox.db(), "corporate_announcements") > 0);
}

#[test]
fn a_refusal_after_the_refresh_fails_the_source_saying_what_nse_answered() {
    let s = setup_with("holidays = false\n");
    s.server.script(
        "/api/corporate-announcements",
        vec![Reply::Status(401, NSE_401.into())],
    );
    let out = s.run(&["--source", "nse"]).expect(
        1,
        "2/3 sources done",
        Row::status("partial")
            .units(2, 1)
            .error("No authorization token was found"),
    );
    assert!(
        out.stderr.contains("HTTP 401")
            && out.stderr.contains("--from-file nse-announcements=FILE"),
        "{}",
        out.stderr
    );
    // Homepage, refused, homepage again, refused once more: then the source fails.
    assert_eq!(s.server.hits("/api/corporate-announcements"), 2);
    assert_eq!(s.server.hits("/"), 2);
}
