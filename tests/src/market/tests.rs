//! The hand-written formatting against chrono's and std's.

use super::*;

#[test]
fn hand_formatting_matches_chrono_and_std() {
    let mut cache = DateCache::default();
    for ts in [
        0i64,
        1_697_707_500,
        1_704_080_700,
        4_102_444_800,
        951_782_400,
    ] {
        let mut out = Vec::new();
        cache.push_iso(&mut out, ts);
        let want = DateTime::from_timestamp(ts, 0)
            .unwrap()
            .with_timezone(&FixedOffset::east_opt(IST as i32).unwrap())
            .format("%Y-%m-%dT%H:%M:%S%:z")
            .to_string();
        assert_eq!(String::from_utf8(out).unwrap(), want);
    }
    for (paise, want) in [
        (230_530, "2305.3"),
        (230_100, "2301"),
        (5, "0.05"),
        (230_505, "2305.05"),
    ] {
        let mut out = Vec::new();
        push_paise(&mut out, paise);
        assert_eq!(String::from_utf8(out).unwrap(), want);
    }
    assert_eq!(midnight(ist_date(1_697_707_500)), 1_697_653_800);
}

#[test]
fn percent_decoding() {
    assert_eq!(
        pct_decode("NSE_EQ%7CINE002A01018", false).unwrap(),
        "NSE_EQ|INE002A01018"
    );
    assert_eq!(pct_decode("Nifty%2050+x", false).unwrap(), "Nifty 50+x");
    assert_eq!(pct_decode("Nifty+50", true).unwrap(), "Nifty 50");
    assert_eq!(pct_decode("100%", false).unwrap(), "100%");
    assert_eq!(pct_decode("%E2%82%AC%zz%4", false).unwrap(), "€%zz%4");
    assert!(pct_decode("%FF", false).is_none());
}
