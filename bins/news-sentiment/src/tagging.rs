//! Which NSE symbols an article is about: company names (from `nse_sector_info`), symbols and
//! aliases, matched on word boundaries, the longest name at a position winning ("ITC Hotels"
//! is not "ITC"). A name must start with a capital letter in the text (a company is a proper
//! noun: "idea" is not Vodafone Idea); a bare symbol counts only written in capitals in a
//! headline that is not all capitals, and a symbol that is an English word or a market's name
//! ("IDEA", "BSE") only when "shares" or "stock" follows it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Names the built-in alias list knows: what headlines call a company → its symbol. An empty
/// symbol marks a name that is another company's, which must not tag the shorter name in it.
pub const ALIASES: &[(&str, &str)] = &[
    ("RIL", "RELIANCE"),
    ("SBI", "SBIN"),
    ("State Bank", "SBIN"),
    ("HUL", "HINDUNILVR"),
    ("Hindustan Unilever", "HINDUNILVR"),
    ("L&T", "LT"),
    ("Larsen", "LT"),
    ("Airtel", "BHARTIARTL"),
    ("Infy", "INFY"),
    ("Maruti", "MARUTI"),
    ("Maruti Suzuki", "MARUTI"),
    ("Kotak", "KOTAKBANK"),
    ("Kotak Bank", "KOTAKBANK"),
    ("Sun Pharma", "SUNPHARMA"),
    ("Power Grid", "POWERGRID"),
    ("UltraTech", "ULTRACEMCO"),
    ("UltraTech Cement", "ULTRACEMCO"),
    ("Nestle", "NESTLEIND"),
    ("Nestle India", "NESTLEIND"),
    ("HCL Tech", "HCLTECH"),
    ("HCLTech", "HCLTECH"),
    ("Dr Reddy's", "DRREDDY"),
    ("Dr Reddy", "DRREDDY"),
    ("Eicher", "EICHERMOT"),
    ("Bajaj Auto", "BAJAJ-AUTO"),
    ("Adani Ports", "ADANIPORTS"),
    ("M&M", "M&M"),
    ("Mahindra & Mahindra", "M&M"),
    ("Paytm", "PAYTM"),
    ("Zomato", "ETERNAL"),
    ("LIC", "LICI"),
    ("Jio Financial", "JIOFIN"),
    ("Vodafone Idea", "IDEA"),
    ("Vi", "IDEA"),
    ("Reliance Jio", "RELIANCE"),
    ("Reliance Retail", "RELIANCE"),
    ("Adani Green", "ADANIGREEN"),
    ("HDFC Life", "HDFCLIFE"),
    ("SBI Life", "SBILIFE"),
    ("SBI Card", "SBICARD"),
    ("DMart", "DMART"),
    ("D-Mart", "DMART"),
    ("Divi's", "DIVISLAB"),
    ("Zee", "ZEEL"),
    ("Tata Group", ""),
    ("Adani Group", ""),
    ("Bajaj Group", ""),
];

/// NSE symbols (and one-word company names) that are also English words or the name of a
/// market ("BSE Sensex", "MCX gold"): tagged only when "shares" or "stock" follows them.
const AMBIGUOUS: &[&str] = &[
    "IDEA", "BSE", "MCX", "IEX", "CAMS", "PAGE", "RAIN", "GOLD", "STAR", "PRIME", "SOLAR", "TIPS",
    "JUST", "BEST", "GOOD", "MAX", "ZEN", "APEX", "ACE", "UNITY",
];

/// The words after an ambiguous name that make it a company: "BSE shares rose".
const STOCK_WORDS: &[&str] = &["shares", "share", "stock", "stocks", "scrip"];

/// Legal and generic words a company's registered name ends with, dropped for matching.
const SUFFIXES: &[&str] = &["limited", "ltd", "ltd.", "(india)", "corp.", "inc."];

/// Generic last words: "Hindalco Industries" is called "Hindalco" when no other company's
/// name starts so. Not "India": "Coal India" is not "Coal".
const GENERIC: &[&str] = &[
    "industries",
    "company",
    "corporation",
    "enterprises",
    "enterprise",
];

/// The longest name, in words.
const LONGEST: usize = 6;

/// A company as `nse_sector_info` (or a test's list) names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Company {
    /// Its NSE symbol.
    pub symbol: String,
    /// Its registered name ("Reliance Industries Ltd.").
    pub name: String,
}

/// What a matched name stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    /// This symbol.
    Symbol(String),
    /// Nothing: a name of something else that contains a company's shorter name.
    Nothing,
}

/// The tagger: names and symbols → symbols.
#[derive(Debug, Default)]
pub struct Tagger {
    /// Lower-case names (words joined by one space).
    names: HashMap<String, Target>,
    /// Symbols as written (upper case, words joined by one space: "BAJAJ AUTO").
    symbols: HashMap<String, String>,
}

impl Tagger {
    /// A tagger for `companies`, the built-in aliases, then `aliases` (which override them).
    pub fn new(companies: &[Company], aliases: &BTreeMap<String, String>) -> Self {
        let mut tagger = Tagger::default();
        let all_words: Vec<Vec<String>> = companies.iter().map(|c| name_words(&c.name)).collect();
        for (c, words) in companies.iter().zip(&all_words) {
            if words.is_empty() {
                continue;
            }
            let target = Target::Symbol(c.symbol.clone());
            tagger.names.insert(words.join(" "), target.clone());
            // "Tata Power Company" is called "Tata Power", unless another name starts so
            // ("Reliance" is not short for Reliance Industries when Reliance Power is listed).
            let mut short = words.clone();
            while short.len() > 1 && short.last().is_some_and(|w| GENERIC.contains(&w.as_str())) {
                short.pop();
            }
            let dangling = short
                .last()
                .is_some_and(|w| matches!(w.as_str(), "of" | "and"));
            if short.len() < words.len()
                && !dangling
                && all_words.iter().filter(|o| o.starts_with(&short)).count() == 1
            {
                tagger.names.entry(short.join(" ")).or_insert(target);
            }
            if c.symbol.len() > 2 {
                tagger
                    .symbols
                    .insert(c.symbol.replace('-', " "), c.symbol.clone());
            }
        }
        let configured = aliases.iter().map(|(n, s)| (n.as_str(), s.as_str()));
        for (name, symbol) in ALIASES.iter().copied().chain(configured) {
            let key = name_words(name).join(" ");
            let target = if symbol.is_empty() {
                Target::Nothing
            } else {
                Target::Symbol(symbol.to_string())
            };
            tagger.names.insert(key, target);
        }
        tagger
    }

    /// The symbols `text` is about, sorted, each once.
    pub fn tag(&self, text: &str) -> Vec<String> {
        let words = words(text);
        let all_caps = text
            .chars()
            .filter(|c| c.is_alphabetic())
            .all(char::is_uppercase);
        let mut found = BTreeSet::new();
        let mut at = 0;
        while at < words.len() {
            let mut step = 1;
            for len in (1..=LONGEST.min(words.len() - at)).rev() {
                let span = &words[at..at + len];
                let lower = span
                    .iter()
                    .map(|w| w.to_lowercase())
                    .collect::<Vec<_>>()
                    .join(" ");
                let capitalised = span[0].chars().next().is_some_and(char::is_uppercase);
                let ambiguous = len == 1 && AMBIGUOUS.contains(&span[0].to_uppercase().as_str());
                let stock_follows = words
                    .get(at + len)
                    .is_some_and(|w| STOCK_WORDS.contains(&w.to_lowercase().as_str()));
                if ambiguous && !stock_follows {
                    continue;
                }
                if capitalised && let Some(target) = self.names.get(&lower) {
                    if let Target::Symbol(s) = target {
                        found.insert(s.clone());
                    }
                    step = len;
                    break;
                }
                let written = span.join(" ");
                if !all_caps
                    && span.iter().all(|w| !w.chars().any(char::is_lowercase))
                    && let Some(symbol) = self.symbols.get(&written)
                {
                    found.insert(symbol.clone());
                    step = len;
                    break;
                }
            }
            at += step;
        }
        found.into_iter().collect()
    }
}

/// A name's words for matching, in lower case, legal suffixes dropped.
fn name_words(name: &str) -> Vec<String> {
    let mut words: Vec<String> = words(name).iter().map(|w| w.to_lowercase()).collect();
    while words.len() > 1
        && words
            .last()
            .is_some_and(|w| SUFFIXES.contains(&w.as_str()) || w == "the")
    {
        words.pop();
    }
    if words.first().is_some_and(|w| w == "the") && words.len() > 1 {
        words.remove(0);
    }
    words
}

/// The words of `text`: letters, digits, `&` and `'` inside a word ("L&T", "O'Brien"), a
/// possessive `'s` dropped.
/// Hyphens separate words, so "BAJAJ-AUTO" is two, as its symbol's key is.
fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '&' || c == '\'' || c == '’'))
        .map(|w| {
            // A possessive is the name: "RIL's" is RIL, "Dr Reddy's" and "Dr Reddy" one name.
            let w = w
                .strip_suffix("'s")
                .or_else(|| w.strip_suffix("’s"))
                .unwrap_or(w);
            w.trim_matches(|c| c == '\'' || c == '’' || c == '&')
        })
        .filter(|w| !w.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn companies() -> Vec<Company> {
        [
            ("RELIANCE", "Reliance Industries Ltd."),
            ("RPOWER", "Reliance Power Ltd."),
            ("ITC", "ITC Ltd."),
            ("ITCHOTELS", "ITC Hotels Ltd."),
            ("IDEA", "Vodafone Idea Ltd."),
            ("HINDALCO", "Hindalco Industries Ltd."),
            ("TCS", "Tata Consultancy Services Ltd."),
            ("BAJAJ-AUTO", "Bajaj Auto Ltd."),
        ]
        .into_iter()
        .map(|(s, n)| Company {
            symbol: s.into(),
            name: n.into(),
        })
        .collect()
    }

    fn tag(text: &str) -> Vec<String> {
        Tagger::new(&companies(), &BTreeMap::new()).tag(text)
    }

    #[test]
    fn names_symbols_and_aliases_tag() {
        assert_eq!(
            tag("RIL and HUL lead gains; SBI slips"),
            ["HINDUNILVR", "RELIANCE", "SBIN"]
        );
        assert_eq!(tag("Reliance Industries Q2 profit rises"), ["RELIANCE"]);
        assert_eq!(tag("TCS wins deal"), ["TCS"]);
        assert_eq!(tag("Hindalco shares jump"), ["HINDALCO"]);
        assert_eq!(tag("BAJAJ-AUTO hits record"), ["BAJAJ-AUTO"]);
        assert_eq!(tag("RIL's O2C earnings"), ["RELIANCE"]);
    }

    #[test]
    fn fragments_and_common_words_do_not_tag() {
        assert_eq!(tag("ITC Hotels lists at a premium"), ["ITCHOTELS"]);
        assert_eq!(tag("ITC gains as cigarette volumes grow"), ["ITC"]);
        assert_eq!(tag("Reliance Power shares surge"), ["RPOWER"]);
        assert!(tag("Investors like the idea of a rate cut").is_empty());
        assert!(tag("The IDEA behind the rally").is_empty());
        assert_eq!(tag("Vodafone Idea raises funds"), ["IDEA"]);
        assert!(tag("Tata Group firms mixed").is_empty());
        assert!(tag("tcs of the itc").is_empty());
        // In capitals throughout, a bare symbol is not told from a word; a name still is.
        assert_eq!(tag("TCS AND ITC HEADLINE IN CAPITALS"), ["ITC"]);
    }

    #[test]
    fn configured_aliases_add_and_block() {
        let mut aliases = BTreeMap::new();
        aliases.insert("Jio".to_string(), "JIOFIN".to_string());
        aliases.insert("RIL".to_string(), String::new());
        let tagger = Tagger::new(&companies(), &aliases);
        assert_eq!(tagger.tag("Jio and RIL"), ["JIOFIN"]);
    }
}
