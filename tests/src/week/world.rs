//! The desk of the simulated week: one sandbox configured for every job (as an installed
//! package is), and the loopback sources it reads — the synthetic market speaking Upstox's API
//! (its holiday list included), NSE's index files, NSE's and BSE's corporate APIs, a news feed
//! that gains a headline every two hours, and a real SMTP server. Every run is a process whose
//! whole clock is the simulated moment (libfaketime), so `job_runs`, backup names and
//! `upstox-jobs status` all live in the simulated week.

use std::path::PathBuf;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use common::calendar::{Day, IST, TradingCalendar};

use crate::binary::{Outcome, Sandbox};
use crate::corporate::ExchangeServer;
use crate::market::{Fault, Market, MarketServer};
use crate::news::{NewsServer, rss};
use crate::server::FixtureServer;
use crate::smtp::SmtpServer;
use crate::world::{TOKEN, email, fast_http, provider, upstox_credentials};
use crate::{demo, nse, performance, sync};

/// libfaketime, from Debian's package `libfaketime` (installed with `faketime`).
pub const FAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

/// A day NSE opens outside its regular session: a Saturday's special session, or a half day.
#[derive(Debug, Clone, Copy)]
pub struct Special {
    /// The IST date.
    pub date: NaiveDate,
    /// Its hours, IST.
    pub open: NaiveTime,
    /// Its close, IST.
    pub close: NaiveTime,
    /// What the exchange calls it.
    pub description: &'static str,
}

/// The symbols the desk watches: alert rules, corporate and news alerts, its trades.
pub const WATCHED: [&str; 2] = ["RELIANCE", "TCS"];

/// The desk and its sources.
pub struct Desk {
    /// The sandbox: configuration, credentials, data directory, backups.
    pub sandbox: Sandbox,
    /// The synthetic market (Upstox's API, its holiday list, the instrument master).
    pub market: MarketServer,
    /// The news feed.
    pub news: NewsServer,
    /// The mail the jobs sent.
    pub smtp: SmtpServer,
    /// NSE's index files.
    nse: FixtureServer,
    /// NSE's and BSE's corporate APIs.
    exchanges: ExchangeServer,
}

impl Desk {
    /// Sources serving sessions of the NSE calendar from 400 days before `first` to `last`,
    /// with `specials` opened, and a desk configured for them.
    pub fn start(first: NaiveDate, last: NaiveDate, specials: &[Special]) -> Self {
        let mut sessions = sync::sessions(first - Duration::days(400), last);
        sessions.extend(specials.iter().map(|s| (s.date, s.open, s.close)));
        let list = demo::instruments(&nse::fixtures()).expect("the NSE fixtures read");
        let borrowed: Vec<(&str, &str, &str)> = list
            .iter()
            .map(|(k, s, y)| (k.as_str(), s.as_str(), y.as_str()))
            .collect();
        let market = MarketServer::start(Market::new(sessions).with_instruments(&borrowed))
            .expect("the market server starts");
        market.require_token(TOKEN);
        // Every refresh of the calendar takes one (corporate-announcements, nightly).
        let holidays = upstox_holidays(first, specials);
        market.script(
            "/v2/market/holidays",
            vec![Fault::Bytes(holidays.into_bytes(), "application/json".into()); 64],
        );
        let nse = FixtureServer::start(&nse::fixtures(), 0).expect("the NSE server starts");
        let exchanges = ExchangeServer::start();
        let news = NewsServer::start();
        let sandbox = Sandbox::new("");
        let smtp = SmtpServer::start(sandbox.path(), 0);
        std::fs::write(sandbox.path().join("upstox_token"), format!("{TOKEN}\n")).expect("token");
        let desk = Desk {
            sandbox,
            market,
            news,
            smtp,
            nse,
            exchanges,
        };
        desk.sandbox.write_config(&desk.config());
        desk
    }

    /// The backups directory.
    pub fn backups(&self) -> PathBuf {
        self.sandbox.path().join("backups")
    }

    /// Every job's configuration, pointed at the loopback sources.
    fn config(&self) -> String {
        let (market, nse_url, exchanges) =
            (self.market.url(), self.nse.url(), self.exchanges.url());
        let watched = format!("[\"{}\"]", WATCHED.join("\", \""));
        format!(
            "{http}{credentials}{email}\
             [backups]\ndir = \"{backups}\"\n\
             {upstox}\
             [jobs.nse-index-update]\nbase_url = \"{nse_url}\"\nindices = [\"NIFTY50\"]\n\
             [jobs.corporate-announcements]\nnse_home = \"{exchanges}/\"\nnse_url = \"{exchanges}/api\"\n\
             bse_url = \"{exchanges}/bse\"\nwatchlist = {watched}\n\
             [jobs.market-sync]\nsource = \"upstox\"\nwatchlist = {watched}\nintervals = [\"1minute\", \"15minute\", \"day\"]\n\
             initial_days = {{ \"1minute\" = 2, \"15minute\" = 10, \"day\" = 60 }}\noption_expiries = 1\n\
             [jobs.alert-scan]\nsource = \"upstox\"\n\
             [jobs.news-sentiment]\nwatchlist = {watched}\nfeeds = [{{ name = \"desk\", url = \"{feed}\" }}]\n\
             [jobs.db-backup]\ndatabases = [\"market_data.db\", \"upstox.db\"]\n\
             keep_daily = 3\nkeep_weekly = 3\nkeep_monthly = 1\n\
             {performance}\
             [jobs.performance-analytics.email]\nenabled = true\n",
            http = fast_http(1, 0.1),
            credentials = upstox_credentials(self.sandbox.path()),
            email = email(self.smtp.port, "jobs@desk.example"),
            backups = self.backups().display(),
            upstox = provider(
                "providers.upstox",
                market,
                &format!("instruments_url = \"{market}/instruments/NSE.json.gz\"\n")
            ),
            feed = self.news.feed_url("desk"),
            performance = performance::config("upstox_trades = false"),
        )
    }

    /// `bin` with `args`, run to its end as a process whose clock reads `at` when it starts.
    pub fn run_at(&self, bin: &str, args: &[&str], at: DateTime<Utc>) -> Outcome {
        self.market.set_now(at);
        self.sandbox
            .job(bin)
            .args(args.iter().copied())
            .at(at)
            .env("LD_PRELOAD", FAKETIME)
            .env("FAKETIME", at.format("@%Y-%m-%d %H:%M:%S").to_string())
            .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
            .env("TZ", "UTC")
            .run()
            .into_outcome()
    }

    /// The feed as it reads at `at`: the headlines of the last day, newest first.
    pub fn publish_news(&self, at: DateTime<Utc>) {
        let items = headlines_until(at);
        let borrowed: Vec<(&str, &str, &str, &str)> = items
            .iter()
            .map(|(t, l, d)| (t.as_str(), l.as_str(), d.as_str(), t.as_str()))
            .collect();
        self.news.set_feed("desk", rss(&borrowed));
    }
}

/// What desks' feeds say, with `{n}` a number that makes each headline its own story. The
/// third is strongly negative about a watched symbol: a news alert, once.
const HEADLINES: [&str; 8] = [
    "Sensex rises {n} points as IT stocks gain; TCS leads",
    "Nifty ends flat at {n} ahead of the monthly expiry",
    "Reliance Industries shares crash after net loss widens; brokerage downgrades to sell ({n})",
    "Rupee steadies near {n} paise to the dollar on inflows",
    "TCS wins a {n} crore deal from a European bank, beats estimates",
    "FIIs sell shares worth Rs {n} crore; markets slip",
    "Auto sales rise {n}% in November on festive demand",
    "Bank Nifty hits a record {n} as lenders rally",
];

/// The headlines published from a day before `at` to `at`: one every two hours of the week,
/// (title, link, RFC 2822 date).
fn headlines_until(at: DateTime<Utc>) -> Vec<(String, String, String)> {
    let epoch = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    let step = Duration::hours(2);
    let newest = (at - epoch).num_seconds().div_euclid(step.num_seconds());
    (newest - 11..=newest)
        .rev()
        .filter(|i| *i >= 0)
        .map(|i| {
            let published = epoch + step * i as i32;
            let n = 100 + i;
            let title = HEADLINES[i as usize % HEADLINES.len()].replace("{n}", &n.to_string());
            (
                title,
                format!("https://news.example/markets/{i}"),
                published
                    .with_timezone(&IST)
                    .format("%a, %d %b %Y %H:%M:%S %z")
                    .to_string(),
            )
        })
        .collect()
}

/// Upstox's `/v2/market/holidays` answer for `first`'s year: the NSE closures the embedded
/// calendar lists on weekdays, and `specials` with their hours, as Upstox writes them.
fn upstox_holidays(first: NaiveDate, specials: &[Special]) -> String {
    use chrono::Datelike;
    let calendar = TradingCalendar::embedded();
    let year = first.year();
    let mut days: Vec<String> = NaiveDate::from_ymd_opt(year, 1, 1)
        .expect("a date")
        .iter_days()
        .take_while(|d| d.year() == year)
        .filter_map(|d| match calendar.day(d) {
            Day::Holiday(name) => Some(format!(
                r#"{{"date":"{d}","description":"{name}","holiday_type":"TRADING_HOLIDAY","closed_exchanges":["NSE","BSE","NFO"],"open_exchanges":[]}}"#
            )),
            _ => None,
        })
        .collect();
    let ms = |date: NaiveDate, t: NaiveTime| {
        IST.from_local_datetime(&date.and_time(t))
            .single()
            .expect("IST has no gaps")
            .timestamp_millis()
    };
    days.extend(specials.iter().map(|s| {
        format!(
            r#"{{"date":"{}","description":"{}","holiday_type":"SPECIAL_TIMING","closed_exchanges":[],"open_exchanges":[{{"exchange":"NSE","start_time":{},"end_time":{}}}]}}"#,
            s.date,
            s.description,
            ms(s.date, s.open),
            ms(s.date, s.close)
        )
    }));
    format!(r#"{{"status":"success","data":[{}]}}"#, days.join(","))
}
