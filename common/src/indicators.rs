//! SMA, EMA, RSI and MACD computed exactly as TA-Lib computes them, so a signal here fires on
//! the same bar as in any tool built on TA-Lib.
//!
//! Every function takes the series oldest first and returns one slot per input bar: `None`
//! while the indicator is still warming up, `Some` from then on. The first `Some` sits at the
//! index TA-Lib reports as its lookback (the `*_lookback` functions), which is also where
//! TA-Lib's output array starts:
//!
//! | indicator | first value at index | why |
//! | --- | --- | --- |
//! | [`sma`]`(n)` | `n - 1` | the first full window |
//! | [`ema`]`(n)` | `n - 1` | seeded by the SMA of the first `n` values (TA-Lib's default, not Metastock's first-value seed) |
//! | [`rsi`]`(n)` | `n` | `n` price changes need `n + 1` closes |
//! | [`macd`]`(fast, slow, signal)` | `slow - 1 + signal - 1` | the MACD line starts with the slow EMA; the signal EMA then needs `signal` MACD values |
//!
//! The arithmetic follows TA-Lib 0.8 operation for operation, so results agree to the last bit
//! with the reference values in `tests/fixtures/talib`, not just to a tolerance: a running SMA
//! total, seeds divided by the period, each EMA step as one fused multiply-add
//! `fma(x - prev, k, prev)` (0.8 moved to FMA), and Wilder's averages as
//! `(avg * (n - 1) + change) * (1 / n)`. TA-Lib 0.4 to 0.7 round the EMA steps and RSI averages
//! differently, so they differ from these in the last few bits (at most about 2e-12 relative on
//! the reference series).
//!
//! EMAs, and so RSI and MACD, remember their seed: the same bar gets a different value when the
//! series starts somewhere else, and the difference only fades after a few times the period.
//! Callers that store or compare values across runs should feed a fixed history length (and
//! enough of it, several periods before the first bar they use).
//!
//! Periods TA-Lib refuses give all `None`: 0 for every indicator, and 1 for RSI and for MACD's
//! fast and slow periods. A series shorter than the lookback plus one bar gives all `None` too.
//! Inputs are expected to be finite; as in TA-Lib, a NaN poisons every value after it.

/// How many leading values [`sma`] needs before its first output: `n - 1` (0 when `n` is 0,
/// which gives no output at all).
pub fn sma_lookback(n: usize) -> usize {
    n.saturating_sub(1)
}

/// How many leading values [`ema`] needs before its first output: `n - 1` (0 when `n` is 0,
/// which gives no output at all).
pub fn ema_lookback(n: usize) -> usize {
    n.saturating_sub(1)
}

/// How many leading values [`rsi`] needs before its first output: `n` (TA-Lib with no
/// unstable period).
pub fn rsi_lookback(n: usize) -> usize {
    n
}

/// How many leading values [`macd`] needs before its first output:
/// `max(fast, slow) - 1 + signal - 1`, the slow EMA's lookback plus the signal EMA's.
pub fn macd_lookback(fast: usize, slow: usize, signal: usize) -> usize {
    ema_lookback(fast.max(slow)) + ema_lookback(signal)
}

/// Simple moving average; `out[i]` is `None` until `i >= n - 1`.
///
/// `n == 0` or fewer than `n` values give all `None`.
pub fn sma(values: &[f64], n: usize) -> Vec<Option<f64>> {
    let mut out = vec![None; values.len()];
    if n == 0 || values.len() < n {
        return out;
    }
    let period = n as f64;
    // A running total, as TA-Lib keeps it: add the newest value, take the mean, then drop the
    // oldest. Summing each window afresh would round differently in the last bits.
    let mut total = 0.0;
    for &value in &values[..n - 1] {
        total += value;
    }
    for i in n - 1..values.len() {
        total += values[i];
        out[i] = Some(total / period);
        total -= values[i + 1 - n];
    }
    out
}

/// EMA with k = 2/(n+1), seeded (TA-Lib's default, not Metastock's) by the SMA of the first n
/// values: first value at index n-1.
///
/// `n == 0` or fewer than `n` values give all `None`. With `n == 1` the EMA is the input.
pub fn ema(values: &[f64], n: usize) -> Vec<Option<f64>> {
    if n == 0 || values.len() < n {
        return vec![None; values.len()];
    }
    warmed_up(ema_lookback(n), seeded_ema(values, n, n - 1))
}

/// RSI with Wilder's smoothing as TA-Lib computes it (unstable period 0): first value at
/// index n.
///
/// The first value uses the simple means of the first `n` gains and losses; each later one
/// smooths them as `(average * (n - 1) + today's) / n`. An unchanged close counts as a gain of 0.
/// When both averages are exactly 0 (a flat series) the RSI is 0, as TA-Lib returns, not 50;
/// a series that only rises gives 100 and one that only falls gives 0.
///
/// `n < 2` (TA-Lib refuses those) or `n` or fewer closes give all `None`.
pub fn rsi(closes: &[f64], n: usize) -> Vec<Option<f64>> {
    let mut out = vec![None; closes.len()];
    if n < 2 || closes.len() <= rsi_lookback(n) {
        return out;
    }
    // TA-Lib 0.8 multiplies by the reciprocal rather than dividing by `n`; that rounds
    // differently, so do the same.
    let reciprocal = 1.0 / n as f64;
    let carried = (n - 1) as f64;
    let mut gain = 0.0;
    let mut loss = 0.0;
    for i in 1..=n {
        add_change(closes[i] - closes[i - 1], &mut gain, &mut loss);
    }
    gain *= reciprocal;
    loss *= reciprocal;
    out[n] = Some(rsi_value(gain, loss));
    for i in n + 1..closes.len() {
        gain *= carried;
        loss *= carried;
        add_change(closes[i] - closes[i - 1], &mut gain, &mut loss);
        gain *= reciprocal;
        loss *= reciprocal;
        out[i] = Some(rsi_value(gain, loss));
    }
    out
}

/// Adds one close-to-close change to the gain or the loss side. The explicit comparison (not
/// `max(0.0)`) keeps TA-Lib's handling of a NaN change: it lands on the gain side and spreads.
fn add_change(change: f64, gain: &mut f64, loss: &mut f64) {
    if change < 0.0 {
        *loss -= change;
    } else {
        *gain += change;
    }
}

/// `100 * gain / (gain + loss)`, the form TA-Lib evaluates, or 0 when nothing moved.
fn rsi_value(gain: f64, loss: f64) -> f64 {
    let total = gain + loss;
    // TA-Lib 0.8 treats only an exact 0 as "nothing moved" (0.4 used a 1e-8 band); averages of
    // non-negative changes sum to exactly 0 only when every change in play was 0.
    if total == 0.0 {
        0.0
    } else {
        100.0 * (gain / total)
    }
}

/// MACD line, signal line and histogram, each with one slot per input bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Macd {
    /// Fast EMA minus slow EMA.
    pub macd: Vec<Option<f64>>,
    /// EMA of the MACD line over the signal period.
    pub signal: Vec<Option<f64>>,
    /// MACD line minus signal line.
    pub histogram: Vec<Option<f64>>,
}

/// MACD line, signal line and histogram, aligned with the input, as TA-Lib's MACD: all three
/// start at index (slow-1)+(signal-1); the fast EMA is seeded where the slow one starts (SMA of
/// the `fast` values ending at index slow-1), and the signal is an EMA of the MACD line seeded
/// by the SMA of its first `signal` values. If slow < fast TA-Lib swaps them; do the same.
///
/// The MACD line exists from index `slow - 1`, but TA-Lib (and so this) reports it only from
/// where the signal starts, so the three outputs always share their `None` positions.
/// A fast or slow period below 2 or a signal period of 0 (TA-Lib refuses those), or no more
/// closes than [`macd_lookback`], give all `None`.
pub fn macd(closes: &[f64], fast: usize, slow: usize, signal: usize) -> Macd {
    let len = closes.len();
    let (fast, slow) = if slow < fast {
        (slow, fast)
    } else {
        (fast, slow)
    };
    let start = macd_lookback(fast, slow, signal);
    if fast < 2 || signal == 0 || len <= start {
        return Macd {
            macd: vec![None; len],
            signal: vec![None; len],
            histogram: vec![None; len],
        };
    }
    // Both price EMAs are seeded on the same bar, the slow one's first: the fast seed is the
    // mean of the `fast` closes ending there, not of the first `fast` closes as `ema` would use.
    let line_start = ema_lookback(slow);
    let fast_ema = seeded_ema(closes, fast, line_start);
    let slow_ema = seeded_ema(closes, slow, line_start);
    let line: Vec<f64> = fast_ema.iter().zip(&slow_ema).map(|(f, s)| f - s).collect();
    // `line[j]` belongs to bar `line_start + j`; the signal EMA is an ordinary EMA of it.
    let signal_ema = seeded_ema(&line, signal, signal - 1);
    let reported = &line[signal - 1..];
    let histogram = reported.iter().zip(&signal_ema).map(|(m, s)| m - s);
    Macd {
        macd: warmed_up(start, reported.iter().copied()),
        signal: warmed_up(start, signal_ema.iter().copied()),
        histogram: warmed_up(start, histogram),
    }
}

/// The EMA of period `n` (k = 2/(n+1)) seeded by the mean of the `n` values ending at index
/// `seed_end`; element `j` of the result belongs to index `seed_end + j`, up to the end of
/// `values`. Callers guarantee `1 <= n <= seed_end + 1 <= values.len()`.
fn seeded_ema(values: &[f64], n: usize, seed_end: usize) -> Vec<f64> {
    // TA-Lib defines period 1 as no smoothing: the input itself. The general step with k = 1
    // could round `(x - prev) + prev` away from `x`.
    if n == 1 {
        return values[seed_end..].to_vec();
    }
    let k = 2.0 / (n + 1) as f64;
    let mut total = 0.0;
    for &value in &values[seed_end + 1 - n..=seed_end] {
        total += value;
    }
    let mut prev = total / n as f64;
    let mut out = Vec::with_capacity(values.len() - seed_end);
    out.push(prev);
    for &value in &values[seed_end + 1..] {
        // TA-Lib 0.8's step, one rounding for the multiply and the add; an unfused
        // `(value - prev) * k + prev`, or `value * k + prev * (1 - k)`, rounds differently.
        prev = (value - prev).mul_add(k, prev);
        out.push(prev);
    }
    out
}

/// `lookback` leading `None`s, then the computed values.
fn warmed_up(lookback: usize, values: impl IntoIterator<Item = f64>) -> Vec<Option<f64>> {
    let mut out = vec![None; lookback];
    out.extend(values.into_iter().map(Some));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::collections::BTreeMap;

    /// Real NSE daily bars (HDFCLIFE), see the README beside it.
    const SERIES: &str = include_str!("../../tests/fixtures/talib/hdfclife.csv");
    /// TA-Lib 0.8.1's output on that series, written by generate.py beside it.
    const REFERENCE: &str = include_str!("../../tests/fixtures/talib/reference.csv");

    /// Parses a header line and comma-separated rows into named columns; an empty field is
    /// `None`, which is how generate.py writes TA-Lib's warm-up NaN.
    fn columns(text: &str) -> BTreeMap<String, Vec<Option<String>>> {
        let mut lines = text.lines();
        let names: Vec<&str> = lines.next().expect("header").split(',').collect();
        let mut out: BTreeMap<String, Vec<Option<String>>> = names
            .iter()
            .map(|name| (name.to_string(), Vec::new()))
            .collect();
        for line in lines {
            let fields: Vec<&str> = line.split(',').collect();
            assert_eq!(fields.len(), names.len(), "row {line:?}");
            for (name, field) in names.iter().zip(fields) {
                let cell = (!field.is_empty()).then(|| field.to_string());
                out.get_mut(*name).expect("known column").push(cell);
            }
        }
        out
    }

    fn numbers(cells: &[Option<String>]) -> Vec<Option<f64>> {
        cells
            .iter()
            .map(|cell| cell.as_ref().map(|text| text.parse().expect("a number")))
            .collect()
    }

    fn closes() -> Vec<f64> {
        let series = columns(SERIES);
        numbers(&series["close"])
            .into_iter()
            .map(|close| close.expect("every bar has a close"))
            .collect()
    }

    /// Same `None` positions as TA-Lib's NaNs, and every value within 1e-9 of TA-Lib's relative
    /// to its size (1e-9 absolute below 1, where MACD histograms cross zero and a relative
    /// error means nothing). Returns the largest relative error seen.
    fn assert_matches(name: &str, ours: &[Option<f64>], talib: &[Option<f64>]) -> f64 {
        assert_eq!(ours.len(), talib.len(), "{name}: length");
        let mut worst: f64 = 0.0;
        for (i, (a, b)) in ours.iter().zip(talib).enumerate() {
            match (a, b) {
                (None, None) => {}
                (Some(a), Some(b)) => {
                    let error = (a - b).abs();
                    assert!(
                        error <= 1e-9 * b.abs().max(1.0),
                        "{name}[{i}]: ours {a:?}, TA-Lib {b:?}"
                    );
                    if error > 0.0 {
                        worst = worst.max(error / b.abs());
                    }
                }
                _ => panic!("{name}[{i}]: ours {a:?}, TA-Lib {b:?} (warm-up differs)"),
            }
        }
        worst
    }

    #[test]
    fn agrees_with_talib_on_a_real_nse_series() {
        let closes = closes();
        assert!(closes.len() >= 300, "fixture too short: {}", closes.len());
        let reference = columns(REFERENCE);
        assert_eq!(
            reference["date"],
            columns(SERIES)["date"],
            "fixtures out of step"
        );

        let macd_12_26_9 = macd(&closes, 12, 26, 9);
        let macd_5_35_5 = macd(&closes, 5, 35, 5);
        let ours: Vec<(&str, Vec<Option<f64>>)> = vec![
            ("sma_20", sma(&closes, 20)),
            ("ema_10", ema(&closes, 10)),
            ("ema_20", ema(&closes, 20)),
            ("rsi_14", rsi(&closes, 14)),
            ("rsi_7", rsi(&closes, 7)),
            ("macd_12_26_9", macd_12_26_9.macd),
            ("macdsignal_12_26_9", macd_12_26_9.signal),
            ("macdhist_12_26_9", macd_12_26_9.histogram),
            ("macd_5_35_5", macd_5_35_5.macd),
            ("macdsignal_5_35_5", macd_5_35_5.signal),
            ("macdhist_5_35_5", macd_5_35_5.histogram),
        ];
        assert_eq!(
            ours.len() + 1,
            reference.len(),
            "a reference column is not checked"
        );
        for (name, values) in &ours {
            let worst = assert_matches(name, values, &numbers(&reference[*name]));
            println!("{name}: max relative error {worst:e}");
            // The module promises TA-Lib 0.8's rounding, not just its formulas: an innocent
            // reordering (dividing instead of multiplying by 1/n, an unfused EMA step) shows
            // here first, long before it reaches 1e-9.
            assert_eq!(worst, 0.0, "{name}: not bit-exact with TA-Lib");
        }
    }

    #[test]
    fn talib_reference_starts_where_the_lookbacks_say() {
        let reference = columns(REFERENCE);
        let first = |name: &str| reference[name].iter().position(Option::is_some);
        assert_eq!(first("sma_20"), Some(sma_lookback(20)));
        assert_eq!(first("ema_10"), Some(ema_lookback(10)));
        assert_eq!(first("rsi_7"), Some(rsi_lookback(7)));
        assert_eq!(first("macdhist_12_26_9"), Some(macd_lookback(12, 26, 9)));
        assert_eq!(first("macd_5_35_5"), Some(macd_lookback(5, 35, 5)));
    }

    #[test]
    fn small_series_by_hand() {
        let values = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(
            sma(&values, 3),
            [None, None, Some(2.0), Some(3.0), Some(4.0)]
        );
        // Seed mean(1, 2, 3) = 2, then k = 0.5: (4 - 2) / 2 + 2 = 3, (5 - 3) / 2 + 3 = 4.
        assert_eq!(
            ema(&values, 3),
            [None, None, Some(2.0), Some(3.0), Some(4.0)]
        );
        assert_eq!(sma(&values, 1), values.map(Some));
        assert_eq!(ema(&values, 1), values.map(Some));
        // Period 1 is the input itself, as in TA-Lib; the general step would give
        // (1e-17 - 1) + 1 = 0 here.
        assert_eq!(ema(&[1.0, 1e-17], 1), [Some(1.0), Some(1e-17)]);

        // Changes +1, -1 average to 0.5 each: 50. Then +1: gain (0.5 + 1) / 2, loss 0.5 / 2.
        let closes = [1.0, 2.0, 1.0, 2.0, 3.0];
        assert_eq!(
            rsi(&closes, 2),
            [None, None, Some(50.0), Some(75.0), Some(87.5)]
        );
    }

    #[test]
    fn macd_seeds_the_fast_ema_where_the_slow_one_starts() {
        // slow 7, fast 3: both seeded at bar 6. Slow seed mean(1, 0, 0, 0, 0, 2, 4) = 1, fast
        // seed mean(0, 2, 4) = 2, MACD line 1. Bar 7: fast (6 - 2) / 2 + 2 = 4, slow
        // (6 - 1) / 4 + 1 = 2.25, line 1.75. Signal 2 is seeded by mean(1, 1.75) = 1.375 at
        // bar 7. (Seeding the fast EMA at bar 2 instead would give a line of about 1.52.)
        let closes = [1.0, 0.0, 0.0, 0.0, 0.0, 2.0, 4.0, 6.0];
        let out = macd(&closes, 3, 7, 2);
        let only_last = |value: f64| {
            let mut expected = vec![None; closes.len()];
            expected[7] = Some(value);
            expected
        };
        assert_eq!(out.macd, only_last(1.75));
        assert_eq!(out.signal, only_last(1.375));
        assert_eq!(out.histogram, only_last(0.375));
        assert_eq!(macd_lookback(3, 7, 2), 7);
    }

    #[test]
    fn macd_signal_period_one_is_the_macd_line() {
        let out = macd(&closes(), 12, 26, 1);
        assert_eq!(out.signal, out.macd);
        assert!(out.histogram[25..].iter().all(|v| *v == Some(0.0)));
    }

    #[test]
    fn macd_swaps_fast_and_slow_like_talib() {
        let closes = closes();
        assert_eq!(macd(&closes, 26, 12, 9), macd(&closes, 12, 26, 9));
        assert_eq!(macd_lookback(26, 12, 9), macd_lookback(12, 26, 9));
    }

    #[test]
    fn flat_series() {
        let flat = [100.0; 40];
        assert!(sma(&flat, 20)[19..].iter().all(|v| *v == Some(100.0)));
        assert!(ema(&flat, 20)[19..].iter().all(|v| *v == Some(100.0)));
        // TA-Lib answers 0, not 50, when nothing moved at all.
        let rsi = rsi(&flat, 14);
        assert!(rsi[..14].iter().all(Option::is_none));
        assert!(rsi[14..].iter().all(|v| *v == Some(0.0)));
        let out = macd(&flat, 12, 26, 9);
        for line in [&out.macd, &out.signal, &out.histogram] {
            assert!(line[..33].iter().all(Option::is_none));
            assert!(line[33..].iter().all(|v| *v == Some(0.0)));
        }
    }

    #[test]
    fn rsi_of_one_way_series() {
        let rising: Vec<f64> = (1..=30).map(f64::from).collect();
        assert!(rsi(&rising, 14)[14..].iter().all(|v| *v == Some(100.0)));
        let falling: Vec<f64> = rising.iter().rev().copied().collect();
        assert!(rsi(&falling, 14)[14..].iter().all(|v| *v == Some(0.0)));
        // A gain still in the averages keeps the RSI at 100 through flat bars.
        let stalled = [5.0, 5.0, 5.0, 6.0, 6.0, 6.0, 6.0, 6.0];
        assert!(rsi(&stalled, 3)[3..].iter().all(|v| *v == Some(100.0)));
    }

    #[test]
    fn refused_periods_give_no_values() {
        let closes = closes();
        let none = vec![None; closes.len()];
        assert_eq!(sma(&closes, 0), none);
        assert_eq!(ema(&closes, 0), none);
        assert_eq!(rsi(&closes, 0), none);
        assert_eq!(rsi(&closes, 1), none);
        for (fast, slow, signal) in [(0, 26, 9), (12, 0, 9), (12, 26, 0), (1, 26, 9)] {
            let out = macd(&closes, fast, slow, signal);
            assert_eq!(out.macd, none, "{fast}/{slow}/{signal}");
            assert_eq!(out.signal, none, "{fast}/{slow}/{signal}");
            assert_eq!(out.histogram, none, "{fast}/{slow}/{signal}");
        }
    }

    #[test]
    fn too_short_inputs_give_no_values_and_keep_their_length() {
        let closes = closes();
        assert_eq!(sma(&closes[..19], 20), vec![None; 19]);
        assert_eq!(ema(&closes[..19], 20), vec![None; 19]);
        assert_eq!(rsi(&closes[..14], 14), vec![None; 14]);
        let short = macd(&closes[..33], 12, 26, 9);
        assert_eq!(short.macd, vec![None; 33]);
        assert_eq!(short.signal, vec![None; 33]);
        assert_eq!(short.histogram, vec![None; 33]);
        assert!(sma(&[], 3).is_empty());
        assert!(rsi(&[], 3).is_empty());
        assert!(macd(&[], 12, 26, 9).macd.is_empty());

        // One bar more than the lookback gives exactly one value, on the last bar.
        let just = |values: Vec<Option<f64>>| {
            let last = values.len() - 1;
            values.iter().position(Option::is_some) == Some(last)
        };
        assert!(just(sma(&closes[..20], 20)));
        assert!(just(ema(&closes[..20], 20)));
        assert!(just(rsi(&closes[..15], 14)));
        assert!(just(macd(&closes[..34], 12, 26, 9).histogram));
    }

    #[test]
    fn values_depend_on_where_the_series_starts() {
        // The documented caveat: the EMA is seeded at the start, so a later start gives a
        // different value for the same bar, converging as the bars pile up.
        let closes = closes();
        let full = ema(&closes, 20);
        let later = ema(&closes[100..], 20);
        let value = |bar: usize| (full[bar].expect("value"), later[bar - 100].expect("value"));
        let (a, b) = value(140);
        assert_ne!(a, b);
        let (a, b) = value(closes.len() - 1);
        assert!((a - b).abs() < 1e-6 * a.abs(), "{a} vs {b}");
    }
}
