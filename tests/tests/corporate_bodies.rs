//! What the exchanges answer besides data: an HTML page instead of JSON, `[]` (nothing in the
//! range, a valid answer), a renamed field (the error names it). A refused answer stores
//! nothing of its source and exits 65 when it is the only one.

use testkit::Reply;
use testkit::corporate::*;

const ACTIONS: &str = "/api/corporates-corporateActions";

fn only_nse_actions(s: &Setup, body: Vec<u8>) -> testkit::Ran<'_> {
    s.server.script(ACTIONS, vec![Reply::Body(body)]);
    s.run(&[
        "--source",
        "nse",
        "--from",
        "2026-08-01",
        "--to",
        "2026-08-31",
    ])
}

#[test]
fn html_instead_of_json_fails_the_source_clearly() {
    let s = setup_with("holidays = false\n");
    let out = only_nse_actions(&s, b"<!DOCTYPE html><html><head><title>Access Denied</title></head><body>Reference #18</body></html>".to_vec())
        .expect(1, "2/3 sources done", Row::status("partial").units(2, 1).error("an HTML page instead of JSON"));
    assert!(
        out.stderr.contains("nse-actions: ") && out.stderr.contains("(\"Access Denied\")"),
        "{}",
        out.stderr
    );
    let conn = s.sandbox.db();
    assert!(announcements(&conn).iter().all(|r| r.0 != "nse-actions"));
}

#[test]
fn an_empty_list_is_a_valid_answer() {
    let s = setup_with("holidays = false\n");
    only_nse_actions(&s, b"[]".to_vec()).expect(
        0,
        "3/3 sources done",
        Row::status("succeeded").units(3, 0),
    );
    let conn = s.sandbox.db();
    assert!(announcements(&conn).iter().all(|r| r.0 != "nse-actions"));
    assert!(
        announcements(&conn)
            .iter()
            .any(|r| r.0 == "nse-announcements")
    );
}

#[test]
fn a_renamed_field_is_named_and_nothing_of_the_source_is_stored() {
    let s = setup_with("holidays = false\n");
    let renamed = std::fs::read_to_string(fixtures().join("nse-actions.json"))
        .unwrap()
        .replace("\"exDate\"", "\"exDt\"");
    only_nse_actions(&s, renamed.into_bytes()).expect(
        1,
        "2/3 sources done",
        Row::status("partial")
            .units(2, 1)
            .error("field `exDate` is missing"),
    );
    assert!(
        announcements(&s.sandbox.db())
            .iter()
            .all(|r| r.0 != "nse-actions")
    );
}
