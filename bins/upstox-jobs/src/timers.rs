//! The next run of each job, from its systemd timer (`systemctl show`).

use std::path::Path;
use std::process::Command;

use chrono::{DateTime, Utc};

use common::calendar::ist_minute;

/// What the timer says about the next run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextRun {
    /// The timer fires then.
    At(DateTime<Utc>),
    /// The timer exists but is not active (stopped or disabled).
    Inactive,
    /// No such timer is installed (the job is not installed, or run only by hand).
    NotInstalled,
    /// systemd is not this machine's init: no timers to ask.
    NoSystemd,
    /// systemctl could not be asked.
    Unknown(String),
}

impl NextRun {
    /// The table cell.
    pub fn describe(&self) -> String {
        match self {
            NextRun::At(t) => ist_minute(*t),
            NextRun::Inactive => "timer inactive".to_string(),
            NextRun::NotInstalled => "no timer".to_string(),
            NextRun::NoSystemd => "-".to_string(),
            NextRun::Unknown(why) => format!("unknown ({why})"),
        }
    }
}

/// Whether systemd runs this machine (sd_booted(3)'s test).
pub fn systemd_running() -> bool {
    Path::new("/run/systemd/system").is_dir()
}

/// Asks systemd about `upstox-<job>.timer`.
pub fn next_run(job: &str) -> NextRun {
    let unit = format!("upstox-{job}.timer");
    // systemd 252 prints this property as a date whatever --timestamp says: in UTC with TZ=UTC.
    let output = Command::new("systemctl")
        .args([
            "show",
            "--property=LoadState,ActiveState,NextElapseUSecRealtime",
            &unit,
        ])
        .env("TZ", "UTC")
        .output();
    let output = match output {
        Ok(o) if o.status.success() => o,
        Ok(o) => return NextRun::Unknown(String::from_utf8_lossy(&o.stderr).trim().to_string()),
        Err(e) => return NextRun::Unknown(format!("systemctl: {e}")),
    };
    parse_show(&String::from_utf8_lossy(&output.stdout))
}

fn parse_show(text: &str) -> NextRun {
    let value = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
            .unwrap_or("")
            .trim()
    };
    if value("LoadState") == "not-found" {
        return NextRun::NotInstalled;
    }
    if value("ActiveState") != "active" {
        return NextRun::Inactive;
    }
    let next = value("NextElapseUSecRealtime");
    let at = match next.strip_prefix('@') {
        Some(secs) => secs
            .parse::<i64>()
            .ok()
            .and_then(|s| DateTime::from_timestamp(s, 0)),
        None => chrono::NaiveDateTime::parse_from_str(next, "%a %Y-%m-%d %H:%M:%S UTC")
            .ok()
            .map(|t| t.and_utc()),
    };
    at.map_or_else(
        || NextRun::Unknown(format!("NextElapseUSecRealtime={next}")),
        NextRun::At,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_systemctl_show_output() {
        assert_eq!(
            parse_show(
                "LoadState=loaded\nActiveState=active\nNextElapseUSecRealtime=@1795370400\n"
            ),
            NextRun::At(DateTime::from_timestamp(1_795_370_400, 0).unwrap())
        );
        assert_eq!(
            parse_show("LoadState=not-found\nActiveState=inactive\nNextElapseUSecRealtime=\n"),
            NextRun::NotInstalled
        );
        assert_eq!(
            parse_show("LoadState=loaded\nActiveState=inactive\nNextElapseUSecRealtime=\n"),
            NextRun::Inactive
        );
        assert!(matches!(
            parse_show("LoadState=loaded\nActiveState=active\nNextElapseUSecRealtime=n/a\n"),
            NextRun::Unknown(_)
        ));
        assert_eq!(
            parse_show(
                "LoadState=loaded\nActiveState=active\nNextElapseUSecRealtime=Sun 2026-11-22 18:04:42 UTC\n"
            ),
            NextRun::At(
                DateTime::parse_from_rfc3339("2026-11-22T18:04:42Z")
                    .unwrap()
                    .to_utc()
            )
        );
    }
}
