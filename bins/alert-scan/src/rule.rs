//! A rule: which symbol, which condition, on which candles, told to whom, how often.
//! Rules are written the same way on the command line and in CSV files:
//! `RELIANCE rsi-above period=14 level=70`.

mod delivery;

use common::market::interval::Interval;

pub use delivery::{Channel, Channels, Cooldown};

/// A support or resistance line: a fixed price, or the extreme of the previous n bars.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Line {
    /// A price.
    Level(f64),
    /// The highest high (resistance) or lowest low (support) of the previous n bars.
    Bars(usize),
}

/// What a rule watches. Every condition is a state (true or false at a bar); the rule fires
/// when it becomes true, so "MACD above its signal" fires on the upward cross.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Condition {
    /// The last price above a level.
    PriceAbove(f64),
    /// The last price below a level.
    PriceBelow(f64),
    /// RSI(period) above a level (overbought).
    RsiAbove {
        /// RSI period.
        period: usize,
        /// Level, 0–100.
        level: f64,
    },
    /// RSI(period) below a level (oversold).
    RsiBelow {
        /// RSI period.
        period: usize,
        /// Level, 0–100.
        level: f64,
    },
    /// The current bar's volume above `factor` × the average of the previous `period` bars;
    /// for a forming bar of a day or longer, the average pro-rated to the share of its
    /// trading time gone by ([`crate::progress`]).
    VolumeSpike {
        /// The multiple.
        factor: f64,
        /// Bars averaged.
        period: usize,
    },
    /// MACD(fast, slow, signal) above its signal line: fires on the upward cross.
    MacdCrossUp(MacdParams),
    /// MACD below its signal line: fires on the downward cross.
    MacdCrossDown(MacdParams),
    /// The close above a resistance line.
    ResistanceBreak(Line),
    /// The close below a support line.
    SupportBreak(Line),
}

/// MACD's periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MacdParams {
    /// Fast EMA period.
    pub fast: usize,
    /// Slow EMA period.
    pub slow: usize,
    /// Signal EMA period.
    pub signal: usize,
}

/// Every kind, as written in rules, with its parameters and defaults (for help and errors).
pub const KINDS: [(&str, &str); 9] = [
    ("price-above", "level=PRICE"),
    ("price-below", "level=PRICE"),
    ("rsi-above", "period=14 level=70"),
    ("rsi-below", "period=14 level=30"),
    ("volume-spike", "factor=2 period=20"),
    ("macd-cross-up", "fast=12 slow=26 signal=9"),
    ("macd-cross-down", "fast=12 slow=26 signal=9"),
    ("resistance-break", "level=PRICE or period=20"),
    ("support-break", "level=PRICE or period=20"),
];

/// The `key=value` parameters of a rule, each used at most once.
struct Params {
    pairs: Vec<(String, String)>,
    kind: String,
}

impl Params {
    fn parse(kind: &str, text: &str) -> Result<Self, String> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for item in text.split([' ', ';', ',']).filter(|i| !i.is_empty()) {
            let (key, value) = item.split_once('=').ok_or_else(|| {
                format!("parameter {item:?} is not key=value (for example period=14)")
            })?;
            let key = key.trim().to_ascii_lowercase();
            if pairs.iter().any(|(k, _)| *k == key) {
                return Err(format!("parameter {key} is given twice"));
            }
            pairs.push((key, value.trim().to_string()));
        }
        Ok(Params {
            pairs,
            kind: kind.to_string(),
        })
    }

    fn take(&mut self, key: &str) -> Option<String> {
        let at = self.pairs.iter().position(|(k, _)| k == key)?;
        Some(self.pairs.remove(at).1)
    }

    fn price(&mut self, key: &str) -> Result<Option<f64>, String> {
        self.take(key)
            .map(|v| match v.parse::<f64>() {
                Ok(p) if p.is_finite() && p > 0.0 => Ok(p),
                _ => Err(format!("{key}={v} is not a price above 0")),
            })
            .transpose()
    }

    fn number(&mut self, key: &str, default: f64, range: (f64, f64)) -> Result<f64, String> {
        let Some(v) = self.take(key) else {
            return Ok(default);
        };
        match v.parse::<f64>() {
            Ok(x) if x.is_finite() && x > range.0 && x < range.1 => Ok(x),
            _ => Err(format!(
                "{key}={v} must be a number above {} and below {}",
                range.0, range.1
            )),
        }
    }

    fn period(&mut self, key: &str, default: usize, least: usize) -> Result<usize, String> {
        let Some(v) = self.take(key) else {
            return Ok(default);
        };
        match v.parse::<usize>() {
            Ok(n) if (least..=1000).contains(&n) => Ok(n),
            _ => Err(format!(
                "{key}={v} must be a whole number from {least} to 1000"
            )),
        }
    }

    /// Refuses parameters the kind does not take.
    fn done(self) -> Result<(), String> {
        match self.pairs.first() {
            None => Ok(()),
            Some((key, _)) => {
                let takes = KINDS
                    .iter()
                    .find(|(k, _)| *k == self.kind)
                    .map_or("", |(_, p)| *p);
                Err(format!(
                    "{} takes no parameter {key} (it takes {takes})",
                    self.kind
                ))
            }
        }
    }
}

impl Condition {
    /// Parses a kind and its parameters (`rsi-above`, `period=14 level=75`).
    pub fn parse(kind: &str, params: &str) -> Result<Self, String> {
        let kind = kind.trim().to_ascii_lowercase();
        let mut p = Params::parse(&kind, params)?;
        let level = |p: &mut Params| {
            p.price("level")?
                .ok_or_else(|| format!("{kind} needs level=PRICE"))
        };
        let macd = |p: &mut Params| -> Result<MacdParams, String> {
            let m = MacdParams {
                fast: p.period("fast", 12, 2)?,
                slow: p.period("slow", 26, 2)?,
                signal: p.period("signal", 9, 1)?,
            };
            if m.fast >= m.slow {
                return Err(format!("fast={} must be below slow={}", m.fast, m.slow));
            }
            Ok(m)
        };
        let line = |p: &mut Params| -> Result<Line, String> {
            let level = p.price("level")?;
            match level {
                Some(_) if p.pairs.iter().any(|(k, _)| k == "period") => {
                    Err(format!("{kind} takes level=PRICE or period=N, not both"))
                }
                Some(level) => Ok(Line::Level(level)),
                None => Ok(Line::Bars(p.period("period", 20, 1)?)),
            }
        };
        let condition = match kind.as_str() {
            "price-above" => Condition::PriceAbove(level(&mut p)?),
            "price-below" => Condition::PriceBelow(level(&mut p)?),
            "rsi-above" => Condition::RsiAbove {
                period: p.period("period", 14, 2)?,
                level: p.number("level", 70.0, (0.0, 100.0))?,
            },
            "rsi-below" => Condition::RsiBelow {
                period: p.period("period", 14, 2)?,
                level: p.number("level", 30.0, (0.0, 100.0))?,
            },
            "volume-spike" => Condition::VolumeSpike {
                factor: p.number("factor", 2.0, (0.0, 1000.0))?,
                period: p.period("period", 20, 1)?,
            },
            "macd-cross-up" => Condition::MacdCrossUp(macd(&mut p)?),
            "macd-cross-down" => Condition::MacdCrossDown(macd(&mut p)?),
            "resistance-break" => Condition::ResistanceBreak(line(&mut p)?),
            "support-break" => Condition::SupportBreak(line(&mut p)?),
            other => {
                let names: Vec<&str> = KINDS.iter().map(|(k, _)| *k).collect();
                return Err(format!(
                    "unknown kind {other:?}: use one of {}",
                    names.join(", ")
                ));
            }
        };
        p.done()?;
        Ok(condition)
    }

    /// The kind, as written.
    pub fn kind(&self) -> &'static str {
        match self {
            Condition::PriceAbove(_) => "price-above",
            Condition::PriceBelow(_) => "price-below",
            Condition::RsiAbove { .. } => "rsi-above",
            Condition::RsiBelow { .. } => "rsi-below",
            Condition::VolumeSpike { .. } => "volume-spike",
            Condition::MacdCrossUp(_) => "macd-cross-up",
            Condition::MacdCrossDown(_) => "macd-cross-down",
            Condition::ResistanceBreak(_) => "resistance-break",
            Condition::SupportBreak(_) => "support-break",
        }
    }

    /// Every parameter, defaults included, in a canonical order: stored, and unique per
    /// symbol, kind and interval.
    pub fn params(&self) -> String {
        let macd = |m: &MacdParams| format!("fast={} slow={} signal={}", m.fast, m.slow, m.signal);
        let line = |l: &Line| match l {
            Line::Level(p) => format!("level={p}"),
            Line::Bars(n) => format!("period={n}"),
        };
        match self {
            Condition::PriceAbove(level) | Condition::PriceBelow(level) => format!("level={level}"),
            Condition::RsiAbove { period, level } | Condition::RsiBelow { period, level } => {
                format!("period={period} level={level}")
            }
            Condition::VolumeSpike { factor, period } => format!("factor={factor} period={period}"),
            Condition::MacdCrossUp(m) | Condition::MacdCrossDown(m) => macd(m),
            Condition::ResistanceBreak(l) | Condition::SupportBreak(l) => line(l),
        }
    }

    /// What it watches, for people: "RSI(14) above 70".
    pub fn describe(&self) -> String {
        let line = |l: &Line, side: &str, name: &str, extreme: &str| match l {
            Line::Level(p) => format!("close {side} {name} {p}"),
            Line::Bars(n) => format!("close {side} the {n}-bar {extreme}"),
        };
        match self {
            Condition::PriceAbove(level) => format!("price above {level}"),
            Condition::PriceBelow(level) => format!("price below {level}"),
            Condition::RsiAbove { period, level } => format!("RSI({period}) above {level}"),
            Condition::RsiBelow { period, level } => format!("RSI({period}) below {level}"),
            Condition::VolumeSpike { factor, period } => {
                format!("volume above {factor} × its {period}-bar average")
            }
            Condition::MacdCrossUp(m) => format!(
                "MACD({},{},{}) crossing above its signal",
                m.fast, m.slow, m.signal
            ),
            Condition::MacdCrossDown(m) => format!(
                "MACD({},{},{}) crossing below its signal",
                m.fast, m.slow, m.signal
            ),
            Condition::ResistanceBreak(l) => line(l, "above", "resistance", "high"),
            Condition::SupportBreak(l) => line(l, "below", "support", "low"),
        }
    }
}

/// A rule as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Its number in `alert_rules` (0 before it is stored).
    pub id: i64,
    /// The NSE symbol (`RELIANCE`) or instrument key (`NSE_INDEX|Nifty 50`).
    pub symbol: String,
    /// What it watches.
    pub condition: Condition,
    /// The candles it is computed on.
    pub interval: Interval,
    /// Where a firing is told.
    pub channels: Channels,
    /// The least time between two firings.
    pub cooldown: Cooldown,
    /// Whether runs evaluate it.
    pub enabled: bool,
}

/// The defaults for what a rule does not say.
pub const DEFAULT_INTERVAL: Interval = Interval::Day;
/// Half an hour between firings of one rule, unless it says otherwise.
pub const DEFAULT_COOLDOWN: Cooldown = Cooldown(1800);

/// Checks a symbol as written in a rule: an NSE symbol or an instrument key.
pub fn parse_symbol(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.contains('|') {
        return common::market::instrument::InstrumentKey::parse(text)
            .map(|k| k.as_str().to_string())
            .map_err(|e| e.to_string());
    }
    let symbol = text.to_ascii_uppercase();
    let valid = !symbol.is_empty()
        && symbol.len() <= 20
        && symbol
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '&' | '-' | '_'));
    if valid {
        Ok(symbol)
    } else {
        Err(format!(
            "symbol {text:?} is not an NSE symbol (RELIANCE, M&M) or an instrument key (NSE_EQ|INE002A01018)"
        ))
    }
}

/// One line of a rules CSV file, checked: `symbol,kind,params,interval,channels,cooldown,enabled`
/// (the last four may be empty for their defaults).
pub fn from_record(record: &csv::StringRecord) -> Result<Rule, String> {
    let field = |i: usize| record.get(i).map(str::trim).unwrap_or("");
    if record.len() < 2 || record.len() > 7 {
        return Err(format!(
            "{} fields; a rule has symbol,kind,params,interval,channels,cooldown,enabled",
            record.len()
        ));
    }
    let interval = match field(3) {
        "" => DEFAULT_INTERVAL,
        text => text.parse::<Interval>().map_err(|e| e.to_string())?,
    };
    Ok(Rule {
        id: 0,
        symbol: parse_symbol(field(0))?,
        condition: Condition::parse(field(1), field(2))?,
        interval,
        channels: match field(4) {
            "" => Channels::all(),
            text => text.parse()?,
        },
        cooldown: match field(5) {
            "" => DEFAULT_COOLDOWN,
            text => text.parse()?,
        },
        enabled: match field(6).to_ascii_lowercase().as_str() {
            "" | "true" | "yes" | "1" | "enabled" => true,
            "false" | "no" | "0" | "disabled" => false,
            other => return Err(format!("enabled {other:?} must be true or false")),
        },
    })
}

/// The header of rules CSV files.
pub const CSV_HEADER: [&str; 7] = [
    "symbol", "kind", "params", "interval", "channels", "cooldown", "enabled",
];

/// A rule as a CSV record, in [`CSV_HEADER`]'s order: what `rules export` writes and
/// `rules import` reads back.
pub fn to_record(rule: &Rule) -> [String; 7] {
    [
        rule.symbol.clone(),
        rule.condition.kind().to_string(),
        rule.condition.params(),
        rule.interval.to_string(),
        rule.channels.to_string(),
        rule.cooldown.to_string(),
        rule.enabled.to_string(),
    ]
}

#[cfg(test)]
mod tests;
