use std::path::Path;

use common::config::{self, Config};
use common::market::instrument::InstrumentKey;
use common::market::provider::Side;

use super::*;
use crate::config::JobConfig;

const SPOT: f64 = 22_976.2;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 2, d).unwrap()
}

fn option(strike: f64, side: Side, iv: Option<f64>, expiry: NaiveDate) -> OptionRow {
    OptionRow {
        underlying: InstrumentKey::parse("NSE_INDEX|Nifty 50").unwrap(),
        spot: SPOT,
        expiry,
        strike,
        side,
        instrument: "NSE_FO|1".to_string(),
        ltp: None,
        bid: None,
        ask: None,
        volume: None,
        oi: None,
        iv,
        delta: None,
        gamma: None,
        theta: None,
        vega: None,
    }
}

/// Both sides of each strike of the 13th with this IV (`None`: not computed).
fn chain(strikes: &[(f64, Option<f64>)]) -> Vec<OptionRow> {
    strikes
        .iter()
        .flat_map(|&(k, iv)| {
            [
                option(k, Side::Call, iv, day(13)),
                option(k, Side::Put, iv.map(|iv| iv + 1.0), day(13)),
            ]
        })
        .collect()
}

#[test]
fn the_call_and_put_nearest_spot_of_the_nearest_expiry_are_averaged() {
    let rows = [
        option(22_950.0, Side::Call, Some(14.0), day(13)),
        option(22_950.0, Side::Put, Some(16.0), day(13)),
        option(23_050.0, Side::Call, Some(30.0), day(13)),
        option(22_976.0, Side::Call, Some(99.0), day(20)),
    ];
    let atm = atm_iv(&rows, AtmDistance::StrikeStep).unwrap();
    assert_eq!((atm.expiry, atm.strike), (day(13), 22_950.0));
    assert!((atm.iv - 15.0).abs() < 1e-12, "{atm:?}");
}

#[test]
fn contracts_without_an_iv_are_passed_over_and_a_chain_without_any_says_so() {
    // The 22950 and 23000 strikes have no IV (Upstox computed none): 23050 is the nearest
    // with one, 73.8 from spot, more than a step (50), so no strike is called at the money.
    let rows = chain(&[
        (22_900.0, Some(15.0)),
        (22_950.0, None),
        (23_000.0, None),
        (23_050.0, Some(17.0)),
    ]);
    let Err(NoAtm::TooFar { strike, limit, .. }) = atm_iv(&rows, AtmDistance::StrikeStep) else {
        panic!("{:?}", atm_iv(&rows, AtmDistance::StrikeStep));
    };
    assert_eq!((strike, limit.points), (23_050.0, 50.0));
    // Allowed 100 points, 23050 it is: the call's 17 and the put's 18.
    let atm = atm_iv(&rows, AtmDistance::Points(100.0)).unwrap();
    assert_eq!((atm.strike, atm.iv), (23_050.0, 17.5));

    assert_eq!(atm_iv(&[], AtmDistance::StrikeStep), Err(NoAtm::NoChain));
    assert_eq!(
        atm_iv(&chain(&[(22_950.0, None)]), AtmDistance::StrikeStep),
        Err(NoAtm::NoIv { expiry: day(13) })
    );
}

#[test]
fn a_grid_far_from_spot_has_no_atm_by_default_and_the_reason_names_everything() {
    // NIFTY at 22976.2, strikes 24000 to 24500.
    let far: Vec<(f64, Option<f64>)> = (0..11)
        .map(|k| (24_000.0 + 50.0 * f64::from(k), Some(14.0)))
        .collect();
    let rows = chain(&far);
    let why = atm_iv(&rows, AtmDistance::StrikeStep).unwrap_err();
    assert_eq!(
        why.to_string(),
        "spot 22976.2, nearest strike with an IV 24000 (2025-02-13 expiry) is 1023.80 away, \
         more than the 50 (one strike step) allowed"
    );
    let why = atm_iv(&rows, AtmDistance::Percent(1.0)).unwrap_err();
    assert!(
        why.to_string()
            .ends_with("more than the 229.76 (atm_max_distance = 1%) allowed"),
        "{why}"
    );
    assert_eq!(
        atm_iv(&rows, AtmDistance::Percent(5.0)).map(|a| a.strike),
        Ok(24_000.0)
    );
    assert_eq!(
        atm_iv(&rows, AtmDistance::Points(1023.8)).map(|a| a.strike),
        Ok(24_000.0),
        "exactly at the limit is within it"
    );
    assert!(atm_iv(&rows, AtmDistance::Points(1023.7)).is_err());
}

#[test]
fn the_step_is_the_smallest_gap_and_a_single_strike_falls_back_to_one_percent() {
    // Wider apart away from the money, as NSE lists them.
    assert_eq!(
        strike_step(&[22_800.0, 22_900.0, 22_950.0, 23_000.0, 23_000.0, 23_100.0]),
        Some(50.0)
    );
    assert_eq!(strike_step(&[23_000.0, 23_000.0]), None);
    // One strike 123.8 from spot: within 1% (229.76); one 323.8 away is not.
    let near = chain(&[(23_100.0, Some(14.0))]);
    assert_eq!(
        atm_iv(&near, AtmDistance::StrikeStep).map(|a| a.strike),
        Ok(23_100.0)
    );
    let why = atm_iv(&chain(&[(23_300.0, Some(14.0))]), AtmDistance::StrikeStep).unwrap_err();
    assert!(
        why.to_string()
            .ends_with("more than the 229.76 (1% of spot: the chain has one strike) allowed"),
        "{why}"
    );
}

fn load(line: &str) -> Result<AtmDistance, String> {
    let text = format!("[jobs.market-sync]\n{line}\n");
    config::parse::<JobConfig>(
        &text,
        Path::new("/etc/upstox-jobs/config.toml"),
        "market-sync",
    )
    .map(|c: Config<JobConfig>| c.job.atm_max_distance)
    .map_err(|e| e.to_string())
}

#[test]
fn atm_max_distance_takes_a_step_a_percentage_or_points_and_names_itself_when_wrong() {
    assert_eq!(load(""), Ok(AtmDistance::StrikeStep));
    assert_eq!(
        load("atm_max_distance = \"step\""),
        Ok(AtmDistance::StrikeStep)
    );
    assert_eq!(
        load("atm_max_distance = \"1.5%\""),
        Ok(AtmDistance::Percent(1.5))
    );
    assert_eq!(
        load("atm_max_distance = 100"),
        Ok(AtmDistance::Points(100.0))
    );
    assert_eq!(
        load("atm_max_distance = 62.5"),
        Ok(AtmDistance::Points(62.5))
    );
    assert_eq!(
        load("atm_max_distance = \"75\""),
        Ok(AtmDistance::Points(75.0))
    );
    for (line, says) in [
        (
            "atm_max_distance = \"near\"",
            "atm_max_distance = \"near\": use \"step\" (one strike step), a percentage of spot (\"1%\") or a number of points (50)",
        ),
        (
            "atm_max_distance = 0",
            "atm_max_distance = 0: use a number of points from 0.01 to 200000",
        ),
        (
            "atm_max_distance = -50",
            "atm_max_distance = -50: use a number of points from 0.01 to 200000",
        ),
        (
            "atm_max_distance = \"0%\"",
            "atm_max_distance = \"0%\": use a percentage above 0 and at most 20",
        ),
        (
            "atm_max_distance = \"25%\"",
            "atm_max_distance = \"25%\": use a percentage above 0 and at most 20",
        ),
        (
            "atm_max_distance = true",
            "expected atm_max_distance: use \"step\"",
        ),
    ] {
        let error = load(line).unwrap_err();
        assert!(error.contains("[jobs.market-sync]"), "{line}: {error}");
        assert!(error.contains(says), "{line}: {error}");
        assert!(!error.contains('\n'), "{line}: {error}");
    }
}
