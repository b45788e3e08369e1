//! NewsAPI's `/v2/everything`: the query (watchlist and index members' names, within the
//! API's 500 characters), its answer, its error bodies (each a clear message and exit code),
//! and paging until the last page or the plan's result cap, every request admitted by the
//! shared request budget without waiting (a day's window is not waited out).

use std::cell::Cell;

use chrono::{DateTime, Utc};
use common::Exit;
use common::budget::SharedBudget;
use common::credentials::Secret;
use common::harness::UnitError;
use common::http::{Admission, HttpClient, HttpError, Ticket};
use common::text::excerpt;
use serde::Deserialize;

use crate::article::{RawItem, parse_time};
use crate::config::NewsApiConfig;

/// The unit's name.
pub const UNIT: &str = "newsapi";

/// The provider's name in the request budget (`api_requests`).
pub const PROVIDER: &str = "newsapi";

/// NewsAPI's longest `q`, in characters.
pub const QUERY_MAX: usize = 500;

/// What the query asks for when there is no watchlist and no index member is stored yet.
const FALLBACK_QUERY: &str = "Sensex OR Nifty OR \"NSE India\"";

/// The `q` of `/v2/everything`: each name quoted when it has a space, joined by ` OR `, the
/// watchlist's first, as many as fit in [`QUERY_MAX`] characters.
pub fn query(names: &[String]) -> String {
    let mut q = String::new();
    let mut seen = std::collections::HashSet::new();
    for name in names {
        let name = name.replace('"', "");
        let name = name.trim();
        if name.is_empty() || !seen.insert(name.to_lowercase()) {
            continue;
        }
        let term = if name.contains(' ') {
            format!("\"{name}\"")
        } else {
            name.to_string()
        };
        let sep = if q.is_empty() { "" } else { " OR " };
        if q.chars().count() + sep.len() + term.chars().count() > QUERY_MAX {
            continue;
        }
        q.push_str(sep);
        q.push_str(&term);
    }
    if q.is_empty() {
        FALLBACK_QUERY.to_string()
    } else {
        q
    }
}

/// A page's URL; `None` when `base_url` is not a URL (the configuration check refuses it).
fn page_url(cfg: &NewsApiConfig, q: &str, from: DateTime<Utc>, page: u32) -> Option<String> {
    let base = format!("{}/v2/everything", cfg.base_url.trim_end_matches('/'));
    let mut url = url::Url::parse(&base).ok()?;
    url.query_pairs_mut()
        .append_pair("q", q)
        .append_pair("from", &from.format("%Y-%m-%dT%H:%M:%S").to_string())
        .append_pair("language", &cfg.language)
        .append_pair("sortBy", "publishedAt")
        .append_pair("pageSize", &cfg.page_size.to_string())
        .append_pair("page", &page.to_string());
    Some(url.to_string())
}

/// NewsAPI's answer, ok or error.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    status: String,
    code: Option<String>,
    message: Option<String>,
    total_results: Option<u64>,
    articles: Option<Vec<ApiArticle>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiArticle {
    source: Option<ApiSource>,
    title: Option<String>,
    description: Option<String>,
    url: Option<String>,
    published_at: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ApiSource {
    name: Option<String>,
}

/// A page of results.
#[derive(Debug, Default)]
pub struct Page {
    /// Results the query has in all.
    pub total: u64,
    /// This page's articles.
    pub items: Vec<RawItem>,
}

/// Why NewsAPI gave no page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NewsApiError {
    /// An error body: `{"status":"error","code":…,"message":…}`.
    #[error("NewsAPI answered {code}: {message}")]
    Refused {
        /// NewsAPI's code (`apiKeyInvalid`, `rateLimited`, …).
        code: String,
        /// Its message, shortened.
        message: String,
    },
    /// Not NewsAPI's JSON.
    #[error("NewsAPI's answer is not what /v2/everything returns ({0})")]
    Malformed(String),
}

/// The code of an error body that has none.
const NO_CODE: &str = "unknown";

/// What to do about a refused key.
const CHECK_KEY: &str = "check the key in the credential newsapi_key ($CREDENTIALS_DIRECTORY/newsapi_key or [credentials] newsapi_key)";

/// What to do when the account's requests are spent.
const SPENT: &str = "the account's requests are spent for now; the next run tries again";

impl NewsApiError {
    /// The error for an error status with a JSON body: NewsAPI's code decides where the body
    /// has one; a body without (a proxy's JSON) leaves it to the status, as NewsAPI documents
    /// it (401 a key refused, 429 too many requests).
    fn of_status(self, http: &HttpError) -> UnitError {
        let unknown = match &self {
            NewsApiError::Refused { code, .. } => code == NO_CODE,
            NewsApiError::Malformed(_) => true,
        };
        let status = http.status().map(|s| s.as_u16());
        match status {
            Some(401) if unknown => UnitError {
                exit: Exit::Config,
                message: format!("{http}; {CHECK_KEY}"),
            },
            Some(429) if unknown => UnitError {
                exit: Exit::TempFail,
                message: format!("{http}; {SPENT}"),
            },
            _ if unknown => UnitError::from(http),
            _ => self.unit_error(),
        }
    }

    /// The documented exit code, and what to do, for this error.
    pub fn unit_error(&self) -> UnitError {
        let (exit, advice) = match self {
            NewsApiError::Refused { code, .. } => code_advice(code).unwrap_or((
                Exit::Unavailable,
                "NewsAPI failed on its side; the next run tries again",
            )),
            NewsApiError::Malformed(_) => (
                Exit::DataErr,
                "check [jobs.news-sentiment.newsapi] base_url points at NewsAPI",
            ),
        };
        UnitError {
            exit,
            message: format!("{self}; {advice}"),
        }
    }
}

/// The exit code and what to do for each error code NewsAPI documents.
fn code_advice(code: &str) -> Option<(Exit, &'static str)> {
    Some(match code {
        "apiKeyMissing" | "apiKeyInvalid" | "apiKeyDisabled" => (Exit::Config, CHECK_KEY),
        "apiKeyExhausted" | "rateLimited" => (Exit::TempFail, SPENT),
        "maximumResultsReached" => (
            Exit::Config,
            "lower [jobs.news-sentiment.newsapi] max_results to what the plan allows",
        ),
        "parameterInvalid" | "parametersMissing" | "sourcesTooMany" | "sourceDoesNotExist" => (
            Exit::Config,
            "check [jobs.news-sentiment.newsapi] and the watchlist the query is built from",
        ),
        _ => return None,
    })
}

/// Reads a NewsAPI answer (a 200's body, or an error status's).
pub fn parse(body: &[u8]) -> Result<Page, NewsApiError> {
    let answer: Answer = serde_json::from_slice(body).map_err(|e| {
        NewsApiError::Malformed(format!(
            "{e}; it starts {:?}",
            excerpt(&String::from_utf8_lossy(&body[..body.len().min(80)]), 60)
        ))
    })?;
    if answer.status != "ok" {
        return Err(NewsApiError::Refused {
            code: answer.code.map_or(NO_CODE.to_string(), |c| excerpt(&c, 40)),
            message: excerpt(answer.message.as_deref().unwrap_or("no message"), 200),
        });
    }
    let articles = answer
        .articles
        .ok_or_else(|| NewsApiError::Malformed("status ok without articles".to_string()))?;
    let items = articles
        .into_iter()
        .map(|a| RawItem {
            url: a.url.unwrap_or_default(),
            title: a.title.unwrap_or_default(),
            description: a.description.unwrap_or_default(),
            source: a.source.and_then(|s| s.name).unwrap_or_default(),
            published_at: a.published_at.as_deref().and_then(parse_time),
        })
        .collect();
    Ok(Page {
        total: answer.total_results.unwrap_or(0),
        items,
    })
}

/// The request budget, asked without waiting: a full day's window refuses, and says so.
struct NoWait<'a> {
    budget: &'a SharedBudget,
    spent: Cell<bool>,
}

impl Admission for NoWait<'_> {
    fn admit(&self, url: &str) -> Result<Ticket, HttpError> {
        match self.budget.admit_now(url)? {
            Some(ticket) => Ok(ticket),
            None => {
                self.spent.set(true);
                Err(HttpError::NotAdmitted {
                    url: url.to_string(),
                    detail: "the request budget is spent".to_string(),
                    busy: false,
                })
            }
        }
    }

    fn settled(&self, ticket: Ticket) {
        self.budget.settled(ticket);
    }
}

/// Everything `/v2/everything` has for `names` since `from`, page after page, until a page
/// is short, the results are all read, or the plan's cap is reached.
pub fn fetch(
    http: &HttpClient,
    budget: &SharedBudget,
    key: &Secret,
    cfg: &NewsApiConfig,
    names: &[String],
    from: DateTime<Utc>,
) -> Result<Vec<RawItem>, UnitError> {
    let q = query(names);
    let admission = NoWait {
        budget,
        spent: Cell::new(false),
    };
    let mut items = Vec::new();
    let pages = cfg.max_results.div_ceil(cfg.page_size).max(1);
    for page in 1..=pages {
        let url = page_url(cfg, &q, from, page).ok_or_else(|| UnitError {
            exit: Exit::Config,
            message: format!(
                "[jobs.news-sentiment.newsapi] base_url = {:?} is not a URL: write it as https://HOST/PATH",
                cfg.base_url
            ),
        })?;
        let fetched = http.get_admitted(&url, &[("X-Api-Key", key.expose())], &admission);
        let (body, refused) = match fetched {
            Ok(f) => (f.body, None),
            Err(_) if admission.spent.get() && !items.is_empty() => {
                tracing::warn!(
                    "NewsAPI's request budget ({} a day) is spent after {} articles; the next run goes on from the newest",
                    cfg.requests_per_day,
                    items.len()
                );
                break;
            }
            Err(_) if admission.spent.get() => {
                return Err(UnitError {
                    exit: Exit::TempFail,
                    message: format!(
                        "NewsAPI's request budget ({} a day, [jobs.news-sentiment.newsapi] requests_per_day) is spent; \
                         the next run goes on as requests leave the 24-hour window",
                        cfg.requests_per_day
                    ),
                });
            }
            Err(e) => match e.body().filter(|b| b.trim_start().starts_with('{')) {
                // NewsAPI says why in the body of its 401, 426 and 429.
                Some(body) => (body.as_bytes().to_vec(), Some(e)),
                None => return Err(UnitError::from(&e)),
            },
        };
        match (parse(&body), refused) {
            (Ok(_), Some(http)) => return Err(UnitError::from(&http)),
            (Ok(p), None) => {
                let short = p.items.len() < cfg.page_size as usize;
                items.extend(p.items);
                let read = u64::from(page) * u64::from(cfg.page_size);
                if short || read >= p.total {
                    break;
                }
            }
            (Err(NewsApiError::Refused { code, .. }), _)
                if code == "maximumResultsReached" && page > 1 =>
            {
                tracing::warn!(
                    "NewsAPI: the plan's result cap was reached after {} articles; the next run goes on from the newest",
                    items.len()
                );
                break;
            }
            (Err(e), Some(http)) => return Err(e.of_status(&http)),
            (Err(e), None) => return Err(e.unit_error()),
        }
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_keeps_the_watchlist_first_and_stays_within_the_limit() {
        let mut names = vec![
            "Infosys".to_string(),
            "Tata Consultancy Services".to_string(),
        ];
        names.extend((0..200).map(|i| format!("Company Number {i}")));
        names.push("Infosys".to_string());
        let q = query(&names);
        assert!(q.starts_with("Infosys OR \"Tata Consultancy Services\" OR \"Company Number 0\""));
        assert!(q.chars().count() <= QUERY_MAX, "{}", q.len());
        assert_eq!(q.matches("Infosys").count(), 1);
        assert_eq!(query(&[]), FALLBACK_QUERY);
    }

    #[test]
    fn an_error_status_whose_body_names_no_documented_code_is_judged_by_its_status() {
        let refused = |status: u16, body: &str| {
            let http = HttpError::Status {
                url: "http://127.0.0.1/v2/everything".to_string(),
                status: common::http::StatusCode::from_u16(status).unwrap(),
                retry_after: None,
                gist: None,
                body: body.to_string(),
            };
            parse(body.as_bytes()).unwrap_err().of_status(&http)
        };
        // A proxy's JSON, or a code NewsAPI does not document: the status says it.
        let key = refused(401, r#"{"status":"error","message":"denied"}"#);
        assert_eq!(key.exit, Exit::Config, "{}", key.message);
        assert!(key.message.contains("newsapi_key"), "{}", key.message);
        assert_eq!(
            refused(429, r#"{"error":"slow down"}"#).exit,
            Exit::TempFail
        );
        assert_eq!(
            refused(502, r#"{"status":"error"}"#).exit,
            Exit::Unavailable
        );
        // NewsAPI's own code still decides where it has one.
        let capped = refused(426, r#"{"status":"error","code":"maximumResultsReached"}"#);
        assert_eq!(capped.exit, Exit::Config);
        assert!(capped.message.contains("max_results"), "{}", capped.message);
    }

    #[test]
    fn error_bodies_map_to_exit_codes() {
        for (code, exit) in [
            ("apiKeyInvalid", Exit::Config),
            ("apiKeyMissing", Exit::Config),
            ("rateLimited", Exit::TempFail),
            ("maximumResultsReached", Exit::Config),
            ("parameterInvalid", Exit::Config),
            ("unexpectedError", Exit::Unavailable),
        ] {
            let body = format!(r#"{{"status":"error","code":"{code}","message":"m"}}"#);
            let err = parse(body.as_bytes()).unwrap_err();
            assert_eq!(err.unit_error().exit, exit, "{code}");
            assert!(err.unit_error().message.contains(code));
        }
        let html = parse(b"<html>502</html>").unwrap_err();
        assert_eq!(html.unit_error().exit, Exit::DataErr);
    }

    #[test]
    fn a_page_s_articles_are_read_with_nulls() {
        let body = br#"{"status":"ok","totalResults":2,"articles":[
            {"source":{"id":null,"name":"Mint"},"author":null,"title":"A","description":null,
             "url":"https://x.in/a","publishedAt":"2026-01-02T03:04:05Z","content":null},
            {"source":null,"title":null,"url":null,"publishedAt":"garbage"}]}"#;
        let page = parse(body).unwrap();
        assert_eq!(page.total, 2);
        assert_eq!(page.items[0].source, "Mint");
        assert!(page.items[0].published_at.is_some());
        assert!(page.items[1].published_at.is_none());
    }
}
