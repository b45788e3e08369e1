//! The checks of the cells that change what a run is given: a source that misbehaves, and a
//! configuration or credential that is wrong. Each runs the job once and judges the run
//! against what the documentation promises.

use crate::faults::jobs::{JobSpec, World};
use crate::faults::process::{Finished, WATCHDOG, Watched};
use crate::faults::report::{Verdict, seen};
use crate::faults::server::{FaultServer, HttpFault, MAX_BODY_MIB};
use crate::faults::state::{damage, dump, running_rows, runs_of};

/// What a clean run of the job left, for the cells to compare with.
pub struct Clean {
    /// The configuration the world wrote.
    pub config: String,
    /// The canonical dump of the job's tables after it.
    pub dump: Vec<String>,
    /// How long it took.
    pub took: std::time::Duration,
}

/// Runs the job's scheduled run and watches it.
pub fn watched_run(world: &World) -> Finished {
    Watched::new(world.job().spawn()).finish(WATCHDOG)
}

/// `key = value` set in `[table]` of `config` (the line replaced if there, the table added at
/// the top if absent).
pub fn set_key(config: &str, table: &str, key: &str, value: &str) -> String {
    let header = format!("[{table}]");
    let line = format!("{key} = {value}");
    let mut out = Vec::new();
    let mut inside = false;
    let mut found = false;
    for l in config.lines() {
        let t = l.trim();
        if t.starts_with('[') {
            inside = t == header;
            out.push(l.to_string());
            if inside {
                found = true;
                out.push(line.clone());
            }
            continue;
        }
        let is_key = t.split_once('=').is_some_and(|(k, _)| k.trim() == key);
        if !(inside && is_key) {
            out.push(l.to_string());
        }
    }
    let text = out.join("\n") + "\n";
    if found {
        text
    } else {
        format!("{header}\n{line}\n{text}")
    }
}

/// The clean configuration with every source at `server` and the body cap the oversized
/// bodies exceed.
pub fn pointed_at(clean: &Clean, upstream: &str, server: &FaultServer) -> String {
    set_key(
        &clean.config.replace(upstream, server.url()),
        "http",
        "max_body_mib",
        &MAX_BODY_MIB.to_string(),
    )
}

/// The cell of `fault`: every source of the job points at a fault server that answers every
/// request with it. Promised: a documented exit code, a summary naming the source, no panic,
/// an end by the job's own timeouts, the databases whole and the job's data as the clean
/// run left it.
pub fn http(spec: &JobSpec, world: &World, clean: &Clean, fault: HttpFault) -> Verdict {
    let Some(upstream) = &world.upstream else {
        return Verdict::NotApplicable("the job talks to no server");
    };
    let server = FaultServer::start(fault);
    world
        .sandbox()
        .write_config(&pointed_at(clean, upstream, &server));
    let run = watched_run(world);
    world.sandbox().write_config(&clean.config);
    let mut why = common_breaks(&run);
    let allowed = spec.documented(fault);
    if !run.code.is_some_and(|c| allowed.contains(&c)) {
        why.push(format!("exit code not among the documented {allowed:?}"));
    }
    if !spec.sources.iter().any(|s| run.summary().contains(s)) {
        why.push(format!("the summary names no source: {}", run.summary()));
    }
    if server.hits() == 0 {
        why.push("the fault server was never asked".to_string());
    }
    why.extend(left_behind(spec, world, clean));
    Verdict::judge(seen(run.code, run.took), why)
}

/// A configuration refused: exit 78, the summary naming `key`, no run recorded.
fn refused(world: &World, config: &str, key: &str) -> Verdict {
    let before = runs(world);
    world.sandbox().write_config(config);
    let run = watched_run(world);
    let mut why = common_breaks(&run);
    if run.code != Some(78) {
        why.push("exit code is not 78 (configuration)".to_string());
    }
    if !run.summary().contains(key) {
        why.push(format!(
            "the summary does not name `{key}`: {}",
            run.summary()
        ));
    }
    if runs(world) != before {
        why.push("a refused configuration recorded a run".to_string());
    }
    Verdict::judge(seen(run.code, run.took), why)
}

fn runs(world: &World) -> usize {
    runs_of(&world.sandbox().db_path()).len()
}

/// A key every job's configuration needs once its table is there: `[notify.telegram]`
/// without `chat_id`.
pub fn missing_key(world: &World, clean: &Clean) -> Verdict {
    if clean.config.contains("[notify.telegram]") {
        return Verdict::NotApplicable("the world's configuration already sets the key");
    }
    let config = format!(
        "{}\n[notify.telegram]\napi_base = \"http://127.0.0.1:9\"\n",
        clean.config
    );
    let verdict = refused(world, &config, "chat_id");
    world.sandbox().write_config(&clean.config);
    verdict
}

/// A number outside its range: `[http] retries = 1000` (at most 100).
pub fn out_of_range(world: &World, clean: &Clean) -> Verdict {
    let config = set_key(&clean.config, "http", "retries", "1000");
    let verdict = refused(world, &config, "[http] retries");
    world.sandbox().write_config(&clean.config);
    verdict
}

/// The job's credential file unreadable. The suite runs as root, whom no mode bit stops, so
/// the file is made a directory: reading it fails as an unreadable file does. Promised: exit
/// 78 (a credential refused is configuration), the message naming the file.
pub fn unreadable_credential(spec: &JobSpec, world: &World, clean: &Clean) -> Verdict {
    let Some(name) = spec.credential else {
        return Verdict::NotApplicable("the job takes no credential");
    };
    let path = world.sandbox().path().join(name);
    let aside = world.sandbox().path().join(format!("{name}.aside"));
    std::fs::rename(&path, &aside).expect("the credential moved aside");
    std::fs::create_dir(&path).expect("a directory in its place");
    let run = watched_run(world);
    std::fs::remove_dir(&path).expect("the directory removed");
    std::fs::rename(&aside, &path).expect("the credential put back");
    let mut why = common_breaks(&run);
    if run.code != Some(78) {
        why.push("exit code is not 78 (a credential refused)".to_string());
    }
    if !run.summary().contains(name) {
        why.push(format!(
            "the summary does not name `{name}`: {}",
            run.summary()
        ));
    }
    why.extend(left_behind(spec, world, clean));
    Verdict::judge(seen(run.code, run.took), why)
}

/// What every run must avoid whatever its fault: hanging, panicking, a multi-line or empty
/// summary.
pub fn common_breaks(run: &Finished) -> Vec<String> {
    let mut why = Vec::new();
    if run.hung {
        why.push(format!(
            "still running after {} s: its own timeouts did not end it",
            WATCHDOG.as_secs()
        ));
    }
    if let Some(line) = run.panic() {
        why.push(format!("panicked: {line}"));
    }
    if run.summary().is_empty() {
        why.push("no summary line".to_string());
    }
    why
}

/// What a failed run must not leave: a damaged database, a run left `running`, the job's
/// data other than the clean run left it.
pub fn left_behind(spec: &JobSpec, world: &World, clean: &Clean) -> Vec<String> {
    let sandbox = world.sandbox();
    let mut why = damage(&sandbox.data_dir());
    why.extend(running_rows(sandbox));
    let now = dump(&sandbox.db_path(), spec.tables);
    if now != clean.dump {
        let first = now
            .iter()
            .find(|r| !clean.dump.contains(r))
            .or_else(|| clean.dump.iter().find(|r| !now.contains(r)));
        why.push(format!(
            "the job's tables differ from the clean run's ({} rows, not {}; first difference: {})",
            now.len(),
            clean.dump.len(),
            first.map_or("order", String::as_str)
        ));
    }
    why
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_key_replaces_inside_its_table_only_and_adds_a_missing_table() {
        let text = "[http]\nretries = 2\n[jobs.x]\nretries = 5\n";
        assert_eq!(
            set_key(text, "http", "retries", "1000"),
            "[http]\nretries = 1000\n[jobs.x]\nretries = 5\n"
        );
        assert_eq!(
            set_key("[jobs.x]\n", "http", "max_body_mib", "1"),
            "[http]\nmax_body_mib = 1\n[jobs.x]\n"
        );
    }
}
