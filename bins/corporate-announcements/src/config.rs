//! `[jobs.corporate-announcements]`: where the exchanges are, the dates asked for, whose
//! announcements are notified and how early.

use common::harness::Validate;
use serde::Deserialize;

/// `[jobs.corporate-announcements]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobConfig {
    /// NSE's website: its homepage gives the session cookie the API needs.
    pub nse_home: String,
    /// NSE's API (`<nse_url>/corporates-corporateActions`, …).
    pub nse_url: String,
    /// BSE's API (`<bse_url>/DefaultData/w`, …).
    pub bse_url: String,
    /// Days before today a run asks for (announcements, ex-dates, meetings).
    pub days_back: u32,
    /// Days after today a run asks for (ex-dates and meetings ahead).
    pub days_ahead: u32,
    /// Symbols whose announcements, ex-dates and results dates are notified.
    pub watchlist: Vec<String>,
    /// Indices (as nse-index-update names them) whose active members are notified too.
    pub indices: Vec<String>,
    /// Trading days before an ex-date that it is notified.
    pub ex_date_lead_days: u32,
    /// Refresh the exchange holiday calendar (NSE's holiday master; Upstox's when a token is set).
    pub holidays: bool,
}

impl Default for JobConfig {
    fn default() -> Self {
        JobConfig {
            nse_home: "https://www.nseindia.com".to_string(),
            nse_url: "https://www.nseindia.com/api".to_string(),
            bse_url: "https://api.bseindia.com/BseIndiaAPI/api".to_string(),
            days_back: 7,
            days_ahead: 30,
            watchlist: Vec::new(),
            indices: vec!["NIFTY50".to_string()],
            ex_date_lead_days: 2,
            holidays: true,
        }
    }
}

impl Validate for JobConfig {
    fn validate(&self) -> Result<(), String> {
        for (key, url) in [
            ("nse_home", &self.nse_home),
            ("nse_url", &self.nse_url),
            ("bse_url", &self.bse_url),
        ] {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!(
                    "[jobs.corporate-announcements] {key} = \"{url}\": use an http:// or https:// URL"
                ));
            }
        }
        if self.days_back > 366 || self.days_ahead > 366 {
            return Err(
                "[jobs.corporate-announcements] days_back and days_ahead: use 0 to 366".to_string(),
            );
        }
        if !(1..=20).contains(&self.ex_date_lead_days) {
            return Err(format!(
                "[jobs.corporate-announcements] ex_date_lead_days = {}: use 1 to 20",
                self.ex_date_lead_days
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid_and_bad_values_are_named() {
        assert!(JobConfig::default().validate().is_ok());
        let lead = JobConfig {
            ex_date_lead_days: 0,
            ..JobConfig::default()
        };
        assert!(
            lead.validate()
                .unwrap_err()
                .contains("ex_date_lead_days = 0")
        );
        let url = JobConfig {
            bse_url: "ftp://x".into(),
            ..JobConfig::default()
        };
        assert!(url.validate().unwrap_err().contains("bse_url"));
    }
}
