//! Volatility figures per underlying: the at-the-money IV's rank and percentile over the last
//! 252 sessions (the IV itself is [`crate::atm`]'s), and 20/30-session historical volatility.

use chrono::NaiveDate;

use common::market::instrument::InstrumentKey;

/// Sessions in a trading year: the IV rank window and the annualisation factor.
pub const SESSIONS_PER_YEAR: usize = 252;

/// One day's figures for an underlying (one `iv_analysis` row).
#[derive(Debug, Clone, PartialEq)]
pub struct IvRecord {
    /// The underlying.
    pub underlying: InstrumentKey,
    /// The IST date.
    pub date: NaiveDate,
    /// The expiry the IV was read from (the nearest).
    pub expiry: Option<NaiveDate>,
    /// At-the-money IV, percent.
    pub iv: Option<f64>,
    /// Where today's IV sits between the window's low (0) and high (100).
    pub iv_rank: Option<f64>,
    /// The share of the window's earlier sessions with a lower IV, percent.
    pub iv_percentile: Option<f64>,
    /// How many sessions of IV the rank and percentile were computed over (today included).
    pub iv_sessions: i64,
    /// 20-session historical volatility, annualised, percent.
    pub hv20: Option<f64>,
    /// 30-session historical volatility, annualised, percent.
    pub hv30: Option<f64>,
}

impl IvRecord {
    /// Whether it has no figure at all (no IV, no HV): such a row would say nothing.
    pub fn is_empty(&self) -> bool {
        self.iv.is_none() && self.hv20.is_none() && self.hv30.is_none()
    }
}

/// IV rank: `(current − low) / (high − low) × 100` over `history` and `current`.
pub fn iv_rank(history: &[f64], current: f64) -> Option<f64> {
    let low = history.iter().copied().fold(current, f64::min);
    let high = history.iter().copied().fold(current, f64::max);
    (high > low).then(|| (current - low) / (high - low) * 100.0)
}

/// IV percentile: the percentage of `history` below `current`.
pub fn iv_percentile(history: &[f64], current: f64) -> Option<f64> {
    (!history.is_empty()).then(|| {
        history.iter().filter(|&&iv| iv < current).count() as f64 / history.len() as f64 * 100.0
    })
}

/// Historical volatility over the last `n` daily log returns of `closes` (oldest first): the
/// sample standard deviation × √252, in percent. `None` with fewer than `n + 1` closes.
pub fn historical_volatility(closes: &[f64], n: usize) -> Option<f64> {
    if n < 2 || closes.len() < n + 1 || closes.iter().any(|c| *c <= 0.0) {
        return None;
    }
    let tail = &closes[closes.len() - n - 1..];
    let returns: Vec<f64> = tail.windows(2).map(|w| (w[1] / w[0]).ln()).collect();
    let mean = returns.iter().sum::<f64>() / n as f64;
    let variance = returns.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    Some(variance.sqrt() * (SESSIONS_PER_YEAR as f64).sqrt() * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_and_percentile_follow_their_definitions() {
        let history = [10.0, 20.0, 30.0, 40.0];
        assert_eq!(iv_rank(&history, 25.0), Some(50.0));
        assert_eq!(iv_rank(&history, 45.0), Some(100.0));
        assert_eq!(iv_percentile(&history, 25.0), Some(50.0));
        assert_eq!(iv_percentile(&history, 5.0), Some(0.0));
        assert_eq!(iv_rank(&[], 20.0), None, "one value has no range");
        assert_eq!(iv_percentile(&[], 20.0), None);
    }

    #[test]
    fn historical_volatility_of_alternating_returns_is_known() {
        // Log returns alternate +r, −r: mean 0, sample variance r²·n/(n−1).
        let r: f64 = 0.01;
        let mut closes = vec![100.0];
        for i in 0..20 {
            let last = *closes.last().unwrap();
            closes.push(last * if i % 2 == 0 { r.exp() } else { (-r).exp() });
        }
        let hv = historical_volatility(&closes, 20).unwrap();
        let expected = (r * r * 20.0 / 19.0).sqrt() * 252f64.sqrt() * 100.0;
        assert!((hv - expected).abs() < 1e-9, "{hv} vs {expected}");
        assert_eq!(historical_volatility(&closes, 30), None);
    }
}
