//! The shape every job keeps: no job is another job's library, every binary documents the
//! same exit codes the harness returns, and renders its own man page and completions.

use std::path::Path;
use std::process::Command;

use common::Exit;
use testkit::binary::{binary, generate_docs, shipped_binaries};

/// `(crate, its path dependencies)` of every workspace member under `bins/`.
fn job_crates() -> Vec<(String, Vec<String>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(&root)
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let bins = root.join("bins").canonicalize().unwrap();
    let under_bins = |path: &str| Path::new(path).starts_with(&bins);
    meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter(|p| under_bins(p["manifest_path"].as_str().unwrap()))
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["path"].as_str().is_some_and(under_bins))
                .map(|d| d["name"].as_str().unwrap().to_string())
                .collect();
            (p["name"].as_str().unwrap().to_string(), deps)
        })
        .collect()
}

#[test]
fn no_crate_under_bins_depends_on_another() {
    let crates = job_crates();
    assert!(crates.len() >= 4, "{crates:?}");
    for (name, deps) in &crates {
        assert!(
            deps.is_empty(),
            "{name} depends on {deps:?}: what two jobs share belongs in common"
        );
    }
}

/// The "Exit status:" block of `bin --help`: (code, meaning) per line.
fn exit_table(bin: &str) -> Vec<(u8, String)> {
    let out = Command::new(binary(bin)).arg("--help").output().unwrap();
    assert!(out.status.success(), "{bin} --help");
    let help = String::from_utf8_lossy(&out.stdout).into_owned();
    let (_, table) = help
        .split_once("Exit status:\n")
        .unwrap_or_else(|| panic!("{bin} --help has no exit table:\n{help}"));
    let mut rows: Vec<(u8, String)> = Vec::new();
    for line in table.lines().take_while(|l| l.starts_with("  ")) {
        let (first, rest) = line.trim().split_once(' ').unwrap_or((line.trim(), ""));
        match first.parse() {
            Ok(code) => rows.push((code, rest.trim().to_string())),
            // A line clap wrapped: the table must fit the terminal.
            Err(_) => panic!("{bin} --help wraps its exit table at {line:?}"),
        }
    }
    rows
}

#[test]
fn every_jobs_help_lists_exactly_the_exit_codes_the_harness_returns() {
    let expected: Vec<(u8, String)> = Exit::ALL
        .iter()
        .map(|e| (e.code(), e.meaning().to_string()))
        .collect();
    let jobs: Vec<String> = shipped_binaries()
        .into_iter()
        .filter(|b| b != "upstox-jobs")
        .collect();
    assert!(jobs.len() >= 3, "{jobs:?}");
    for bin in &jobs {
        assert_eq!(exit_table(bin), expected, "{bin}");
    }
    let operator = exit_table("upstox-jobs");
    let mut codes: Vec<u8> = operator.iter().map(|(c, _)| *c).collect();
    codes.dedup();
    assert_eq!(codes.len(), operator.len(), "a code twice: {operator:?}");
    assert!(codes.windows(2).all(|w| w[0] < w[1]), "{operator:?}");
    assert!(
        codes.iter().all(|&c| Exit::from_code(c).is_some()),
        "{operator:?}"
    );
}

#[test]
fn every_binary_renders_its_own_page_with_an_exit_status_section_and_completions() {
    let dir = tempfile::tempdir().unwrap();
    generate_docs(dir.path());
    for name in shipped_binaries() {
        let page = std::fs::read_to_string(dir.path().join(format!("man1/{name}.1"))).unwrap();
        assert!(page.starts_with(".ie \\n(.g .ds Aq"), "{name}: a roff page");
        assert!(page.contains(".SH NAME"), "{name}");
        let section = page
            .split(".SH \"EXIT STATUS\"")
            .nth(1)
            .unwrap_or_else(|| panic!("{name}: no EXIT STATUS section"));
        assert!(section.contains(".TP\n\\fB0\\fR\n"), "{name}: {section}");
        let bash = std::fs::read_to_string(dir.path().join(format!("bash/{name}"))).unwrap();
        assert!(
            bash.contains(&format!("complete -F _{}", name.replace('-', "__"))),
            "{name}: {bash:.200}"
        );
        assert!(dir.path().join(format!("zsh/_{name}")).exists(), "{name}");
        assert!(
            dir.path().join(format!("fish/{name}.fish")).exists(),
            "{name}"
        );
    }
    let sync = std::fs::read_to_string(dir.path().join("man1/upstox-market-sync.1")).unwrap();
    assert!(
        sync.contains("SIGTERM (systemd stopping the unit)"),
        "the harness's codes"
    );
    assert!(
        sync.contains("[\\-\\-config PATH]"),
        "SYNOPSIS shows option arguments"
    );
    // Every page a SUBCOMMANDS section names is shipped beside it.
    let mut named = 0;
    for entry in std::fs::read_dir(dir.path().join("man1")).unwrap() {
        let page = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let Some(section) = page.split(".SH SUBCOMMANDS").nth(1) else {
            continue;
        };
        let section = section.split("\n.SH ").next().unwrap();
        for line in section.lines().filter(|l| l.ends_with("(1)")) {
            let name = line.trim_end_matches("(1)").replace("\\-", "-");
            assert!(
                dir.path().join(format!("man1/{name}.1")).exists(),
                "{line} is named but has no page"
            );
            named += 1;
        }
    }
    assert!(named >= 10, "{named} subcommand pages");
}

#[test]
fn every_job_crate_is_wired_in_everywhere_a_new_job_must_be() {
    // README "Adding a job" lists these places; this is the check that one was not missed.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap();
    let assets = read("bins/upstox-jobs/Cargo.toml");
    let shipped_config = read("packaging/config.toml");
    for bin in shipped_binaries() {
        assert!(
            assets.contains(&format!(
                "[\"target/release/{bin}\", \"usr/bin/\", \"755\"]"
            )),
            "{bin} is not in the package's assets (bins/upstox-jobs/Cargo.toml)"
        );
        let Some(job) = bin.strip_prefix("upstox-").filter(|j| *j != "jobs") else {
            continue;
        };
        assert!(
            common::schedule::of(job).is_some(),
            "{job} has no line in common::schedule::CATALOGUE"
        );
        for unit in ["service", "timer"] {
            let path = root.join(format!("systemd/{bin}.{unit}"));
            assert!(path.exists(), "{} is missing", path.display());
        }
        assert!(
            shipped_config.contains(&format!("\n[jobs.{job}]\n")),
            "packaging/config.toml does not document [jobs.{job}]"
        );
    }
}

#[test]
fn no_binary_links_openssl() {
    // HTTP and email both speak rustls: OpenSSL would be two more libraries and ~4,000
    // symbols for the loader to bind at every start, for nothing.
    for name in shipped_binaries() {
        let out = Command::new("ldd")
            .arg(binary(&name))
            .output()
            .expect("ldd runs");
        let needed = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{name}: {needed}");
        assert!(needed.contains("libc.so"), "{name}: {needed}");
        assert!(
            !needed.contains("libssl") && !needed.contains("libcrypto"),
            "{name}: {needed}"
        );
    }
}

#[test]
fn every_help_text_fits_100_columns_and_says_what_the_job_does_now() {
    // Off a terminal clap wraps at 100 columns; a longer line is text clap cannot break (a
    // table, a long word) and reads badly in a terminal of that width.
    let help = |name: &str, args: &[&str]| {
        let out = Command::new(binary(name))
            .args(args)
            .arg("--help")
            .env_remove("COLUMNS")
            .output()
            .expect("the binary runs");
        assert!(out.status.success(), "{name} {args:?} --help");
        String::from_utf8(out.stdout).unwrap()
    };
    let mut pages = 0;
    for name in shipped_binaries() {
        let top = help(&name, &[]);
        let commands: Vec<String> = top
            .split("Commands:\n")
            .nth(1)
            .map(|list| {
                list.lines()
                    .take_while(|l| l.starts_with("  "))
                    .filter_map(|l| l.split_whitespace().next())
                    .filter(|c| *c != "help")
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let mut texts = vec![(String::new(), top)];
        for command in &commands {
            texts.push((command.clone(), help(&name, &[command.as_str()])));
        }
        for (command, text) in texts {
            for line in text.lines() {
                assert!(
                    line.chars().count() <= 100,
                    "{name} {command} --help: a line of {} columns: {line}",
                    line.chars().count()
                );
            }
            pages += 1;
        }
    }
    assert!(pages >= 8, "{pages} help texts read");
    // The intervals it takes are any from a minute to a month, not the four it once had.
    let sync = help("upstox-market-sync", &[]);
    assert!(!sync.contains("1, 5, 15 minutes, day"), "{sync}");
}
