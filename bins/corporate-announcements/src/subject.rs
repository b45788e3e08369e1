//! The free-text subject of a corporate action or board meeting, as NSE and BSE write it
//! ("Interim Dividend - Rs 6 Per Share", "Stock  Split From Rs.10/- to Rs.1/-", "Rights 3:17 @
//! Premium Rs 1195/-", "Financial Results/Dividend"), read into typed actions. A subject may
//! carry several ("Final Dividend - Rs 5 Per Share / Special Dividend - Rs 2 Per Share"); what
//! is not recognised is kept as [`Action::Other`] with its text, never dropped. Pure: no I/O.

use chrono::NaiveDate;

use crate::money::Money;

mod words;

use words::{Text, month_number};

/// Which dividend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DividendKind {
    /// Declared during the year.
    Interim,
    /// Declared with the annual accounts.
    Final,
    /// A one-off.
    Special,
    /// The subject does not say.
    Unspecified,
}

/// Which general meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meeting {
    /// Annual general meeting.
    Annual,
    /// Extraordinary general meeting.
    Extraordinary,
}

/// Which scheme restructures the company.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// A scheme of arrangement (the subject says no more).
    Arrangement,
    /// A business split off into a new listed company.
    Demerger,
    /// Companies combined.
    Amalgamation,
    /// Companies merged.
    Merger,
    /// Share capital reduced.
    CapitalReduction,
}

/// How long a results period is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    /// Three months.
    Quarter,
    /// Six months.
    HalfYear,
    /// Twelve months.
    Year,
    /// The subject does not say.
    Unknown,
}

/// The period results are for: how long, and the last day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// How long.
    pub span: Span,
    /// Its last day (the month's end when only the month is given).
    pub ended: NaiveDate,
}

/// `new` for every `held`: a bonus of 1:2 gives one share for two held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ratio {
    /// Shares given.
    pub new: u32,
    /// For this many held.
    pub held: u32,
}

/// One action a subject announces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// A dividend per share.
    Dividend {
        /// Interim, final, special.
        kind: DividendKind,
        /// Per share, when the subject gives it.
        amount: Option<Money>,
    },
    /// Face value split (sub-division).
    Split {
        /// Face value before.
        from: Money,
        /// Face value after.
        to: Money,
    },
    /// Bonus shares.
    Bonus(Ratio),
    /// A rights issue.
    Rights {
        /// New shares for shares held.
        ratio: Ratio,
        /// Premium over face value, when given.
        premium: Option<Money>,
        /// Issue price, when given.
        price: Option<Money>,
    },
    /// A buyback of shares.
    Buyback {
        /// Price per share, when given.
        price: Option<Money>,
        /// Total size, when given.
        size: Option<Money>,
    },
    /// A general meeting.
    GeneralMeeting(Meeting),
    /// A board meeting on financial results.
    Results {
        /// The meeting's date, when the subject gives it.
        date: Option<NaiveDate>,
        /// The period, when the subject gives it.
        period: Option<Period>,
    },
    /// A restructuring scheme.
    Scheme(Scheme),
    /// Interest on a debt series.
    InterestPayment,
    /// Redemption of a debt series.
    Redemption {
        /// Only part of it.
        partial: bool,
    },
    /// A REIT's or InvIT's distribution per unit.
    Distribution {
        /// Per unit, when given.
        amount: Option<Money>,
    },
    /// Not recognised: the text as written.
    Other(String),
}

/// An action's kind, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// [`Action::Dividend`].
    Dividend,
    /// [`Action::Split`].
    Split,
    /// [`Action::Bonus`].
    Bonus,
    /// [`Action::Rights`].
    Rights,
    /// [`Action::Buyback`].
    Buyback,
    /// [`Action::GeneralMeeting`] (annual).
    Agm,
    /// [`Action::GeneralMeeting`] (extraordinary).
    Egm,
    /// [`Action::Results`].
    Results,
    /// [`Action::Scheme`].
    Scheme,
    /// [`Action::InterestPayment`].
    InterestPayment,
    /// [`Action::Redemption`].
    Redemption,
    /// [`Action::Distribution`].
    Distribution,
    /// [`Action::Other`].
    Other,
}

impl Kind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Dividend => "dividend",
            Kind::Split => "split",
            Kind::Bonus => "bonus",
            Kind::Rights => "rights",
            Kind::Buyback => "buyback",
            Kind::Agm => "agm",
            Kind::Egm => "egm",
            Kind::Results => "results",
            Kind::Scheme => "scheme",
            Kind::InterestPayment => "interest_payment",
            Kind::Redemption => "redemption",
            Kind::Distribution => "distribution",
            Kind::Other => "other",
        }
    }
}

impl Action {
    /// The kind.
    pub fn kind(&self) -> Kind {
        match self {
            Action::Dividend { .. } => Kind::Dividend,
            Action::Split { .. } => Kind::Split,
            Action::Bonus(_) => Kind::Bonus,
            Action::Rights { .. } => Kind::Rights,
            Action::Buyback { .. } => Kind::Buyback,
            Action::GeneralMeeting(Meeting::Annual) => Kind::Agm,
            Action::GeneralMeeting(Meeting::Extraordinary) => Kind::Egm,
            Action::Results { .. } => Kind::Results,
            Action::Scheme(_) => Kind::Scheme,
            Action::InterestPayment => Kind::InterestPayment,
            Action::Redemption { .. } => Kind::Redemption,
            Action::Distribution { .. } => Kind::Distribution,
            Action::Other(_) => Kind::Other,
        }
    }
}

/// The longest subject read for actions (a board-meeting purpose is a sentence or two); the
/// rest of a longer one is kept as text but not read, so no answer makes parsing slow.
const MAX_READ: usize = 2_000;

/// The actions `subject` announces, in the order written; at least one ([`Action::Other`]
/// with the whole text when nothing is recognised).
pub fn parse(subject: &str) -> Vec<Action> {
    let read = match subject.char_indices().nth(MAX_READ) {
        Some((end, _)) => &subject[..end],
        None => subject,
    };
    let mut actions = Vec::new();
    for part in segments(read) {
        let found = parse_segment(part);
        if found.is_empty() {
            if !is_annotation(part) {
                actions.push(Action::Other(part.trim().to_string()));
            }
        } else {
            actions.extend(found);
        }
    }
    if actions.iter().all(|a| matches!(a, Action::Other(_))) {
        return vec![Action::Other(collapse(subject))];
    }
    actions
}

/// Whether every action of the subject was recognised.
pub fn recognised(actions: &[Action]) -> bool {
    actions.iter().all(|a| a.kind() != Kind::Other)
}

/// The parts of a subject that each announce an action: split at `/` (but not `/-`, as in
/// "Rs 10/-", nor a date's `30/09`), ` & `, `;`, `+` and `|`.
fn segments(subject: &str) -> Vec<&str> {
    let bytes = subject.as_bytes();
    let mut parts = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let cut = match bytes[i] {
            b'/' => {
                let next = bytes.get(i + 1).copied().unwrap_or(b' ');
                let prev = if i > 0 { bytes[i - 1] } else { b' ' };
                next != b'-' && !(prev.is_ascii_digit() && next.is_ascii_digit())
            }
            b';' | b'+' | b'|' => true,
            b'&' => bytes.get(i + 1) == Some(&b' ') && i > 0 && bytes[i - 1] == b' ',
            _ => false,
        };
        if cut {
            parts.push(&subject[start..i]);
            start = i + 1;
        }
        i += 1;
    }
    parts.push(&subject[start..]);
    parts.retain(|p| p.chars().any(char::is_alphanumeric));
    parts
}

/// Words that only qualify another action ("Annual General Meeting/Book Closure").
fn is_annotation(part: &str) -> bool {
    let text = Text::new(part);
    [
        "book closure",
        "record date",
        "bc",
        "rd",
        "book closure date",
    ]
    .iter()
    .any(|a| text.key() == *a)
}

fn parse_segment(part: &str) -> Vec<Action> {
    let text = Text::new(part);
    let mut found = Vec::new();
    if text.has_any(&["result", "results", "financial statements"]) {
        found.push(Action::Results {
            date: held_on(part),
            period: period(part),
        });
    }
    if let Some(action) = primary(&text) {
        found.push(action);
    }
    found
}

/// The action a part announces besides results, if any.
fn primary(text: &Text) -> Option<Action> {
    if text.has_any(&["dividend", "div", "dividends"]) {
        let kind = if text.has("interim") {
            DividendKind::Interim
        } else if text.has("final") {
            DividendKind::Final
        } else if text.has("special") {
            DividendKind::Special
        } else {
            DividendKind::Unspecified
        };
        return Some(Action::Dividend {
            kind,
            amount: text.amounts().first().map(|a| a.money),
        });
    }
    if text.has_any(&["split", "sub division", "subdivision"]) {
        let amounts = text.amounts();
        return match amounts.as_slice() {
            [from, to, ..] => Some(Action::Split {
                from: from.money,
                to: to.money,
            }),
            _ => None,
        };
    }
    if text.has("bonus") {
        return text.ratio().map(Action::Bonus);
    }
    if text.has_any(&["rights", "right"]) {
        let ratio = text.ratio()?;
        let (mut premium, mut price) = (None, None);
        for amount in text.amounts() {
            if amount.after_word("premium") {
                premium = premium.or(Some(amount.money));
            } else {
                price = price.or(Some(amount.money));
            }
        }
        return Some(Action::Rights {
            ratio,
            premium,
            price,
        });
    }
    if text.has_any(&["buy back", "buyback"]) {
        let (mut price, mut size) = (None, None);
        for amount in text.amounts() {
            match amount.multiplier {
                Some(factor) => size = size.or(amount.money.times(factor)),
                None => price = price.or(Some(amount.money)),
            }
        }
        return Some(Action::Buyback { price, size });
    }
    if text.has_any(&[
        "egm",
        "eogm",
        "extra ordinary general meeting",
        "extraordinary general meeting",
    ]) {
        return Some(Action::GeneralMeeting(Meeting::Extraordinary));
    }
    if text.has_any(&["agm", "annual general meeting"]) {
        return Some(Action::GeneralMeeting(Meeting::Annual));
    }
    if text.has("demerger") {
        return Some(Action::Scheme(Scheme::Demerger));
    }
    if text.has("amalgamation") {
        return Some(Action::Scheme(Scheme::Amalgamation));
    }
    if text.has("merger") {
        return Some(Action::Scheme(Scheme::Merger));
    }
    if text.has_any(&[
        "capital reduction",
        "reduction of capital",
        "reduction of share capital",
    ]) {
        return Some(Action::Scheme(Scheme::CapitalReduction));
    }
    if text.has_any(&["scheme of arrangement", "arrangement"]) {
        return Some(Action::Scheme(Scheme::Arrangement));
    }
    if text.has("interest") {
        return Some(Action::InterestPayment);
    }
    if text.has("redemption") {
        return Some(Action::Redemption {
            partial: text.has("partial"),
        });
    }
    if text.has("distribution") {
        return Some(Action::Distribution {
            amount: text.amounts().first().map(|a| a.money),
        });
    }
    None
}

/// "… to be held on 30-Oct-2023 …": the meeting's date.
fn held_on(part: &str) -> Option<NaiveDate> {
    let lower = part.to_ascii_lowercase();
    let at = lower.find("held on")? + "held on".len();
    let token = part[at..].split_whitespace().next()?;
    let token = token.trim_end_matches([',', '.', ';']);
    ["%d-%b-%Y", "%d/%m/%Y", "%d-%m-%Y", "%d %b %Y"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(token, f).ok())
}

/// "… for the quarter ended September 30, 2023 …": the period.
fn period(part: &str) -> Option<Period> {
    let lower = part.to_ascii_lowercase();
    let at = ["ended", "ending"]
        .iter()
        .filter_map(|w| lower.find(w).map(|i| i + w.len()))
        .min()?;
    let after: String = lower[at..].chars().take(40).collect();
    let tokens: Vec<&str> = after
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
        .collect();
    let month = tokens.iter().find_map(|t| month_number(t))?;
    let year: i32 = tokens
        .iter()
        .find(|t| t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()))?
        .parse()
        .ok()?;
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let ended = first
        .checked_add_months(chrono::Months::new(1))?
        .pred_opt()?;
    let before = &lower[..at];
    let span = if before.contains("half year")
        || before.contains("half-year")
        || before.contains("six months")
    {
        Span::HalfYear
    } else if before.contains("quarter") {
        Span::Quarter
    } else if before.contains("year") || before.contains("annual") {
        Span::Year
    } else {
        Span::Unknown
    };
    Some(Period { span, ended })
}

/// Whitespace collapsed, trimmed: the raw text kept for an unrecognised subject.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests;
