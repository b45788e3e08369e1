//! The shipped systemd units, checked by systemd's own tools: `systemd-analyze verify`,
//! `calendar` and `security --offline=yes`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn systemd_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../systemd")
}

fn units(suffix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(systemd_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == suffix))
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no .{suffix} units in systemd/");
    v
}

fn text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// The values of `key=` in a unit file.
fn values(unit: &str, key: &str) -> Vec<String> {
    unit.lines()
        .filter_map(|l| l.trim().strip_prefix(&format!("{key}=")))
        .map(|v| v.trim().to_string())
        .collect()
}

fn run(cmd: &mut Command) -> (bool, String, String) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e} (is systemd installed? .ci/run installs it)"));
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The units as installed would see them: ExecStart pointing at the built binaries, and the
/// man pages their Documentation= names rendered from the clap definitions.
fn staged() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let bin_dir = testkit::binary::binary("upstox-nse-index-update")
        .parent()
        .unwrap()
        .to_path_buf();
    for unit in units("service").into_iter().chain(units("timer")) {
        let body = text(&unit).replace("/usr/bin/", &format!("{}/", bin_dir.display()));
        std::fs::write(dir.path().join(unit.file_name().unwrap()), body).unwrap();
    }
    testkit::binary::generate_docs(&dir.path().join("man"));
    dir
}

#[test]
fn every_unit_passes_systemd_analyze_verify() {
    let dir = staged();
    let files: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    let (ok, stdout, stderr) = run(Command::new("systemd-analyze")
        .arg("verify")
        .args(&files)
        .env("MANPATH", dir.path().join("man"))
        .current_dir(dir.path()));
    assert!(ok, "{stdout}{stderr}");
    assert_eq!(stderr.trim(), "", "verify warned");
}

/// (timer, base time, the next elapses systemd computes, in UTC).
const SCHEDULES: &[(&str, &str, &[&str])] = &[
    (
        "upstox-nse-index-update.timer",
        "2026-11-22 12:00 UTC",
        &["Sun 2026-11-22 18:00:00 UTC", "Mon 2026-11-23 18:00:00 UTC"],
    ),
    // From Friday 13:30 IST, each OnCalendar= in turn: the hourly runs (14:15, 15:15, then
    // Monday's 09:15 open) and the after-close run (Friday, Monday, Tuesday 15:45).
    (
        "upstox-market-sync.timer",
        "2026-11-20 08:00 UTC",
        &[
            "Fri 2026-11-20 08:45:00 UTC",
            "Fri 2026-11-20 09:45:00 UTC",
            "Mon 2026-11-23 03:45:00 UTC",
            "Fri 2026-11-20 10:15:00 UTC",
            "Mon 2026-11-23 10:15:00 UTC",
            "Tue 2026-11-24 10:15:00 UTC",
        ],
    ),
    // From Friday 15:29 IST, two minutes of each OnCalendar= in turn: 09:15 and 09:16 on
    // Monday (the open), 10:00 and 10:01 on Monday, and 15:29 and 15:30 on Friday (the close).
    (
        "upstox-alert-scan.timer",
        "2026-11-20 09:58:30 UTC",
        &[
            "Mon 2026-11-23 03:45:00 UTC",
            "Mon 2026-11-23 03:46:00 UTC",
            "Mon 2026-11-23 04:30:00 UTC",
            "Mon 2026-11-23 04:31:00 UTC",
            "Fri 2026-11-20 09:59:00 UTC",
            "Fri 2026-11-20 10:00:00 UTC",
        ],
    ),
];

#[test]
fn timers_fire_at_the_documented_ist_times() {
    for timer in units("timer") {
        let name = timer.file_name().unwrap().to_string_lossy().to_string();
        let (_, base, expected) = SCHEDULES
            .iter()
            .find(|(t, _, _)| *t == name)
            .unwrap_or_else(|| panic!("{name}: add its expected schedule to SCHEDULES"));
        let calendars = values(&text(&timer), "OnCalendar");
        assert!(!calendars.is_empty(), "{name}: no OnCalendar=");
        for spec in &calendars {
            assert!(
                spec.ends_with("Asia/Kolkata"),
                "{name}: `{spec}` must name Asia/Kolkata"
            );
        }
        let (ok, stdout, stderr) = run(Command::new("systemd-analyze")
            .arg("calendar")
            .arg(format!("--iterations={}", expected.len() / calendars.len()))
            .arg(format!("--base-time={base}"))
            .args(&calendars)
            .env("TZ", "UTC"));
        assert!(ok, "{name}: {stdout}{stderr}");
        let elapses: Vec<&str> = stdout
            .lines()
            .filter_map(|l| l.split_once(": ").map(|(k, v)| (k.trim(), v.trim())))
            .filter(|(k, _)| *k == "Next elapse" || k.starts_with("Iter."))
            .map(|(_, v)| v)
            .collect();
        assert_eq!(&elapses, expected, "{name}: {stdout}");
    }
}

#[test]
fn timers_are_persistent_and_installed_into_timers_target() {
    for timer in units("timer") {
        let body = text(&timer);
        assert_eq!(
            values(&body, "Persistent"),
            vec!["true"],
            "{}",
            timer.display()
        );
        assert_eq!(
            values(&body, "WantedBy"),
            vec!["timers.target"],
            "{}",
            timer.display()
        );
        assert!(
            values(&body, "Requires").is_empty(),
            "a timer's Requires= runs the job at boot"
        );
        let service = timer.with_extension("service");
        assert!(service.exists(), "{} has no service", timer.display());
    }
}

fn seconds(value: &str) -> u64 {
    let (n, unit) = value.split_at(
        value
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(value.len()),
    );
    let n: u64 = n.parse().unwrap();
    n * match unit {
        "" | "s" => 1,
        "min" => 60,
        "h" => 3600,
        other => panic!("unit {other}"),
    }
}

#[test]
fn services_are_oneshots_with_a_start_timeout_below_their_period_and_no_install() {
    // The shortest time between two runs of each job.
    let periods = [
        ("upstox-nse-index-update.service", 24 * 3600),
        ("upstox-market-sync.service", 3600),
        ("upstox-alert-scan.service", 60),
    ];
    for service in units("service") {
        let body = text(&service);
        let name = service.file_name().unwrap().to_string_lossy().to_string();
        assert_eq!(values(&body, "Type"), vec!["oneshot"], "{name}");
        assert!(
            !body.lines().any(|l| l.trim() == "[Install]"),
            "{name}: the timer starts it; a service must not be enabled"
        );
        let timeout = values(&body, "TimeoutStartSec");
        assert_eq!(timeout.len(), 1, "{name}: a oneshot needs TimeoutStartSec=");
        if name.contains('@') {
            // The failure reporter: started by OnFailure=, not by a timer.
            continue;
        }
        let (_, period) = periods
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("{name}: add its period"));
        assert!(
            seconds(&timeout[0]) < *period,
            "{name}: TimeoutStartSec={} is not below its period",
            timeout[0]
        );
        assert_eq!(
            values(&body, "StateDirectory"),
            vec!["upstox-jobs"],
            "{name}"
        );
    }
}

#[test]
fn services_are_sandboxed_to_an_exposure_of_2_or_less() {
    let dir = staged();
    for service in units("service") {
        let file = dir.path().join(service.file_name().unwrap());
        let (_, stdout, stderr) = run(Command::new("systemd-analyze")
            .args(["security", "--offline=yes", "--no-pager"])
            .arg(&file)
            .current_dir(dir.path()));
        let line = stdout
            .lines()
            .chain(stderr.lines())
            .find(|l| l.contains("Overall exposure level"))
            .unwrap_or_else(|| {
                panic!("{}: no exposure level in\n{stdout}{stderr}", file.display())
            });
        let score: f64 = line
            .split(": ")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("cannot read `{line}`"));
        assert!(score <= 2.0, "{}: exposure {score}", file.display());
    }
}

#[test]
fn every_job_reports_its_failure_through_the_failure_unit() {
    let failure = systemd_dir().join("upstox-job-failure@.service");
    let body = text(&failure);
    assert_eq!(
        values(&body, "ExecStart"),
        vec!["/usr/bin/upstox-jobs notify-failure %i"]
    );
    assert!(
        !values(&body, "SupplementaryGroups").is_empty(),
        "it reads the journal"
    );
    assert!(
        values(&body, "OnFailure").is_empty(),
        "a failing reporter must not report itself"
    );
    for service in units("service")
        .into_iter()
        .filter(|s| !s.to_string_lossy().contains('@'))
    {
        assert_eq!(
            values(&text(&service), "OnFailure"),
            vec!["upstox-job-failure@%n.service"],
            "{}",
            service.display()
        );
    }
}
