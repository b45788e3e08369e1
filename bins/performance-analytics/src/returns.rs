//! Statistics of a daily return series, defined exactly as empyrical (empyrical-reloaded 0.7)
//! defines them, so that the numbers agree with the Python tools a desk already trusts; where
//! this module differs on purpose is in `performance-analytics.md` beside `src/`.
//!
//! Returns are `f64`: they are ratios, compounded and square-rooted, where decimal exactness
//! buys nothing and `f64` is what empyrical computes in. Money stays exact ([`crate::money`]).

/// Trading sessions in a year, empyrical's `DAILY` annualization.
pub const SESSIONS_PER_YEAR: f64 = 252.0;

/// The risk-adjusted statistics of one return series; `None` where empyrical gives NaN or an
/// infinity (too few days, zero volatility, no drawdown).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct RiskStats {
    /// Sessions in the series.
    pub days: usize,
    /// Compounded return over the series (`cum_returns_final`).
    pub cumulative_return: Option<f64>,
    /// Compound annual growth over 252 sessions a year (`annual_return`).
    pub annual_return: Option<f64>,
    /// Sample standard deviation × √252 (`annual_volatility`).
    pub annual_volatility: Option<f64>,
    /// Mean excess return over its sample standard deviation × √252 (`sharpe_ratio`).
    pub sharpe: Option<f64>,
    /// Annualised mean excess return over the annualised downside deviation (`sortino_ratio`).
    pub sortino: Option<f64>,
    /// The worst fall from a peak of the compounded series, ≤ 0 (`max_drawdown`).
    pub max_drawdown: Option<f64>,
    /// Annual return over the absolute maximum drawdown (`calmar_ratio`).
    pub calmar: Option<f64>,
    /// Jensen's alpha, annualised by compounding the mean daily alpha (`alpha`).
    pub alpha: Option<f64>,
    /// Sensitivity to the benchmark's daily returns (`beta`).
    pub beta: Option<f64>,
}

/// Where the maximum drawdown lies: indices into the series (the peak is the session before
/// the fall began, or `None` when the fall began on the first session, from the capital).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrawdownSpan {
    /// The last session at the peak before the worst fall; `None`: the starting capital.
    pub peak: Option<usize>,
    /// The session at the bottom.
    pub trough: usize,
    /// The first session back at or above the peak, if the series got there.
    pub recovery: Option<usize>,
}

/// The statistics of `returns` with a daily risk-free rate `risk_free`, against `benchmark`'s
/// returns on the same sessions when given (alpha and beta are `None` without).
pub fn risk_stats(returns: &[f64], risk_free: f64, benchmark: Option<&[f64]>) -> RiskStats {
    let annual = annual_return(returns);
    let drawdown = max_drawdown(returns);
    let (alpha, beta) = match benchmark {
        Some(factor) if factor.len() == returns.len() => alpha_beta(returns, factor, risk_free),
        _ => (None, None),
    };
    RiskStats {
        days: returns.len(),
        cumulative_return: (!returns.is_empty()).then(|| cumulative(returns)),
        annual_return: annual,
        annual_volatility: annual_volatility(returns),
        sharpe: sharpe(returns, risk_free),
        sortino: sortino(returns, risk_free),
        max_drawdown: drawdown,
        calmar: match (annual, drawdown) {
            (Some(a), Some(d)) if d < 0.0 => finite(a / d.abs()),
            _ => None,
        },
        alpha,
        beta,
    }
}

/// `Some(x)` when `x` is a number, `None` for NaN and the infinities.
fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// Sample standard deviation (ddof = 1).
fn std_dev(xs: &[f64]) -> f64 {
    let m = mean(xs);
    let ss: f64 = xs.iter().map(|x| (x - m) * (x - m)).sum();
    (ss / (xs.len() as f64 - 1.0)).sqrt()
}

/// The compounded return: Π(1 + r) − 1.
pub fn cumulative(returns: &[f64]) -> f64 {
    returns.iter().map(|r| 1.0 + r).product::<f64>() - 1.0
}

/// CAGR over `len / 252` years.
fn annual_return(returns: &[f64]) -> Option<f64> {
    if returns.is_empty() {
        return None;
    }
    let years = returns.len() as f64 / SESSIONS_PER_YEAR;
    finite((1.0 + cumulative(returns)).powf(1.0 / years) - 1.0)
}

fn annual_volatility(returns: &[f64]) -> Option<f64> {
    if returns.len() < 2 {
        return None;
    }
    finite(std_dev(returns) * SESSIONS_PER_YEAR.sqrt())
}

fn sharpe(returns: &[f64], risk_free: f64) -> Option<f64> {
    if returns.len() < 2 {
        return None;
    }
    let excess: Vec<f64> = returns.iter().map(|r| r - risk_free).collect();
    // empyrical treats a constant series as having zero dispersion exactly (not a rounding
    // residue), which makes the ratio infinite or undefined: no number.
    let constant = excess.iter().all(|x| *x == excess[0]);
    if constant {
        return None;
    }
    finite(mean(&excess) / std_dev(&excess) * SESSIONS_PER_YEAR.sqrt())
}

fn sortino(returns: &[f64], required: f64) -> Option<f64> {
    if returns.len() < 2 {
        return None;
    }
    let excess: Vec<f64> = returns.iter().map(|r| r - required).collect();
    let downside = mean(
        &excess
            .iter()
            .map(|x| x.min(0.0).powi(2))
            .collect::<Vec<_>>(),
    )
    .sqrt()
        * SESSIONS_PER_YEAR.sqrt();
    finite(mean(&excess) * SESSIONS_PER_YEAR / downside)
}

/// The compounded value of 100 after each session, as empyrical's `drawdown_series` builds it.
fn wealth(returns: &[f64]) -> Vec<f64> {
    let mut value = 100.0;
    returns
        .iter()
        .map(|r| {
            value *= 1.0 + r;
            value
        })
        .collect()
}

/// The drawdown after each session: (value − running peak) / running peak, the peak starting
/// at the capital (100), ≤ 0.
pub fn drawdowns(returns: &[f64]) -> Vec<f64> {
    let mut peak: f64 = 100.0;
    wealth(returns)
        .into_iter()
        .map(|v| {
            peak = peak.max(v);
            (v - peak) / peak
        })
        .collect()
}

fn max_drawdown(returns: &[f64]) -> Option<f64> {
    drawdowns(returns).into_iter().reduce(f64::min)
}

/// Where the maximum drawdown lies; `None` for a series that never fell.
pub fn drawdown_span(returns: &[f64]) -> Option<DrawdownSpan> {
    let dd = drawdowns(returns);
    let (trough, worst) = dd
        .iter()
        .copied()
        .enumerate()
        .reduce(|a, b| if b.1 < a.1 { b } else { a })?;
    if worst >= 0.0 {
        return None;
    }
    let peak = dd[..trough].iter().rposition(|d| *d >= 0.0);
    let recovery = dd[trough..]
        .iter()
        .position(|d| *d >= 0.0)
        .map(|i| trough + i);
    Some(DrawdownSpan {
        peak,
        trough,
        recovery,
    })
}

/// empyrical's `alpha_beta`: beta = cov(f, r) / var(f) (population moments); alpha the mean
/// of (r − rf) − beta·(f − rf), compounded over 252 sessions. `returns` and `factor` are the
/// same sessions' (empyrical leaves out a session whose benchmark return is missing; so
/// does the caller).
pub fn alpha_beta(returns: &[f64], factor: &[f64], risk_free: f64) -> (Option<f64>, Option<f64>) {
    if returns.len() < 2 {
        return (None, None);
    }
    let f_mean = mean(factor);
    let residual: Vec<f64> = factor.iter().map(|f| f - f_mean).collect();
    let covariance = mean(
        &residual
            .iter()
            .zip(returns)
            .map(|(x, r)| x * r)
            .collect::<Vec<_>>(),
    );
    let variance = mean(&residual.iter().map(|x| x * x).collect::<Vec<_>>());
    if variance < 1.0e-30 {
        return (None, None);
    }
    let beta = covariance / variance;
    let alpha_series: Vec<f64> = returns
        .iter()
        .zip(factor)
        .map(|(r, f)| (r - risk_free) - beta * (f - risk_free))
        .collect();
    let alpha = (1.0 + mean(&alpha_series)).powf(SESSIONS_PER_YEAR) - 1.0;
    (finite(alpha), finite(beta))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fall_and_a_recovery_are_found_with_their_sessions() {
        // 100 → 110 → 99 → 104.5 → 115: peak after session 0, trough 1, recovered at 3.
        let r = [0.10, -0.10, 1.0 / 19.0, 0.1];
        let span = drawdown_span(&r).unwrap();
        assert_eq!(span.peak, Some(0));
        assert_eq!(span.trough, 1);
        assert_eq!(span.recovery, Some(3));
        assert!((max_drawdown(&r).unwrap() + 0.1).abs() < 1e-12);
    }

    #[test]
    fn a_fall_on_the_first_session_peaks_at_the_capital_and_may_never_recover() {
        let span = drawdown_span(&[-0.05, 0.01]).unwrap();
        assert_eq!(span.peak, None);
        assert_eq!(span.recovery, None);
        assert_eq!(drawdown_span(&[0.01, 0.02]), None);
    }

    #[test]
    fn zero_volatility_gives_no_ratio_rather_than_an_infinity() {
        let s = risk_stats(&[0.001; 10], 0.0, Some(&[0.002; 10]));
        assert!(s.annual_volatility.unwrap() < 1e-15);
        assert_eq!(s.sharpe, None);
        assert_eq!(s.sortino, None);
        assert_eq!(s.calmar, None);
        assert_eq!(s.beta, None);
    }
}
