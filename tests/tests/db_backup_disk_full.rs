//! A backup directory without room for the backup (a 1 MiB tmpfs, mounted in a user and mount
//! namespace of its own): refused before copying, exit 73, saying how much is needed and free.

use testkit::backups::{config, fill};
use testkit::binary::{Sandbox, binary};
use testkit::namespace;
use testkit::run::job_runs;

#[test]
fn a_backup_directory_too_small_is_refused_with_73_and_both_sizes() {
    if let Err(why) = namespace::available() {
        println!("skipped: {why}");
        return;
    }
    let sandbox = Sandbox::new("");
    let backups = sandbox.path().join("backups");
    sandbox.write_config(&format!(
        "[backups]\ndir = \"{}\"\n{}",
        backups.display(),
        config("")
    ));
    std::fs::create_dir_all(sandbox.data_dir()).unwrap();
    std::fs::create_dir_all(&backups).unwrap();
    fill(&sandbox.data_dir().join("desk.db"), 4_000, 500);
    let log = sandbox.path().join("stderr");
    let script = format!(
        "mount -t tmpfs -o size=1m tmpfs '{b}' && '{bin}' --config '{c}' --data-dir '{d}' \
         --log-format text 2>'{log}'; echo $? > '{log}.code'; ls -A '{b}' > '{log}.files'",
        b = backups.display(),
        bin = binary("upstox-db-backup").display(),
        c = sandbox.path().join("config.toml").display(),
        d = sandbox.data_dir().display(),
        log = log.display(),
    );
    let done = namespace::unshare(&script).output().unwrap();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let read = |suffix: &str| {
        std::fs::read_to_string(format!("{}{suffix}", log.display())).unwrap_or_default()
    };
    let stderr = read("");
    // Both databases fail their unit with 73: the run exits 73.
    assert_eq!(read(".code").trim(), "73", "{stderr}");
    assert!(
        stderr.contains("not enough space in ")
            && stderr.contains("needs ")
            && stderr.contains(" free and ")
            && stderr.contains(" is; free some space there"),
        "{stderr}"
    );
    assert_eq!(
        read(".files").trim(),
        "",
        "nothing written in the backup directory"
    );
    let runs = job_runs(&sandbox.db());
    let last = runs.last().unwrap();
    assert_eq!(last.outline(), ("failed", 0, 2, Some(73)), "{last:?}");
}
