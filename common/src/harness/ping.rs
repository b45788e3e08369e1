//! The dead-man's switch: `<url>/start`, then `<url>` or `<url>/fail` (healthchecks.io's
//! convention), so an outside monitor notices a job that stopped running at all.

use crate::config::HttpConfig;
use crate::http::HttpClient;
use crate::shutdown::Shutdown;

/// Pings one job's `[pings]` URL.
pub(crate) struct Pinger {
    url: String,
    http: HttpClient,
}

impl Pinger {
    pub(crate) fn new(url: &str, http: &HttpConfig, shutdown: &Shutdown) -> Self {
        // Quick and without retries: a monitor being down must not slow the job.
        let config = HttpConfig {
            retries: 0,
            timeout_secs: http.timeout_secs.min(10.0),
            max_retry_after_secs: 0.0,
            ..http.clone()
        };
        Pinger {
            url: url.trim_end_matches('/').to_string(),
            http: HttpClient::new(&config, shutdown.clone()),
        }
    }

    pub(crate) fn ping(&self, suffix: &str) {
        let url = format!("{}{suffix}", self.url);
        // The URL is the monitor's secret: whoever has it can report for the job.
        let shown = format!("[pings] URL{suffix}");
        match self.http.get(&url, &[]) {
            Ok(_) => tracing::debug!("pinged {shown}"),
            Err(e) => tracing::warn!(
                "dead-man's switch ping to {shown} failed: {}",
                e.to_string().replace(&self.url, "<ping url>")
            ),
        }
    }
}
