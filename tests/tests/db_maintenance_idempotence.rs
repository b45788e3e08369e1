//! db-maintenance's purge is idempotent: a second run finds nothing left to purge and leaves
//! the data exactly as the first left it.

use testkit::Row;
use testkit::maintenance::{Maintenance, ago};

#[test]
fn a_second_run_purges_nothing_and_changes_nothing() {
    let m = Maintenance::new(
        "[jobs.db-maintenance]\nbatch_rows = 1000\nbatch_pause_ms = 0\n\
         [jobs.db-maintenance.retention]\ncandles_days = { \"1minute\" = 30 }\n",
    );
    // Each instrument: 1,500 bars past retention, 1,500 within it.
    for instrument in ["NSE_EQ|A", "NSE_EQ|B", "NSE_EQ|C"] {
        m.minutes(instrument, ago(30, -1500 * 60), 3000);
    }
    m.notification("sent", ago(100, 0), Some(ago(99, 0)));
    m.notification("waiting", ago(100, 0), None);

    m.job().run().expect(
        0,
        "purged 4501 rows (candles 1minute 4500, notification_outbox 1)",
        Row::status("succeeded").units(1, 0).rows(4501),
    );
    let after_first = m.snapshot();
    assert_eq!(m.count("candles"), 4500);

    m.job().run().expect(
        0,
        "purged 0 rows (nothing)",
        Row::status("succeeded").units(1, 0).rows(0),
    );
    let after_second = m.snapshot();
    assert_eq!(after_first.len(), after_second.len());
    assert!(after_first == after_second, "the second run changed data");
}
