//! Runs that must end inside their unit: each job knows its time budget (a deadline below the
//! shipped unit's `TimeoutStartSec`), stops asking a host that stalled twice in a row or asked
//! for a pause longer than the run waits, and ends by itself with a summary naming the units
//! done, failed and not reached. A signal gets the same wording.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use testkit::alerts::AlertWorld;
use testkit::market::Fault;
use testkit::{Reply, Row};

/// `TimeoutStartSec` of the shipped `upstox-<job>.service`.
fn timeout_start(job: &str) -> Duration {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../systemd")
        .join(format!("upstox-{job}.service"));
    let text = std::fs::read_to_string(&path).unwrap();
    let value = text
        .lines()
        .find_map(|l| l.strip_prefix("TimeoutStartSec="))
        .unwrap_or_else(|| panic!("{} sets no TimeoutStartSec", path.display()));
    let (number, unit) = value.split_at(value.find(|c: char| !c.is_ascii_digit()).unwrap());
    let n: u64 = number.parse().unwrap();
    match unit {
        "s" => Duration::from_secs(n),
        "min" => Duration::from_secs(n * 60),
        "h" => Duration::from_secs(n * 3600),
        other => panic!("{}: unit {other:?} not understood", path.display()),
    }
}

#[test]
fn every_shipped_unit_gives_its_job_more_time_than_the_jobs_deadline_with_a_margin() {
    let mut checked = 0;
    for job in common::schedule::CATALOGUE {
        let unit = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join(format!("../systemd/upstox-{}.service", job.name));
        if !unit.exists() {
            continue;
        }
        let limit = timeout_start(job.name);
        let deadline = job.deadline.to_std().unwrap();
        // Enough to write the summary and the job_runs row, and for the clock's slack.
        let margin = (limit / 10).max(Duration::from_secs(10));
        assert!(
            deadline + margin <= limit,
            "{}: deadline {deadline:?} is not {margin:?} below TimeoutStartSec {limit:?}",
            job.name
        );
        let defaults = common::config::Config::<()>::defaults();
        assert_eq!(
            defaults.deadline_secs(job.name),
            deadline.as_secs_f64(),
            "{}: the built-in default is the catalogue's",
            job.name
        );
        checked += 1;
    }
    assert_eq!(
        checked, 8,
        "nse-index-update, corporate-announcements, market-sync, alert-scan, news-sentiment, performance-analytics, db-backup and db-maintenance ship units"
    );
}

mod nse {
    use super::*;
    use testkit::nse::*;

    #[test]
    fn a_stalled_server_is_asked_twice_then_the_run_ends_naming_what_it_did_not_reach() {
        let s = setup();
        // Headers, then silence: each attempt times out after timeout_secs = 1.
        s.server
            .script(NIFTY50, vec![Reply::Stall(Duration::from_secs(30))]);
        let started = Instant::now();
        let out = s.run(&[]).expect(
            69,
            "0 of 9 indices done, 1 failed, 8 not reached: 127.0.0.1 stopped answering",
            Row::status("failed").units(0, 1).error("stopped answering"),
        );
        assert!(
            started.elapsed() < Duration::from_secs(25 * 60),
            "inside the default deadline"
        );
        assert_eq!(s.server.request_count(), 2, "two attempts, nothing more");
        assert!(
            out.summary()
                .contains("errors: NIFTY50: in hand when it stopped"),
            "{}",
            out.summary()
        );
    }

    #[test]
    fn the_deadline_cuts_the_request_in_flight_and_the_run_ends_by_itself() {
        let s = setup();
        s.sandbox.write_config(
            &config(s.server.url())
                .replace("timeout_secs = 1\n", "timeout_secs = 30\n")
                .replace(
                    "[jobs.nse-index-update]\n",
                    "[jobs.nse-index-update]\ndeadline_secs = 2\n",
                ),
        );
        s.server
            .script(NIFTY50, vec![Reply::Stall(Duration::from_secs(60))]);
        let started = Instant::now();
        s.run(&[]).expect(
            69,
            "0 of 9 indices done, 1 failed, 8 not reached: the run's 2s time budget ran out",
            Row::status("failed").units(0, 1),
        );
        let took = started.elapsed();
        assert!(
            took < Duration::from_secs(10),
            "a 30 s timeout was not cut at the 2 s deadline: {took:?}"
        );
        assert_eq!(s.server.request_count(), 1);
    }

    #[test]
    fn retry_after_an_hour_ends_the_run_as_rate_limited_and_nse_is_not_asked_again() {
        let s = setup();
        s.server.script(NIFTY50, vec![Reply::RetryAfter(3600)]);
        s.run(&[]).expect(
            75,
            "0 of 9 indices done, 1 failed, 8 not reached: 127.0.0.1 rate-limited the run: Retry-After 3600s",
            Row::status("failed").units(0, 1),
        );
        assert_eq!(
            s.server.request_count(),
            1,
            "no request after the Retry-After"
        );
    }

    #[test]
    fn a_rate_limit_after_some_indices_keeps_them_and_names_the_rest() {
        let s = setup();
        s.server
            .script("ind_nifty100list.csv", vec![Reply::RetryAfter(3600)]);
        s.run(&[]).expect(
            1,
            "2 of 9 indices done, 1 failed, 6 not reached: 127.0.0.1 rate-limited the run",
            Row::status("partial").units(2, 1),
        );
        assert_eq!(s.server.request_count(), 3);
    }
}

mod market_sync {
    use super::*;
    use testkit::sync::*;

    #[test]
    fn a_stalled_provider_is_asked_twice_then_nothing_more_goes_to_it() {
        let w = World::new();
        w.server.script(
            "/v3/historical-candle",
            vec![Fault::Stall(Duration::from_secs(30)); 20],
        );
        let before = w.server.requests().len();
        let out = w.run(&[]).expect(
            69,
            "0 of 3 instruments done, 1 failed, 2 not reached: 127.0.0.1 stopped answering",
            Row::status("failed").units(0, 1),
        );
        let sent: Vec<_> = w.server.requests()[before..]
            .iter()
            .map(|r| r.path.clone())
            .filter(|p| !p.starts_with("/instruments/"))
            .collect();
        assert_eq!(
            sent.len(),
            2,
            "two stalled attempts and nothing more: {sent:?}"
        );
        assert!(
            !out.summary().contains("quotes") && !out.summary().contains("options"),
            "{}",
            out.summary()
        );
    }

    #[test]
    fn retry_after_an_hour_from_upstox_ends_the_run_as_rate_limited_with_no_more_requests() {
        let w = World::new();
        w.run_ok(&["--no-options"]);
        let before = w.server.requests().len();
        w.server.script(
            "/v3/historical-candle",
            vec![Fault::TooMany {
                retry_after: Some(3600),
            }],
        );
        w.run(&["--force"]).expect(
            75,
            "0 of 3 instruments done, 1 failed, 2 not reached: 127.0.0.1 rate-limited the run: Retry-After 3600s",
            Row::status("failed").units(0, 1),
        );
        let after: Vec<_> = w.server.requests()[before..]
            .iter()
            .map(|r| r.path.clone())
            .collect();
        assert_eq!(after.len(), 1, "only the refused request: {after:?}");
    }

    #[test]
    fn the_deadline_ends_a_sync_against_a_stalled_provider_by_itself() {
        let w = World::with_sessions(
            sessions(nov(1) - chrono::Days::new(31), nov(30)),
            "deadline_secs = 3",
        );
        w.server.script(
            "/v3/historical-candle",
            vec![Fault::Stall(Duration::from_secs(60)); 20],
        );
        let started = Instant::now();
        w.run(&[]).expect(
            69,
            "0 of 3 instruments done, 1 failed, 2 not reached: the run's 3s time budget ran out",
            Row::status("failed").units(0, 1),
        );
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn a_request_budget_full_for_an_hour_is_not_waited_for_past_the_deadline() {
        let w = World::with_sessions(
            sessions(nov(1) - chrono::Days::new(31), nov(30)),
            "deadline_secs = 3",
        );
        let config = std::fs::read_to_string(w.sandbox.path().join("config.toml")).unwrap();
        // Two Upstox requests an hour: the third waits for a slot an hour away.
        w.sandbox.write_config(&config.replacen(
            "limits = [{ requests = 10000, per_secs = 1.0 }]",
            "limits = [{ requests = 2, per_secs = 3600.0 }]",
            1,
        ));
        let started = Instant::now();
        w.run(&[]).expect(
            69,
            "0 of 3 instruments done, 0 failed, 3 not reached: the run's 3s time budget ran out",
            Row::status("failed").units(0, 0),
        );
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn quotes_and_option_chains_are_not_counted_as_instruments() {
        let w = World::new();
        w.run(&[])
            .expect(0, "3/3 instruments done", Row::status("succeeded"));
    }
}

mod alert_scan {
    use super::*;

    fn world() -> AlertWorld {
        let w = AlertWorld::new();
        for symbol in ["RELIANCE", "TCS"] {
            w.add_rule(
                symbol,
                "price-above",
                &["level=100000"],
                &["--channels", "database"],
            );
        }
        w
    }

    #[test]
    fn a_stalled_quote_server_ends_the_scan_by_itself_naming_the_symbols_not_reached() {
        let w = world();
        w.server.script(
            "/v2/market-quote",
            vec![Fault::Stall(Duration::from_secs(30)); 5],
        );
        w.run(&[]).expect(
            69,
            "0 of 2 symbols done, 0 failed, 2 not reached: 127.0.0.1 stopped answering",
            Row::status("failed").units(0, 0),
        );
        assert_eq!(w.quote_requests().len(), 2);
    }

    #[test]
    fn sigterm_during_the_quote_fetch_is_interrupted_not_failed() {
        let w = world();
        w.server.script(
            "/v2/market-quote",
            vec![Fault::Delay(Duration::from_secs(30))],
        );
        let child = w.job().spawn();
        let waited = Instant::now();
        while w.quote_requests().is_empty() {
            assert!(
                waited.elapsed() < Duration::from_secs(20),
                "no quote request"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        unsafe {
            libc::kill(child.id() as i32, libc::SIGTERM);
        }
        let out: testkit::Outcome = child.wait_with_output().unwrap().into();
        assert_eq!(out.code, Some(143), "{}", out.stderr);
        let run = testkit::run::last_run(&w.db());
        assert_eq!(
            (run.status.as_str(), run.exit_code),
            ("interrupted", Some(143)),
            "{run:?}"
        );
        assert!(
            out.summary()
                .contains("0 of 2 symbols done, 0 failed, 2 not reached: stopped by SIGTERM"),
            "{}",
            out.summary()
        );
    }
}
