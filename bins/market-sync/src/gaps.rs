//! Gaps: bars the calendar says existed that are not stored. Found by comparing stored bar
//! starts with the sessions of the NSE calendar (weekends, holidays, half days and the
//! pre-open excluded), recorded in `data_gaps`, retried, and given up on after the provider
//! has returned nothing for a gap `unfillable_after` times.

use std::collections::HashSet;

/// Where a recorded gap stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GapStatus {
    /// Still missing; backfilled when the run's budget allows.
    Open,
    /// Every bar has since been stored.
    Filled,
    /// The provider returned nothing for it too many times; no longer asked for.
    Unfillable,
}

impl GapStatus {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            GapStatus::Open => "open",
            GapStatus::Filled => "filled",
            GapStatus::Unfillable => "unfillable",
        }
    }

    /// From the stored text (the table's CHECK allows only the three).
    pub fn parse(text: &str) -> Self {
        match text {
            "filled" => GapStatus::Filled,
            "unfillable" => GapStatus::Unfillable,
            _ => GapStatus::Open,
        }
    }
}

/// One gap of one (instrument, interval): the first and last missing bar starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GapRow {
    /// First missing bar start (UTC epoch seconds).
    pub from: i64,
    /// Last missing bar start.
    pub to: i64,
    /// How many bars are missing.
    pub bars: i64,
    /// Where it stands.
    pub status: GapStatus,
    /// How many backfills returned nothing for it.
    pub attempts: i64,
    /// When it was first seen (UTC epoch seconds).
    pub detected_at: i64,
}

impl GapRow {
    /// Whether the two share any bar time.
    pub fn overlaps(&self, other: &GapRow) -> bool {
        self.from <= other.to && other.from <= self.to
    }
}

/// A run of consecutive expected bars that are missing: (first, last, count).
pub type Missing = (i64, i64, i64);

/// The runs of `expected` (ascending) absent from `have`.
pub fn missing_runs(expected: &[i64], have: &HashSet<i64>) -> Vec<Missing> {
    let mut runs: Vec<Missing> = Vec::new();
    let mut open = false;
    for &ts in expected {
        if have.contains(&ts) {
            open = false;
        } else if open && let Some(last) = runs.last_mut() {
            last.1 = ts;
            last.2 += 1;
        } else {
            runs.push((ts, ts, 1));
            open = true;
        }
    }
    runs
}

/// The gap rows after a check: `detected` runs, carrying over what `previous` rows knew.
/// A previous row in `came_back_empty` was asked for this run and the provider had nothing,
/// which counts an attempt; at `unfillable_after` attempts a gap is unfillable. A run inside a
/// gap already unfillable stays so.
pub fn reconcile(
    detected: &[Missing],
    previous: &[GapRow],
    came_back_empty: &HashSet<i64>,
    unfillable_after: i64,
    now: i64,
) -> Vec<GapRow> {
    let mut rows: Vec<GapRow> = Vec::new();
    for &(from, to, bars) in detected {
        let run = GapRow {
            from,
            to,
            bars,
            status: GapStatus::Open,
            attempts: 0,
            detected_at: now,
        };
        if let Some(dead) = previous
            .iter()
            .find(|p| p.status == GapStatus::Unfillable && p.from <= from && to <= p.to)
        {
            if !rows.iter().any(|r| r.from == dead.from) {
                rows.push(dead.clone());
            }
            continue;
        }
        let mut row = run.clone();
        for p in previous.iter().filter(|p| p.overlaps(&run)) {
            let attempts = p.attempts + i64::from(came_back_empty.contains(&p.from));
            row.attempts = row.attempts.max(attempts);
            row.detected_at = row.detected_at.min(p.detected_at);
        }
        if row.attempts >= unfillable_after {
            row.status = GapStatus::Unfillable;
        }
        rows.push(row);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(from: i64, to: i64, status: GapStatus, attempts: i64) -> GapRow {
        GapRow {
            from,
            to,
            bars: (to - from) / 60 + 1,
            status,
            attempts,
            detected_at: 1,
        }
    }

    #[test]
    fn consecutive_missing_bars_form_one_run() {
        let expected: Vec<i64> = (0..10).map(|i| i * 60).collect();
        let have: HashSet<i64> = [0, 60, 300, 540].into_iter().collect();
        assert_eq!(
            missing_runs(&expected, &have),
            vec![(120, 240, 3), (360, 480, 3)]
        );
        assert!(missing_runs(&expected, &expected.iter().copied().collect()).is_empty());
    }

    #[test]
    fn an_empty_answer_counts_until_the_gap_is_unfillable() {
        let detected = [(120, 240, 3)];
        let mut rows = reconcile(&detected, &[], &HashSet::new(), 2, 100);
        assert_eq!(
            rows,
            vec![row(120, 240, GapStatus::Open, 0).with_detected(100)]
        );
        for expected in [(1, GapStatus::Open), (2, GapStatus::Unfillable)] {
            rows = reconcile(&detected, &rows, &[120].into_iter().collect(), 2, 200);
            assert_eq!((rows[0].attempts, rows[0].status), expected);
            assert_eq!(rows[0].detected_at, 100, "first seen is kept");
        }
        // Once unfillable, it stays so and is not counted again.
        let again = reconcile(&detected, &rows, &HashSet::new(), 2, 300);
        assert_eq!(again, rows);
    }

    #[test]
    fn a_partly_filled_gap_keeps_its_attempts_and_a_filled_one_disappears() {
        let previous = [row(120, 480, GapStatus::Open, 1)];
        let rows = reconcile(&[(360, 480, 3)], &previous, &HashSet::new(), 3, 500);
        assert_eq!((rows[0].from, rows[0].attempts), (360, 1));
        assert!(reconcile(&[], &previous, &HashSet::new(), 3, 500).is_empty());
    }

    impl GapRow {
        fn with_detected(mut self, at: i64) -> Self {
            self.detected_at = at;
            self
        }
    }
}
