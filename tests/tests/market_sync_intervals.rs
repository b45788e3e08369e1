//! upstox-market-sync for 30-minute, hourly, weekly and monthly bars from Upstox and Yahoo:
//! the bars stored are the server's, a hole the provider later has is found and backfilled,
//! one it never has becomes `unfillable`, and a rerun writes nothing; forming bars wait for
//! their close; long backfills keep inside each API's limits; half days and a Muhurat session
//! shape the bars.

use chrono::{Days, NaiveDate};
use testkit::sync::*;

/// Sessions of the NSE calendar from June to November 2026, gaps looked for over 200 days,
/// the clock at Friday 2026-11-20 15:45. Monday 14 September (Ganesh Chaturthi) is closed, so
/// that week opens on Tuesday; 1 August is a Saturday and 1 November a Sunday, so those
/// months open on the 3rd and the 2nd.
fn world() -> World {
    let june = NaiveDate::from_ymd_opt(2026, 6, 1).expect("a date");
    World::with_lookback(sessions(june, nov(30)), 200, "")
}

/// A date in 2026.
fn day(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, month, day).expect("a date")
}

/// The arguments of a candle sync of RELIANCE's `interval` bars alone.
fn sync_args(interval: &str) -> [&str; 6] {
    [
        "--symbols",
        "RELIANCE",
        "--interval",
        interval,
        "--no-quotes",
        "--no-options",
    ]
}

/// Where the job stores the bar the server stamps `ts`: intraday bars where they start, a
/// week's or a month's at 00:00 IST of its first session.
fn stored_at(w: &World, interval: &str, ts: i64) -> i64 {
    match interval {
        "week" | "month" => w
            .server
            .market()
            .opening_day(interval, ts)
            .expect("the period has a session"),
        _ => ts,
    }
}

/// One interval's whole story from one provider, run on `today` at 15:45: a first sync stores
/// every complete bar of `from..=to` (as the server stamps them) but the two hidden ones,
/// which become open gaps; the next run backfills the one the provider has again and gives
/// up on the other; a rerun changes nothing.
fn holes_filled_and_given_up(
    yahoo: bool,
    interval: &str,
    today: NaiveDate,
    (from, to): (NaiveDate, NaiveDate),
    [comes_back, never]: [i64; 2],
) {
    let mut w = world();
    w.set_now(ist(today, 15, 45));
    if yahoo {
        w.without_token();
    }
    let args = sync_args(interval);
    let market = w.server.market();
    // (the server's stamp, where the job stores it) of every bar.
    let served: Vec<(i64, i64)> = market
        .bars(RELIANCE, interval, from, to)
        .into_iter()
        .map(|ts| (ts, stored_at(&w, interval, ts)))
        .collect();
    let all: Vec<i64> = served.iter().map(|(_, at)| *at).collect();
    let (comes_back_at, never_at) = (
        stored_at(&w, interval, comes_back),
        stored_at(&w, interval, never),
    );
    assert!(all.contains(&comes_back_at) && all.contains(&never_at));
    w.server.hide(RELIANCE, interval, &[comes_back, never]);

    let first = w.run_ok(&args);
    assert!(
        first.summary().contains("gaps: 2 open"),
        "{}",
        first.summary()
    );
    let conn = w.db();
    let without =
        |gone: &[i64]| -> Vec<i64> { all.iter().copied().filter(|t| !gone.contains(t)).collect() };
    assert_eq!(
        stored(&conn, RELIANCE, interval),
        without(&[comes_back_at, never_at])
    );
    let gap_rows = gaps(&conn, RELIANCE, interval);
    let open: Vec<(i64, i64, &str, i64)> = gap_rows
        .iter()
        .map(|g| (g.0, g.2, g.3.as_str(), g.4))
        .collect();
    let mut want = vec![(comes_back_at, 1, "open", 1), (never_at, 1, "open", 1)];
    want.sort();
    assert_eq!(open, want, "each backfill attempt found nothing");
    // The values are the server's, to the paisa, whichever provider sent them.
    let (stamp, probe) = served[served.len() / 2];
    let sent = market.candle(RELIANCE, interval, stamp);
    let code = interval
        .parse::<common::market::interval::Interval>()
        .expect("an interval")
        .code();
    let got: (f64, f64, f64, f64, i64) = conn
        .query_row(
            "SELECT open, high, low, close, volume FROM candles
             WHERE instrument = ?1 AND interval = ?2 AND ts = ?3",
            rusqlite::params![RELIANCE, code, probe],
            |r| r.try_into(),
        )
        .expect("the probed bar is stored");
    assert_eq!(
        got,
        (
            sent.open,
            sent.high,
            sent.low,
            sent.close,
            sent.volume as i64
        )
    );
    drop(conn);

    w.server.unhide_all();
    w.server.hide(RELIANCE, interval, &[never]);
    let second = w.run_ok(&args);
    let conn = w.db();
    assert_eq!(stored(&conn, RELIANCE, interval), without(&[never_at]));
    let rows: Vec<(i64, String, i64)> = gaps(&conn, RELIANCE, interval)
        .into_iter()
        .map(|g| (g.0, g.3, g.4))
        .collect();
    let mut want = vec![
        (comes_back_at, "filled".to_string(), 1),
        (never_at, "unfillable".to_string(), 2),
    ];
    want.sort();
    assert_eq!(rows, want, "{}", second.summary());
    drop(conn);

    let third = w.run_ok(&args);
    assert!(
        third.summary().contains(", 0 rows written"),
        "{}",
        third.summary()
    );
    assert!(
        third.summary().contains("1 unfillable"),
        "{}",
        third.summary()
    );
    assert_eq!(stored(&w.db(), RELIANCE, interval), without(&[never_at]));
}

/// The IST `hh:mm` of `date` as epoch seconds.
fn at(date: NaiveDate, hh: u32, mm: u32) -> i64 {
    ist(date, hh, mm).timestamp()
}

/// What a first sync of `interval` covers on 2026-11-20: the configured days back.
fn initial(days: u64) -> (NaiveDate, NaiveDate) {
    (nov(20) - Days::new(days), nov(20))
}

#[test]
fn upstox_30_minute_bars() {
    holes_filled_and_given_up(
        false,
        "30minute",
        nov(20),
        initial(60),
        [at(nov(18), 10, 15), at(nov(19), 15, 15)],
    );
}

#[test]
fn upstox_hourly_bars() {
    holes_filled_and_given_up(
        false,
        "1hour",
        nov(20),
        initial(180),
        [at(nov(18), 15, 15), at(day(10, 5), 9, 15)],
    );
}

#[test]
fn upstox_weekly_bars() {
    // The week of the closed Monday comes back; that of 12 October never does.
    holes_filled_and_given_up(
        false,
        "week",
        nov(20),
        (day(6, 1), nov(20)),
        [at(day(9, 14), 0, 0), at(day(10, 12), 0, 0)],
    );
}

#[test]
fn upstox_monthly_bars() {
    // On 1 December November is complete. August, which opens on Monday the 3rd, comes back;
    // October never does.
    holes_filled_and_given_up(
        false,
        "month",
        day(12, 1),
        (day(6, 1), nov(30)),
        [at(day(8, 1), 0, 0), at(day(10, 1), 0, 0)],
    );
}

#[test]
fn yahoo_30_minute_bars() {
    // Yahoo keeps 60 days of 30-minute bars: the job asks for 59.
    holes_filled_and_given_up(
        true,
        "30minute",
        nov(20),
        initial(59),
        [at(nov(18), 10, 15), at(nov(19), 15, 15)],
    );
}

#[test]
fn yahoo_hourly_bars() {
    holes_filled_and_given_up(
        true,
        "1hour",
        nov(20),
        initial(180),
        [at(nov(18), 15, 15), at(day(10, 5), 9, 15)],
    );
}

#[test]
fn yahoo_weekly_bars() {
    holes_filled_and_given_up(
        true,
        "week",
        nov(20),
        (day(6, 1), nov(20)),
        [at(day(9, 14), 0, 0), at(day(10, 12), 0, 0)],
    );
}

#[test]
fn yahoo_monthly_bars() {
    holes_filled_and_given_up(
        true,
        "month",
        day(12, 1),
        (day(6, 1), nov(30)),
        [at(day(8, 1), 0, 0), at(day(10, 1), 0, 0)],
    );
}

#[test]
fn a_monthly_gap_is_found_though_the_lookback_is_twenty_days() {
    // The lookback holds no complete month before the current one; a month's gaps are looked
    // for over at least twelve months.
    let june = NaiveDate::from_ymd_opt(2026, 6, 1).expect("a date");
    let mut w = World::with_lookback(sessions(june, nov(30)), 20, "");
    w.set_now(ist(day(12, 1), 15, 45));
    w.server.hide(RELIANCE, "month", &[at(day(9, 1), 0, 0)]);
    let out = w.run_ok(&sync_args("month"));
    assert!(out.summary().contains("gaps: 1 open"), "{}", out.summary());
    let g = gaps(&w.db(), RELIANCE, "month");
    assert_eq!(
        g.iter()
            .map(|g| (g.0, g.2, g.3.as_str()))
            .collect::<Vec<_>>(),
        [(at(day(9, 1), 0, 0), 1, "open")]
    );
}

/// Runs inside the session and inside the week store only the complete bars: at 12:00 on
/// Wednesday 2026-11-18 the 11:15 hourly bar and the week of the 16th are still forming; by
/// Friday's close all of them are stored with the server's values, and nothing is a gap.
fn forming_bars_wait_for_their_close(yahoo: bool) {
    let week = at(nov(16), 0, 0);
    // (interval, where the bars looked at begin, stored at 12:00, stored by Friday's close)
    for (interval, begin, so_far, all_of_it) in [
        (
            "1hour",
            at(nov(18), 0, 0),
            vec![at(nov(18), 9, 15), at(nov(18), 10, 15)],
            (0..21)
                .map(|k| at(nov(18), 9, 15) + (k / 7) * 86_400 + (k % 7) * 3600)
                .collect::<Vec<i64>>(),
        ),
        ("week", week, vec![], vec![week]),
    ] {
        let mut w = world();
        if yahoo {
            w.without_token();
        }
        w.set_now(ist(nov(18), 12, 0));
        let out = w.run_ok(&sync_args(interval));
        let since = |w: &World| -> Vec<i64> {
            stored(&w.db(), RELIANCE, interval)
                .into_iter()
                .filter(|ts| *ts >= begin)
                .collect()
        };
        assert_eq!(since(&w), so_far, "{interval}: {}", out.summary());
        assert!(!out.summary().contains("gaps:"), "{}", out.summary());
        w.set_now(ist(nov(20), 15, 45));
        w.run_ok(&sync_args(interval));
        assert_eq!(since(&w), all_of_it, "{interval}");
        assert!(gaps(&w.db(), RELIANCE, interval).is_empty(), "{interval}");
        let full = w
            .server
            .market()
            .candle(RELIANCE, interval, all_of_it[all_of_it.len() - 1]);
        let close: f64 = w
            .db()
            .query_row(
                "SELECT close FROM candles_ist WHERE instrument = ?1 AND interval = ?2
                 ORDER BY ts_ist DESC LIMIT 1",
                rusqlite::params![RELIANCE, interval],
                |r| r.get(0),
            )
            .expect("the last bar");
        assert_eq!(close, full.close, "{interval}: the last bar is whole");
    }
}

#[test]
fn upstox_forming_hours_and_weeks_wait_for_their_close() {
    forming_bars_wait_for_their_close(false);
}

#[test]
fn yahoo_forming_hours_and_weeks_wait_for_their_close() {
    forming_bars_wait_for_their_close(true);
}

/// A backfill since June of every interval, from each provider: every request keeps inside
/// what that API allows per request and how far back it keeps bars (the server answers
/// anything else with the API's own error), and every bar of the range is stored.
fn a_long_backfill_keeps_every_request_inside_the_apis_limits(yahoo: bool) {
    let w = world();
    if yahoo {
        w.without_token();
    }
    let intervals = [
        "1minute", "5minute", "15minute", "30minute", "1hour", "90minute", "day", "week", "month",
    ];
    let mut args = vec!["--symbols", "RELIANCE", "--no-quotes", "--no-options"];
    args.extend(["--from", "2026-06-01", "--to", "2026-11-20"]);
    for interval in intervals {
        args.extend(["--interval", interval]);
    }
    let out = w.run_ok(&args);
    let refused: Vec<String> = w
        .server
        .requests()
        .into_iter()
        .filter(|r| r.status != 200)
        .map(|r| format!("{} {}", r.status, r.path))
        .collect();
    assert!(refused.is_empty(), "{refused:?}\n{}", out.stderr);
    let conn = w.db();
    for interval in intervals {
        // Yahoo keeps 30 days of 1-minute bars, 60 of the other minutes; Upstox all of them.
        let kept = match (yahoo, interval) {
            (true, "1minute") => nov(20) - Days::new(29),
            (true, "5minute" | "15minute" | "30minute" | "90minute") => nov(20) - Days::new(59),
            _ => day(6, 1),
        };
        let to = if interval == "month" {
            day(10, 31)
        } else {
            nov(20)
        };
        let want: Vec<i64> = w
            .server
            .market()
            .bars(RELIANCE, interval, kept, to)
            .into_iter()
            .map(|ts| stored_at(&w, interval, ts))
            .collect();
        assert_eq!(stored(&conn, RELIANCE, interval), want, "{interval}");
    }
}

#[test]
fn upstox_long_backfills_keep_inside_its_limits() {
    a_long_backfill_keeps_every_request_inside_the_apis_limits(false);
}

#[test]
fn yahoo_long_backfills_keep_inside_its_limits() {
    a_long_backfill_keeps_every_request_inside_the_apis_limits(true);
}

#[test]
fn a_half_day_and_a_muhurat_session_shape_the_hours_half_hours_and_weeks() {
    // Thursday 2026-11-19 closes at 13:00; Sunday 2026-11-08 has Diwali's Muhurat session,
    // 18:00 to 19:00, which ends the week of 2 November.
    let june = NaiveDate::from_ymd_opt(2026, 6, 1).expect("a date");
    let mut list = sessions(june, nov(30));
    let hm = |h, m| chrono::NaiveTime::from_hms_opt(h, m, 0).expect("a time");
    for s in &mut list {
        if s.0 == nov(19) {
            s.2 = hm(13, 0);
        }
    }
    list.push((nov(8), hm(18, 0), hm(19, 0)));
    list.sort();
    let w = World::with_lookback(list, 200, "");
    // The desk records both sessions in the database before syncing.
    w.run_ok(&sync_args("day"));
    w.db()
        .execute_batch(
            "INSERT INTO market_holidays VALUES ('2026-11-19', 'Half day', 'special_session', '09:15', '13:00', 'test');
             INSERT INTO market_holidays VALUES ('2026-11-08', 'Muhurat Trading', 'special_session', '18:00', '19:00', 'test');",
        )
        .expect("sessions recorded");
    let mut args = vec!["--symbols", "RELIANCE", "--no-quotes", "--no-options"];
    for interval in ["1hour", "30minute", "week"] {
        args.extend(["--interval", interval]);
    }
    let out = w.run_ok(&args);
    assert!(!out.summary().contains("gaps:"), "{}", out.summary());
    let market = w.server.market();
    let conn = w.db();
    for (interval, days) in [("1hour", 180), ("30minute", 60), ("week", 5 * 365)] {
        let want: Vec<i64> = market
            .bars(RELIANCE, interval, nov(20) - Days::new(days), nov(20))
            .into_iter()
            .map(|ts| stored_at(&w, interval, ts))
            .collect();
        assert_eq!(stored(&conn, RELIANCE, interval), want, "{interval}");
    }
    let hours = stored(&conn, RELIANCE, "1hour");
    assert!(hours.contains(&at(nov(8), 18, 0)), "the Muhurat hour");
    let half_day: Vec<i64> = hours
        .iter()
        .copied()
        .filter(|ts| (at(nov(19), 0, 0)..at(nov(20), 0, 0)).contains(ts))
        .collect();
    assert_eq!(
        half_day,
        [9, 10, 11, 12].map(|h| at(nov(19), h, 15)),
        "the half day's last hour is 12:15 to 13:00"
    );
    let thirty = stored(&conn, RELIANCE, "30minute");
    assert!(thirty.contains(&at(nov(8), 18, 30)));
    let week = market.candle(RELIANCE, "week", at(nov(2), 0, 0));
    let muhurat = market.candle(RELIANCE, "1hour", at(nov(8), 18, 0));
    let close: f64 = conn
        .query_row(
            "SELECT close FROM candles WHERE instrument = ?1 AND interval = ?2 AND ts = ?3",
            rusqlite::params![
                RELIANCE,
                common::market::interval::Interval::Week.code(),
                at(nov(2), 0, 0)
            ],
            |r| r.get(0),
        )
        .expect("the week of 2 November");
    assert_eq!((close, week.close), (muhurat.close, muhurat.close));
    assert_eq!(count(&conn, "data_gaps"), 0);
}
