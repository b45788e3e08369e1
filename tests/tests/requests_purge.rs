//! Finished requests are kept `[requests] retention_days` (7 by default), then purged by
//! db-maintenance; a queued or running one stays however old.

use testkit::Row;
use testkit::maintenance::{Maintenance, ago};

#[test]
fn db_maintenance_purges_finished_requests_past_their_retention_and_keeps_waiting_ones() {
    let m = Maintenance::new("[jobs.db-maintenance]\nbatch_pause_ms = 0\n");
    m.job_request("succeeded", Some(ago(7, -1)));
    m.job_request("failed", Some(ago(7, 0)));
    m.job_request("queued", None);
    m.job_request("running", None);
    m.job()
        .run()
        .expect(0, "job_requests 1", Row::status("succeeded"));
    let left: Vec<String> = m
        .db()
        .prepare("SELECT state FROM job_requests ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(left, ["failed", "queued", "running"]);

    let shorter = Maintenance::new("[requests]\nretention_days = 1\n");
    shorter.job_request("cancelled", Some(ago(1, -1)));
    shorter.job_request("expired", Some(ago(1, 0)));
    shorter
        .job()
        .run()
        .expect(0, "job_requests 1", Row::status("succeeded"));
    assert_eq!(shorter.count("job_requests"), 1);
}
