//! `import-trades FILE.csv`: a broker's trade book read into trades, all or nothing. Two
//! formats, told apart by their header (column names in any order and case):
//!
//! - **generic**: `trade_id, symbol, side, quantity, price, traded_at` and optionally
//!   `exchange` (default NSE), `order_id`, `instrument_key`, `charges`, `product` (D or I,
//!   default D) and `strategy`. `traded_at` is ISO-8601 with an offset, or `YYYY-MM-DD HH:MM[:SS]`
//!   read as IST.
//! - **upstox**: the trade book the Upstox website exports (Reports → Trade book), columns
//!   `Date, Company, Amount, Exchange, Segment, Scrip Code, Instrument Type, Strike Price,
//!   Expiry, Trade Num, Trade Time, Side, Quantity, Price`: `Date` DD-MM-YYYY, `Trade Time`
//!   HH:MM:SS in IST, `Scrip Code` the trading symbol. Only equity rows (`Segment` EQ); it
//!   carries no charges nor product, so the schedule's delivery charges apply.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use common::calendar::IST;
use common::files::{ReadError, read_bounded};
use rust_decimal::Decimal;

use crate::trade::{MAX_PRICE, MAX_QUANTITY, Product, Side, Trade};

/// The largest trade book read: a year of a busy desk's fills is a few MiB.
pub const MAX_BYTES: u64 = 64 * 1024 * 1024;

/// Why a file was refused.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// It could not be read.
    #[error("cannot read {path}: {error}; check the file's name and that this user can read it")]
    Io {
        /// The file.
        path: String,
        /// Why.
        error: std::io::Error,
    },
    /// It is larger than [`MAX_BYTES`].
    #[error("{0}: larger than 64 MiB: split the trade book by month and import each part")]
    TooLarge(String),
    /// Its header is neither format.
    #[error("{0}:1: {1}")]
    Header(String, String),
    /// Some rows are bad: each `FILE:LINE: why`.
    #[error(
        "{} bad rows, nothing imported; correct them and import the file again:\n{}",
        .0.len(),
        .0.join("\n")
    )]
    Rows(Vec<String>),
}

/// The formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The generic columns.
    Generic,
    /// Upstox's website export.
    Upstox,
}

/// Reads `path`: every trade, or every bad row named.
pub fn read(path: &Path, strategy: &str) -> Result<(Format, Vec<Trade>), Refused> {
    let name = path.display().to_string();
    let bytes = read_bounded(path, MAX_BYTES).map_err(|e| match e {
        ReadError::Io(error) => Refused::Io {
            path: name.clone(),
            error,
        },
        ReadError::TooLarge { .. } => Refused::TooLarge(name.clone()),
    })?;
    parse(&name, &bytes, strategy)
}

/// Parses a trade book's bytes; `name` is the file as errors name it.
pub fn parse(name: &str, bytes: &[u8], strategy: &str) -> Result<(Format, Vec<Trade>), Refused> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let header = reader
        .headers()
        .map_err(|e| Refused::Header(name.to_string(), e.to_string()))?
        .clone();
    let columns: HashMap<String, usize> = header
        .iter()
        .enumerate()
        .map(|(i, h)| (h.to_ascii_lowercase(), i))
        .collect();
    let format = if columns.contains_key("trade num") && columns.contains_key("trade time") {
        Format::Upstox
    } else if columns.contains_key("trade_id") {
        Format::Generic
    } else {
        return Err(Refused::Header(
            name.to_string(),
            "the header is neither the generic format (trade_id, symbol, side, quantity, price, traded_at, …) nor Upstox's trade book (Date, …, Trade Num, Trade Time, Side, Quantity, Price)".to_string(),
        ));
    };
    let required: &[&str] = match format {
        Format::Generic => &[
            "trade_id",
            "symbol",
            "side",
            "quantity",
            "price",
            "traded_at",
        ],
        Format::Upstox => &[
            "date",
            "exchange",
            "segment",
            "scrip code",
            "trade num",
            "trade time",
            "side",
            "quantity",
            "price",
        ],
    };
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|c| !columns.contains_key(*c))
        .collect();
    if !missing.is_empty() {
        return Err(Refused::Header(
            name.to_string(),
            format!("missing column(s): {}", missing.join(", ")),
        ));
    }
    let mut trades = Vec::new();
    let mut bad = Vec::new();
    let mut seen: HashMap<(String, String), u64> = HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                bad.push(format!("{name}:{line}: {e}"));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(str::is_empty) {
            continue;
        }
        let fields = Row {
            record: &record,
            columns: &columns,
        };
        let row = match format {
            Format::Generic => generic(&fields, strategy),
            Format::Upstox => upstox(&fields, strategy),
        };
        match row {
            Ok(None) => {}
            Ok(Some(t)) => {
                let key = (t.exchange.clone(), t.trade_id.clone());
                if let Some(first) = seen.insert(key, line) {
                    bad.push(format!(
                        "{name}:{line}: trade {} {} again (first on line {first})",
                        t.exchange, t.trade_id
                    ));
                } else {
                    trades.push(t);
                }
            }
            Err(why) => bad.push(format!("{name}:{line}: {why}")),
        }
    }
    if bad.is_empty() {
        trades.sort_by_key(|t| t.traded_at);
        Ok((format, trades))
    } else {
        Err(Refused::Rows(bad))
    }
}

/// A record's fields by column name.
struct Row<'a> {
    record: &'a csv::StringRecord,
    columns: &'a HashMap<String, usize>,
}

impl<'a> Row<'a> {
    /// The field of `column` (lower case), empty when absent.
    fn get(&self, column: &str) -> &'a str {
        self.columns
            .get(column)
            .and_then(|i| self.record.get(*i))
            .unwrap_or("")
    }
}

/// A row of the generic format.
fn generic(row: &Row, strategy: &str) -> Result<Option<Trade>, String> {
    let field = |c: &str| row.get(c);
    let exchange = match field("exchange") {
        "" => "NSE".to_string(),
        e => e.to_ascii_uppercase(),
    };
    let charges = match field("charges") {
        "" => None,
        c => Some(money("charges", c, true)?),
    };
    let product = match field("product") {
        "" => Product::Delivery,
        p => Product::parse(p)
            .ok_or_else(|| format!("product {p:?}: use D (delivery) or I (intraday)"))?,
    };
    let tag = match field("strategy") {
        "" => strategy.to_string(),
        s => s.to_string(),
    };
    Ok(Some(Trade {
        trade_id: text("trade_id", field("trade_id"))?,
        exchange,
        order_id: Some(field("order_id").to_string()).filter(|o| !o.is_empty()),
        symbol: text("symbol", field("symbol"))?.to_ascii_uppercase(),
        instrument_key: Some(field("instrument_key").to_string()).filter(|k| !k.is_empty()),
        side: side(field("side"))?,
        quantity: quantity(field("quantity"))?,
        price: money("price", field("price"), false)?,
        charges,
        traded_at: time(field("traded_at"))?,
        product,
        strategy: tag,
    }))
}

/// A row of Upstox's export; `None` for a row of another segment.
fn upstox(row: &Row, strategy: &str) -> Result<Option<Trade>, String> {
    let field = |c: &str| row.get(c);
    if !field("segment").eq_ignore_ascii_case("EQ") {
        return Ok(None);
    }
    let date = NaiveDate::parse_from_str(field("date"), "%d-%m-%Y")
        .map_err(|_| format!("Date {:?} is not DD-MM-YYYY", field("date")))?;
    let at = NaiveTime::parse_from_str(field("trade time"), "%H:%M:%S")
        .map_err(|_| format!("Trade Time {:?} is not HH:MM:SS", field("trade time")))?;
    Ok(Some(Trade {
        trade_id: text("Trade Num", field("trade num"))?,
        exchange: text("Exchange", field("exchange"))?.to_ascii_uppercase(),
        order_id: None,
        symbol: text("Scrip Code", field("scrip code"))?.to_ascii_uppercase(),
        instrument_key: None,
        side: side(field("side"))?,
        quantity: quantity(field("quantity"))?,
        price: money("Price", field("price"), false)?,
        charges: None,
        traded_at: ist(date.and_time(at))?,
        product: Product::Delivery,
        strategy: strategy.to_string(),
    }))
}

fn text(column: &str, value: &str) -> Result<String, String> {
    if value.is_empty() {
        Err(format!("{column} is empty"))
    } else if value.len() > 64 || value.chars().any(char::is_control) {
        Err(format!(
            "{column} {value:?} is not a name (at most 64 printable characters)"
        ))
    } else {
        Ok(value.to_string())
    }
}

fn side(value: &str) -> Result<Side, String> {
    Side::parse(value).ok_or_else(|| format!("side {value:?}: use BUY or SELL"))
}

fn quantity(value: &str) -> Result<i64, String> {
    match value.parse::<i64>() {
        Ok(q) if (1..=MAX_QUANTITY).contains(&q) => Ok(q),
        _ => Err(format!(
            "quantity {value:?}: use a whole number of shares, 1 or more"
        )),
    }
}

/// Rupees: at most 1e9 and 4 decimals; zero allowed only where `zero_ok` (charges).
fn money(column: &str, value: &str, zero_ok: bool) -> Result<Decimal, String> {
    let bad = || format!("{column} {value:?}: use rupees such as 2450.35");
    let x: Decimal = value.replace(',', "").parse().map_err(|_| bad())?;
    let floor_ok = if zero_ok {
        !x.is_sign_negative() || x.is_zero()
    } else {
        x > Decimal::ZERO
    };
    if !floor_ok || x > Decimal::from(MAX_PRICE) || x.scale() > 4 {
        return Err(bad());
    }
    Ok(x.normalize())
}

fn ist(local: NaiveDateTime) -> Result<DateTime<Utc>, String> {
    local
        .and_local_timezone(IST)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| format!("{local} is not a time in IST"))
}

fn time(value: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(t.with_timezone(&Utc));
    }
    for layout in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(value, layout) {
            return ist(t);
        }
    }
    Err(format!(
        "traded_at {value:?}: use ISO-8601 (2026-11-20T10:15:00+05:30) or YYYY-MM-DD HH:MM:SS in IST"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_upstox_export_reads_equity_rows_in_ist_and_skips_other_segments() {
        let csv = "Date,Company,Amount,Exchange,Segment,Scrip Code,Instrument Type,Strike Price,Expiry,Trade Num,Trade Time,Side,Quantity,Price\n\
                   20-11-2026,RELIANCE INDUSTRIES LTD,24503.50,NSE,EQ,RELIANCE,EQ,0,,5012345,09:20:15,Buy,10,2450.35\n\
                   20-11-2026,NIFTY,100,NSE,FO,NIFTY,OPTIDX,24000,27-11-2026,5012346,09:21:00,Sell,75,12.5\n";
        let (format, trades) = parse("tb.csv", csv.as_bytes(), "swing").unwrap();
        assert_eq!(format, Format::Upstox);
        assert_eq!(trades.len(), 1);
        let t = &trades[0];
        assert_eq!(
            (t.symbol.as_str(), t.side, t.quantity),
            ("RELIANCE", Side::Buy, 10)
        );
        assert_eq!(t.traded_at.to_rfc3339(), "2026-11-20T03:50:15+00:00");
        assert_eq!(t.strategy, "swing");
    }

    #[test]
    fn every_bad_row_is_named_with_its_line() {
        let csv = "trade_id,symbol,side,quantity,price,traded_at\n\
                   1,TCS,BUY,10,3500,2026-11-20 10:00:00\n\
                   2,TCS,HOLD,10,3500,2026-11-20 10:00:00\n\
                   3,TCS,SELL,-4,3500,2026-11-20 10:00:00\n\
                   1,TCS,SELL,4,3500,2026-11-20 11:00:00\n";
        let Err(Refused::Rows(bad)) = parse("g.csv", csv.as_bytes(), "") else {
            panic!("accepted")
        };
        assert_eq!(bad.len(), 3, "{bad:?}");
        assert!(bad[0].starts_with("g.csv:3: side \"HOLD\""), "{bad:?}");
        assert!(bad[1].starts_with("g.csv:4: quantity \"-4\""), "{bad:?}");
        assert!(
            bad[2].contains("g.csv:5: trade NSE 1 again (first on line 2)"),
            "{bad:?}"
        );
    }

    #[test]
    fn an_unknown_header_says_which_columns_are_expected() {
        let err = parse("x.csv", b"a,b\n1,2\n", "").unwrap_err().to_string();
        assert!(err.starts_with("x.csv:1: the header is neither"), "{err}");
    }
}
