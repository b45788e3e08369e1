//! Upstox's timestamps, `2023-10-19T15:15:00+05:30`, as UTC epoch seconds: a candle answer
//! carries one per bar, so its one fixed shape is read field by field.

use chrono::{DateTime, NaiveDate};

/// `2023-10-19T15:15:00+05:30` as UTC epoch seconds; the offset is required, since a time
/// without one cannot be placed. Upstox's one shape is read field by field (chrono's general
/// parser was a tenth of the ingest's time); anything else goes to that parser.
pub(super) fn iso_seconds(text: &str) -> Option<i64> {
    fixed_iso_seconds(text.as_bytes()).or_else(|| {
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| t.timestamp())
    })
}

/// `YYYY-MM-DDTHH:MM:SS±HH:MM` exactly, as UTC epoch seconds; `None` for any other text, a
/// date that does not exist or a leap second, which [`iso_seconds`] leaves to chrono.
fn fixed_iso_seconds(text: &[u8]) -> Option<i64> {
    let [
        y0,
        y1,
        y2,
        y3,
        b'-',
        mo0,
        mo1,
        b'-',
        d0,
        d1,
        b'T',
        h0,
        h1,
        b':',
        mi0,
        mi1,
        b':',
        s0,
        s1,
        sign,
        oh0,
        oh1,
        b':',
        om0,
        om1,
    ] = *text
    else {
        return None;
    };
    let digits = |ds: &[u8]| {
        ds.iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let date = NaiveDate::from_ymd_opt(
        digits(&[y0, y1, y2, y3])? as i32,
        digits(&[mo0, mo1])?,
        digits(&[d0, d1])?,
    )?;
    let local = date
        .and_hms_opt(digits(&[h0, h1])?, digits(&[mi0, mi1])?, digits(&[s0, s1])?)?
        .and_utc()
        .timestamp();
    let (oh, om) = (digits(&[oh0, oh1])?, digits(&[om0, om1])?);
    if oh > 23 || om > 59 {
        return None;
    }
    let offset = i64::from(oh * 3600 + om * 60);
    match sign {
        b'+' => Some(local - offset),
        b'-' => Some(local + offset),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstox_timestamps_read_field_by_field_agree_with_chrono() {
        // Every offset Upstox could write (IST above all), across month, year and leap-day
        // boundaries and the whole day's clock.
        let starts = [
            "2023-12-31",
            "2024-02-28",
            "2024-02-29",
            "2026-07-01",
            "1999-01-01",
        ];
        for date in starts {
            let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
            for offset in ["+05:30", "+00:00", "-03:00", "+14:00", "-00:45"] {
                for minute in (0..2 * 24 * 60).step_by(7) {
                    let local =
                        date.and_hms_opt(0, 0, 0).unwrap() + chrono::Duration::minutes(minute);
                    let text = format!("{}{offset}", local.format("%Y-%m-%dT%H:%M:%S"));
                    let by_chrono = DateTime::parse_from_rfc3339(&text).unwrap().timestamp();
                    assert_eq!(
                        fixed_iso_seconds(text.as_bytes()),
                        Some(by_chrono),
                        "{text}"
                    );
                    assert_eq!(iso_seconds(&text), Some(by_chrono), "{text}");
                }
            }
        }
    }

    #[test]
    fn timestamps_outside_the_fixed_shape_are_left_to_chrono() {
        // Not a date, not a time, a leap second, no offset, other separators, fractions.
        for text in [
            "2023-02-29T09:15:00+05:30",
            "2023-13-01T09:15:00+05:30",
            "2023-10-19T24:00:00+05:30",
            "2023-10-19T09:60:00+05:30",
            "2023-10-19T09:15:60+05:30",
            "2023-10-19T09:15:00+24:00",
            "2023-10-19T09:15:00*05:30",
            "2023-10-19T09:15:00Z",
            "2023-10-19 09:15:00+05:30",
            "2023-10-19T09:15:00.5+05:30",
            "2023-10-19T09:15:00",
            "2023-1O-19T09:15:00+05:30",
            "",
        ] {
            assert_eq!(fixed_iso_seconds(text.as_bytes()), None, "{text}");
            assert_eq!(
                iso_seconds(text),
                DateTime::parse_from_rfc3339(text)
                    .ok()
                    .map(|t| t.timestamp()),
                "{text}"
            );
        }
    }
}
