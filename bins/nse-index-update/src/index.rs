//! Index names and the catalogue of NSE indices this job knows: the file NSE publishes each
//! one as, and how many constituents a sound file has.

use std::fmt;
use std::ops::RangeInclusive;

/// An NSE index, named as NSE's file names spell it, upper case: `NIFTY50`, `NIFTYNEXT50`,
/// `NIFTYMIDCAP150`, `NIFTYBANK`. Parsing is case-insensitive and ignores spaces, so
/// `nifty50` and `NIFTY 50` are the same index.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IndexName(String);

/// Why a string is not an index name.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum IndexNameError {
    /// Empty, or characters other than letters, digits, spaces, `-` and `_`.
    #[error(
        "`{0}` is not an index name: use letters and digits as in NSE's file names, e.g. NIFTY50"
    )]
    Malformed(String),
    /// Well-formed, but this job does not know the file for it.
    #[error(
        "unknown index `{name}`; known indices: {known}. For any other index, download its CSV and import it with --index {name} --from-file FILE"
    )]
    Unknown {
        /// The name given.
        name: String,
        /// The known names.
        known: String,
    },
}

impl IndexName {
    /// Parses any well-formed name (for `--from-file`, where the file is given).
    pub fn parse_any(text: &str) -> Result<Self, IndexNameError> {
        let name: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let ok = !name.is_empty()
            && name.len() <= 40
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if ok {
            Ok(IndexName(name))
        } else {
            Err(IndexNameError::Malformed(text.to_string()))
        }
    }

    /// Parses a name this job can download.
    pub fn parse_known(text: &str) -> Result<Self, IndexNameError> {
        let name = Self::parse_any(text)?;
        if name.known().is_some() {
            Ok(name)
        } else {
            Err(IndexNameError::Unknown {
                name: name.0,
                known: CATALOGUE
                    .iter()
                    .map(|k| k.name)
                    .collect::<Vec<_>>()
                    .join(", "),
            })
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn known(&self) -> Option<&'static KnownIndex> {
        CATALOGUE.iter().find(|k| k.name == self.0)
    }

    /// The file NSE publishes the constituents as, e.g. `ind_nifty50list.csv`.
    pub fn file_name(&self) -> String {
        match self.known().and_then(|k| k.file) {
            Some(file) => file.to_string(),
            None => format!("ind_{}list.csv", self.0.to_ascii_lowercase()),
        }
    }

    /// How many rows a sound file of this index has. NSE lists an extra name or two around a
    /// rebalancing (Next 50 had 51 rows in June 2025), so broad indices get a few either way.
    pub fn expected_rows(&self) -> RangeInclusive<usize> {
        match self.known() {
            Some(KnownIndex {
                size: Size::Broad(n),
                ..
            }) => {
                let slack = (n / 25).max(2);
                n - slack..=n + slack
            }
            Some(KnownIndex {
                size: Size::Sectoral(range),
                ..
            }) => range.clone(),
            None => 1..=5000,
        }
    }
}

impl fmt::Display for IndexName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

enum Size {
    /// A fixed number of constituents.
    Broad(usize),
    /// Sectoral indices change size with their rules; only the plausible range is fixed.
    Sectoral(RangeInclusive<usize>),
}

struct KnownIndex {
    name: &'static str,
    /// Set where NSE's file name is not `ind_<name>list.csv`.
    file: Option<&'static str>,
    size: Size,
}

const fn broad(name: &'static str, n: usize) -> KnownIndex {
    KnownIndex {
        name,
        file: None,
        size: Size::Broad(n),
    }
}

const fn sectoral(name: &'static str, low: usize, high: usize) -> KnownIndex {
    KnownIndex {
        name,
        file: None,
        size: Size::Sectoral(low..=high),
    }
}

const CATALOGUE: &[KnownIndex] = &[
    broad("NIFTY50", 50),
    broad("NIFTYNEXT50", 50),
    broad("NIFTY100", 100),
    broad("NIFTY200", 200),
    broad("NIFTY500", 500),
    broad("NIFTYMIDCAP50", 50),
    broad("NIFTYMIDCAP100", 100),
    broad("NIFTYMIDCAP150", 150),
    broad("NIFTYSMALLCAP50", 50),
    broad("NIFTYSMALLCAP100", 100),
    broad("NIFTYSMALLCAP250", 250),
    broad("NIFTYLARGEMIDCAP250", 250),
    KnownIndex {
        name: "NIFTYMICROCAP250",
        file: Some("ind_niftymicrocap250_list.csv"),
        size: Size::Broad(250),
    },
    sectoral("NIFTYBANK", 10, 16),
    sectoral("NIFTYIT", 8, 12),
    sectoral("NIFTYAUTO", 12, 20),
    sectoral("NIFTYPHARMA", 8, 22),
    sectoral("NIFTYFMCG", 12, 20),
    sectoral("NIFTYMETAL", 12, 20),
    sectoral("NIFTYMEDIA", 8, 15),
    sectoral("NIFTYREALTY", 8, 15),
    sectoral("NIFTYHEALTHCARE", 18, 25),
    sectoral("NIFTYPSUBANK", 10, 15),
    sectoral("NIFTYPRIVATEBANK", 8, 12),
    sectoral("NIFTYOILGAS", 12, 18),
    sectoral("NIFTYCONSUMERDURABLES", 12, 18),
    sectoral("NIFTYENERGY", 8, 45),
    KnownIndex {
        name: "NIFTYFINSERVICE",
        file: Some("ind_niftyfinancelist.csv"),
        size: Size::Sectoral(18..=22),
    },
];

/// The indices updated when the configuration names none: the broad market at every size, and
/// the two sectors a desk trades most.
pub const DEFAULT_INDICES: [&str; 9] = [
    "NIFTY50",
    "NIFTYNEXT50",
    "NIFTY100",
    "NIFTY200",
    "NIFTY500",
    "NIFTYMIDCAP150",
    "NIFTYSMALLCAP250",
    "NIFTYBANK",
    "NIFTYIT",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_case_and_space_insensitive() {
        assert_eq!(
            IndexName::parse_known("nifty 50").unwrap().as_str(),
            "NIFTY50"
        );
        assert_eq!(
            IndexName::parse_known("NiftyMidcap150").unwrap().as_str(),
            "NIFTYMIDCAP150"
        );
    }

    #[test]
    fn file_names_follow_nse_including_the_exceptions() {
        let f = |n: &str| IndexName::parse_known(n).unwrap().file_name();
        assert_eq!(f("NIFTY50"), "ind_nifty50list.csv");
        assert_eq!(f("niftybank"), "ind_niftybanklist.csv");
        assert_eq!(f("NIFTYMICROCAP250"), "ind_niftymicrocap250_list.csv");
        assert_eq!(f("NIFTYFINSERVICE"), "ind_niftyfinancelist.csv");
    }

    #[test]
    fn unknown_names_are_refused_unless_any_is_allowed() {
        let err = IndexName::parse_known("NIFTY51").unwrap_err();
        assert!(err.to_string().contains("--from-file"), "{err}");
        assert!(IndexName::parse_any("NIFTY51").is_ok());
        assert!(matches!(
            IndexName::parse_any("../etc"),
            Err(IndexNameError::Malformed(_))
        ));
        assert!(matches!(
            IndexName::parse_any(""),
            Err(IndexNameError::Malformed(_))
        ));
    }

    #[test]
    fn expected_rows_accept_real_rebalancing_counts_but_not_a_short_file() {
        let rows = |n: &str| IndexName::parse_known(n).unwrap().expected_rows();
        assert!(rows("NIFTYNEXT50").contains(&51));
        assert!(rows("NIFTYMIDCAP150").contains(&151));
        assert!(rows("NIFTY500").contains(&501));
        assert!(!rows("NIFTY50").contains(&12));
        assert!(!rows("NIFTY50").contains(&45));
        assert!(rows("NIFTYBANK").contains(&12));
    }

    #[test]
    fn every_default_index_is_known() {
        for name in DEFAULT_INDICES {
            IndexName::parse_known(name).unwrap();
        }
    }
}
