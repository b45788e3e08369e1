//! upstox-nse-index-update when NSE misbehaves: refusals, server errors, timeouts, rate
//! limits and broken files. Each failure names the index and the cause on one line, exits with
//! the documented code, is recorded in job_runs, and keeps the previous membership.

use std::time::Duration;

use testkit::Reply;
use testkit::nse::*;

/// A failure of NIFTY50 alone: in a full run the others still update and the run is partial
/// (exit 1); run alone it fails with `alone_exit`. Either way the previous NIFTY50 is kept and
/// the error names the index and the cause on one line.
fn failure_case(replies: Vec<Reply>, alone_exit: i32, cause: &str) {
    let s = setup();
    s.run_ok(&[]);
    let conn = s.sandbox.db();
    let old_nifty50 = spells(&conn, "NIFTY50");
    let old_next50 = spells(&conn, "NIFTYNEXT50");

    s.server.set_root(&rebalanced());
    s.server.script(NIFTY50, replies.clone());
    let out = s.run(&[]).expect(
        1,
        "s: 8/9 indices done",
        Row::status("partial").units(8, 1).error(cause),
    );
    let error_lines: Vec<_> = out
        .stderr
        .lines()
        .filter(|l| l.contains("ERROR") && l.contains("NIFTY50: "))
        .collect();
    assert_eq!(error_lines.len(), 1, "{}", out.stderr);
    assert!(error_lines[0].contains(cause), "{}", error_lines[0]);
    assert_summary(&out, "nse-index-update partial in ");
    assert_eq!(spells(&conn, "NIFTY50"), old_nifty50, "NIFTY50 kept");
    assert_ne!(
        spells(&conn, "NIFTYNEXT50"),
        old_next50,
        "the others updated"
    );

    s.server.script(NIFTY50, replies);
    let out = s.run(&["--index", "nifty50"]).expect(
        alone_exit,
        " failed in ",
        Row::status("failed").units(0, 1).error(cause),
    );
    assert!(
        out.summary()
            .contains("s: 0/1 index done, 0 joined, 0 left, 0 renamed; errors: NIFTY50: "),
        "{}",
        out.summary()
    );
    assert_eq!(spells(&conn, "NIFTY50"), old_nifty50, "NIFTY50 kept");
}

#[test]
fn forbidden_is_source_unavailable() {
    failure_case(
        vec![Reply::Status(403, "<html>Access Denied</html>".into())],
        69,
        "HTTP 403 Forbidden",
    );
}

#[test]
fn server_errors_that_persist_are_source_unavailable_after_retries() {
    failure_case(
        vec![Reply::Status(500, "oops".into())],
        69,
        "gave up after 3 attempts",
    );
}

/// NSE stops the run at NIFTY50 (it stopped answering, or asked for a pause longer than the
/// run waits): NIFTY50 fails with `exit`, no other index is asked for, and every index keeps
/// its previous membership.
fn halting_case(replies: Vec<Reply>, exit: i32, cause: &str) {
    let s = setup();
    s.run_ok(&[]);
    let conn = s.sandbox.db();
    let old = tables(&conn);

    s.server.set_root(&rebalanced());
    s.server.script(NIFTY50, replies);
    let out = s.run(&[]).expect(
        exit,
        &format!("0 of 9 indices done, 1 failed, 8 not reached: {cause}"),
        Row::status("failed").units(0, 1).error(cause),
    );
    assert_summary(&out, "nse-index-update failed in ");
    assert_eq!(tables(&conn), old, "every index kept");
}

#[test]
fn a_timeout_twice_in_a_row_is_source_unavailable() {
    halting_case(
        vec![Reply::Delay(Duration::from_secs(3))],
        69,
        "127.0.0.1 stopped answering (no response within 1s, twice in a row)",
    );
}

#[test]
fn a_long_retry_after_is_a_temporary_failure() {
    halting_case(
        vec![Reply::RetryAfter(3600)],
        75,
        "127.0.0.1 rate-limited the run: Retry-After 3600s",
    );
}

#[test]
fn an_html_page_instead_of_csv_fails_validation() {
    let page = b"<!DOCTYPE html>\n<html><head><title>Oops</title></head><body>No authorization token was found</body></html>";
    failure_case(
        vec![Reply::Body(page.to_vec())],
        65,
        "got an HTML page instead of the CSV",
    );
}

#[test]
fn a_truncated_file_fails_validation() {
    let bytes = nifty50_bytes();
    // Cut in the middle of a row: the last line keeps only part of its fields.
    let cut = bytes.len() / 2;
    let cut = cut + bytes[cut..].iter().position(|&b| b == b',').unwrap() + 1;
    failure_case(
        vec![Reply::Body(bytes[..cut].to_vec())],
        65,
        "fields, expected 5 (a truncated download?)",
    );
}

#[test]
fn a_missing_column_fails_validation() {
    let text = String::from_utf8(nifty50_bytes()).unwrap();
    let without_isin: String = text
        .lines()
        .map(|l| l.rsplit_once(',').unwrap().0.to_string() + "\n")
        .collect();
    failure_case(
        vec![Reply::Body(without_isin.into_bytes())],
        65,
        "missing column `ISIN Code`",
    );
}

#[test]
fn invalid_utf8_fails_validation() {
    let mut bytes = nifty50_bytes();
    let at = bytes.iter().position(|&b| b == b'\n').unwrap() + 3;
    bytes[at] = 0xff;
    failure_case(vec![Reply::Body(bytes)], 65, "line 2 is not valid UTF-8");
}

#[test]
fn a_nifty50_file_with_12_rows_fails_validation() {
    let text = String::from_utf8(nifty50_bytes()).unwrap();
    let short: String = text.split_inclusive('\n').take(13).collect();
    failure_case(
        vec![Reply::Body(short.into_bytes())],
        65,
        "12 constituents, expected 48 to 52",
    );
}

#[test]
fn two_server_errors_then_success_is_retried_and_succeeds() {
    let s = setup();
    s.server.script(
        NIFTY50,
        vec![
            Reply::Status(500, "a".into()),
            Reply::Status(502, "b".into()),
            Reply::File,
        ],
    );
    let out = s.run_ok(&["--index", "NIFTY50"]);
    assert_eq!(s.server.arrivals(NIFTY50).len(), 3);
    assert_eq!(current_symbols(&s.sandbox.db(), "NIFTY50").len(), 50);
    assert_eq!(
        out.stderr.matches("retrying in").count(),
        2,
        "{}",
        out.stderr
    );
}

#[test]
fn retry_after_is_honoured() {
    let s = setup();
    s.server
        .script(NIFTY50, vec![Reply::RetryAfter(2), Reply::File]);
    s.run_ok(&["--index", "NIFTY50"]);
    let arrivals = s.server.arrivals(NIFTY50);
    assert_eq!(arrivals.len(), 2);
    let gap = arrivals[1] - arrivals[0];
    assert!(
        gap >= Duration::from_millis(1950),
        "retried after {gap:?}, Retry-After said 2s"
    );
}

#[test]
fn reordered_columns_are_read_by_name() {
    let s = setup();
    let text = String::from_utf8(nifty50_bytes()).unwrap();
    let reordered: String = text
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            // Company Name,Industry,Symbol,Series,ISIN Code → ISIN Code,Symbol,Series,Company Name,Industry
            format!("{},{},{},{},{}\n", f[4], f[2], f[3], f[0], f[1])
        })
        .collect();
    s.server
        .script(NIFTY50, vec![Reply::Body(reordered.into_bytes())]);
    s.run_ok(&["--index", "NIFTY50"]);
    let conn = s.sandbox.db();
    let (company, industry): (String, String) = conn
        .query_row(
            "SELECT company_name, industry FROM nse_index_membership WHERE symbol = 'S&SMOTORS'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (company.as_str(), industry.as_str()),
        ("Shah & Sons Motors Ltd.", "Automobile and Auto Components")
    );
}
