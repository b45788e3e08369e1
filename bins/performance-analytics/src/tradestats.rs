//! Statistics of closed trades (one per closing fill, after its charges): how often they win
//! and by how much. A break-even trade (net P&L exactly zero) counts as a trade but neither a
//! win nor a loss, and ends a streak of either.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// The statistics of a list of closed trades' net P&L.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TradeStats {
    /// Closed trades.
    pub trades: u32,
    /// Trades with net P&L > 0.
    pub wins: u32,
    /// Trades with net P&L < 0.
    pub losses: u32,
    /// wins / trades; `None` with no trade.
    pub win_rate: Option<f64>,
    /// Gross profit over gross loss (absolute); `None` when there is no loss (infinite) or no
    /// trade.
    pub profit_factor: Option<f64>,
    /// Mean net P&L of the wins, rupees.
    pub average_win: Option<Decimal>,
    /// Mean net P&L of the losses, rupees (negative).
    pub average_loss: Option<Decimal>,
    /// average_win / |average_loss|; `None` without both.
    pub payoff_ratio: Option<f64>,
    /// Mean net P&L per trade, rupees.
    pub expectancy: Option<Decimal>,
    /// The largest net win, rupees.
    pub largest_win: Option<Decimal>,
    /// The largest net loss, rupees (negative).
    pub largest_loss: Option<Decimal>,
    /// The most wins in a row.
    pub longest_winning_streak: u32,
    /// The most losses in a row.
    pub longest_losing_streak: u32,
}

fn ratio(a: Decimal, b: Decimal) -> Option<f64> {
    if b.is_zero() { None } else { (a / b).to_f64() }
}

fn mean(xs: &[Decimal]) -> Option<Decimal> {
    (!xs.is_empty())
        .then(|| (xs.iter().sum::<Decimal>() / Decimal::from(xs.len() as u64)).round_dp(4))
}

/// The statistics of `pnl`, the net P&L of each closed trade in order.
pub fn trade_stats(pnl: &[Decimal]) -> TradeStats {
    let wins: Vec<Decimal> = pnl
        .iter()
        .copied()
        .filter(|p| p.is_sign_positive() && !p.is_zero())
        .collect();
    let losses: Vec<Decimal> = pnl
        .iter()
        .copied()
        .filter(|p| p.is_sign_negative() && !p.is_zero())
        .collect();
    let gross_win: Decimal = wins.iter().sum();
    let gross_loss: Decimal = losses.iter().sum::<Decimal>().abs();
    let (average_win, average_loss) = (mean(&wins), mean(&losses));
    let (mut win_run, mut loss_run, mut longest_win, mut longest_loss) = (0, 0, 0, 0);
    for p in pnl {
        if p.is_zero() {
            (win_run, loss_run) = (0, 0);
        } else if p.is_sign_positive() {
            win_run += 1;
            loss_run = 0;
        } else {
            loss_run += 1;
            win_run = 0;
        }
        longest_win = longest_win.max(win_run);
        longest_loss = longest_loss.max(loss_run);
    }
    TradeStats {
        trades: pnl.len() as u32,
        wins: wins.len() as u32,
        losses: losses.len() as u32,
        win_rate: (!pnl.is_empty()).then(|| wins.len() as f64 / pnl.len() as f64),
        profit_factor: ratio(gross_win, gross_loss),
        average_win,
        average_loss,
        payoff_ratio: match (average_win, average_loss) {
            (Some(w), Some(l)) => ratio(w, l.abs()),
            _ => None,
        },
        expectancy: mean(pnl),
        largest_win: wins.iter().copied().max(),
        largest_loss: losses.iter().copied().min(),
        longest_winning_streak: longest_win,
        longest_losing_streak: longest_loss,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(xs: &[i64]) -> Vec<Decimal> {
        xs.iter().map(|x| Decimal::from(*x)).collect()
    }

    #[test]
    fn wins_losses_and_a_break_even_that_ends_a_streak() {
        let s = trade_stats(&d(&[100, 50, 0, 30, -20, -40, 10]));
        assert_eq!((s.trades, s.wins, s.losses), (7, 4, 2));
        assert_eq!(s.win_rate, Some(4.0 / 7.0));
        assert_eq!(s.profit_factor, Some(190.0 / 60.0));
        assert_eq!(s.average_win, Some(Decimal::new(475, 1)));
        assert_eq!(s.average_loss, Some(Decimal::from(-30)));
        assert_eq!(s.largest_loss, Some(Decimal::from(-40)));
        assert_eq!((s.longest_winning_streak, s.longest_losing_streak), (2, 2));
    }

    #[test]
    fn all_wins_have_no_profit_factor_nor_payoff_and_all_losses_a_zero_one() {
        let s = trade_stats(&d(&[10, 20]));
        assert_eq!(
            (s.profit_factor, s.payoff_ratio, s.win_rate),
            (None, None, Some(1.0))
        );
        let s = trade_stats(&d(&[-10, -20]));
        assert_eq!((s.profit_factor, s.win_rate), (Some(0.0), Some(0.0)));
        assert_eq!(s.longest_losing_streak, 2);
    }

    #[test]
    fn no_trade_has_no_rates() {
        let s = trade_stats(&[]);
        assert_eq!((s.trades, s.win_rate, s.expectancy), (0, None, None));
    }
}
