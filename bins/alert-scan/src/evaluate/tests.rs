use super::*;
use crate::rule::MacdParams;
use chrono::TimeZone;

fn bars(closes: &[f64]) -> Vec<Bar> {
    closes
        .iter()
        .enumerate()
        .map(|(i, &c)| Bar {
            ts: i as i64 * 86_400,
            high: c + 1.0,
            low: c - 1.0,
            close: c,
            volume: Some(1000),
        })
        .collect()
}

fn t(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 4, minute, 0).unwrap()
}

/// Runs the edge trigger over a sequence of (minute, holds) and returns the minutes it fired.
fn fired(steps: &[(u32, bool)], cooldown_secs: i64, held_before: Option<bool>) -> Vec<u32> {
    let mut state: Option<State> = None;
    let mut fired = Vec::new();
    for &(minute, holds) in steps {
        let seen = Seen {
            value: 1.0,
            threshold: 0.0,
            holds,
            // Minute bars: each step on a bar of its own.
            bar_ts: t(minute).timestamp(),
        };
        let d = decide(state.as_ref(), held_before, seen, cooldown_secs, t(minute));
        if d.fires {
            fired.push(minute);
        }
        state = Some(d.state);
    }
    fired
}

#[test]
fn a_rule_fires_when_its_condition_becomes_true_not_while_it_stays_true() {
    let steps = [
        (0, false),
        (1, true),
        (2, true),
        (3, true),
        (4, false),
        (5, true),
    ];
    assert_eq!(fired(&steps, 0, None), vec![1, 5]);
}

#[test]
fn the_cooldown_holds_a_re_armed_rule_back_until_it_has_passed() {
    // Fires at 1, false at 2 (re-armed), true at 3 inside the 10-minute cooldown, still
    // true when it ends at 11: fires then, once.
    let steps = [
        (1, true),
        (2, false),
        (3, true),
        (10, true),
        (11, true),
        (12, true),
    ];
    assert_eq!(fired(&steps, 600, Some(false)), vec![1, 11]);
}

#[test]
fn without_a_false_in_between_the_cooldown_passing_is_not_enough() {
    let steps = [(1, true), (20, true), (40, true)];
    assert_eq!(fired(&steps, 60, Some(false)), vec![1]);
}

#[test]
fn a_rule_fires_at_most_once_a_bar() {
    // Day bars: every step is on one bar (bar_ts 0 is before every minute here).
    let mut state: Option<State> = None;
    let mut fired = Vec::new();
    for (minute, holds) in [(1, true), (2, false), (20, true)] {
        let seen = Seen {
            value: 1.0,
            threshold: 0.0,
            holds,
            bar_ts: t(0).timestamp(),
        };
        let d = decide(state.as_ref(), Some(false), seen, 60, t(minute));
        if d.fires {
            fired.push(minute);
        }
        if minute == 20 {
            assert_eq!(
                d.held_back.as_deref(),
                Some("already fired on this bar; fires again on a later one")
            );
        }
        state = Some(d.state);
    }
    assert_eq!(fired, vec![1]);
}

#[test]
fn a_new_rule_does_not_fire_on_a_state_it_found() {
    assert_eq!(
        fired(&[(1, true), (2, true)], 0, Some(true)),
        Vec::<u32>::new()
    );
    assert_eq!(fired(&[(1, true)], 0, Some(false)), vec![1]);
    // Nothing known about the bar before: armed.
    assert_eq!(fired(&[(1, true)], 0, None), vec![1]);
}

#[test]
fn too_few_bars_say_how_many_are_needed() {
    let series = bars(&[100.0; 10]);
    let rsi = Condition::RsiAbove {
        period: 14,
        level: 70.0,
    };
    assert_eq!(
        read(&rsi, &series[..=9], None).now,
        Reading::Short { need: 15, have: 10 }
    );
    let macd = Condition::MacdCrossUp(MacdParams {
        fast: 12,
        slow: 26,
        signal: 9,
    });
    assert_eq!(
        read(&macd, &series[..=9], None).now,
        Reading::Short { need: 34, have: 10 }
    );
    let spike = Condition::VolumeSpike {
        factor: 2.0,
        period: 20,
    };
    assert_eq!(
        read(&spike, &series[..=9], None).now,
        Reading::Short { need: 21, have: 10 }
    );
}

#[test]
fn rsi_of_a_steady_rise_is_overbought() {
    let closes: Vec<f64> = (0..30).map(|i| 100.0 + f64::from(i)).collect();
    let rsi = Condition::RsiAbove {
        period: 14,
        level: 70.0,
    };
    match read(&rsi, &bars(&closes), None).now {
        Reading::Ready { value, holds, .. } => {
            assert_eq!(value, 100.0);
            assert!(holds);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn volume_spike_compares_with_the_previous_bars_only() {
    let mut series = bars(&[100.0; 21]);
    series[20].volume = Some(2001);
    let spike = Condition::VolumeSpike {
        factor: 2.0,
        period: 20,
    };
    assert_eq!(
        read(&spike, &series[..=20], None).now,
        Reading::Ready {
            value: 2001.0,
            threshold: 2000.0,
            holds: true
        }
    );
    series[20].volume = None;
    assert!(matches!(
        read(&spike, &series[..=20], None).now,
        Reading::Unknown(_)
    ));
}

#[test]
fn a_forming_day_bar_is_compared_with_the_average_pro_rated_to_its_progress() {
    let mut series = bars(&[100.0; 22]);
    let spike = Condition::VolumeSpike {
        factor: 2.0,
        period: 20,
    };
    // 40% through the session: 2 × 1000 × 0.4 = 800.
    let progress = Some(Progress {
        elapsed: 150 * 60,
        total: 375 * 60,
    });
    series[21].volume = Some(801);
    let readings = read(&spike, &series, progress);
    assert_eq!(
        readings.now,
        Reading::Ready {
            value: 801.0,
            threshold: 800.0,
            holds: true
        }
    );
    // The bar before is complete: compared with the whole average.
    assert_eq!(
        readings.before,
        Some(Reading::Ready {
            value: 1000.0,
            threshold: 2000.0,
            holds: false
        })
    );
    series[21].volume = Some(400);
    assert!(matches!(
        read(&spike, &series, progress).now,
        Reading::Ready { holds: false, .. }
    ));
    // Five minutes after the open even a huge volume is not read.
    let opening = Some(Progress {
        elapsed: 5 * 60,
        total: 375 * 60,
    });
    series[21].volume = Some(1_000_000);
    assert!(matches!(
        read(&spike, &series, opening).now,
        Reading::Unknown(why) if why.contains("15 minutes into its trading time")
    ));
}

#[test]
fn breaks_compare_the_close_with_the_previous_bars_extremes() {
    let mut series = bars(&[100.0, 104.0, 102.0, 103.0]);
    series[3].close = 105.5;
    let resistance = Condition::ResistanceBreak(Line::Bars(3));
    // Highs of the three previous bars: 101, 105, 103.
    assert_eq!(
        read(&resistance, &series[..=3], None).now,
        Reading::Ready {
            value: 105.5,
            threshold: 105.0,
            holds: true
        }
    );
    let support = Condition::SupportBreak(Line::Level(101.0));
    assert!(matches!(
        read(&support, &series[..=2], None).now,
        Reading::Ready { holds: false, .. }
    ));
}
