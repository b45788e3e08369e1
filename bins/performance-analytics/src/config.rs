//! `[jobs.performance-analytics]`: the account's capital and cash flows, the risk-free rate,
//! the benchmark, the charge schedule, the emailed report and the chart's font.

use std::path::PathBuf;

use chrono::NaiveDate;
use common::harness::Validate;
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::charges::ChargeSchedule;

/// `[jobs.performance-analytics]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobConfig {
    /// Rupees in the account before the first trade and the first cash flow.
    pub starting_capital: Decimal,
    /// Deposits (positive) and withdrawals (negative), each on an IST date.
    pub cash_flows: Vec<CashFlow>,
    /// The annual risk-free rate (0.065 is 6.5%), taken as rate / 252 a session.
    pub risk_free_rate: f64,
    /// The benchmark's instrument key: its daily candles (market-sync stores them) give the
    /// returns alpha and beta are measured against.
    pub benchmark: String,
    /// Charges of fills whose rows carry none.
    pub charges: ChargeSchedule,
    /// With an Upstox token, also read the fills Upstox reports (the day's, or the history
    /// for `--from`), besides `upstox.db`'s.
    pub upstox_trades: bool,
    /// The daily report by email, through the outbox.
    pub email: EmailReport,
    /// The TrueType font of the chart's text (Debian's fonts-dejavu-core).
    pub font: PathBuf,
}

impl Default for JobConfig {
    fn default() -> Self {
        JobConfig {
            starting_capital: Decimal::from(1_000_000),
            cash_flows: Vec::new(),
            risk_free_rate: 0.065,
            benchmark: "NSE_INDEX|Nifty 50".to_string(),
            charges: ChargeSchedule::default(),
            upstox_trades: true,
            email: EmailReport::default(),
            font: PathBuf::from("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
        }
    }
}

/// A deposit or withdrawal.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CashFlow {
    /// The IST date it reached or left the account, before that day's open.
    pub date: NaiveDate,
    /// Rupees: positive a deposit, negative a withdrawal.
    pub amount: Decimal,
}

/// `[jobs.performance-analytics.email]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct EmailReport {
    /// Queue the report for email after each daily run; off by default.
    pub enabled: bool,
}

/// The most rupees of capital or of one cash flow: far above any account, and far enough
/// below the decimal type's range that no sum of them overflows.
const MAX_RUPEES: i64 = 1_000_000_000_000_000;

impl Validate for JobConfig {
    fn validate(&self) -> Result<(), String> {
        let key = |k: &str| format!("[jobs.performance-analytics] {k}");
        if self.starting_capital <= Decimal::ZERO {
            return Err(format!(
                "{} = {}: use the account's capital in rupees, above zero",
                key("starting_capital"),
                self.starting_capital
            ));
        }
        let most = Decimal::from(MAX_RUPEES);
        if self.starting_capital > most {
            return Err(format!(
                "{} = {}: use at most {MAX_RUPEES} rupees",
                key("starting_capital"),
                self.starting_capital
            ));
        }
        if let Some(flow) = self.cash_flows.iter().find(|f| f.amount.abs() > most) {
            return Err(format!(
                "{}: {} on {}: use at most {MAX_RUPEES} rupees either way",
                key("cash_flows"),
                flow.amount,
                flow.date
            ));
        }
        if !(0.0..1.0).contains(&self.risk_free_rate) {
            return Err(format!(
                "{} = {}: use a fraction a year from 0 to below 1 (0.065 is 6.5%)",
                key("risk_free_rate"),
                self.risk_free_rate
            ));
        }
        if common::market::instrument::InstrumentKey::parse(&self.benchmark).is_err() {
            return Err(format!(
                "{} = {:?}: use an instrument key such as \"NSE_INDEX|Nifty 50\"",
                key("benchmark"),
                self.benchmark
            ));
        }
        if let Some(name) = self.charges.negative_rate() {
            return Err(format!(
                "[jobs.performance-analytics.charges] {name} is negative: use 0 or more"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flows_and_charges_read_from_toml_and_bad_values_name_their_key() {
        let c: JobConfig = toml::from_str(
            "starting_capital = 500000\ncash_flows = [{ date = \"2026-01-05\", amount = -25000.50 }]\n\
             [charges]\nbrokerage_rate = 0\nbrokerage_max = 0\n",
        )
        .unwrap();
        assert_eq!(c.cash_flows[0].amount, "-25000.50".parse().unwrap());
        assert!(c.charges.brokerage_max.is_zero());
        assert!(c.validate().is_ok());
        let bad: JobConfig = toml::from_str("risk_free_rate = 6.5").unwrap();
        assert!(bad.validate().unwrap_err().contains("risk_free_rate = 6.5"));
        let bad: JobConfig = toml::from_str("[charges]\nsebi = -0.1").unwrap();
        assert!(bad.validate().unwrap_err().contains("sebi is negative"));
    }
}
