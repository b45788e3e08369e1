//! What a run did, counted for its one-line summary.

use std::collections::BTreeMap;

use common::market::candle::Problem;

/// What a run did, for its summary line.
#[derive(Default)]
pub(crate) struct Totals {
    pub(crate) changed: u64,
    pub(crate) fetched: usize,
    pub(crate) would_write: usize,
    pub(crate) rejected: BTreeMap<Problem, usize>,
    pub(crate) nulls: usize,
    pub(crate) gaps: BTreeMap<&'static str, usize>,
    pub(crate) gap_requests: u32,
    pub(crate) quotes: usize,
    pub(crate) quotes_refused: usize,
    pub(crate) options: usize,
}

impl Totals {
    /// "1700 candles fetched, 1000 rows written, gaps: 2 open, 4 quotes".
    pub(crate) fn describe(&self, dry_run: bool) -> String {
        let mut parts = vec![if dry_run {
            format!(
                "{} candles fetched, {} not yet stored (nothing written)",
                self.fetched, self.would_write
            )
        } else {
            format!(
                "{} candles fetched, {} rows written",
                self.fetched, self.changed
            )
        }];
        let rejected: usize = self.rejected.values().sum();
        if rejected > 0 {
            let why: Vec<String> = self
                .rejected
                .iter()
                .map(|(p, n)| format!("{n} {p}"))
                .collect();
            parts.push(format!("{rejected} invalid rejected ({})", why.join(", ")));
        }
        if self.nulls > 0 {
            parts.push(format!("{} null bars dropped", self.nulls));
        }
        let gaps: Vec<String> = self
            .gaps
            .iter()
            .map(|(status, n)| format!("{n} {status}"))
            .collect();
        if !gaps.is_empty() {
            parts.push(format!("gaps: {}", gaps.join(", ")));
        }
        if self.quotes > 0 {
            parts.push(format!("{} quotes", self.quotes));
        }
        if self.quotes_refused > 0 {
            let noun = if self.quotes_refused == 1 {
                "quote"
            } else {
                "quotes"
            };
            parts.push(format!("{} invalid {noun} refused", self.quotes_refused));
        }
        if self.options > 0 {
            parts.push(format!("{} option rows", self.options));
        }
        parts.join(", ")
    }
}
