//! Admissions taken ahead, for a run that fetches on one thread while another writes.
//!
//! The budget is kept in `market_data.db`, so admitting a request and recording its answer
//! each need the file's write lock. market-sync's writer holds that lock for most of a run
//! (one transaction per instrument), so a fetching thread that admitted its own requests
//! would wait for every transaction, and the two threads would take turns instead of
//! overlapping. With [`Prepaid`], the writer takes the slots the fetcher is about to need
//! between its transactions, and records the answers later, also between transactions. A
//! request then counts in the windows from a little before it was sent until a little after
//! its answer: slower, never over.

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::budget::SharedBudget;
use crate::http::{Admission, HttpError, Ticket};

/// Slots of a [`SharedBudget`] taken ahead by one thread for requests another sends.
pub struct Prepaid<'a> {
    budget: &'a SharedBudget,
    /// Slots taken and not yet used, oldest first.
    ready: Mutex<VecDeque<Ticket>>,
    /// Slots whose request has its answer, not yet recorded.
    answered: Mutex<Vec<Ticket>>,
}

impl<'a> Prepaid<'a> {
    /// No slots taken yet.
    pub fn new(budget: &'a SharedBudget) -> Self {
        Prepaid {
            budget,
            ready: Mutex::new(VecDeque::new()),
            answered: Mutex::new(Vec::new()),
        }
    }

    /// Records the answers that came since the last call, then takes slots until `ready` are
    /// waiting to be used, or the budget has no room now. It never waits, since slots taken
    /// and not yet used count as requests in flight: waiting for room could mean waiting for
    /// them. Topping up to a number, rather than adding, keeps a plan that asks too much
    /// from piling up unused slots. `url` names the requests in an error.
    pub fn top_up(&self, ready: usize, url: &str) -> Result<(), HttpError> {
        self.record_answers();
        while self.ready() < ready {
            match self.budget.admit_now(url)? {
                Some(ticket) => lock(&self.ready).push_back(ticket),
                None => break,
            }
        }
        Ok(())
    }

    /// How many slots are taken and not yet used.
    pub fn ready(&self) -> usize {
        lock(&self.ready).len()
    }

    fn record_answers(&self) {
        let answered = std::mem::take(&mut *lock(&self.answered));
        for ticket in answered {
            self.budget.settled(ticket);
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl Admission for Prepaid<'_> {
    /// A slot taken ahead, or, when none is left (a full budget, a retry, more requests than
    /// planned), one taken now, after recording the answers that came: a full window may be
    /// waiting for them.
    fn admit(&self, url: &str) -> Result<Ticket, HttpError> {
        let ticket = lock(&self.ready).pop_front();
        match ticket {
            Some(ticket) => Ok(ticket),
            None => {
                self.record_answers();
                self.budget.admit(url)
            }
        }
    }

    fn settled(&self, ticket: Ticket) {
        lock(&self.answered).push(ticket);
    }
}

impl Drop for Prepaid<'_> {
    /// Records every answer, and the slots never used as answered now: they counted while
    /// taken, which only held back other requests.
    fn drop(&mut self) {
        self.record_answers();
        let unused = std::mem::take(&mut *lock(&self.ready));
        for ticket in unused {
            self.budget.settled(ticket);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::budget::RequestBudget;
    use crate::config::Limit;
    use crate::shutdown::Shutdown;

    fn shared(dir: &std::path::Path, requests: u32, per_secs: f64) -> SharedBudget {
        let path = dir.join("budget.db");
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(crate::budget::SCHEMA.migrations[0])
            .unwrap();
        let budget = RequestBudget::open(
            Some(&path),
            "upstox",
            vec![Limit { requests, per_secs }],
            Duration::from_secs(5),
            Duration::from_secs(40),
            Shutdown::default(),
        )
        .unwrap();
        SharedBudget(Mutex::new(budget))
    }

    /// (requests logged, of which still counted as in flight).
    fn logged(dir: &std::path::Path) -> (i64, i64) {
        rusqlite::Connection::open(dir.join("budget.db"))
            .unwrap()
            .query_row(
                "SELECT count(*), count(*) - count(done_ms) FROM api_requests",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
    }

    #[test]
    fn slots_are_taken_ahead_used_in_turn_and_answers_recorded_later() {
        let dir = tempfile::tempdir().unwrap();
        let budget = shared(dir.path(), 100, 1.0);
        let prepaid = Prepaid::new(&budget);
        prepaid.top_up(2, "http://x/").unwrap();
        assert_eq!((prepaid.ready(), logged(dir.path())), (2, (2, 2)));
        // Already there: nothing more is taken.
        prepaid.top_up(2, "http://x/").unwrap();
        assert_eq!((prepaid.ready(), logged(dir.path())), (2, (2, 2)));

        // Used oldest first, without touching the budget; answers wait to be recorded.
        let first = prepaid.admit("http://x/a").unwrap();
        let second = prepaid.admit("http://x/b").unwrap();
        assert!(first.0 < second.0);
        prepaid.settled(first);
        prepaid.settled(second);
        assert_eq!((prepaid.ready(), logged(dir.path())), (0, (2, 2)));

        // The next top-up records the answers that came.
        prepaid.top_up(1, "http://x/").unwrap();
        assert_eq!(logged(dir.path()), (3, 1));
        drop(prepaid);
        assert_eq!(logged(dir.path()), (3, 0), "unused slots are recorded too");
    }

    #[test]
    fn a_full_budget_is_never_waited_for_ahead_and_a_request_past_it_waits_its_turn() {
        let dir = tempfile::tempdir().unwrap();
        // Three requests per 50 ms.
        let budget = shared(dir.path(), 3, 0.05);
        let prepaid = Prepaid::new(&budget);
        // Only what has room now: waiting would be for the slots just taken.
        prepaid.top_up(5, "http://x/").unwrap();
        assert_eq!(prepaid.ready(), 3);
        for _ in 0..3 {
            let ticket = prepaid.admit("http://x/a").unwrap();
            prepaid.settled(ticket);
        }
        // None left: the answers are recorded, then the window waited out.
        let started = std::time::Instant::now();
        let fourth = prepaid.admit("http://x/b").unwrap();
        assert!(started.elapsed() >= Duration::from_millis(40));
        // (Requests that left every window are pruned as the fourth is logged.)
        assert_eq!(logged(dir.path()).1, 1, "only the fourth is in flight");
        prepaid.settled(fourth);
        drop(prepaid);
        assert_eq!(logged(dir.path()).1, 0);
    }
}
