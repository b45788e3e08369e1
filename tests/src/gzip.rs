//! Gzip bombs for the size-limit tests: a valid gzip file of an empty JSON array padded with
//! spaces, written symbol by symbol in one fixed-Huffman deflate block, so that a file that
//! inflates to hundreds of MiB takes milliseconds to make (flate2 in a debug build needs
//! seconds per hundred MiB).

use flate2::Crc;

/// Bits, least significant first, as deflate packs them (RFC 1951 §3.1.1).
#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    /// `count` bits of `value`, low bit first (header fields, extra bits).
    fn push(&mut self, value: u64, count: u32) {
        self.acc |= value << self.n;
        self.n += count;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// A Huffman code of `len` bits, which deflate packs most significant bit first.
    fn code(&mut self, code: u16, len: u32) {
        for i in (0..len).rev() {
            self.push(u64::from((code >> i) & 1), 1);
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// A gzip file that inflates to `[`, then spaces, then `]`: at least `inflated` bytes (rounded
/// up to a whole number of 258-byte copies), about 1/160 of that compressed.
pub fn bomb(inflated: u64) -> Vec<u8> {
    let copies = inflated.saturating_sub(3).div_ceil(258);
    let spaces = 1 + copies * 258;
    let mut bits = Bits::default();
    bits.push(1, 1); // BFINAL
    bits.push(1, 2); // BTYPE 01: fixed Huffman codes
    // Literals 0..=143 have the 8-bit codes 0x30 + value.
    bits.code(0x30 + u16::from(b'['), 8);
    bits.code(0x30 + u16::from(b' '), 8);
    for _ in 0..copies {
        bits.code(0xC0 + 5, 8); // length code 285: 258 bytes, no extra bits
        bits.push(0, 5); // distance code 0: 1 byte back
    }
    bits.code(0x30 + u16::from(b']'), 8);
    bits.code(0, 7); // end of block
    let mut gz = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    gz.extend(bits.finish());
    let crc = crc_of(spaces);
    gz.extend(crc.sum().to_le_bytes());
    gz.extend(((spaces + 2) as u32).to_le_bytes());
    gz
}

/// The CRC-32 of `[`, `spaces` spaces, `]`, by combining the CRCs of powers of two.
fn crc_of(spaces: u64) -> Crc {
    let mut total = Crc::new();
    total.update(b"[");
    let mut power = Crc::new();
    power.update(b" ");
    let mut left = spaces;
    while left > 0 {
        if left & 1 == 1 {
            total.combine(&power);
        }
        let mut doubled = Crc::new();
        doubled.combine(&power);
        doubled.combine(&power);
        power = doubled;
        left >>= 1;
    }
    let mut end = Crc::new();
    end.update(b"]");
    total.combine(&end);
    total
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn a_bomb_is_a_valid_gzip_file_of_an_empty_json_array() {
        let gz = bomb(3 << 20);
        assert!(gz.len() < (3 << 20) / 150, "{}", gz.len());
        let mut json = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut json)
            .expect("a valid gzip file, CRC and length included");
        assert!(json.len() >= 3 << 20, "{}", json.len());
        let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(value, serde_json::json!([]));
    }
}
