//! The fuzz targets: each names one parser of outside data, the production entry point it
//! reaches, where its seeds are (relative to the repository root; `../shared/...` only exists
//! on the project's machines and is read at run time, never copied in), the dictionary of its
//! format and the longest input worth trying.

use crate::entries;

/// Inputs of documents (an HTTP body, a file): long enough to show quadratic behaviour.
const DOCUMENT: usize = 256 * 1024;

/// One fuzz target.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// Its name: the `cargo fuzz` target, `fuzz/corpus/<name>`, `fuzz/regressions/<name>`.
    pub name: &'static str,
    /// The entry point: must return, whatever the bytes.
    pub run: fn(&[u8]),
    /// Directories of sample inputs, relative to the repository root.
    pub seeds: &'static [&'static str],
    /// The dictionary under `fuzz/dicts/`, if the format has one.
    pub dict: Option<&'static str>,
    /// libFuzzer's `-max_len`.
    pub max_len: usize,
}

const NSE: &[&str] = &[
    "tests/fixtures/nse",
    "tests/fixtures/nse/rebalanced",
    "../shared/fixtures/real/nse",
];
const CORPORATE: &[&str] = &[
    "tests/fixtures/corporate",
    "tests/fixtures/corporate/revised",
    "../shared/fixtures/real/nse",
    "../shared/fixtures/real/bse",
];
const HOLIDAYS: &[&str] = &[
    "tests/fixtures/corporate",
    "tests/fixtures/corporate/bad-holidays",
    "packaging",
    "../shared/fixtures/real/nse",
    "../shared/fixtures/real/upstox",
];
const UPSTOX: &[&str] = &[
    "common/src/market/upstox/testdata",
    "../shared/fixtures/real/upstox",
];
const YAHOO: &[&str] = &[
    "common/src/market/yahoo/testdata",
    "../shared/fixtures/real/yahoo",
];
const NEWS: &[&str] = &["tests/fixtures/news", "../shared/fixtures/real/newsapi"];
const RSS: &[&str] = &["tests/fixtures/news", "../shared/fixtures/real/rss"];
const NONE: &[&str] = &[];

/// Every target.
pub const TARGETS: &[Target] = &[
    target("nse_constituents", entries::nse_constituents, NSE, "csv"),
    target("nse_actions", entries::nse_actions, CORPORATE, "json"),
    target(
        "nse_announcements",
        entries::nse_announcements,
        CORPORATE,
        "json",
    ),
    target(
        "nse_board_meetings",
        entries::nse_board_meetings,
        CORPORATE,
        "json",
    ),
    target(
        "bse_announcements",
        entries::bse_announcements,
        CORPORATE,
        "json",
    ),
    target("bse_actions", entries::bse_actions, CORPORATE, "json"),
    target("bse_results", entries::bse_results, CORPORATE, "json"),
    target("nse_holidays", entries::nse_holidays, HOLIDAYS, "json"),
    target(
        "upstox_holidays",
        entries::upstox_holidays,
        HOLIDAYS,
        "json",
    ),
    target("calendar_file", entries::calendar_file, HOLIDAYS, "json"),
    Target {
        max_len: 4096,
        ..target(
            "corporate_subject",
            entries::corporate_subject,
            NONE,
            "subject",
        )
    },
    target("upstox_candles", entries::upstox_candles, UPSTOX, "json"),
    target("upstox_quotes", entries::upstox_quotes, UPSTOX, "json"),
    target(
        "upstox_option_chain",
        entries::upstox_option_chain,
        UPSTOX,
        "json",
    ),
    target("upstox_expiries", entries::upstox_expiries, UPSTOX, "json"),
    target("upstox_master", entries::upstox_master, UPSTOX, "json"),
    target("yahoo_chart", entries::yahoo_chart, YAHOO, "json"),
    target("newsapi", entries::newsapi, NEWS, "json"),
    target("rss", entries::rss, RSS, "xml"),
    target("trade_book", entries::trade_book, NONE, "csv"),
    target("upstox_trades", entries::upstox_trades, NONE, "json"),
    target("alert_rules", entries::alert_rules, NONE, "csv"),
    target("request_json", entries::request_json, NONE, "json"),
    target("config_toml", entries::config_toml, &["packaging"], "toml"),
];

/// A document target with a dictionary.
const fn target(
    name: &'static str,
    run: fn(&[u8]),
    seeds: &'static [&'static str],
    dict: &'static str,
) -> Target {
    Target {
        name,
        run,
        seeds,
        dict: Some(dict),
        max_len: DOCUMENT,
    }
}

/// The target named `name`.
pub fn find(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|t| t.name == name)
}

/// Runs target `name` on `data`; a fuzz target's whole body.
///
/// # Panics
///
/// When no target is named `name`: a fuzz target names one that does not exist.
pub fn run(name: &str, data: &[u8]) {
    match find(name) {
        Some(t) => (t.run)(data),
        None => panic!("no fuzz target named {name}: fuzz/parsers/src/targets.rs lists them"),
    }
}
