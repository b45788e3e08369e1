//! How a firing is told and how often: its channels and its cooldown, as rules write them
//! (`--channels email,telegram`, `--cooldown 30m`).

use std::fmt;
use std::str::FromStr;

/// Where a firing is told. Every firing is also an `alert_events` row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Channel {
    /// Email, through the outbox.
    Email,
    /// Telegram, through the outbox.
    Telegram,
    /// Only the `alert_events` table.
    Database,
}

impl Channel {
    /// The name in rules and files.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Telegram => "telegram",
            Channel::Database => "database",
        }
    }
}

/// The channels of a rule, without duplicates, in a fixed order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channels(Vec<Channel>);

impl Channels {
    /// Every channel: the default.
    pub fn all() -> Self {
        Channels(vec![Channel::Email, Channel::Telegram, Channel::Database])
    }

    /// Whether `channel` is one of them.
    pub fn has(&self, channel: Channel) -> bool {
        self.0.contains(&channel)
    }
}

impl FromStr for Channels {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let mut channels = Vec::new();
        for name in s.split([',', ' ', ';']).filter(|n| !n.is_empty()) {
            let channel = match name.to_ascii_lowercase().as_str() {
                "email" => Channel::Email,
                "telegram" => Channel::Telegram,
                "database" | "db" => Channel::Database,
                other => {
                    return Err(format!(
                        "unknown channel {other:?}: use email, telegram and/or database"
                    ));
                }
            };
            if !channels.contains(&channel) {
                channels.push(channel);
            }
        }
        if channels.is_empty() {
            return Err("no channel: use email, telegram and/or database".to_string());
        }
        channels.sort();
        Ok(Channels(channels))
    }
}

impl fmt::Display for Channels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.0.iter().map(|c| c.as_str()).collect();
        f.write_str(&names.join(","))
    }
}

/// The least time between two firings of a rule, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cooldown(pub i64);

impl FromStr for Cooldown {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("cooldown {s:?} is not a duration: use 0, 90s, 30m, 4h or 1d");
        let s = s.trim();
        if s == "0" {
            return Ok(Cooldown(0));
        }
        let unit = s.chars().last().ok_or_else(bad)?;
        let n: i64 = s[..s.len() - unit.len_utf8()].parse().map_err(|_| bad())?;
        let secs = match unit {
            's' => n,
            'm' => n * 60,
            'h' => n * 3600,
            'd' => n * 86_400,
            _ => return Err(bad()),
        };
        if !(0..=30 * 86_400).contains(&secs) {
            return Err(format!("cooldown {s:?} must be between 0 and 30d"));
        }
        Ok(Cooldown(secs))
    }
}

impl fmt::Display for Cooldown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        match s {
            0 => f.write_str("0"),
            _ if s % 86_400 == 0 => write!(f, "{}d", s / 86_400),
            _ if s % 3600 == 0 => write!(f, "{}h", s / 3600),
            _ if s % 60 == 0 => write!(f, "{}m", s / 60),
            _ => write!(f, "{s}s"),
        }
    }
}
