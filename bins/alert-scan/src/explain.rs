//! `upstox-alert-scan explain SYMBOL`: the symbol's current indicator values per interval and
//! every rule's state, for a person wondering why an alert did or did not fire.

use std::io::{self, Write};

use common::indicators;
use common::market::instrument::Instrument;
use common::market::provider::Quote;

use crate::evaluate::{Evaluation, Reading};
use crate::notice;
use crate::rule::Rule;
use crate::series::{Bar, SeriesByInterval, StoredByInterval};

/// Prints what `explain` shows.
pub fn print(
    out: &mut impl Write,
    instrument: &Instrument,
    quote: &Quote,
    series: &SeriesByInterval,
    evaluations: &[Evaluation<'_>],
) -> io::Result<()> {
    writeln!(
        out,
        "{} ({}): last price {}",
        instrument.symbol,
        instrument.key,
        notice::number(quote.ltp)
    )?;
    for (interval, bars) in series {
        match bars {
            Err(stale) => writeln!(
                out,
                "  {interval}: stored bars end at {}, not at {}: indicators need upstox-market-sync to catch up",
                stale
                    .last
                    .map_or("(none)".to_string(), |t| notice::bar(t, *interval)),
                notice::bar(stale.expected, *interval)
            )?,
            Ok(bars) => {
                let forming = bars.last().map_or(0, |b| b.ts);
                writeln!(
                    out,
                    "  {interval}: {} bars with the forming one ({}): {}",
                    bars.len(),
                    notice::bar(forming, *interval),
                    readings(bars)
                )?;
            }
        }
    }
    if evaluations.is_empty() {
        writeln!(out, "  no rules")?;
    }
    for e in evaluations {
        let rule = e.rule;
        write!(out, "{}: ", heading(rule))?;
        match &e.reading {
            Reading::Ready {
                value,
                threshold,
                holds,
            } => write!(
                out,
                "{} ({} vs {})",
                if *holds { "TRUE" } else { "false" },
                notice::number(*value),
                notice::number(*threshold)
            )?,
            Reading::Short { need, have } => {
                write!(out, "not computable: needs {need} bars, has {have}")?
            }
            Reading::Unknown(why) => write!(out, "not computable: {why}")?,
        }
        if let Some(fired) = e.last.as_ref().and_then(|s| s.fired_at) {
            write!(out, "; last fired {}", notice::ist(fired))?;
        }
        match &e.decision {
            Some(d) if d.fires && rule.enabled => writeln!(out, "; would fire now")?,
            Some(d) => match &d.held_back {
                Some(why) => writeln!(out, "; would not fire: {why}")?,
                None => writeln!(out, "; armed")?,
            },
            None => writeln!(out)?,
        }
    }
    Ok(())
}

/// What `explain` shows when the live price could not be had (`why`): each interval's
/// indicators on the stored bars alone, and the rules, which are not evaluated without it.
pub fn print_stored(
    out: &mut impl Write,
    instrument: &Instrument,
    why: &str,
    stored: &StoredByInterval,
    rules: &[Rule],
) -> io::Result<()> {
    writeln!(
        out,
        "{} ({}): live price unavailable ({why}); indicators on the stored bars alone",
        instrument.symbol, instrument.key
    )?;
    for (interval, bars) in stored {
        match bars {
            Ok(bars) if !bars.is_empty() => writeln!(
                out,
                "  {interval}: {} stored bars, the last {}: {}",
                bars.len(),
                notice::bar(bars.last().map_or(0, |b| b.ts), *interval),
                readings(bars)
            )?,
            Ok(_) => writeln!(
                out,
                "  {interval}: no stored bars: upstox-market-sync stores them"
            )?,
            Err(e) => writeln!(out, "  {interval}: cannot read the stored bars: {e}")?,
        }
    }
    if rules.is_empty() {
        writeln!(out, "  no rules")?;
    }
    for rule in rules {
        writeln!(
            out,
            "{}: not evaluated without the live price",
            heading(rule)
        )?;
    }
    Ok(())
}

/// A rule as `explain` names it: number, channels, bars, cooldown, whether disabled, condition.
fn heading(rule: &Rule) -> String {
    format!(
        "rule {} ({}, {} bars, cooldown {}{}): {}",
        rule.id,
        rule.channels,
        rule.interval,
        rule.cooldown,
        if rule.enabled { "" } else { ", disabled" },
        rule.condition.describe()
    )
}

/// The indicators `explain` shows, on `bars` up to the last.
fn readings(bars: &[Bar]) -> String {
    let closes: Vec<f64> = bars.iter().map(|b| b.close).collect();
    let last = |v: Vec<Option<f64>>| {
        v.last()
            .copied()
            .flatten()
            .map_or("n/a".to_string(), notice::number)
    };
    let macd = indicators::macd(&closes, 12, 26, 9);
    format!(
        "RSI(14) {}, MACD(12,26,9) {} signal {} histogram {}",
        last(indicators::rsi(&closes, 14)),
        last(macd.macd),
        last(macd.signal),
        last(macd.histogram),
    )
}
