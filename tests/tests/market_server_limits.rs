//! The synthetic market server over real HTTP: what one candle request may ask for, per
//! interval, at Upstox (a month, a quarter, a decade, no limit) and at Yahoo (7 days of 1m per
//! request; 30, 60 or 730 days of history), refused with each API's own error.

use chrono::{TimeZone, Utc};
use testkit::probe::*;

#[test]
fn each_interval_keeps_its_apis_span_limit_per_request() {
    let server = server();
    let status = |path: &str| get(&server, path).status;
    let refused = |path: &str| {
        let r = get(&server, path);
        assert_eq!(r.status, 400, "{path}");
        let v = r.json();
        assert_eq!(v["errors"][0]["errorCode"], "UDAPI1015", "{path}");
        v["errors"][0]["message"].as_str().unwrap().to_string()
    };
    // A month for 1 to 15 minutes, a quarter above that and for hours, a decade for days.
    assert_eq!(
        status(&hist(RELIANCE, "minutes/15", "2026-12-17", "2026-11-17")),
        200
    );
    assert!(
        refused(&hist(RELIANCE, "minutes/15", "2026-12-17", "2026-11-16"))
            .contains("1 month for 1 to 15 minute")
    );
    for unit in ["minutes/30", "hours/1", "hours/5", "minutes/300"] {
        assert_eq!(
            status(&hist(RELIANCE, unit, "2026-12-17", "2026-09-17")),
            200,
            "{unit}"
        );
        assert!(
            refused(&hist(RELIANCE, unit, "2026-12-17", "2026-09-16"))
                .contains("1 quarter for longer minute and hour"),
            "{unit}"
        );
    }
    assert!(refused(&hist(RELIANCE, "days/1", "2026-12-17", "2016-12-16")).contains("1 decade"));
    for unit in ["weeks/1", "months/1"] {
        assert_eq!(
            status(&hist(RELIANCE, unit, "2026-12-31", "2000-01-01")),
            200,
            "{unit} have no limit"
        );
    }

    // Yahoo: 7 days of 1-minute bars per request, kept 30 days; 60 days of other minutes,
    // 730 of hours; counted back from the market's last close.
    server.set_now(Utc.timestamp_opt(ist(2026, 12, 31, 16, 0), 0).unwrap());
    let chart = |interval: &str, p1: i64, p2: i64| {
        get(
            &server,
            &format!("/v8/finance/chart/RELIANCE.NS?interval={interval}&period1={p1}&period2={p2}"),
        )
    };
    let day = 86_400;
    let end = ist(2027, 1, 1, 0, 0);
    assert_eq!(chart("1m", end - 7 * day, end).status, 200);
    let r = chart("1m", end - 8 * day, end);
    assert_eq!(r.status, 422);
    let error = &r.json()["chart"]["error"];
    assert_eq!(error["code"], "Unprocessable Entity");
    assert_eq!(
        error["description"],
        format!(
            "1m data not available for startTime={} and endTime={end}. Only 7 days worth of 1m granularity data are allowed to be fetched per request.",
            end - 8 * day
        )
    );
    let old = ist(2026, 11, 30, 0, 0);
    let r = chart("1m", old, old + day);
    assert_eq!(r.status, 422);
    assert!(
        r.json()["chart"]["error"]["description"]
            .as_str()
            .unwrap()
            .ends_with("The requested range must be within the last 30 days.")
    );
    for interval in ["2m", "5m", "15m", "30m", "90m"] {
        assert_eq!(chart(interval, ist(2026, 11, 2, 0, 0), end).status, 200);
        let r = chart(interval, ist(2026, 10, 30, 0, 0), end);
        assert_eq!(r.status, 422, "{interval}");
        assert!(
            r.json()["chart"]["error"]["description"]
                .as_str()
                .unwrap()
                .ends_with("within the last 60 days."),
            "{interval}"
        );
    }
    for interval in ["60m", "1h", "1d", "1wk", "1mo"] {
        assert_eq!(
            chart(interval, ist(2026, 9, 1, 0, 0), end).status,
            200,
            "{interval}"
        );
    }
    assert_eq!(chart("1h", end - 731 * day, end).status, 422);
    let r = chart("10m", old, old + day);
    assert_eq!(r.status, 400);
    assert!(
        r.json()["chart"]["error"]["description"]
            .as_str()
            .unwrap()
            .contains("[1m, 2m, 5m, 15m, 30m, 60m, 90m, 1h, 1d, 1wk, 1mo]")
    );
}
