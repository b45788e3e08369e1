//! One function per parser of outside data: the bytes as production receives them (an HTTP
//! body, a file's contents), handed to the function production calls on them, results
//! dropped. Text that production reads with `read_to_string` (configuration, the holiday
//! file) or takes from an already-decoded JSON string (a corporate subject) is refused here
//! when it is not UTF-8, as production refuses or never sees it.

use std::path::Path;

use chrono::{DateTime, Utc};
use common::harness::{Job, Validate};
use common::market::{master, upstox, yahoo};

/// The time articles are normalised at: any fixed instant serves.
fn fetched_at() -> DateTime<Utc> {
    DateTime::from_timestamp(1_764_892_800, 0).unwrap_or_default()
}

/// An NSE index constituents CSV, as nse-index-update reads NIFTY 50's.
pub fn nse_constituents(data: &[u8]) {
    use nse_index_update::index::IndexName;
    if let Ok(index) = IndexName::parse_known("NIFTY50") {
        let _ = nse_index_update::constituents::parse(data, index.expected_rows());
    }
}

/// One corporate-announcements source's answer, typed and its subjects parsed.
fn corporate(source: corporate_announcements::source::Source, data: &[u8]) {
    let _ = source.parse_body(data);
}

/// NSE corporate actions.
pub fn nse_actions(data: &[u8]) {
    corporate(corporate_announcements::source::Source::NseActions, data);
}

/// NSE corporate announcements.
pub fn nse_announcements(data: &[u8]) {
    corporate(
        corporate_announcements::source::Source::NseAnnouncements,
        data,
    );
}

/// NSE board meetings.
pub fn nse_board_meetings(data: &[u8]) {
    corporate(
        corporate_announcements::source::Source::NseBoardMeetings,
        data,
    );
}

/// BSE announcements.
pub fn bse_announcements(data: &[u8]) {
    corporate(
        corporate_announcements::source::Source::BseAnnouncements,
        data,
    );
}

/// BSE corporate actions.
pub fn bse_actions(data: &[u8]) {
    corporate(corporate_announcements::source::Source::BseActions, data);
}

/// BSE results calendar.
pub fn bse_results(data: &[u8]) {
    corporate(corporate_announcements::source::Source::BseResults, data);
}

/// NSE's holiday list as corporate-announcements fetches it.
pub fn nse_holidays(data: &[u8]) {
    let _ = corporate_announcements::holidays::nse(data);
}

/// Upstox's holiday list as corporate-announcements fetches it.
pub fn upstox_holidays(data: &[u8]) {
    let _ = corporate_announcements::holidays::upstox(data);
}

/// The holiday file every job's trading calendar loads (`[calendar] holidays_file`).
pub fn calendar_file(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = common::calendar::TradingCalendar::from_nse_json(text, "holidays.json");
    }
}

/// A corporate announcement's subject (dividends, splits, bonuses, rights, buybacks).
pub fn corporate_subject(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = corporate_announcements::subject::parse(text);
    }
}

/// Upstox historical or intraday candles.
pub fn upstox_candles(data: &[u8]) {
    let _ = upstox::parse::candles(data);
}

/// Upstox full market quotes.
pub fn upstox_quotes(data: &[u8]) {
    let _ = upstox::parse::quotes(data);
}

/// An Upstox option chain with greeks.
pub fn upstox_option_chain(data: &[u8]) {
    let _ = upstox::parse::option_chain(data);
}

/// Upstox option contracts (the expiries).
pub fn upstox_expiries(data: &[u8]) {
    let _ = upstox::parse::expiries(data);
}

/// The Upstox instrument master, gzipped or not, within the default size limit.
pub fn upstox_master(data: &[u8]) {
    let limit = common::config::ProvidersConfig::default()
        .upstox
        .instruments_max_mib
        .saturating_mul(1024 * 1024);
    let _ = master::decode(data, limit);
}

/// A Yahoo chart (candles and the quote derived from them).
pub fn yahoo_chart(data: &[u8]) {
    let _ = yahoo::parse::chart(data);
}

/// A NewsAPI page, each article normalised.
pub fn newsapi(data: &[u8]) {
    if let Ok(page) = news_sentiment::newsapi::parse(data) {
        normalise(page.items);
    }
}

/// An RSS or Atom feed through feed-rs, each item normalised.
pub fn rss(data: &[u8]) {
    if let Ok(items) = news_sentiment::feeds::parse(data, "feed") {
        normalise(items);
    }
}

/// Normalises items as news-sentiment's ingest does.
fn normalise(items: Vec<news_sentiment::article::RawItem>) {
    for item in items {
        if let Some(article) = news_sentiment::article::Article::from_raw(item, fetched_at()) {
            let _ = article.text();
        }
    }
}

/// A trade book CSV (generic or Upstox's export) for `import-trades`.
pub fn trade_book(data: &[u8]) {
    let _ = performance_analytics::import::parse("trades.csv", data, "default");
}

/// Upstox's trades for the day and trade history (performance-analytics).
pub fn upstox_trades(data: &[u8]) {
    let _ = performance_analytics::upstox::parse_day(data);
    let _ = performance_analytics::upstox::parse_history(data);
}

/// An alert rules CSV for `rules import`.
pub fn alert_rules(data: &[u8]) {
    let _ = alert_scan::rules::parse_file(data);
}

/// A request document (the API's body, a spool file), read and bounds-checked.
pub fn request_json(data: &[u8]) {
    if let Ok(doc) = common::requests::RequestDoc::from_json(data) {
        let _ = doc.check_bounds();
    }
}

/// Configuration TOML: the shared loader with each job's section, and validated as a run
/// validates it; the operator CLI's reading (any job section ignored) too.
pub fn config_toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    config::<alert_scan::job::AlertScan>(text);
    config::<corporate_announcements::job::CorporateAnnouncements>(text);
    config::<db_backup::job::DbBackup>(text);
    config::<db_maintenance::job::DbMaintenance>(text);
    config::<market_sync::job::MarketSync>(text);
    config::<news_sentiment::job::NewsSentiment>(text);
    config::<nse_index_update::job::NseIndexUpdate>(text);
    config::<performance_analytics::job::PerformanceAnalytics>(text);
    let _ = common::config::parse::<serde::de::IgnoredAny>(text, Path::new("config.toml"), "");
}

/// `text` read as `J`'s configuration and validated.
fn config<J: Job>(text: &str) {
    if let Ok(c) = common::config::parse::<J::Config>(text, Path::new("config.toml"), J::NAME) {
        let _ = c.job.validate();
    }
}
