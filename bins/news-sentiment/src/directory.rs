//! What the job knows of companies, from nse-index-update's tables when they exist: every
//! company's name and symbol (for tagging), and the configured index's current members (for
//! the NewsAPI query). Before nse-index-update has run, both are empty and the aliases and
//! the watchlist serve alone.

use rusqlite::{Connection, OptionalExtension};

use crate::tagging::Company;

/// The companies known, and the index's members.
#[derive(Debug, Default)]
pub struct Directory {
    /// Every company in `nse_sector_info`.
    pub companies: Vec<Company>,
    /// The index's current members, in symbol order.
    pub members: Vec<Company>,
}

impl Directory {
    /// Reads the tables of `conn` (absent tables read as empty).
    pub fn load(conn: &Connection, index: &str) -> rusqlite::Result<Directory> {
        let mut directory = Directory::default();
        if exists(conn, "nse_sector_info")? {
            let mut stmt =
                conn.prepare("SELECT symbol, company_name FROM nse_sector_info ORDER BY symbol")?;
            let rows = stmt.query_map([], company)?;
            directory.companies = rows.collect::<rusqlite::Result<_>>()?;
        }
        if exists(conn, "nse_index_membership")? {
            let mut stmt = conn.prepare(
                "SELECT symbol, company_name FROM nse_index_membership
                 WHERE index_name = ?1 AND left_on IS NULL ORDER BY symbol",
            )?;
            let rows = stmt.query_map([index], company)?;
            directory.members = rows.collect::<rusqlite::Result<_>>()?;
        }
        Ok(directory)
    }

    /// The names NewsAPI is asked about: the watchlist's companies (their names where known,
    /// else the symbol), then the index members'.
    pub fn query_names(&self, watchlist: &[String]) -> Vec<String> {
        let name_of = |symbol: &str| {
            self.companies
                .iter()
                .chain(&self.members)
                .find(|c| c.symbol == symbol)
                .map_or(symbol.to_string(), |c| short_name(&c.name))
        };
        watchlist
            .iter()
            .map(|s| name_of(s))
            .chain(self.members.iter().map(|c| short_name(&c.name)))
            .collect()
    }
}

/// A registered name as news writes it: without "Ltd." or "Limited".
fn short_name(name: &str) -> String {
    let mut name = name.trim();
    for suffix in [" Limited", " Ltd.", " Ltd", " LIMITED", " LTD."] {
        if let Some(stripped) = name.strip_suffix(suffix) {
            name = stripped.trim_end();
        }
    }
    name.to_string()
}

fn company(r: &rusqlite::Row<'_>) -> rusqlite::Result<Company> {
    Ok(Company {
        symbol: r.get(0)?,
        name: r.get(1)?,
    })
}

fn exists(conn: &Connection, table: &str) -> rusqlite::Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [table],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_their_legal_suffix_and_the_watchlist_comes_first() {
        let d = Directory {
            companies: vec![Company {
                symbol: "INFY".into(),
                name: "Infosys Limited".into(),
            }],
            members: vec![Company {
                symbol: "TCS".into(),
                name: "Tata Consultancy Services Ltd.".into(),
            }],
        };
        assert_eq!(
            d.query_names(&["INFY".into(), "ZZZ".into()]),
            ["Infosys", "ZZZ", "Tata Consultancy Services"]
        );
    }

    #[test]
    fn a_database_without_the_index_tables_knows_nothing() {
        let conn = Connection::open_in_memory().unwrap();
        let d = Directory::load(&conn, "NIFTY50").unwrap();
        assert!(d.companies.is_empty() && d.members.is_empty());
    }
}
