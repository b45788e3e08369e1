//! What changes in an index between the stored membership and a new file: who joins, who
//! leaves, who was renamed or re-issued, whose details changed. Pure: the store applies it.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use crate::constituents::Constituent;
use crate::security::{Isin, Symbol};

/// A current member as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Symbol.
    pub symbol: Symbol,
    /// ISIN (the key).
    pub isin: Isin,
    /// Company name.
    pub company: String,
    /// Series.
    pub series: String,
    /// Industry.
    pub industry: String,
}

/// The changes to one index.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Changes {
    /// New members.
    pub joined: Vec<Constituent>,
    /// Members no longer in the file.
    pub left: Vec<Member>,
    /// Same ISIN, new symbol (ZOMATO → ETERNAL): (old symbol, new).
    pub renamed: Vec<(Member, Constituent)>,
    /// Same symbol, new ISIN (a face-value split re-issues it): (old, new).
    pub reissued: Vec<(Member, Constituent)>,
    /// Same ISIN and symbol, other details changed (company name, industry, series).
    pub updated: Vec<(Member, Constituent)>,
}

impl Changes {
    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        self.joined.is_empty()
            && self.left.is_empty()
            && self.renamed.is_empty()
            && self.reissued.is_empty()
            && self.updated.is_empty()
    }

    /// Rows this change writes.
    pub fn row_count(&self) -> usize {
        self.joined.len()
            + self.left.len()
            + self.renamed.len()
            + self.reissued.len()
            + self.updated.len()
    }

    /// "2 joined (A, B), 1 left (C), 1 renamed (X → Y)", or "no change".
    pub fn describe(&self, verbs: &Verbs) -> String {
        let mut out = String::new();
        let mut part = |count: usize, verb: &str, names: Vec<String>| {
            if count == 0 {
                return;
            }
            if !out.is_empty() {
                out.push_str(", ");
            }
            // A first load joins hundreds; the log line names a few and counts the rest.
            let shown = names
                .iter()
                .take(NAMES_SHOWN)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            match count.saturating_sub(NAMES_SHOWN) {
                0 => {
                    let _ = write!(out, "{count} {verb} ({shown})");
                }
                more => {
                    let _ = write!(out, "{count} {verb} ({shown} and {more} more)");
                }
            }
        };
        part(
            self.joined.len(),
            verbs.joined,
            self.joined.iter().map(|c| c.symbol.to_string()).collect(),
        );
        part(
            self.left.len(),
            verbs.left,
            self.left.iter().map(|m| m.symbol.to_string()).collect(),
        );
        part(
            self.renamed.len(),
            verbs.renamed,
            self.renamed
                .iter()
                .map(|(m, c)| format!("{} → {}", m.symbol, c.symbol))
                .collect(),
        );
        part(
            self.reissued.len(),
            verbs.reissued,
            self.reissued
                .iter()
                .map(|(m, c)| format!("{} {} → {}", m.symbol, m.isin, c.isin))
                .collect(),
        );
        part(
            self.updated.len(),
            verbs.updated,
            self.updated
                .iter()
                .map(|(m, _)| m.symbol.to_string())
                .collect(),
        );
        if out.is_empty() {
            out.push_str("no change");
        }
        out
    }
}

/// How many symbols a description names per kind of change.
const NAMES_SHOWN: usize = 10;

/// The words for [`Changes::describe`]: past tense for a run, conditional for a dry run.
pub struct Verbs {
    joined: &'static str,
    left: &'static str,
    renamed: &'static str,
    reissued: &'static str,
    updated: &'static str,
}

/// What happened.
pub const DONE: Verbs = Verbs {
    joined: "joined",
    left: "left",
    renamed: "renamed",
    reissued: "re-issued",
    updated: "updated",
};

/// What would happen.
pub const WOULD: Verbs = Verbs {
    joined: "would join",
    left: "would leave",
    renamed: "would be renamed",
    reissued: "would be re-issued",
    updated: "would be updated",
};

/// Compares the current members with a validated file.
pub fn diff(current: &[Member], file: &[Constituent]) -> Changes {
    let by_isin: HashMap<&Isin, &Member> = current.iter().map(|m| (&m.isin, m)).collect();
    let file_isins: HashMap<&Isin, &Constituent> = file.iter().map(|c| (&c.isin, c)).collect();
    // Members whose ISIN is gone, by symbol, to recognise a re-issued ISIN.
    let mut gone_by_symbol: BTreeMap<&Symbol, &Member> = current
        .iter()
        .filter(|m| !file_isins.contains_key(&m.isin))
        .map(|m| (&m.symbol, m))
        .collect();
    let mut changes = Changes::default();
    for c in file {
        match by_isin.get(&c.isin) {
            Some(m) if m.symbol != c.symbol => changes.renamed.push(((*m).clone(), c.clone())),
            Some(m)
                if m.company != c.company
                    || m.industry != c.industry
                    || m.series != c.series.as_str() =>
            {
                changes.updated.push(((*m).clone(), c.clone()))
            }
            Some(_) => {}
            None => match gone_by_symbol.remove(&c.symbol) {
                Some(m) => changes.reissued.push((m.clone(), c.clone())),
                None => changes.joined.push(c.clone()),
            },
        }
    }
    changes.left = gone_by_symbol.into_values().cloned().collect();
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::security::Series;

    fn c(symbol: &str, isin: &str, industry: &str) -> Constituent {
        Constituent {
            company: format!("{symbol} Ltd."),
            industry: industry.to_string(),
            symbol: Symbol::parse(symbol).unwrap(),
            series: Series::parse("EQ").unwrap(),
            isin: Isin::parse(isin).unwrap(),
        }
    }

    fn m(x: &Constituent) -> Member {
        Member {
            symbol: x.symbol.clone(),
            isin: x.isin.clone(),
            company: x.company.clone(),
            series: x.series.as_str().to_string(),
            industry: x.industry.clone(),
        }
    }

    #[test]
    fn the_same_file_changes_nothing() {
        let file = vec![
            c("RELIANCE", "INE002A01018", "Oil"),
            c("TCS", "INE467B01029", "IT"),
        ];
        let current: Vec<_> = file.iter().map(m).collect();
        let changes = diff(&current, &file);
        assert!(changes.is_empty());
        assert_eq!(changes.describe(&DONE), "no change");
    }

    #[test]
    fn joins_leaves_renames_reissues_and_updates_are_told_apart() {
        let reliance = c("RELIANCE", "INE002A01018", "Oil");
        let zomato = c("ZOMATO", "INE758T01015", "Consumer Services");
        let bajaj = c("BAJFINANCE", "INE296A01024", "Financial Services");
        let tcs = c("TCS", "INE467B01029", "IT");
        let current = vec![m(&reliance), m(&zomato), m(&bajaj), m(&tcs)];
        let eternal = Constituent {
            symbol: Symbol::parse("ETERNAL").unwrap(),
            ..zomato.clone()
        };
        let bajaj_split = c("BAJFINANCE", "INE296A01032", "Financial Services");
        let reliance_moved = Constituent {
            industry: "Energy".into(),
            ..reliance.clone()
        };
        let infy = c("INFY", "INE009A01021", "IT");
        let changes = diff(&current, &[reliance_moved, eternal, bajaj_split, infy]);
        assert_eq!(
            changes.describe(&DONE),
            "1 joined (INFY), 1 left (TCS), 1 renamed (ZOMATO → ETERNAL), \
             1 re-issued (BAJFINANCE INE296A01024 → INE296A01032), 1 updated (RELIANCE)"
        );
        assert_eq!(changes.row_count(), 5);
    }

    #[test]
    fn long_lists_are_cut_with_a_count() {
        let file: Vec<_> = (0..12)
            .map(|i| c(&format!("S{i:02}"), "INE002A01018", "Oil"))
            .collect();
        let changes = Changes {
            joined: file,
            ..Changes::default()
        };
        assert_eq!(
            changes.describe(&WOULD),
            "12 would join (S00, S01, S02, S03, S04, S05, S06, S07, S08, S09 and 2 more)"
        );
    }
}
