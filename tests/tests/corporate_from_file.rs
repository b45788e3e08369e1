//! --from-file SOURCE=FILE: a saved answer imported with the same parsing, validation and
//! notifications as a fetched one, and nothing fetched.

use testkit::corporate::*;

#[test]
fn a_saved_answer_is_imported_without_fetching() {
    let s = setup();
    let file = fixtures().join("nse-actions.json");
    let arg = format!("nse-actions={}", file.display());
    s.run(&["--from-file", &arg]).expect(
        0,
        "1/1 source done",
        Row::status("succeeded").units(1, 0),
    );
    assert!(
        s.server.log().is_empty(),
        "nothing fetched: {:?}",
        s.server.log()
    );
    let conn = s.sandbox.db();
    assert_eq!(announcements(&conn).len(), 9);
    let messages = outbox(&conn);
    assert!(
        messages
            .iter()
            .any(|m| m == "RELIANCE: ex-dividend Rs 10 on Wed 12 Aug (record date 12 Aug)"),
        "{messages:#?}"
    );
}

#[test]
fn a_saved_html_page_is_refused_and_a_bad_spec_is_a_usage_error() {
    let s = setup();
    let page = s.sandbox.path().join("page.html");
    std::fs::write(&page, "<html><title>Access Denied</title></html>").unwrap();
    s.run(&["--from-file", &format!("nse-actions={}", page.display())])
        .expect(
            65,
            "0/1 source done",
            Row::status("failed").error("an HTML page instead of JSON"),
        );
    let out = s.run(&["--from-file", "nse-deals=x.json"]);
    assert_eq!(out.code, Some(2));
    assert!(
        out.stderr
            .contains("unknown source `nse-deals`; use one of nse-actions"),
        "{}",
        out.stderr
    );
}
