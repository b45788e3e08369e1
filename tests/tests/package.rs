//! The .deb `make deb` builds: its contents, maintainer scripts and lintian's verdict.
//! `make test` builds it first.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use testkit::deb::{assert_lintian_clean, output, top};

fn deb() -> PathBuf {
    let path = top().join(format!(
        "target/debian/upstox-jobs_{}_amd64.deb",
        env!("CARGO_PKG_VERSION")
    ));
    assert!(
        path.exists(),
        "{} is missing: run `make deb` (make test does)",
        path.display()
    );
    path
}

/// The package taken apart by `dpkg-deb ACTION` (`-e` its control files, `-x` its files).
fn extracted(action: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    output(
        Command::new("dpkg-deb")
            .arg(action)
            .arg(deb())
            .arg(dir.path()),
    );
    dir
}

fn control_file(name: &str) -> String {
    let dir = extracted("-e");
    std::fs::read_to_string(dir.path().join(name)).unwrap_or_default()
}

fn listing() -> Vec<String> {
    output(Command::new("dpkg-deb").arg("-c").arg(deb()))
        .lines()
        .filter_map(|l| l.split_whitespace().nth(5))
        .map(|p| p.trim_start_matches('.').to_string())
        .collect()
}

/// Every file in systemd/, drop-ins too, by its path there (`upstox-.service.d/10-hardening.conf`).
fn unit_files() -> Vec<String> {
    fn walk(dir: &Path, rel: &str, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = format!("{rel}{}", entry.file_name().to_string_lossy());
            if entry.file_type().unwrap().is_dir() {
                walk(&entry.path(), &format!("{name}/"), out);
            } else {
                out.push(name);
            }
        }
    }
    let mut v = Vec::new();
    walk(&top().join("systemd"), "", &mut v);
    v.sort();
    assert!(
        v.iter().any(|f| f == "upstox-.service.d/10-hardening.conf"),
        "{v:?}"
    );
    v
}

/// The binaries the workspace builds, by the names of their units and man pages: the operator
/// CLI and each job, a job being a service with its timer (the dispatcher's and the API's
/// services run the CLI).
fn binaries() -> Vec<String> {
    let mut v = vec!["upstox-jobs".to_string()];
    for entry in std::fs::read_dir(top().join("systemd")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if let Some(stem) = name.strip_suffix(".service")
            && top().join(format!("systemd/{stem}.timer")).exists()
        {
            v.push(stem.to_string());
        }
    }
    assert_eq!(v.len(), 9, "the CLI and eight jobs: {v:?}");
    v
}

#[test]
fn the_package_holds_every_binary_unit_page_completion_and_the_configuration() {
    let files = listing();
    let has = |path: &str| files.iter().any(|f| f == path);
    for bin in binaries() {
        for path in [
            format!("/usr/bin/{bin}"),
            format!("/usr/share/man/man1/{bin}.1.gz"),
            format!("/usr/share/bash-completion/completions/{bin}"),
            format!("/usr/share/zsh/vendor-completions/_{bin}"),
            format!("/usr/share/fish/vendor_completions.d/{bin}.fish"),
        ] {
            assert!(has(&path), "{path} is not in the package");
        }
    }
    // Drop-in directories included: one asset glob ships all of systemd/.
    for name in unit_files() {
        assert!(
            has(&format!("/usr/lib/systemd/system/{name}")),
            "unit {name} is not in the package"
        );
    }
    for path in [
        "/etc/upstox-jobs/config.toml",
        "/usr/lib/sysusers.d/upstox-jobs.conf",
        "/usr/share/upstox-jobs/nse-holidays.json",
        "/usr/share/doc/upstox-jobs/copyright",
        "/usr/share/doc/upstox-jobs/changelog.gz",
        "/usr/share/doc/upstox-jobs/performance-analytics.md.gz",
    ] {
        assert!(has(path), "{path} is not in the package");
    }
    assert_eq!(
        control_file("conffiles").trim(),
        "/etc/upstox-jobs/config.toml"
    );
    let control = control_file("control");
    assert!(
        control.contains(&format!("Version: {}\n", env!("CARGO_PKG_VERSION"))),
        "{control}"
    );
    assert!(
        control
            .lines()
            .any(|l| l.starts_with("Depends:") && l.contains("systemd")),
        "{control}"
    );
}

#[test]
fn installing_enables_and_starts_timers_but_never_runs_a_job() {
    let postinst = control_file("postinst");
    assert!(
        postinst.contains("systemd-sysusers"),
        "the upstox user is created: {postinst}"
    );
    for bin in binaries().iter().filter(|b| *b != "upstox-jobs") {
        assert!(
            postinst.contains(&format!("deb-systemd-helper enable {bin}.timer")),
            "{bin}.timer enabled"
        );
    }
    assert!(
        postinst.contains("deb-systemd-helper enable upstox-jobs-dispatch.path"),
        "the request dispatcher's path unit is enabled: {postinst}"
    );
    assert!(
        !postinst.contains("upstox-job-failure@"),
        "the failure template is never enabled or started"
    );
    for line in postinst
        .lines()
        .filter(|l| l.contains("deb-systemd-invoke"))
    {
        assert!(
            !line.contains(".service"),
            "a service is started inside dpkg: {line}"
        );
        assert!(
            !line.contains("restart"),
            "an upgrade restarts units: {line}"
        );
    }
    assert!(
        postinst.contains("deb-systemd-invoke start \"$name\""),
        "the timers are started: {postinst}"
    );
    let prerm = control_file("prerm");
    assert!(!prerm.contains("restart"), "{prerm}");
    assert!(
        prerm.contains("\"$1\" = remove"),
        "units stop on remove only, not on upgrade: {prerm}"
    );
    let postrm = control_file("postrm");
    assert!(
        postrm.contains(
            "find /var/lib/upstox-jobs -mindepth 1 -maxdepth 1 ! -name backups -exec rm -rf {} +"
        ),
        "purge removes the state but the backups: {postrm}"
    );
    assert!(
        postrm.contains("[ \"$1\" = \"remove\" ] || [ \"$1\" = \"purge\" ]")
            && postrm.contains("rm -f /var/lib/systemd/timers/stamp-upstox-*.timer"),
        "remove clears the timer stamps, or a reinstall runs a job inside dpkg: {postrm}"
    );
}

#[test]
fn lintian_reports_no_errors_and_no_warnings() {
    assert_lintian_clean(&deb());
}

/// The units as the package installs them are the ones in systemd/, byte for byte, and the
/// shared sandbox in upstox-.service.d/ reaches every installed service: read from the
/// unpacked package, as systemd would read it from /usr/lib/systemd/system.
#[test]
fn the_installed_services_get_the_shared_sandbox() {
    // The package's files, unpacked as dpkg installs them.
    let root = extracted("-x");
    let unit_dir = root.path().join("usr/lib/systemd/system");
    for name in unit_files() {
        let installed = unit_dir.join(&name);
        let mode = std::fs::metadata(&installed)
            .unwrap_or_else(|e| panic!("{}: {e}", installed.display()))
            .permissions()
            .mode();
        assert_eq!(mode & 0o7777, 0o644, "{name}");
        assert_eq!(
            std::fs::read(&installed).unwrap(),
            std::fs::read(top().join("systemd").join(&name)).unwrap(),
            "{name} differs from systemd/{name}"
        );
    }
    let services: Vec<String> = std::fs::read_dir(&unit_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".service"))
        .collect();
    assert!(services.len() >= 4, "{services:?}");
    for service in services {
        // --root reads the units from the unpacked tree's /usr/lib/systemd/system, drop-ins
        // included; --threshold is in tenths. 9.2 without the drop-in; 1.2 with it, 1.5 for
        // the failure reporter, which keeps PrivateUsers= off: where they were before.
        let threshold = if service.contains('@') { 15 } else { 12 };
        let out = output(
            Command::new("systemd-analyze")
                .args(["security", "--offline=yes", "--no-pager"])
                .arg(format!("--threshold={threshold}"))
                .arg(format!("--root={}", root.path().display()))
                .arg(&service),
        );
        assert!(out.contains("Overall exposure level"), "{service}: {out}");
    }
    for script in ["preinst", "postinst", "prerm", "postrm"] {
        let body = control_file(script);
        assert!(
            !body.contains(".service.d") && !body.contains("hardening"),
            "{script} acts on a drop-in: {body}"
        );
    }
}

#[test]
fn the_installed_readme_names_only_what_the_package_ships() {
    let files = listing();
    let has = |path: &str| files.iter().any(|f| f == path);
    // README.md is about the source tree (make, tests/, ../shared): not for /usr/share/doc.
    assert!(has("/usr/share/doc/upstox-jobs/README.Debian"));
    assert!(!has("/usr/share/doc/upstox-jobs/README.md"));
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("packaging/README.Debian")).unwrap();
    // A file the maintainer scripts make at install (the API's token) counts as shipped.
    let postinst = control_file("postinst");
    let mut checked = 0;
    for word in readme.split_whitespace() {
        let word = word.trim_end_matches([',', '.', ')']);
        if (word.starts_with("/usr/") || word.starts_with("/etc/")) && !word.contains('*') {
            assert!(
                has(word) || postinst.contains(word),
                "README.Debian names {word}, which the package lacks"
            );
            checked += 1;
        }
        if let Some(page) = word
            .strip_prefix("upstox-")
            .filter(|_| readme.contains(&format!("man {word}")))
        {
            let path = format!("/usr/share/man/man1/upstox-{page}.1.gz");
            assert!(has(&path), "README.Debian names man {word}: no {path}");
            checked += 1;
        }
    }
    assert!(checked >= 4, "{checked} paths checked");
}
