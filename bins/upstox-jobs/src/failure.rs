//! `upstox-jobs notify-failure UNIT`: what `upstox-job-failure@.service` runs when a job's
//! unit fails. It sends the unit's name, result and last journal lines by every configured
//! channel, through the outbox, so a channel that is down gets it on a later run.

use std::process::Command;

use chrono::Utc;
use common::Exit;
use common::config::Config;
use common::http::HttpClient;
use common::notify::{self, Attachments, Notification, Senders, outbox};
use common::shutdown::Shutdown;
use common::text::Shown;
use rusqlite::{Connection, OptionalExtension};
use serde::de::IgnoredAny;

/// Lines of the journal sent with the report.
const JOURNAL_LINES: &str = "50";

/// What systemd says about the failed unit.
#[derive(Debug, Default)]
struct UnitFacts {
    result: String,
    status: String,
    invocation: String,
}

/// The failed run's facts. systemd (251+) passes them to an OnFailure= unit as
/// `$MONITOR_*`, which is exact even when the job has started again since; `systemctl show`
/// (the unit's latest run) fills in what is missing.
fn unit_facts(unit: &str) -> UnitFacts {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let shown = if crate::timers::systemd_running() {
        shown_facts(unit)
    } else {
        UnitFacts::default()
    };
    UnitFacts {
        result: env("MONITOR_SERVICE_RESULT").unwrap_or(shown.result),
        status: env("MONITOR_EXIT_STATUS").unwrap_or(shown.status),
        invocation: env("MONITOR_INVOCATION_ID").unwrap_or(shown.invocation),
    }
}

fn shown_facts(unit: &str) -> UnitFacts {
    let out = Command::new("systemctl")
        .args([
            "show",
            "--property=Result,ExecMainStatus,InvocationID",
            unit,
        ])
        .output();
    let text = match out {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
        _ => return UnitFacts::default(),
    };
    let value = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
            .unwrap_or("")
            .to_string()
    };
    UnitFacts {
        result: value("Result"),
        status: value("ExecMainStatus"),
        invocation: value("InvocationID"),
    }
}

fn journal(unit: &str, invocation: &str) -> String {
    let mut cmd = Command::new("journalctl");
    cmd.args([
        "--no-pager",
        "-o",
        "short-iso",
        "-n",
        JOURNAL_LINES,
        "-u",
        unit,
    ]);
    if !invocation.is_empty() {
        cmd.arg(format!("_SYSTEMD_INVOCATION_ID={invocation}"));
    }
    match cmd.output() {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
        Ok(o) => format!(
            "(journalctl failed: {})",
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Err(e) => format!("(journalctl could not run: {e})"),
    }
}

/// The failed run's row: the one with its invocation id, else the job's latest.
fn last_run(
    conn: &Connection,
    job: &str,
    invocation: &str,
) -> rusqlite::Result<Option<(String, String)>> {
    conn.query_row(
        "SELECT status, COALESCE(error, summary, '') FROM job_runs
         WHERE job = ?1 AND (?2 = '' OR invocation_id = ?2) ORDER BY id DESC LIMIT 1",
        [job, invocation],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()
}

/// Queues and sends the report of `unit`'s failure. A channel that fails leaves the report in
/// the outbox for the next run of any job; only a report that cannot be queued is an error.
pub fn run(config: &Config<IgnoredAny>, conn: &Connection, unit: &str) -> anyhow::Result<Exit> {
    let facts = unit_facts(unit);
    let host = hostname_text();
    let job = unit
        .strip_prefix("upstox-")
        .and_then(|u| u.strip_suffix(".service"));
    let unknown = |v: &str| {
        if v.is_empty() {
            "unknown".to_string()
        } else {
            v.to_string()
        }
    };
    let mut body = format!(
        "Unit: {unit}\nHost: {host}\nResult: {}\nExit status: {}\nWhen: {} IST\n",
        unknown(&facts.result),
        unknown(&facts.status),
        common::calendar::ist_minute(Utc::now()),
    );
    if let Some(job) = job
        && let Some((status, text)) = last_run(conn, job, &facts.invocation)?
    {
        body.push_str(&format!(
            "Last run in job_runs: {status}: {}\n",
            Shown(&text)
        ));
    }
    if !facts.invocation.is_empty() {
        body.push_str(&format!(
            "Everything it logged: journalctl _SYSTEMD_INVOCATION_ID={}\n",
            facts.invocation
        ));
    }
    body.push_str(&format!(
        "\nLast {JOURNAL_LINES} journal lines:\n{}",
        journal(unit, &facts.invocation)
    ));
    let subject = format!(
        "[upstox-jobs] {unit} failed on {host} ({})",
        unknown(&facts.result)
    );
    let http = HttpClient::new(&config.http, Shutdown::never());
    let senders = Senders::new(
        &config.notify,
        common::credentials::systemd_directory().as_deref(),
        &config.credentials,
        &http,
    );
    let channels = senders.channels();
    if channels.is_empty() {
        eprintln!(
            "upstox-jobs: no notification channel is configured, so nobody is told that {unit} failed; \
             set [notify.email] or [notify.telegram] in the configuration"
        );
        return Ok(Exit::Success);
    }
    let key = match facts.invocation.as_str() {
        "" => format!("failure:{unit}:{}", common::runs::timestamp(Utc::now())),
        id => format!("failure:{unit}:{id}"),
    };
    let now = Utc::now();
    let n = Notification {
        key,
        subject,
        body,
        attachments: Attachments::default(),
    };
    outbox::enqueue(conn, &n, &channels, now)?;
    let delivery = notify::deliver_due(conn, &senders, now)?;
    eprintln!(
        "upstox-jobs: failure of {unit}: {} notification(s) sent, {} waiting in the outbox",
        delivery.delivered, delivery.failed
    );
    // Queued is enough: the outbox delivers it on the next run of any job. Only a report that
    // could not be queued fails the unit, whose Restart= then tries again.
    Ok(Exit::Success)
}

fn hostname_text() -> String {
    common::runs::RunIdentity::current("notify-failure").host
}
