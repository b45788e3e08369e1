//! Ready-made test universes: a plain NSE week of sessions, and any number of synthetic
//! equities.

use super::*;

/// Mon–Fri sessions 09:15–15:30 IST from `from` to `to` inclusive: the usual NSE week without
/// holidays, for tests and the benchmark that do not care about the calendar.
pub fn weekday_sessions(from: NaiveDate, to: NaiveDate) -> Vec<(NaiveDate, NaiveTime, NaiveTime)> {
    let open = NaiveTime::from_hms_opt(9, 15, 0).expect("09:15 is a time");
    let close = NaiveTime::from_hms_opt(15, 30, 0).expect("15:30 is a time");
    from.iter_days()
        .take_while(|d| *d <= to)
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .map(|d| (d, open, close))
        .collect()
}

/// `n` synthetic NSE equities as (instrument key, trading symbol, Yahoo symbol):
/// `NSE_EQ|INE…` with a valid-looking 12-character ISIN (correct check digit), `SYM001`…,
/// `SYM001.NS`…, for [`Market::with_instruments`].
pub fn synthetic_equities(n: usize) -> Vec<(String, String, String)> {
    (1..=n)
        .map(|i| {
            // INE + 4-character company code + "01" (equity) + "01" (serial) + check digit,
            // the layout of real Indian equity ISINs such as INE002A01018. The code ends in a
            // letter from the end of the alphabet, so a synthetic key is never a real
            // company's (INE002A01018 is RELIANCE's).
            let letter = char::from(b'Z' - ((i / 1000) % 26) as u8);
            let body = format!("INE{:03}{letter}0101", i % 1000);
            let check =
                crate::jobs::isin_check_digit(&body).expect("the body is letters and digits");
            let isin = format!("{body}{check}");
            let symbol = format!("SYM{i:03}");
            (
                format!("NSE_EQ|{isin}"),
                symbol.clone(),
                format!("{symbol}.NS"),
            )
        })
        .collect()
}
