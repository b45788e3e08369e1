//! Where the binaries keep their data, as the shipped binaries decide it: /var/lib/upstox-jobs
//! where it exists, whoever runs them. Each case runs in a user and mount namespace of its own
//! (`testkit::namespace`) where /var/lib is an empty tmpfs, so the real path is used without
//! root and nothing is left behind.
//!
//! `as_outsider` runs a command in a nested user namespace with no mapping: no capability
//! there overrides a file's permissions. A user namespace changes no ids, so the kernel still
//! takes the command for the files' owner: the outsider's system directory is made `CLOSED`
//! (owner bits none, group rwx, setgid), which shuts them out as 2770 shuts out a user outside
//! group upstox.

use std::process::Output;

use testkit::binary::binary;
use testkit::namespace;
use testkit::nse::setup;

const SYSTEM: &str = "/var/lib/upstox-jobs";
/// The mode of a system directory the outsider may not use (see the top of the file).
const CLOSED: &str = "2070";

/// `script` run on a machine whose /var/lib is empty but for a home directory anyone may write
/// (`$HOME`) and the configuration (`$CONFIG`, the sandbox's, readable by anyone); `$UMASK` is
/// a desk user's usual 022. The binaries are `$ALERT`, `$NSE` and `$JOBS`.
fn on_a_machine(config: &std::path::Path, script: &str) -> Output {
    let prelude = format!(
        "set -u; mount -t tmpfs tmpfs /var/lib; mkdir -m 0777 /var/lib/home; \
         export HOME=/var/lib/home; cp '{config}' /var/lib/config.toml; \
         chmod 0644 /var/lib/config.toml; CONFIG=/var/lib/config.toml; umask 022; \
         ALERT='{alert}'; NSE='{nse}'; JOBS='{jobs}'; \
         as_outsider() {{ unshare --user -- \"$@\"; }}; ",
        config = config.display(),
        alert = binary("upstox-alert-scan").display(),
        nse = binary("upstox-nse-index-update").display(),
        jobs = binary("upstox-jobs").display(),
    );
    namespace::unshare(&(prelude + script)).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The issue's case: a desk user outside group upstox adds a rule. It used to go, with "added
/// rule 1", into ~/.local/share/upstox-jobs, where no timer ever looks.
#[test]
fn a_user_who_may_not_write_the_system_directory_is_told_which_group_to_join() {
    if let Err(why) = namespace::available() {
        println!("skipped: {why}");
        return;
    }
    let s = setup();
    let out = on_a_machine(
        &s.sandbox.path().join("config.toml"),
        &format!(
            "mkdir -m {CLOSED} {SYSTEM}; \
             as_outsider \"$ALERT\" --config $CONFIG rules add AHOMYARN price-above level=5 2>/var/lib/rules.err; \
             echo \"rules add: $?\"; \
             as_outsider \"$NSE\" --config $CONFIG --log-format text --index NIFTYIT 2>/var/lib/run.err; \
             echo \"run: $?\"; \
             as_outsider \"$JOBS\" --config $CONFIG status 2>/var/lib/status.err; \
             echo \"status: $?\"; \
             cat /var/lib/rules.err /var/lib/run.err /var/lib/status.err; \
             echo files:; find /var/lib/home {SYSTEM} -mindepth 1"
        ),
    );
    let stdout = text(&out.stdout);
    let context = format!("{stdout}\n{}", text(&out.stderr));
    assert!(!stdout.contains("added rule"), "{context}");
    for line in ["rules add: 73", "run: 73", "status: 74"] {
        assert!(stdout.lines().any(|l| l == line), "{line}: {context}");
    }
    let errors: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.starts_with("status: "))
        .skip(1)
        .take_while(|l| *l != "files:")
        .collect();
    // One line from each of the three, each naming the directory and the group to join.
    assert_eq!(errors.len(), 3, "{context}");
    for (line, verb) in errors.iter().zip(["write to", "write to", "read"]) {
        assert!(
            line.contains(&format!(
                "cannot {verb} {SYSTEM}, this machine's upstox-jobs data directory: join its group (sudo adduser $USER "
            )),
            "{line}\n{context}"
        );
    }
    let files: Vec<&str> = stdout
        .lines()
        .skip_while(|l| *l != "files:")
        .skip(1)
        .collect();
    assert!(
        files.is_empty(),
        "nothing created, neither a private database nor in {SYSTEM}: {context}"
    );
}

/// A desk user (here the directory's owner, with a desk user's umask 022: the group bits are
/// what matters) adds a rule and runs a job ad hoc: everything they leave in the setgid
/// system directory is writable by the group, so the services (and root's ad hoc runs, which
/// take the same path) never find a file they cannot write. `upstox-jobs status` reads it.
#[test]
fn what_anyone_leaves_in_the_system_directory_stays_writable_for_its_group() {
    if let Err(why) = namespace::available() {
        println!("skipped: {why}");
        return;
    }
    let s = setup();
    let out = on_a_machine(
        &s.sandbox.path().join("config.toml"),
        &format!(
            "mkdir -m 2770 {SYSTEM}; \
             \"$ALERT\" --config $CONFIG rules add AHOMYARN price-above level=5; \
             \"$NSE\" --config $CONFIG --log-format text --index NIFTYIT 2>/dev/null; \
             echo \"run: $?\"; \
             \"$JOBS\" --config $CONFIG status; \
             echo not group-writable:; find {SYSTEM} -mindepth 1 ! -perm -g+rw; \
             echo directories not setgid:; find {SYSTEM} -mindepth 1 -type d ! -perm -2000; \
             echo files:; find /var/lib/home {SYSTEM} -mindepth 1 -name '*.db*'"
        ),
    );
    let stdout = text(&out.stdout);
    let context = format!("{stdout}\n{}", text(&out.stderr));
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("added rule 1: AHOMYARN")),
        "{context}"
    );
    assert!(stdout.lines().any(|l| l == "run: 0"), "{context}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("nse-index-update ") && l.contains("succeeded")),
        "status reads {SYSTEM}: {context}"
    );
    let section = |title: &str| -> Vec<&str> {
        stdout
            .lines()
            .skip_while(|l| *l != title)
            .skip(1)
            .take_while(|l| !l.ends_with(':'))
            .collect()
    };
    assert!(section("not group-writable:").is_empty(), "{context}");
    assert!(section("directories not setgid:").is_empty(), "{context}");
    let mut files = section("files:");
    files.sort();
    assert_eq!(
        files,
        [
            format!("{SYSTEM}/market_data.db"),
            format!("{SYSTEM}/market_data.db-shm"),
            format!("{SYSTEM}/market_data.db-wal"),
        ],
        "{context}"
    );
}

/// A developer's checkout: no system directory, so the user's own; and `--data-dir` wins
/// over a system directory this user may not write.
#[test]
fn a_personal_directory_only_without_a_system_one_or_with_data_dir() {
    if let Err(why) = namespace::available() {
        println!("skipped: {why}");
        return;
    }
    let s = setup();
    let out = on_a_machine(
        &s.sandbox.path().join("config.toml"),
        &format!(
            "as_outsider \"$ALERT\" --config $CONFIG rules add AHOMYARN price-above level=5; \
             mkdir -m {CLOSED} {SYSTEM}; \
             as_outsider \"$ALERT\" --config $CONFIG --data-dir /var/lib/home/mine rules add TCS price-below level=3200; \
             echo files:; find /var/lib/home {SYSTEM} -name market_data.db"
        ),
    );
    let stdout = text(&out.stdout);
    let context = format!("{stdout}\n{}", text(&out.stderr));
    let added = stdout
        .lines()
        .filter(|l| l.starts_with("added rule 1: "))
        .count();
    assert_eq!(added, 2, "{context}");
    let mut files: Vec<&str> = stdout
        .lines()
        .skip_while(|l| *l != "files:")
        .skip(1)
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "/var/lib/home/.local/share/upstox-jobs/market_data.db",
            "/var/lib/home/mine/market_data.db",
        ],
        "{context}"
    );
}
