//! NSE's index constituent CSV (`Company Name,Industry,Symbol,Series,ISIN Code`), parsed and
//! validated as a whole before anything is written: a file that fails any check is refused.
//! Names lose their control characters and are refused past [`text::NAME_MAX`] characters;
//! symbols, series and ISINs with any character outside their alphabet are refused (see
//! [`common::text`] for why).

use std::collections::HashSet;
use std::ops::RangeInclusive;

use common::text;

use crate::security::{Isin, Series, Symbol};

/// One constituent of an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constituent {
    /// `Company Name`.
    pub company: String,
    /// `Industry`, as NSE spells it (the vocabulary changed in 2023: upper-case before).
    pub industry: String,
    /// `Symbol`.
    pub symbol: Symbol,
    /// `Series`.
    pub series: Series,
    /// `ISIN Code`: the key, stable across renames.
    pub isin: Isin,
}

/// A validated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConstituentFile {
    /// The securities.
    pub rows: Vec<Constituent>,
    /// Placeholder rows (`DUMMYSIEMS`, ISIN `DUM003A01024`): NSE's stand-in for a demerged
    /// business until it lists. They count toward the index's size but are not securities, so
    /// they are reported and not stored.
    pub placeholders: Vec<String>,
}

/// Why a file was refused. Each says what was found, where.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CsvError {
    /// No bytes, or only white space.
    #[error("the file is empty")]
    Empty,
    /// An HTML page (an error or block page) came instead of the CSV.
    #[error("got an HTML page instead of the CSV (`{0}`)")]
    Html(String),
    /// Bytes that are not UTF-8.
    #[error("line {line} is not valid UTF-8")]
    InvalidUtf8 {
        /// 1-based line number.
        line: usize,
    },
    /// A required column is absent.
    #[error("missing column `{column}` (header: `{header}`)")]
    MissingColumn {
        /// The column.
        column: &'static str,
        /// The header found.
        header: String,
    },
    /// A row with the wrong number of fields: usually a cut-off download.
    #[error("line {line} has {found} fields, expected {expected} (a truncated download?)")]
    FieldCount {
        /// 1-based line number.
        line: usize,
        /// Fields found.
        found: usize,
        /// Fields in the header.
        expected: usize,
    },
    /// A field that is not what the column holds.
    #[error("line {line}: {column} `{value}` is not valid")]
    BadField {
        /// 1-based line number.
        line: usize,
        /// The column.
        column: &'static str,
        /// The value.
        value: String,
    },
    /// A name longer than any real one: a broken or doctored file.
    #[error("line {line}: {column} is {error}")]
    TooLong {
        /// 1-based line number.
        line: usize,
        /// The column.
        column: &'static str,
        /// How long, and the bound.
        error: text::TooLong,
    },
    /// The same ISIN or symbol twice.
    #[error("line {line}: {column} `{value}` appears twice")]
    Duplicate {
        /// 1-based line number of the second.
        line: usize,
        /// The column.
        column: &'static str,
        /// The value.
        value: String,
    },
    /// Not a plausible number of constituents for the index.
    #[error("{found} constituents, expected {} to {}", .expected.start(), .expected.end())]
    RowCount {
        /// Rows found.
        found: usize,
        /// The plausible range.
        expected: RangeInclusive<usize>,
    },
    /// The CSV reader failed.
    #[error("line {line}: {detail}")]
    Malformed {
        /// 1-based line number.
        line: usize,
        /// The reader's message.
        detail: String,
    },
}

const COLUMNS: [&str; 5] = ["Company Name", "Industry", "Symbol", "Series", "ISIN Code"];

/// Parses and validates `bytes`, expecting between `expected.start()` and `expected.end()` rows.
pub fn parse(bytes: &[u8], expected: RangeInclusive<usize>) -> Result<ConstituentFile, CsvError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| CsvError::InvalidUtf8 {
        line: bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1,
    })?;
    let start = text.trim_start();
    if start.is_empty() {
        return Err(CsvError::Empty);
    }
    if start.starts_with('<') {
        let first_line = start.lines().next().unwrap_or_default();
        return Err(CsvError::Html(text::excerpt(first_line, 60)));
    }
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| CsvError::Malformed {
            line: 1,
            detail: e.to_string(),
        })?
        .clone();
    // Columns are found by name, so a reordered file still reads right.
    let position = |column: &'static str| {
        header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(column))
            .ok_or_else(|| CsvError::MissingColumn {
                column,
                header: text::excerpt(&header.iter().collect::<Vec<_>>().join(","), 200),
            })
    };
    let at = [
        position(COLUMNS[0])?,
        position(COLUMNS[1])?,
        position(COLUMNS[2])?,
        position(COLUMNS[3])?,
        position(COLUMNS[4])?,
    ];
    let mut rows = Vec::new();
    let mut placeholders = Vec::new();
    let mut isins = HashSet::new();
    let mut symbols = HashSet::new();
    for record in reader.records() {
        let record = record.map_err(|e| CsvError::Malformed {
            line: e.position().map_or(0, |p| p.line() as usize),
            detail: e.to_string(),
        })?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.len() != header.len() {
            return Err(CsvError::FieldCount {
                line,
                found: record.len(),
                expected: header.len(),
            });
        }
        let field = |i: usize| &record[at[i]];
        let bad = |i: usize| CsvError::BadField {
            line,
            column: COLUMNS[i],
            value: text::excerpt(field(i), 40),
        };
        let name = |i: usize| {
            text::clean(field(i), text::NAME_MAX).map_err(|error| CsvError::TooLong {
                line,
                column: COLUMNS[i],
                error,
            })
        };
        let company = name(0)?;
        let industry = name(1)?;
        if company.is_empty() {
            return Err(bad(0));
        }
        if industry.is_empty() {
            return Err(bad(1));
        }
        let symbol = Symbol::parse(field(2)).ok_or_else(|| bad(2))?;
        if symbol.as_str().starts_with("DUMMY") && field(4).starts_with("DUM") {
            placeholders.push(symbol.to_string());
            continue;
        }
        let series = Series::parse(field(3)).ok_or_else(|| bad(3))?;
        let isin = Isin::parse(field(4)).ok_or_else(|| bad(4))?;
        if !isins.insert(isin.clone()) {
            return Err(CsvError::Duplicate {
                line,
                column: COLUMNS[4],
                value: isin.to_string(),
            });
        }
        if !symbols.insert(symbol.clone()) {
            return Err(CsvError::Duplicate {
                line,
                column: COLUMNS[2],
                value: symbol.to_string(),
            });
        }
        rows.push(Constituent {
            company,
            industry,
            symbol,
            series,
            isin,
        });
    }
    let found = rows.len() + placeholders.len();
    if !expected.contains(&found) {
        return Err(CsvError::RowCount { found, expected });
    }
    Ok(ConstituentFile { rows, placeholders })
}

#[cfg(test)]
mod tests;
