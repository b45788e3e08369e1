use super::*;

#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
struct Demo {
    indices: Vec<String>,
}

fn parse_demo(text: &str) -> Result<Config<Demo>, ConfigError> {
    parse(
        text,
        Path::new("/etc/upstox-jobs/config.toml"),
        "nse-index-update",
    )
}

#[test]
fn empty_file_gives_defaults() {
    let config = parse_demo("").unwrap();
    assert_eq!(config.http.retries, 4);
    assert_eq!(config.job, Demo::default());
}

#[test]
fn reads_the_jobs_own_table_and_ignores_other_jobs_tables() {
    let config = parse_demo(
        "[http]\nretries = 1\n[jobs.nse-index-update]\nindices = [\"NIFTY50\"]\n[jobs.market-sync]\nwhatever = 1\n",
    )
    .unwrap();
    assert_eq!(config.http.retries, 1);
    assert_eq!(config.job.indices, vec!["NIFTY50"]);
}

#[test]
fn unknown_common_key_names_file_line_and_key() {
    let err = parse_demo("[http]\nretries = 1\nretry = 2\n").unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("/etc/upstox-jobs/config.toml: line 3:"),
        "{text}"
    );
    assert!(text.contains("unknown field `retry`"), "{text}");
    assert!(!text.contains('\n'));
}

#[test]
fn unknown_job_key_names_the_line_table_and_key() {
    let err =
        parse_demo("[http]\nretries = 1\n\n[jobs.nse-index-update]\nindexes = []\n").unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with(
            "/etc/upstox-jobs/config.toml: line 5: [jobs.nse-index-update] indexes: unknown field `indexes`"
        ),
        "{text}"
    );
    let err = parse_demo("[jobs.nse-index-update]\n\nindices = 3\n").unwrap_err();
    assert!(
        err.to_string()
            .contains("line 3: [jobs.nse-index-update] indices: invalid type: integer `3`"),
        "{err}"
    );
}

#[test]
fn unknown_job_name_is_an_error() {
    let err = parse_demo("[jobs.nse-index-updte]\n").unwrap_err();
    assert!(
        err.to_string()
            .contains("unknown table [jobs.nse-index-updte]")
    );
}

#[test]
fn wrong_type_is_an_error() {
    let err = parse_demo("[http]\nretries = \"many\"\n").unwrap_err();
    assert!(err.to_string().contains("line 2"), "{err}");
}

#[test]
fn numbers_out_of_range_are_rejected_naming_the_key() {
    for (text, key) in [
        (
            "[http]\nbackoff_max_secs = 1e300\n",
            "[http] backoff_max_secs",
        ),
        ("[http]\ntimeout_secs = -5\n", "[http] timeout_secs"),
        (
            "[http]\nrequests_per_second = nan\n",
            "[http] requests_per_second",
        ),
        (
            "[database]\nbusy_timeout_secs = -1\n",
            "[database] busy_timeout_secs",
        ),
        ("[http]\nmax_body_mib = 0\n", "[http] max_body_mib"),
        (
            "[providers.upstox]\ninstruments_max_mib = 0\n",
            "[providers.upstox] instruments_max_mib",
        ),
    ] {
        let err = parse_demo(text).unwrap_err().to_string();
        assert!(
            err.contains(&format!("{key} = ")) && err.contains("out of range"),
            "{text}: {err}"
        );
    }
}

#[test]
fn notification_channels_and_pings_are_read_and_checked() {
    let config = parse_demo(
        "[notify.email]\nhost = \"smtp.example.org\"\nfrom = \"jobs@example.org\"\nto = [\"desk@example.org\"]\n\
         [notify.telegram]\nchat_id = \"-100123\"\n[pings]\nnse-index-update = \"https://hc-ping.com/abc\"\n",
    )
    .unwrap();
    let email = config.notify.email.unwrap();
    assert_eq!(
        (email.port(), email.security),
        (587, SmtpSecurity::Starttls)
    );
    assert_eq!(
        config.notify.telegram.unwrap().api_base,
        "https://api.telegram.org"
    );
    assert_eq!(config.pings["nse-index-update"], "https://hc-ping.com/abc");
    let err = parse_demo("[pings]\nnse-index-updat = \"https://x\"\n").unwrap_err();
    assert!(
        err.to_string()
            .contains("[pings] `nse-index-updat` is not a job"),
        "{err}"
    );
    let err = parse_demo("[notify.email]\nhost = \"h\"\nfrom = \"f@x\"\nto = []\n").unwrap_err();
    assert!(err.to_string().contains("to is empty"), "{err}");
    let err = parse_demo(
        "[notify.email]\nhost = \"h\"\nfrom = \"f@x\"\nto = [\"a@x\"]\nsecurity = \"ssl\"\n",
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("line 5: [notify.email] security: unknown variant `ssl`"),
        "{err}"
    );
}

#[test]
fn providers_are_one_table_for_every_job() {
    let text = "[providers.upstox]\nbase_url = \"http://127.0.0.1:1\"\nlimits = [{ requests = 5, per_secs = 1.0 }]\n";
    for job in ["market-sync", "alert-scan"] {
        let config: Config<toml::Table> =
            parse(text, Path::new("/etc/upstox-jobs/config.toml"), job).unwrap();
        assert_eq!(config.providers.upstox.base_url, "http://127.0.0.1:1");
        assert_eq!(config.providers.upstox.limits.len(), 1);
        assert_eq!(
            config.providers.yahoo.base_url,
            "https://query1.finance.yahoo.com"
        );
        assert!(config.deprecated.is_empty());
    }
    let err = parse_demo("[providers.upstox]\nlimits = [{ requests = 0, per_secs = 1.0 }]\n")
        .unwrap_err();
    assert!(
        err.to_string().contains("[providers.upstox] limits"),
        "{err}"
    );
    let err = parse_demo("[providers.yahoo]\nbase_url = \"ftp://x\"\n").unwrap_err();
    assert!(
        err.to_string().contains("[providers.yahoo] base_url"),
        "{err}"
    );
    let err = parse_demo("[providers.bloomberg]\n").unwrap_err();
    assert!(
        err.to_string().contains("unknown field `bloomberg`"),
        "{err}"
    );
}

#[test]
fn a_providers_old_table_under_its_job_still_works_with_a_warning_naming_the_new_one() {
    let file = Path::new("/etc/upstox-jobs/config.toml");
    let text = "[jobs.market-sync]\nsource = \"yahoo\"\n[jobs.market-sync.yahoo]\nbase_url = \"http://127.0.0.1:2\"\n\
                [jobs.alert-scan.upstox]\nbase_url = \"http://127.0.0.1:3\"\n";
    let sync: Config<toml::Table> = parse(text, file, "market-sync").unwrap();
    assert_eq!(sync.providers.yahoo.base_url, "http://127.0.0.1:2");
    assert_eq!(
        sync.job.get("source").and_then(|v| v.as_str()),
        Some("yahoo")
    );
    assert!(
        !sync.job.contains_key("yahoo"),
        "the old table is not the job's"
    );
    assert_eq!(sync.deprecated.len(), 1);
    assert!(
        sync.deprecated[0].contains("[jobs.market-sync.yahoo] is deprecated")
            && sync.deprecated[0].contains("rename it to [providers.yahoo]"),
        "{:?}",
        sync.deprecated
    );
    // Each job reads its own old table, as it did.
    assert_eq!(sync.providers.upstox.base_url, "https://api.upstox.com");
    let alerts: Config<toml::Table> = parse(text, file, "alert-scan").unwrap();
    assert_eq!(alerts.providers.upstox.base_url, "http://127.0.0.1:3");
    assert_eq!(
        alerts.providers.yahoo.base_url,
        "https://query1.finance.yahoo.com"
    );
    let both = "[providers.upstox]\n[jobs.alert-scan.upstox]\nbase_url = \"http://127.0.0.1:3\"\n";
    let err = parse::<toml::Table>(both, file, "alert-scan").unwrap_err();
    assert!(
        err.to_string()
            .contains("[jobs.alert-scan.upstox] and [providers.upstox] are both set"),
        "{err}"
    );
    let zero = "[jobs.alert-scan.upstox]\nlimits = [{ requests = 0, per_secs = 1.0 }]\n";
    let err = parse::<toml::Table>(zero, file, "alert-scan").unwrap_err();
    assert!(
        err.to_string()
            .contains("[jobs.alert-scan.upstox] limits: "),
        "the key the file has: {err}"
    );
    let bad = "[jobs.alert-scan.upstox]\nbase_url = 3\n";
    let err = parse::<toml::Table>(bad, file, "alert-scan").unwrap_err();
    assert!(
        err.to_string()
            .contains("line 2: [jobs.alert-scan.upstox] base_url: invalid type: integer `3`"),
        "{err}"
    );
}

#[test]
fn a_rate_just_above_zero_is_rejected_not_a_panic_later() {
    for text in [
        "[http]\nrequests_per_second = 1e-300\n",
        "[http.hosts.\"example.org\"]\nrequests_per_second = 1e-300\n",
    ] {
        let err = parse_demo(text).unwrap_err().to_string();
        assert!(
            err.contains("requests_per_second = 1e-300 is out of range: use a number from 0.001"),
            "{err}"
        );
    }
}

#[test]
fn zero_rate_is_rejected() {
    let err = parse_demo("[http.hosts.\"example.org\"]\nrequests_per_second = 0\n").unwrap_err();
    assert!(err.to_string().contains("example.org"), "{err}");
}

#[test]
fn missing_default_file_serves_defaults_but_missing_named_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let absent = dir.path().join("config.toml");
    let config: Config<Demo> =
        load(&ConfigPath::Default(absent.clone()), "nse-index-update").unwrap();
    assert!(config.file.is_none());
    let err = load::<Demo>(&ConfigPath::Explicit(absent), "nse-index-update").unwrap_err();
    assert!(err.to_string().contains("cannot read"), "{err}");
}

#[test]
fn every_job_reads_its_deadline_from_its_own_table_else_the_catalogues() {
    let config = parse_demo("").unwrap();
    assert_eq!(config.deadline_secs("nse-index-update"), 1500.0);
    let config = parse_demo(
        "[jobs.nse-index-update]\ndeadline_secs = 90\nindices = [\"NIFTY50\"]\n[jobs.market-sync]\ndeadline_secs = 5\n",
    )
    .unwrap();
    assert_eq!(config.deadline_secs("nse-index-update"), 90.0);
    assert_eq!(config.job.indices, vec!["NIFTY50"]);
    for bad in ["0", "-3", "0.5", "1e-300", "inf", "100000", "\"soon\""] {
        let err = parse_demo(&format!("[jobs.nse-index-update]\ndeadline_secs = {bad}\n"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("[jobs.nse-index-update] deadline_secs")
                && err.contains("below the unit's TimeoutStartSec"),
            "{bad}: {err}"
        );
    }
}

#[test]
fn the_backup_directory_is_read_and_must_be_absolute() {
    let config = parse_demo("[backups]\ndir = \"/mnt/usb/backups\"\n").unwrap();
    assert_eq!(
        config.backups.dir(Path::new("/var/lib/upstox-jobs")),
        PathBuf::from("/mnt/usb/backups")
    );
    let unset = parse_demo("").unwrap();
    assert_eq!(
        unset.backups.dir(Path::new("/var/lib/upstox-jobs")),
        PathBuf::from("/var/lib/upstox-jobs/backups")
    );
    let err = parse_demo("[backups]\ndir = \"backups\"\n").unwrap_err();
    assert!(
        err.to_string().starts_with(
            "/etc/upstox-jobs/config.toml: [backups] dir = \"backups\" is not an absolute path"
        ),
        "{err}"
    );
}
