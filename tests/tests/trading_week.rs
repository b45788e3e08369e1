//! A simulated trading week (issue 18 point 3): from Saturday 21 November 2026 20:00 IST to
//! Monday 30 November 08:00, every elapse of the eight shipped timers (as `systemd-analyze
//! calendar` computes them from the units, with their random delays) is run in order, each as
//! a process whose clock reads that moment, against the synthetic market, NSE's files, the
//! exchanges' APIs, a news feed and a real SMTP server on loopback. The week holds a holiday
//! (Tuesday 24th, Guru Nanak Jayanti), a half day (Friday 27th, closing at 13:00), a Saturday
//! special session (28th) and a night the machine was off (Wednesday 22:00 to Thursday 09:00,
//! which `Persistent=true` catches up at boot). No run may fail, no notification may be sent
//! twice, `upstox-jobs status` (asked every 15 minutes and after each run) may never call a
//! job overdue, backups must be what retention says, and the data directory's growth per day
//! is printed (BENCHMARKS.md projects it to a year). `WEEK_SEED=N` draws other random delays.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use common::calendar::{Day, IST, TradingCalendar};
use testkit::demo;
use testkit::performance::GENERIC_HEADER;
use testkit::week::{Desk, Elapse, FAKETIME, Special, WATCHED, ledger, shipped_timers, timeline};

fn ist(date: (u32, u32), time: (u32, u32)) -> DateTime<Utc> {
    IST.with_ymd_and_hms(2026, date.0, date.1, time.0, time.1, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

const HALF_DAY: u32 = 27;
const SATURDAY: u32 = 28;
const HOLIDAY: u32 = 24;
/// The databases db-backup is configured with (upstox.db exists once trades are imported).
const DATABASES: [&str; 2] = ["market_data", "upstox"];

/// The desk's first morning, once market-sync's first run has stored Upstox's instrument
/// master: alert rules around Friday's closes, and the previous week's trades.
fn desk_prepares(desk: &Desk, at: DateTime<Utc>) -> Vec<String> {
    let friday = IST
        .from_local_datetime(&day(20).and_hms_opt(0, 0, 0).unwrap())
        .unwrap()
        .timestamp();
    let tick = |x: f64| (x * 20.0).round() / 20.0;
    let mut failures = Vec::new();
    let mut book = format!("{GENERIC_HEADER}\n");
    for (n, symbol) in WATCHED.iter().enumerate() {
        let key = demo::key_of(symbol).expect("a watched symbol of the demo market");
        let close = desk.market.market().candle(key, "day", friday).close;
        for (kind, factor) in [("price-above", 1.01), ("price-below", 0.99)] {
            let level = format!("level={}", tick(close * factor));
            let args = [
                "rules",
                "add",
                symbol,
                kind,
                &level,
                "--channels",
                "database,email",
            ];
            let out = desk.run_at("upstox-alert-scan", &args, at);
            if out.code != Some(0) {
                failures.push(format!("rules add {symbol}: {}", out.stderr));
            }
        }
        book.push_str(&format!(
            "{},{symbol},BUY,10,{:.2},2026-11-16 10:00:00,,swing\n{},{symbol},SELL,5,{:.2},2026-11-19 14:00:00,,swing\n",
            2 * n + 1,
            tick(close * 0.98),
            2 * n + 2,
            tick(close * 1.01),
        ));
    }
    let file = desk.sandbox.path().join("trades.csv");
    std::fs::write(&file, book).unwrap();
    let out = desk.run_at(
        "upstox-performance-analytics",
        &["import-trades", &file.display().to_string()],
        at,
    );
    if out.code != Some(0) {
        failures.push(format!("import-trades: {}", out.stderr));
    }
    failures
}

/// A `job_runs` row: job, status, when it started.
struct Run {
    job: String,
    status: String,
    started_at: DateTime<Utc>,
}

fn runs(conn: &rusqlite::Connection) -> Vec<Run> {
    let mut stmt = conn
        .prepare("SELECT job, status, started_at FROM job_runs ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| {
        let at: String = r.get(2)?;
        Ok(Run {
            job: r.get(0)?,
            status: r.get(1)?,
            started_at: DateTime::parse_from_rfc3339(&at)
                .expect("an RFC 3339 time")
                .with_timezone(&Utc),
        })
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

/// `upstox-jobs status` at `at`: the lines that call a job overdue.
fn overdue(desk: &Desk, at: DateTime<Utc>) -> Vec<String> {
    let out = desk.run_at("upstox-jobs", &["status"], at);
    let ist = at.with_timezone(&IST).format("%a %d %H:%M");
    let mut lines: Vec<String> = out
        .stdout
        .lines()
        .filter(|l| l.contains("! overdue"))
        .map(|l| format!("{ist}: {}", l.trim()))
        .collect();
    if !matches!(out.code, Some(0 | 1)) {
        lines.push(format!(
            "{ist}: status exited {:?}: {}",
            out.code, out.stderr
        ));
    }
    lines
}

#[test]
fn a_week_of_every_timer_runs_clean_notifies_once_and_keeps_what_retention_says() {
    assert!(
        Path::new(FAKETIME).exists(),
        "{FAKETIME} is missing: install the package faketime (.ci/run does)"
    );
    let seed = std::env::var("WEEK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(18);
    let (start, end) = (ist((11, 21), (20, 0)), ist((11, 30), (8, 0)));
    let off = (ist((11, 25), (22, 0)), ist((11, 26), (9, 0)));
    let specials = [
        Special {
            date: day(HALF_DAY),
            open: hm(9, 15),
            close: hm(13, 0),
            description: "Half day",
        },
        Special {
            date: day(SATURDAY),
            open: hm(9, 15),
            close: hm(15, 30),
            description: "Special live trading session",
        },
    ];
    let desk = Desk::start(day(21), day(30), &specials);
    let plan = timeline(&shipped_timers(), start, end, off, seed);
    eprintln!("trading week: seed {seed}, {} runs", plan.len());

    let prepare_at = ist((11, 23), (9, 20));
    let mut prepared = false;
    let mut failures: Vec<String> = Vec::new();
    let mut false_overdue: Vec<String> = Vec::new();
    let mut sizes: BTreeMap<NaiveDate, u64> = BTreeMap::new();
    let mut checkpoint = start;
    let mut ran: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    // When db-backup started, by the databases that existed then.
    let mut made: BTreeMap<&str, BTreeSet<DateTime<Utc>>> = BTreeMap::new();
    for Elapse {
        at, job, catch_up, ..
    } in &plan
    {
        // Status every 15 minutes the machine is on, and the size at each IST midnight.
        while checkpoint < *at {
            if !(off.0 <= checkpoint && checkpoint < off.1) {
                false_overdue.extend(overdue(&desk, checkpoint));
            }
            let local = checkpoint.with_timezone(&IST);
            if local.time() == NaiveTime::MIN {
                sizes.insert(local.date_naive(), ledger::size(&desk.sandbox.data_dir()));
            }
            checkpoint += Duration::minutes(15);
        }
        if !prepared && *at >= prepare_at {
            failures.extend(desk_prepares(&desk, prepare_at));
            prepared = true;
        }
        if *job == "news-sentiment" {
            desk.publish_news(*at);
        }
        if *job == "db-backup" {
            for database in DATABASES {
                if desk
                    .sandbox
                    .data_dir()
                    .join(format!("{database}.db"))
                    .exists()
                {
                    made.entry(database).or_default().insert(*at);
                }
            }
        }
        let out = desk.run_at(&format!("upstox-{job}"), &[], *at);
        let when = at.with_timezone(&IST).format("%a %d %H:%M:%S");
        let status = if out.code == Some(0) {
            if out.summary().contains("skipped") {
                "skipped"
            } else {
                "ran"
            }
        } else {
            failures.push(format!(
                "{when} {job}{}: exit {:?}: {}",
                if *catch_up { " (catch-up)" } else { "" },
                out.code,
                out.summary()
            ));
            "failed"
        };
        *ran.entry((job, status)).or_default() += 1;
        // Right after a run too, where a stale reading would show (not between the catch-ups
        // of a boot, which systemd starts at once: the next checkpoint reads them all).
        if *job != "alert-scan" && !catch_up {
            false_overdue.extend(overdue(&desk, *at + Duration::seconds(5)));
        }
    }

    eprintln!(
        "\n{:<24} {:>6} {:>8} {:>7}",
        "job", "ran", "skipped", "failed"
    );
    for job in common::schedule::names() {
        let n = |s: &str| ran.get(&(job, s)).copied().unwrap_or(0);
        eprintln!(
            "{job:<24} {:>6} {:>8} {:>7}",
            n("ran"),
            n("skipped"),
            n("failed")
        );
    }
    // The databases' growth over each whole IST day of the week.
    let calendar = TradingCalendar::embedded()
        .with_table(&desk.sandbox.db())
        .unwrap();
    eprintln!(
        "\n{:<14} {:<44} {:>12} {:>10}",
        "IST day", "NSE", "in use after", "growth"
    );
    for (day, next) in sizes.iter().zip(sizes.iter().skip(1)) {
        let kind = match calendar.day(*day.0) {
            Day::Trading(_) => "trading day".to_string(),
            Day::Special(s, name) => format!(
                "{name}, {}-{}",
                s.open.format("%H:%M"),
                s.close.format("%H:%M")
            ),
            Day::Weekend => "weekend".to_string(),
            Day::Holiday(name) => format!("holiday ({name})"),
        };
        let kind: String = kind.chars().take(44).collect();
        eprintln!(
            "{:<14} {kind:<44} {:>12} {:>+10}",
            day.0.format("%a %Y-%m-%d"),
            next.1,
            *next.1 as i64 - *day.1 as i64
        );
    }

    eprintln!(
        "\n{} runs failed, {} readings of status called a job overdue",
        failures.len(),
        false_overdue.len()
    );
    assert!(failures.is_empty(), "runs failed:\n{}", failures.join("\n"));
    assert!(
        false_overdue.is_empty(),
        "upstox-jobs status called a job overdue:\n{}",
        false_overdue.join("\n")
    );

    // Every start is one row of job_runs, each succeeded or skipped.
    let conn = desk.sandbox.db();
    let runs = runs(&conn);
    for job in common::schedule::names() {
        let planned = plan.iter().filter(|e| e.job == job).count();
        let recorded: Vec<_> = runs.iter().filter(|r| r.job == job).collect();
        assert_eq!(
            recorded.len(),
            planned,
            "{job}: job_runs rows against starts"
        );
        let bad: Vec<_> = recorded
            .iter()
            .filter(|r| !matches!(r.status.as_str(), "succeeded" | "skipped"))
            .map(|r| format!("{} {}", r.started_at.with_timezone(&IST), r.status))
            .collect();
        assert!(bad.is_empty(), "{job}: {bad:?}");
    }

    // The calendar's days: sessions ran, closed days skipped, the half day stopped at 13:00.
    let on = |job: &str, date: u32, status: &str| {
        runs.iter()
            .filter(|r| r.job == job && r.status == status)
            .filter(|r| r.started_at.with_timezone(&IST).date_naive() == day(date))
            .count()
    };
    assert_eq!(
        on("market-sync", SATURDAY, "skipped"),
        0,
        "the Saturday session is synced"
    );
    assert_eq!(on("market-sync", SATURDAY, "succeeded"), 8);
    assert!(on("alert-scan", SATURDAY, "succeeded") >= 370);
    assert_eq!(on("performance-analytics", SATURDAY, "succeeded"), 1);
    assert_eq!(
        on("alert-scan", HOLIDAY, "succeeded"),
        0,
        "the holiday is skipped"
    );
    assert_eq!(on("market-sync", 22, "succeeded"), 0, "Sunday is skipped");
    let half_day_scans: Vec<_> = runs
        .iter()
        .filter(|r| r.job == "alert-scan" && r.status == "succeeded")
        .map(|r| r.started_at.with_timezone(&IST))
        .filter(|t| t.date_naive() == day(HALF_DAY))
        .collect();
    assert!(
        half_day_scans.iter().all(|t| t.time() <= hm(13, 1)),
        "scans after the half day's close"
    );
    assert!(
        half_day_scans.len() >= 220,
        "{} scans on the half day",
        half_day_scans.len()
    );
    let saturday_bars: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM candles_ist WHERE interval = '1minute' AND ts_ist LIKE ?1",
            [format!("{}%", day(SATURDAY))],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        saturday_bars > 0,
        "no 1-minute bars stored for the Saturday session"
    );
    let catch_ups: Vec<&str> = plan.iter().filter(|e| e.catch_up).map(|e| e.job).collect();
    assert_eq!(
        catch_ups,
        [
            "nse-index-update",
            "corporate-announcements",
            "news-sentiment",
            "db-backup"
        ],
        "the night off missed these timers' elapses"
    );

    // Each notification queued once, delivered once, and no message received twice.
    let (queued, delivered, retried): (i64, i64, i64) = conn
        .query_row(
            "SELECT COUNT(*), COUNT(delivered_at), COALESCE(SUM(attempts > 1), 0) FROM notification_outbox",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let mail = desk.smtp.messages();
    eprintln!(
        "\nnotifications: {queued} queued, {delivered} delivered, {} received",
        mail.len()
    );
    assert_eq!(delivered, queued, "every notification delivered");
    assert_eq!(
        retried, 0,
        "no notification needed a second attempt on loopback"
    );
    assert_eq!(mail.len() as i64, delivered, "one message per notification");
    assert!(
        ledger::repeated(&mail).is_empty(),
        "received twice: {:?}",
        ledger::repeated(&mail)
    );
    for (what, words) in [
        ("an alert", "RELIANCE"),
        ("a news alert", "net loss widens"),
        ("a performance report", "performance"),
    ] {
        assert!(
            mail.iter().any(|m| ledger::reading(m).contains(words)),
            "no {what} was mailed ({words})"
        );
    }

    // Backups: what retention (3 daily, 3 weekly, 1 monthly) keeps of those made.
    for database in DATABASES {
        let on_disk = ledger::backups(&desk.backups(), database);
        assert!(!on_disk.is_empty(), "no backup of {database}");
        let expected_days: Vec<NaiveDate> = ledger::kept(&made[database], 3, 3, 1)
            .iter()
            .map(|t| t.with_timezone(&IST).date_naive())
            .collect();
        let kept_days: Vec<NaiveDate> = on_disk
            .iter()
            .map(|t| t.with_timezone(&IST).date_naive())
            .collect();
        assert_eq!(kept_days, expected_days, "{database}: backups kept by day");
    }
}
