//! The HTTP client every job uses: connect and total timeouts, retries with exponential backoff
//! and jitter on timeouts, resets, 429 and 5xx, `Retry-After` honoured, a per-host request rate,
//! a response size cap, a cookie jar, and a browser-like User-Agent. Blocking: the jobs are
//! one-shot programs that fetch a handful of resources politely, one at a time. A site whose API
//! answers only inside a browser session (NSE) is asked through a [`Session`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBuilder};
pub use reqwest::StatusCode;

mod breaker;
mod error;
mod fetch;
mod session;

use crate::config::HttpConfig;
use crate::shutdown::Shutdown;

use breaker::Breaker;
pub use breaker::Halt;
pub use error::HttpError;
use fetch::fetch_once;
pub use session::Session;

/// A response that arrived whole with a 2xx status.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The URL fetched (after redirects).
    pub url: String,
    /// The `Content-Type`, if sent.
    pub content_type: Option<String>,
    /// The body (empty for 304 Not Modified).
    pub body: Vec<u8>,
    /// How many attempts it took.
    pub attempts: u32,
    /// 304 Not Modified: the resource has not changed since the validators the request sent.
    pub not_modified: bool,
    /// The validators to send next time (`ETag` and `Last-Modified`), for a conditional GET.
    pub validators: Validators,
}

/// A response's validators, sent back as `If-None-Match` and `If-Modified-Since` so that an
/// unchanged resource costs a 304 and no body (RFC 9110 §13.1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// `ETag`.
    pub etag: Option<String>,
    /// `Last-Modified`.
    pub last_modified: Option<String>,
}

impl Validators {
    /// The request headers of a conditional GET with these validators.
    pub fn headers(&self) -> Vec<(&'static str, &str)> {
        let mut headers = Vec::new();
        if let Some(etag) = &self.etag {
            headers.push(("If-None-Match", etag.as_str()));
        }
        if let Some(date) = &self.last_modified {
            headers.push(("If-Modified-Since", date.as_str()));
        }
        headers
    }
}

/// A gate every attempt of a request passes before it is sent: a provider's request budget,
/// which may make the caller wait, or refuse.
pub trait Admission {
    /// Returns when `url` may be requested, or why it may not.
    fn admit(&self, url: &str) -> Result<Ticket, HttpError>;

    /// Told when the attempt admitted with `ticket` has its answer or has failed.
    fn settled(&self, ticket: Ticket);
}

/// One admitted attempt, as the [`Admission`] that admitted it numbers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket(pub i64);

/// The client. One per run; it keeps cookies and the per-host pacing between requests.
pub struct HttpClient {
    /// Built at the first request, one for plain `http://` and one for `https://`: building
    /// an HTTPS client loads the system's CA certificates (about 10 ms), which a run that
    /// sends nothing, or only to a loopback `http://` address, need not pay for.
    clients: [std::sync::OnceLock<Result<reqwest::blocking::Client, String>>; 2],
    config: HttpConfig,
    next_slot: Mutex<HashMap<String, Instant>>,
    shutdown: Shutdown,
    /// Shared with the clients [`HttpClient::fork`] makes: one deadline, one verdict per host.
    breaker: Arc<Breaker>,
}

impl HttpClient {
    /// A client for `[http]`; `shutdown` cuts waits short.
    pub fn new(config: &HttpConfig, shutdown: Shutdown) -> Self {
        HttpClient {
            clients: Default::default(),
            config: config.clone(),
            next_slot: Mutex::new(HashMap::new()),
            shutdown,
            breaker: Arc::default(),
        }
    }

    /// Another client with this one's configuration, signals, deadline and halted hosts, but
    /// connections, cookies and pacing of its own.
    pub fn fork(&self) -> Self {
        HttpClient {
            breaker: Arc::clone(&self.breaker),
            ..HttpClient::new(&self.config, self.shutdown.clone())
        }
    }

    /// The same client (signals, deadline, hosts stopped) making one attempt per request, of
    /// at most `limit`: for a person waiting at a terminal, to whom what is at hand now is
    /// worth more than an answer after every retry.
    pub fn single_attempt(&self, limit: Duration) -> Self {
        let mut config = self.config.clone();
        config.retries = 0;
        config.timeout_secs = config.timeout_secs.min(limit.as_secs_f64());
        config.connect_timeout_secs = config.connect_timeout_secs.min(limit.as_secs_f64());
        HttpClient {
            breaker: Arc::clone(&self.breaker),
            ..HttpClient::new(&config, self.shutdown.clone())
        }
    }

    /// The same client, refusing every request, retry and wait that would end after
    /// `budget` from `started`: the run's deadline, below its unit's `TimeoutStartSec`.
    pub fn with_deadline(mut self, started: Instant, budget: Duration) -> Self {
        self.breaker = Arc::new(Breaker::until(started, budget));
        self
    }

    /// When the run's time is up, and its budget, if it has a deadline.
    pub fn deadline(&self) -> Option<(Instant, Duration)> {
        self.breaker.deadline()
    }

    /// The run's deadline, once it has come.
    pub fn out_of_time(&self) -> Option<Halt> {
        self.breaker.left().err()
    }

    /// The reqwest client for `url`'s scheme, built on first use.
    fn client(&self, url: &reqwest::Url) -> Result<reqwest::blocking::Client, HttpError> {
        let config = &self.config;
        let tls = url.scheme() == "https";
        self.clients[usize::from(tls)]
            .get_or_init(|| {
                let builder = reqwest::blocking::Client::builder()
                    .connect_timeout(secs(config.connect_timeout_secs))
                    .timeout(secs(config.timeout_secs))
                    .user_agent(config.user_agent.clone())
                    .cookie_store(true)
                    .gzip(true);
                // Plain HTTP trusts no certificate: an http:// URL redirected to https://
                // fails to verify, so configure https:// hosts as https://.
                let builder = if tls {
                    builder
                } else {
                    builder.tls_certs_only(Vec::new())
                };
                builder.build().map_err(|e| e.to_string())
            })
            .clone()
            .map_err(|detail| HttpError::Connection {
                url: url.to_string(),
                detail: format!("cannot set up the HTTP client: {detail}"),
                connect: true,
            })
    }

    /// GETs `url` with extra `headers`, retrying what is transient.
    pub fn get(&self, url: &str, headers: &[(&str, &str)]) -> Result<Fetched, HttpError> {
        self.send(url, headers, None, None)
    }

    /// [`HttpClient::get`], with every attempt (retries included) first admitted by
    /// `admission`: a request budget that other processes share.
    pub fn get_admitted(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        admission: &dyn Admission,
    ) -> Result<Fetched, HttpError> {
        self.send(url, headers, None, Some(admission))
    }

    /// POSTs `json` to `url`, retrying only what the server surely did not act on. A secret
    /// the URL carries (a bot token) is hidden in the log by `crate::redaction`.
    pub fn post_json(&self, url: &str, json: &serde_json::Value) -> Result<Fetched, HttpError> {
        let body = serde_json::to_vec(json).unwrap_or_default();
        self.send(
            url,
            &[("Content-Type", "application/json")],
            Some(body),
            None,
        )
    }

    fn send(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
        admission: Option<&dyn Admission>,
    ) -> Result<Fetched, HttpError> {
        let idempotent = body.is_none();
        let parsed = reqwest::Url::parse(url).map_err(|e| HttpError::InvalidUrl {
            url: url.to_string(),
            detail: e.to_string(),
        })?;
        let host = parsed.host_str().unwrap_or_default().to_string();
        let mut backoff = ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(self.config.backoff_initial_ms))
            .with_max_delay(secs(self.config.backoff_max_secs))
            .with_max_times(self.config.retries as usize)
            .with_jitter()
            .build();
        let halted = |halt: Halt, sent: bool| HttpError::Halted {
            url: url.to_string(),
            halt,
            sent,
        };
        let mut attempts = 0;
        loop {
            self.breaker
                .check(&host)
                .map_err(|halt| halted(halt, attempts > 0))?;
            self.pace(&host, url, attempts > 0)?;
            let ticket = admission.map(|a| a.admit(url)).transpose()?;
            // Each attempt ends by the deadline, whatever the configured timeout.
            let timeout = self.breaker.cap(secs(self.config.timeout_secs));
            attempts += 1;
            let result = self.attempt(&parsed, headers, body.clone(), timeout);
            if let (Some(admission), Some(ticket)) = (admission, ticket) {
                admission.settled(ticket);
            }
            let error = match result {
                Ok(mut fetched) => {
                    self.breaker.answered(&host);
                    fetched.attempts = attempts;
                    return Ok(fetched);
                }
                Err(e) => e,
            };
            if let Err(halt) = self.breaker.left() {
                return Err(halted(halt, true));
            }
            match &error {
                HttpError::Timeout { after, .. } => {
                    if let Some(halt) = self.breaker.timed_out(&host, *after) {
                        return Err(halted(halt, true));
                    }
                }
                HttpError::Status { .. } | HttpError::RateLimited { .. } => {
                    self.breaker.answered(&host)
                }
                _ => {}
            }
            if !error.is_transient(idempotent) {
                return Err(error);
            }
            let Some(delay) = backoff.next() else {
                return Err(give_up(attempts, error));
            };
            // backon's jitter may add up to the delay again; keep the documented ceiling.
            let delay = delay.min(secs(self.config.backoff_max_secs));
            let asked = match &error {
                HttpError::RateLimited { retry_after, .. }
                | HttpError::Status { retry_after, .. } => *retry_after,
                _ => None,
            };
            let delay = match asked {
                // "Come back in an hour": nothing more goes to that host this run.
                Some(asked) if asked.as_secs_f64() > self.config.max_retry_after_secs => {
                    return Err(halted(self.breaker.rate_limited(&host, asked), true));
                }
                // Never sooner than the backoff: `Retry-After: 0` must not become a busy loop.
                Some(asked) => asked.max(delay),
                None => delay,
            };
            // A retry that would start after the deadline is not waited for.
            self.breaker
                .allows(delay)
                .map_err(|halt| halted(halt, true))?;
            tracing::warn!(
                url,
                attempt = attempts,
                "{}; retrying in {:.1}s (retry {} of {})",
                error,
                delay.as_secs_f64(),
                attempts,
                self.config.retries
            );
            if !self.shutdown.sleep(delay) {
                return Err(HttpError::Interrupted {
                    url: url.to_string(),
                });
            }
        }
    }

    /// One request, on a thread of its own so that SIGTERM never waits for a slow server: the
    /// run stops within a tenth of a second and the abandoned request ends with the process.
    fn attempt(
        &self,
        url: &reqwest::Url,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
        timeout: Duration,
    ) -> Result<Fetched, HttpError> {
        let (client, config, target) = (self.client(url)?, self.config.clone(), url.clone());
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(fetch_once(
                &client, &config, &target, &headers, body, timeout,
            ));
        });
        // reqwest's timeout covers the body too; this only guards against it overrunning.
        let give_up_at = Instant::now() + timeout + Duration::from_millis(250);
        loop {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(result) => return result,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) if Instant::now() >= give_up_at => {
                    return Err(HttpError::Timeout {
                        url: url.to_string(),
                        after: timeout,
                    });
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) if self.shutdown.requested() => {
                    return Err(HttpError::Interrupted {
                        url: url.to_string(),
                    });
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(HttpError::Connection {
                        url: url.to_string(),
                        detail: "the request thread ended without an answer".to_string(),
                        connect: false,
                    });
                }
            }
        }
    }

    /// Waits for the host's next free slot: at most `requests_per_second` to any one host.
    /// `sent`: whether an earlier attempt of this request was sent.
    fn pace(&self, host: &str, url: &str, sent: bool) -> Result<(), HttpError> {
        let rate = self
            .config
            .hosts
            .get(host)
            .map_or(self.config.requests_per_second, |h| h.requests_per_second);
        let interval = Duration::from_secs_f64(1.0 / rate);
        let wait = {
            let mut slots = self.next_slot.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let slot = slots.get(host).copied().unwrap_or(now).max(now);
            slots.insert(host.to_string(), slot + interval);
            slot - now
        };
        self.breaker
            .allows(wait)
            .map_err(|halt| HttpError::Halted {
                url: url.to_string(),
                halt,
                sent,
            })?;
        if !self.shutdown.sleep(wait) {
            return Err(HttpError::Interrupted {
                url: url.to_string(),
            });
        }
        Ok(())
    }
}

fn give_up(attempts: u32, last: HttpError) -> HttpError {
    if attempts <= 1 {
        return last;
    }
    HttpError::GaveUp {
        attempts,
        last: Box::new(last),
    }
}

fn secs(value: f64) -> Duration {
    Duration::from_secs_f64(value.max(0.0))
}

#[cfg(test)]
mod tests;
