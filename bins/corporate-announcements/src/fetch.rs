//! Getting a source's answer: NSE through its session, BSE page by page, Upstox through its
//! request budget, or a saved file; and the words for a refusal (what the site answered and
//! what to do).

use std::path::PathBuf;

use chrono::NaiveDate;
use common::Exit;
use common::files::saved_answer;
use common::harness::{Context, UnitError};
use common::http::{HttpClient, HttpError, Session};
use common::market::source::{Source as MarketSource, SourceChoice};

use crate::config::JobConfig;
use crate::source::{Exchange, Source};
use crate::sources::bse;

/// Browser-like headers NSE's API expects (`notes/data-sources.md` §1).
const NSE_HEADERS: [(&str, &str); 3] = [
    ("Accept", "*/*"),
    ("Accept-Language", "en-US,en;q=0.5"),
    ("Referer", "https://www.nseindia.com/"),
];
/// BSE's API answers only with its site as origin (§2).
const BSE_HEADERS: [(&str, &str); 3] = [
    ("Accept", "application/json, text/plain, */*"),
    ("Origin", "https://www.bseindia.com/"),
    ("Referer", "https://www.bseindia.com/"),
];

/// Why a source gave nothing.
pub enum Fetch {
    /// This source failed; the others go on.
    Unit(UnitError),
    /// The run stopped asking (a host stopped answering, the deadline).
    Halted(HttpError),
}

/// Who refused a request: each has its own remedy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Site {
    /// NSE (session cookie, data-centre blocks).
    Nse,
    /// BSE.
    Bse,
    /// Upstox (the access token).
    Upstox,
}

/// The run's requests to the exchanges: one NSE session, BSE's headers, saved answers.
pub struct Fetcher<'a> {
    http: &'a HttpClient,
    nse: Session<'a>,
    cfg: &'a JobConfig,
    /// The largest answer accepted, in MiB (a saved file too).
    max_body_mib: u64,
}

impl<'a> Fetcher<'a> {
    /// Requests through `http`, answers up to `max_body_mib` MiB.
    pub fn new(http: &'a HttpClient, cfg: &'a JobConfig, max_body_mib: u64) -> Self {
        Fetcher {
            http,
            nse: Session::new(http, &cfg.nse_home, &NSE_HEADERS),
            cfg,
            max_body_mib,
        }
    }

    /// `source`'s answer for dates `from` to `to` (or its saved file in `files`), and where
    /// it came from.
    pub fn source(
        &self,
        source: Source,
        files: &[(Source, PathBuf)],
        (from, to): (NaiveDate, NaiveDate),
    ) -> Result<(String, Vec<u8>), Fetch> {
        if let Some((_, path)) = files.iter().find(|(s, _)| *s == source) {
            let bytes = saved_answer(
                path,
                self.max_body_mib,
                "not a saved answer; give --from-file the JSON the exchange answered, saved as it came",
            )
            .map_err(Fetch::Unit)?;
            return Ok((path.display().to_string(), bytes));
        }
        let (site, fetched) = match source.exchange() {
            Exchange::Nse => {
                let url = source.url(&self.cfg.nse_url, from, to);
                (Site::Nse, self.nse.get(&url).map(|f| (url, f.body)))
            }
            Exchange::Bse if source == Source::BseAnnouncements => {
                let url = source.url(&self.cfg.bse_url, from, to);
                (Site::Bse, bse_pages(self.http, &url).map(|b| (url, b)))
            }
            Exchange::Bse => {
                let url = source.url(&self.cfg.bse_url, from, to);
                (
                    Site::Bse,
                    self.http.get(&url, &BSE_HEADERS).map(|f| (url, f.body)),
                )
            }
        };
        answered(site, source.name(), fetched)
    }

    /// NSE's holiday master (`unit` names it in errors).
    pub fn nse_holidays(&self, unit: &str) -> Result<(String, Vec<u8>), Fetch> {
        let url = format!(
            "{}/holiday-master?type=trading",
            self.cfg.nse_url.trim_end_matches('/')
        );
        answered(Site::Nse, unit, self.nse.get(&url).map(|f| (url, f.body)))
    }
}

/// Upstox's market holidays, through its request budget (`unit` names it in errors).
pub fn upstox_holidays<C>(ctx: &Context<C>, unit: &str) -> Result<(String, Vec<u8>), Fetch> {
    let market = MarketSource::connect(ctx, SourceChoice::Upstox).map_err(|e| {
        Fetch::Unit(UnitError {
            exit: Exit::Config,
            message: e.to_string(),
        })
    })?;
    let url = format!(
        "{}/v2/market/holidays",
        ctx.config.providers.upstox.base_url.trim_end_matches('/')
    );
    let bearer = market.upstox_authorization().unwrap_or_default();
    let fetched = market.http().get_admitted(
        &url,
        &[("Accept", "application/json"), ("Authorization", &bearer)],
        market.budget(),
    );
    answered(Site::Upstox, unit, fetched.map(|f| (url, f.body)))
}

/// A fetch's outcome for the job: the answer, the unit's failure, or the run halted.
fn answered(
    site: Site,
    unit: &str,
    fetched: Result<(String, Vec<u8>), HttpError>,
) -> Result<(String, Vec<u8>), Fetch> {
    match fetched {
        Ok(answer) => Ok(answer),
        Err(e) if e.halt().is_some() => Err(Fetch::Halted(e)),
        Err(e) => Err(Fetch::Unit(refused(site, unit, &e))),
    }
}

/// Most pages of BSE announcements a run reads: 50 rows a page, a busy day has about 1,300.
const MAX_BSE_PAGES: u32 = 60;

/// BSE's announcements, every page (`pageno=1,2,…` until `Table1`'s `ROWCNT` rows are in, a
/// page is empty, or [`MAX_BSE_PAGES`]), as one answer in BSE's own shape.
fn bse_pages(http: &HttpClient, first: &str) -> Result<Vec<u8>, HttpError> {
    let body = http.get(first, &BSE_HEADERS)?.body;
    let Some((mut rows, total)) = bse::page(&body) else {
        // Not BSE's shape: the parser says what is wrong with it.
        return Ok(body);
    };
    let mut page = 1;
    let mut more = Vec::new();
    while rows.len() < total && page < MAX_BSE_PAGES {
        page += 1;
        let url = first.replacen("pageno=1&", &format!("pageno={page}&"), 1);
        match bse::page(&http.get(&url, &BSE_HEADERS)?.body) {
            Some((next, _)) if !next.is_empty() => more.extend(next),
            _ => break,
        }
        if rows.len() + more.len() >= total {
            break;
        }
    }
    if rows.len() + more.len() < total {
        tracing::warn!(
            "bse-announcements: {} of the {total} rows BSE counts were read ({page} pages)",
            rows.len() + more.len()
        );
    }
    rows.extend(more);
    Ok(bse::joined(rows, total))
}

/// The error of a refused or failed request, saying what the exchange answered and what to do.
fn refused(site: Site, unit: &str, e: &HttpError) -> UnitError {
    let answered = e.gist().map_or(String::new(), |g| format!(" (\"{g}\")"));
    let hint = match (site, e.status().map(|s| s.as_u16())) {
        (Site::Upstox, Some(401 | 403)) => format!(
            "Upstox refused the access token{answered}: it expires daily; renew the upstox_token credential"
        ),
        (Site::Nse, Some(401 | 403)) => format!(
            "NSE refused it{answered} even with a fresh session cookie from its homepage; NSE blocks some data-centre addresses: try later, or save the JSON from a browser and import it with --from-file {unit}=FILE"
        ),
        (_, Some(404)) => format!(
            "no such endpoint{answered}: check the configured URL, or whether the exchange renamed it"
        ),
        (_, Some(429)) => "rate-limited; the next run retries".to_string(),
        _ => format!("{}{answered}", e.hint().unwrap_or("the next run retries")),
    };
    UnitError::http(e, &hint)
}
