//! A rule's condition read off a series, and the edge trigger: a rule fires when its condition
//! becomes true, then not again until its cooldown has passed and the condition was false in
//! between.

use chrono::{DateTime, Utc};
use common::indicators;

use crate::progress::{Progress, SETTLING_SECS};
use crate::rule::{Condition, Line, Rule};
use crate::series::Bar;
use crate::store::State;

/// The condition at one bar.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    /// Computed: the indicator's value, what it is compared with, and whether it holds.
    Ready {
        /// The indicator (price, RSI, volume, MACD line).
        value: f64,
        /// The level, line, signal or volume threshold.
        threshold: f64,
        /// Whether the condition holds.
        holds: bool,
    },
    /// Too few bars: the indicator needs `need`, the series has `have`.
    Short {
        /// Bars needed.
        need: usize,
        /// Bars there are.
        have: usize,
    },
    /// It cannot be computed, and why.
    Unknown(String),
}

/// The condition at the forming bar (the last) and at the bar before it, if there is one:
/// the edge trigger of a rule never evaluated before needs both.
#[derive(Debug, Clone, PartialEq)]
pub struct Readings {
    /// At the forming bar.
    pub now: Reading,
    /// At the bar before.
    pub before: Option<Reading>,
}

/// Reads `condition` at the last two bars of `bars`; `forming` is how far the last bar is
/// through its trading time, for a bar of a day or longer ([`crate::progress`]). Each
/// indicator is computed once over the whole series; its value at a bar depends only on the
/// bars up to it (TA-Lib's seeds sit at the series' start), so the earlier bar's value is
/// what it was then.
pub fn read(condition: &Condition, bars: &[Bar], forming: Option<Progress>) -> Readings {
    let closes = || bars.iter().map(|b| b.close).collect::<Vec<f64>>();
    let at: Box<dyn Fn(usize) -> Reading + '_> = match *condition {
        Condition::RsiAbove { period, level } | Condition::RsiBelow { period, level } => {
            let rsi = indicators::rsi(&closes(), period);
            let above = matches!(condition, Condition::RsiAbove { .. });
            Box::new(move |i| match rsi[i] {
                Some(value) => compare(value, level, above),
                None => Reading::Short {
                    need: indicators::rsi_lookback(period) + 1,
                    have: i + 1,
                },
            })
        }
        Condition::MacdCrossUp(m) | Condition::MacdCrossDown(m) => {
            let lines = indicators::macd(&closes(), m.fast, m.slow, m.signal);
            let above = matches!(condition, Condition::MacdCrossUp(_));
            Box::new(move |i| match (lines.macd[i], lines.signal[i]) {
                (Some(macd), Some(signal)) => compare(macd, signal, above),
                _ => Reading::Short {
                    need: indicators::macd_lookback(m.fast, m.slow, m.signal) + 1,
                    have: i + 1,
                },
            })
        }
        _ => Box::new(|i| {
            let progress = forming.filter(|_| i + 1 == bars.len());
            read_bars(condition, &bars[..=i], progress)
        }),
    };
    match bars.len() {
        0 => Readings {
            now: Reading::Short { need: 1, have: 0 },
            before: None,
        },
        n => Readings {
            now: at(n - 1),
            before: n.checked_sub(2).map(at),
        },
    }
}

fn compare(value: f64, threshold: f64, above: bool) -> Reading {
    Reading::Ready {
        value,
        threshold,
        holds: if above {
            value > threshold
        } else {
            value < threshold
        },
    }
}

/// A condition on prices and volumes (no indicator) at the last of `bars`, which is
/// `progress` through its trading time when it is a forming bar of a day or longer.
fn read_bars(condition: &Condition, bars: &[Bar], progress: Option<Progress>) -> Reading {
    let Some(bar) = bars.last() else {
        return Reading::Short { need: 1, have: 0 };
    };
    let have = bars.len();
    match *condition {
        Condition::PriceAbove(level) => compare(bar.close, level, true),
        Condition::PriceBelow(level) => compare(bar.close, level, false),
        Condition::VolumeSpike { factor, period } => {
            if have < period + 1 {
                return Reading::Short {
                    need: period + 1,
                    have,
                };
            }
            let Some(volume) = bar.volume else {
                return Reading::Unknown(
                    "the forming bar's volume is unknown: today's earlier bars of this interval are not all stored yet (upstox-market-sync stores them)"
                        .to_string(),
                );
            };
            // Like with like: the volume so far against the average pro-rated to the share
            // of the bar's trading time gone by, once past the opening rush.
            if progress.is_some_and(Progress::settling) {
                return Reading::Unknown(format!(
                    "the forming bar's volume is compared from {} minutes into its trading time: before, the opening auction and the first trades outweigh a pro-rated average",
                    SETTLING_SECS / 60
                ));
            }
            let share = progress.map_or(1.0, Progress::share);
            let previous = &bars[have - 1 - period..have - 1];
            let total: i64 = previous.iter().filter_map(|b| b.volume).sum();
            let average = total as f64 / period as f64;
            compare(volume as f64, factor * average * share, true)
        }
        Condition::ResistanceBreak(line) | Condition::SupportBreak(line) => {
            let above = matches!(condition, Condition::ResistanceBreak(_));
            let threshold = match line {
                Line::Level(level) => level,
                Line::Bars(n) => {
                    if have < n + 1 {
                        return Reading::Short { need: n + 1, have };
                    }
                    let previous = bars[have - 1 - n..have - 1].iter();
                    if above {
                        previous.map(|b| b.high).fold(f64::MIN, f64::max)
                    } else {
                        previous.map(|b| b.low).fold(f64::MAX, f64::min)
                    }
                }
            };
            compare(bar.close, threshold, above)
        }
        // Indicators are read through the lines `read` computes once.
        Condition::RsiAbove { .. }
        | Condition::RsiBelow { .. }
        | Condition::MacdCrossUp(_)
        | Condition::MacdCrossDown(_) => read(condition, bars, progress).now,
    }
}

/// What an evaluation saw at the forming bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Seen {
    /// The indicator's value.
    pub value: f64,
    /// What it was compared with.
    pub threshold: f64,
    /// Whether the condition held.
    pub holds: bool,
    /// The bar's start.
    pub bar_ts: i64,
}

/// The outcome of one evaluation: the state to keep, and whether the rule fires.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The new state.
    pub state: State,
    /// Whether it fires now.
    pub fires: bool,
    /// Why it does not fire although the condition holds, if so.
    pub held_back: Option<String>,
}

/// Applies the edge trigger. `last` is the state the previous run left; a rule never
/// evaluated before starts armed unless its condition already held at the previous bar
/// (`held_before`), so that a new rule reports a crossing, not a state it found.
pub fn decide(
    last: Option<&State>,
    held_before: Option<bool>,
    seen: Seen,
    cooldown_secs: i64,
    now: DateTime<Utc>,
) -> Decision {
    let armed = match last {
        Some(s) => s.armed,
        None => !held_before.unwrap_or(false),
    };
    let fired_at = last.and_then(|s| s.fired_at);
    let cooling = fired_at
        .map(|t| (now - t).num_seconds() < cooldown_secs)
        .unwrap_or(false);
    // One firing per rule and bar (alert_events is unique on them): a day rule that re-arms
    // after its cooldown waits for the next day's bar.
    let fired_this_bar = fired_at.is_some_and(|t| t.timestamp() >= seen.bar_ts);
    let holds = seen.holds;
    let fires = holds && armed && !cooling && !fired_this_bar;
    let held_back = match (holds, armed, cooling, fired_this_bar) {
        (true, false, _, _) => {
            Some("already fired; waits for the condition to be false".to_string())
        }
        (true, true, true, _) => Some(format!(
            "in its cooldown until {}",
            fired_at.map_or(String::new(), |t| crate::notice::ist(
                t + chrono::Duration::seconds(cooldown_secs)
            ))
        )),
        (true, true, false, true) => {
            Some("already fired on this bar; fires again on a later one".to_string())
        }
        _ => None,
    };
    Decision {
        state: State {
            armed: if fires { false } else { armed || !holds },
            holds,
            value: Some(seen.value),
            threshold: Some(seen.threshold),
            bar_ts: seen.bar_ts,
            fired_at: if fires { Some(now) } else { fired_at },
        },
        fires,
        held_back,
    }
}

/// One rule, read at the forming bar of its series.
pub struct Evaluation<'a> {
    /// The rule.
    pub rule: &'a Rule,
    /// What its condition read.
    pub reading: Reading,
    /// The edge trigger's decision, when the reading was ready.
    pub decision: Option<Decision>,
    /// The state the previous run left.
    pub last: Option<State>,
    /// The bar it was read at.
    pub bar_ts: i64,
}

#[cfg(test)]
mod tests;
