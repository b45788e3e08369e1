//! A site whose API answers only inside a browser session (NSE): its homepage fetched first for
//! the cookies, the jar reused for every request of the run, and a refused request (401/403,
//! the cookie missing or stale) retried once after the homepage is fetched again.

use std::cell::Cell;

use reqwest::StatusCode;

use crate::http::{Fetched, HttpClient, HttpError};

/// A session on one site, over the run's [`HttpClient`] (whose cookie jar it fills).
pub struct Session<'a> {
    client: &'a HttpClient,
    home: String,
    headers: Vec<(String, String)>,
    opened: Cell<bool>,
}

impl<'a> Session<'a> {
    /// A session that opens at `home` (the homepage, fetched before the first request and
    /// again on a refusal), sending `headers` with every request.
    pub fn new(client: &'a HttpClient, home: &str, headers: &[(&str, &str)]) -> Self {
        Session {
            client,
            home: home.to_string(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            opened: Cell::new(false),
        }
    }

    /// GETs `url` in the session: the homepage first if not yet fetched; on 401 or 403 the
    /// homepage again and `url` once more. The second refusal is the error (its
    /// [`HttpError::gist`] says what the site answered).
    pub fn get(&self, url: &str) -> Result<Fetched, HttpError> {
        if !self.opened.get() {
            self.open()?;
        }
        match self.fetch(url) {
            Err(e) if is_refusal(&e) => {
                tracing::info!(
                    "{} refused {url} ({}); fetching {} again for a fresh session cookie",
                    host_of(url),
                    e.status().map_or(String::new(), |s| s.to_string()),
                    self.home
                );
                self.open()?;
                self.fetch(url)
            }
            other => other,
        }
    }

    fn open(&self) -> Result<(), HttpError> {
        self.client
            .get(&self.home, &[("Accept", "text/html,*/*;q=0.8")])?;
        self.opened.set(true);
        Ok(())
    }

    fn fetch(&self, url: &str) -> Result<Fetched, HttpError> {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        self.client.get(url, &headers)
    }
}

/// A refusal a fresh session cookie may cure.
fn is_refusal(e: &HttpError) -> bool {
    matches!(
        e.status(),
        Some(StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
    )
}

fn host_of(url: &str) -> &str {
    url.split("//")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or(url)
}
