//! JSON writing by hand into a byte buffer, which is what makes the server fast.

use super::*;

/// Formats "YYYY-MM-DDTHH:MM:SS+05:30", converting each date only once.
#[derive(Default)]
pub(super) struct DateCache {
    pub(super) day: Option<i64>,
    pub(super) text: [u8; 11],
}

impl DateCache {
    pub(super) fn push_iso(&mut self, out: &mut Vec<u8>, ts: i64) {
        let local = ts + IST;
        let day = local.div_euclid(DAY);
        if self.day != Some(day) {
            let (y, m, d) = civil(day);
            let mut text = *b"0000-00-00T";
            let y = y.clamp(0, 9999) as u32;
            text[0] = b'0' + (y / 1000) as u8;
            text[1] = b'0' + (y / 100 % 10) as u8;
            text[2] = b'0' + (y / 10 % 10) as u8;
            text[3] = b'0' + (y % 10) as u8;
            text[5] = b'0' + (m / 10) as u8;
            text[6] = b'0' + (m % 10) as u8;
            text[8] = b'0' + (d / 10) as u8;
            text[9] = b'0' + (d % 10) as u8;
            self.text = text;
            self.day = Some(day);
        }
        out.extend_from_slice(&self.text);
        let sod = local.rem_euclid(DAY);
        let (h, mi, s) = (sod / 3600, sod / 60 % 60, sod % 60);
        out.extend_from_slice(&[
            b'0' + (h / 10) as u8,
            b'0' + (h % 10) as u8,
            b':',
            b'0' + (mi / 10) as u8,
            b'0' + (mi % 10) as u8,
            b':',
            b'0' + (s / 10) as u8,
            b'0' + (s % 10) as u8,
        ]);
        out.extend_from_slice(b"+05:30");
    }
}

/// Days since 1970-01-01 → (year, month, day) (Howard Hinnant's civil_from_days).
pub(super) fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

pub(super) fn push_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

pub(super) fn push_i64(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    push_u64(out, v.unsigned_abs());
}

/// Paise as the shortest decimal rupees: 230530 → 2305.3, 230100 → 2301 (Upstox prints
/// whole prices as integers too).
pub(super) fn push_paise(out: &mut Vec<u8>, paise: i64) {
    if paise < 0 {
        out.push(b'-');
    }
    let p = paise.unsigned_abs();
    push_u64(out, p / 100);
    let frac = p % 100;
    if frac != 0 {
        out.push(b'.');
        out.push(b'0' + (frac / 10) as u8);
        if !frac.is_multiple_of(10) {
            out.push(b'0' + (frac % 10) as u8);
        }
    }
}

/// Paise as Yahoo prints prices: a float32 widened to double (2305.300048828125).
pub(super) fn push_f32(out: &mut Vec<u8>, paise: i64) {
    push_f64(out, f64::from(rupees(paise) as f32));
}

/// The shortest representation that reads back as `x` (what JSON encoders print).
pub(super) fn push_f64(out: &mut Vec<u8>, x: f64) {
    let x = if x.is_finite() { x } else { 0.0 };
    let _ = write!(out, "{x}");
}

pub(super) fn push_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(json_str(s).as_bytes());
}

/// `s` as a JSON string literal.
pub(super) fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
