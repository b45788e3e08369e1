//! The synthetic market server over real HTTP for every interval beyond 1/5/15 minutes and a
//! day: N-minute and hourly bars on the session's grid, weeks and months stamped as Upstox and
//! Yahoo stamp them, and holes, corrupt bars and nulls for all of them.

use chrono::{TimeZone, Utc};
use serde_json::Value;
use testkit::market::{Market, MarketServer, weekday_sessions};
use testkit::probe::*;

/// Upstox's candles of an answer, newest first, as (ISO stamp, open, high, low, close, volume).
fn upstox_bars(server: &MarketServer, path: &str) -> Vec<(String, f64, f64, f64, f64, u64)> {
    let r = get(server, path);
    assert_eq!(
        r.status,
        200,
        "{path}: {}",
        String::from_utf8_lossy(&r.body)
    );
    let v = r.json();
    v["data"]["candles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            check_ohlc(c.as_array().unwrap());
            let f = |i: usize| c[i].as_f64().unwrap();
            (
                c[0].as_str().unwrap().to_string(),
                f(1),
                f(2),
                f(3),
                f(4),
                c[5].as_u64().unwrap(),
            )
        })
        .collect()
}

/// A Yahoo chart's result for RELIANCE.NS.
fn yahoo(server: &MarketServer, interval: &str, p1: i64, p2: i64) -> Value {
    let r = get(
        server,
        &format!("/v8/finance/chart/RELIANCE.NS?interval={interval}&period1={p1}&period2={p2}"),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()["chart"]["result"][0].clone()
}

fn stamps(result: &Value) -> Vec<i64> {
    result["timestamp"]
        .as_array()
        .map(|t| t.iter().map(|t| t.as_i64().unwrap()).collect())
        .unwrap_or_default()
}

/// The aggregate of Upstox's 1-minute bars `minutes` (newest first): open, high, low, close,
/// volume.
fn aggregate(minutes: &[(String, f64, f64, f64, f64, u64)]) -> (f64, f64, f64, f64, u64) {
    let oldest = minutes.last().unwrap();
    (
        oldest.1,
        minutes.iter().map(|m| m.2).fold(f64::MIN, f64::max),
        minutes.iter().map(|m| m.3).fold(f64::MAX, f64::min),
        minutes[0].4,
        minutes.iter().map(|m| m.5).sum(),
    )
}

/// Weekdays of September to December 2026, with Monday 2026-11-23 closed (its week opens on
/// Tuesday) and Tuesday 2026-11-17 a half day to 13:00; November begins on a Sunday.
fn server_with_a_monday_holiday() -> MarketServer {
    let mut sessions = weekday_sessions(date(2026, 9, 1), date(2026, 12, 31));
    sessions.retain(|s| s.0 != date(2026, 11, 23));
    for s in &mut sessions {
        if s.0 == date(2026, 11, 17) {
            s.2 = hm(13, 0);
        }
    }
    let market = Market::new(sessions).with_instruments(&[
        (RELIANCE, "RELIANCE", "RELIANCE.NS"),
        (NIFTY, "Nifty 50", "^NSEI"),
    ]);
    MarketServer::start(market).unwrap()
}

#[test]
fn thirty_minute_hourly_and_ninety_minute_bars_aggregate_the_minutes_on_the_session_grid() {
    let server = server();
    let minutes = upstox_bars(
        &server,
        &hist(RELIANCE, "minutes/1", "2026-11-16", "2026-11-16"),
    );
    assert_eq!(minutes.len(), 375);
    // Minutes newest first: the k-th minute of the day is at 374 - k.
    let span = |from: usize, len: usize| aggregate(&minutes[375 - from - len..375 - from]);

    let thirty = upstox_bars(
        &server,
        &hist(RELIANCE, "minutes/30", "2026-11-16", "2026-11-16"),
    );
    assert_eq!(thirty.len(), 13);
    assert_eq!(thirty[12].0, "2026-11-16T09:15:00+05:30");
    assert_eq!(thirty[0].0, "2026-11-16T15:15:00+05:30");
    let first = &thirty[12];
    assert_eq!((first.1, first.2, first.3, first.4, first.5), span(0, 30));
    // The 15:15 bar holds the session's last 15 minutes.
    let last = &thirty[0];
    assert_eq!((last.1, last.2, last.3, last.4, last.5), span(360, 15));

    let hourly = upstox_bars(
        &server,
        &hist(RELIANCE, "hours/1", "2026-11-16", "2026-11-16"),
    );
    let starts: Vec<&str> = hourly.iter().rev().map(|b| &b.0[11..16]).collect();
    assert_eq!(
        starts,
        [
            "09:15", "10:15", "11:15", "12:15", "13:15", "14:15", "15:15"
        ]
    );
    let ten = &hourly[5];
    assert_eq!((ten.1, ten.2, ten.3, ten.4, ten.5), span(60, 60));
    let short = &hourly[0];
    assert_eq!((short.1, short.2, short.3, short.4, short.5), span(360, 15));
    assert_eq!(
        get(
            &server,
            &hist(RELIANCE, "minutes/60", "2026-11-16", "2026-11-16")
        )
        .body,
        get(
            &server,
            &hist(RELIANCE, "hours/1", "2026-11-16", "2026-11-16")
        )
        .body,
        "60 minutes and 1 hour are the same bars"
    );
    // The half day to 13:00: four hourly bars, the last 45 minutes long.
    let half = upstox_bars(
        &server,
        &hist(RELIANCE, "hours/1", "2026-11-17", "2026-11-17"),
    );
    assert_eq!(half.len(), 4);
    assert_eq!(half[0].0, "2026-11-17T12:15:00+05:30");
    let c = server
        .market()
        .candle(RELIANCE, "1hour", ist(2026, 11, 17, 12, 15));
    assert_eq!(c.close, half[0].4);
    assert_eq!(
        c.close,
        server
            .market()
            .candle(RELIANCE, "1minute", ist(2026, 11, 17, 12, 59))
            .close
    );

    // Yahoo's 60m and 1h are the same stamps and values; 90m opens 09:15, 10:45, … 15:15.
    server.set_now(Utc.timestamp_opt(ist(2026, 11, 20, 16, 0), 0).unwrap());
    let (p1, p2) = (ist(2026, 11, 16, 0, 0), ist(2026, 11, 17, 0, 0));
    let sixty = yahoo(&server, "60m", p1, p2);
    let hour = yahoo(&server, "1h", p1, p2);
    assert_eq!(sixty["indicators"], hour["indicators"]);
    assert_eq!(hour["meta"]["dataGranularity"], "1h");
    let want: Vec<i64> = (0..7)
        .map(|k| ist(2026, 11, 16, 9, 15) + k * 3600)
        .collect();
    assert_eq!(stamps(&hour), want);
    let yahoo_close = hour["indicators"]["quote"][0]["close"][1].as_f64().unwrap();
    assert!(
        (yahoo_close - ten.4).abs() < 1e-3,
        "{yahoo_close} vs {}",
        ten.4
    );
    let ninety = yahoo(&server, "90m", p1, p2);
    let want: Vec<i64> = (0..5)
        .map(|k| ist(2026, 11, 16, 9, 15) + k * 5400)
        .collect();
    assert_eq!(stamps(&ninety), want);
    assert_eq!(
        ninety["meta"]["tradingPeriods"].as_array().unwrap().len(),
        1
    );
}

#[test]
fn weeks_and_months_are_stamped_on_monday_and_the_first_and_aggregate_their_sessions() {
    let server = server_with_a_monday_holiday();
    let m = server.market();
    let weeks = upstox_bars(
        &server,
        &hist(RELIANCE, "weeks/1", "2026-11-30", "2026-11-02"),
    );
    let stamped: Vec<&str> = weeks.iter().map(|w| w.0.as_str()).collect();
    assert_eq!(
        stamped,
        [
            "2026-11-30T00:00:00+05:30",
            "2026-11-23T00:00:00+05:30",
            "2026-11-16T00:00:00+05:30",
            "2026-11-09T00:00:00+05:30",
            "2026-11-02T00:00:00+05:30",
        ]
    );
    // The week of the closed Monday: Tuesday's open to Friday's close.
    let days = upstox_bars(
        &server,
        &hist(RELIANCE, "days/1", "2026-11-29", "2026-11-23"),
    );
    assert_eq!(days.len(), 4);
    let week = &weeks[1];
    assert_eq!((week.1, week.2, week.3, week.4, week.5), aggregate(&days));
    let monday = ist(2026, 11, 23, 0, 0);
    let c = m.candle(RELIANCE, "week", ist(2026, 11, 26, 11, 0));
    assert_eq!(
        (c.ts, c.open, c.close, c.volume),
        (monday, week.1, week.4, week.5)
    );
    assert_eq!(m.opening_day("week", monday), Some(ist(2026, 11, 24, 0, 0)));

    // Months: stamped on the 1st, November's on Sunday the 1st, opening Monday the 2nd.
    let months = upstox_bars(
        &server,
        &hist(RELIANCE, "months/1", "2026-12-31", "2026-09-01"),
    );
    let stamped: Vec<&str> = months.iter().map(|w| w.0.as_str()).collect();
    assert_eq!(
        stamped,
        [
            "2026-12-01T00:00:00+05:30",
            "2026-11-01T00:00:00+05:30",
            "2026-10-01T00:00:00+05:30",
            "2026-09-01T00:00:00+05:30",
        ]
    );
    let november = upstox_bars(
        &server,
        &hist(RELIANCE, "days/1", "2026-11-30", "2026-11-01"),
    );
    let month = &months[1];
    assert_eq!(
        (month.1, month.2, month.3, month.4, month.5),
        aggregate(&november)
    );
    assert_eq!(
        m.opening_day("month", ist(2026, 11, 1, 0, 0)),
        Some(ist(2026, 11, 2, 0, 0))
    );
    assert_eq!(
        m.bars(RELIANCE, "month", date(2026, 9, 2), date(2026, 12, 31))
            .len(),
        3,
        "a month is among the bars of the range holding its 1st"
    );

    // Yahoo stamps them the same way, with adjclose and no trading periods.
    let (p1, p2) = (ist(2026, 11, 1, 0, 0), ist(2026, 12, 1, 0, 0));
    let result = yahoo(&server, "1wk", p1, p2);
    assert_eq!(
        stamps(&result),
        [
            ist(2026, 11, 2, 0, 0),
            ist(2026, 11, 9, 0, 0),
            ist(2026, 11, 16, 0, 0),
            monday,
            ist(2026, 11, 30, 0, 0),
        ]
    );
    let volume = result["indicators"]["quote"][0]["volume"][3].as_u64();
    assert_eq!(volume, Some(week.5));
    assert!(result["indicators"]["adjclose"][0]["adjclose"][3].is_number());
    assert!(result["meta"]["tradingPeriods"].is_null());
    let result = yahoo(&server, "1mo", p1, p2);
    assert_eq!(stamps(&result), [ist(2026, 11, 1, 0, 0)]);
    assert_eq!(result["meta"]["dataGranularity"], "1mo");
}

#[test]
fn the_forming_week_and_month_hold_the_sessions_so_far_and_intraday_has_neither() {
    let server = server_with_a_monday_holiday();
    // Wednesday 2026-11-25 at 12:00.
    server.set_now(Utc.timestamp_opt(ist(2026, 11, 25, 12, 0), 0).unwrap());
    let weeks = upstox_bars(
        &server,
        &hist(RELIANCE, "weeks/1", "2026-11-25", "2026-11-16"),
    );
    assert_eq!(weeks.len(), 2);
    assert_eq!(weeks[0].0, "2026-11-23T00:00:00+05:30");
    let day = |d| {
        server
            .market()
            .candle(RELIANCE, "day", ist(2026, 11, d, 0, 0))
    };
    assert_eq!((weeks[0].1, weeks[0].4), (day(24).open, day(25).close));
    assert_eq!(weeks[0].5, day(24).volume + day(25).volume);
    assert_eq!(
        server
            .market()
            .bars(RELIANCE, "week", date(2026, 11, 16), date(2026, 11, 25)),
        [ist(2026, 11, 16, 0, 0), ist(2026, 11, 23, 0, 0)]
    );
    for unit in ["weeks/1", "months/1"] {
        let r = get(
            &server,
            &format!("/v3/historical-candle/intraday/{}/{unit}", enc(RELIANCE)),
        );
        assert_eq!(r.status, 400, "{unit}");
        assert_eq!(r.json()["errors"][0]["errorCode"], "UDAPI1011");
    }
    let r = get(
        &server,
        &format!("/v3/historical-candle/intraday/{}/hours/1", enc(RELIANCE)),
    );
    let today = r.json();
    // 09:15, 10:15 and the forming 11:15.
    assert_eq!(today["data"]["candles"].as_array().unwrap().len(), 3);
    // Before Monday's open nothing of the new week exists.
    server.set_now(Utc.timestamp_opt(ist(2026, 11, 30, 9, 0), 0).unwrap());
    assert!(
        server
            .market()
            .bars(RELIANCE, "week", date(2026, 11, 30), date(2026, 11, 30))
            .is_empty()
    );
}

#[test]
fn holes_corrupt_bars_and_nulls_work_for_every_interval() {
    let server = server_with_a_monday_holiday();
    let m = server.market();
    let half_hour = ist(2026, 11, 16, 10, 15);
    let hour = ist(2026, 11, 16, 11, 15);
    let week = ist(2026, 11, 9, 0, 0);
    let month = ist(2026, 10, 1, 0, 0);
    server.hide(RELIANCE, "30minute", &[half_hour]);
    server.hide(RELIANCE, "1hour", &[hour]);
    // Any time inside the week or the month names its bar.
    server.hide(RELIANCE, "week", &[ist(2026, 11, 11, 12, 0)]);
    server.hide(RELIANCE, "month", &[ist(2026, 10, 20, 0, 0)]);
    let served = |unit: &str, to: &str, from: &str| -> Vec<String> {
        upstox_bars(&server, &hist(RELIANCE, unit, to, from))
            .into_iter()
            .map(|b| b.0)
            .collect()
    };
    let thirty = served("minutes/30", "2026-11-16", "2026-11-16");
    assert_eq!(thirty.len(), 12);
    assert!(!thirty.contains(&"2026-11-16T10:15:00+05:30".to_string()));
    let hourly = served("hours/1", "2026-11-16", "2026-11-16");
    assert_eq!(hourly.len(), 6);
    assert!(!hourly.contains(&"2026-11-16T11:15:00+05:30".to_string()));
    // Only that interval's bar goes: the 60-minute spelling is the same bars, 2 hours are not.
    assert_eq!(served("minutes/60", "2026-11-16", "2026-11-16").len(), 6);
    assert_eq!(served("hours/2", "2026-11-16", "2026-11-16").len(), 4);
    let weeks = served("weeks/1", "2026-11-30", "2026-11-02");
    assert_eq!(weeks.len(), 4);
    assert!(!weeks.contains(&"2026-11-09T00:00:00+05:30".to_string()));
    let months = served("months/1", "2026-12-31", "2026-09-01");
    assert_eq!(months.len(), 3);
    assert!(!months.contains(&"2026-10-01T00:00:00+05:30".to_string()));
    assert!(
        !m.bars(RELIANCE, "week", date(2026, 11, 1), date(2026, 11, 30))
            .contains(&week)
    );
    assert!(
        !m.bars(RELIANCE, "month", date(2026, 9, 1), date(2026, 12, 31))
            .contains(&month)
    );
    let (p1, p2) = (ist(2026, 9, 1, 0, 0), ist(2027, 1, 1, 0, 0));
    assert!(!stamps(&yahoo(&server, "1wk", p1, p2)).contains(&week));
    assert!(!stamps(&yahoo(&server, "1mo", p1, p2)).contains(&month));
    server.set_now(Utc.timestamp_opt(ist(2026, 11, 20, 16, 0), 0).unwrap());
    let day = (ist(2026, 11, 16, 0, 0), ist(2026, 11, 17, 0, 0));
    assert!(!stamps(&yahoo(&server, "30m", day.0, day.1)).contains(&half_hour));
    assert!(!stamps(&yahoo(&server, "1h", day.0, day.1)).contains(&hour));

    server.unhide_all();
    server.set_now(Utc.timestamp_opt(ist(2027, 1, 1, 0, 0), 0).unwrap());
    server.corrupt(RELIANCE, "week", week);
    server.yahoo_nulls("RELIANCE.NS", "1mo", &[month]);
    let weeks = upstox_bars_unchecked(
        &server,
        &hist(RELIANCE, "weeks/1", "2026-11-30", "2026-11-02"),
    );
    let bad = weeks
        .iter()
        .find(|w| w[0] == "2026-11-09T00:00:00+05:30")
        .unwrap();
    assert!(
        bad[2].as_f64().unwrap() < bad[3].as_f64().unwrap(),
        "{bad:?}"
    );
    let result = yahoo(&server, "1mo", p1, p2);
    let at = stamps(&result).iter().position(|t| *t == month).unwrap();
    let quote = &result["indicators"]["quote"][0];
    for field in ["open", "high", "low", "close", "volume"] {
        assert!(quote[field][at].is_null(), "{field}");
        assert!(!quote[field][at + 1].is_null(), "{field}");
    }
}

/// Upstox's candles of an answer, as sent.
fn upstox_bars_unchecked(server: &MarketServer, path: &str) -> Vec<Vec<Value>> {
    let v = get(server, path).json();
    v["data"]["candles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_array().unwrap().clone())
        .collect()
}
