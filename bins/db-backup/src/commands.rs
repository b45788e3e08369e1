//! The commands a person runs: `list`, `verify [FILE]` and `restore FILE --to PATH`, with the
//! configuration and data directory a run would use.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::Utc;
use common::Exit;
use common::backups::{self, Backup, BackupName};
use common::calendar::IST;
use common::config::{self, Config, ConfigPath};
use common::harness::{Access, CommonArgs, Fatal, Job, market_now, resolve_data_dir};

use crate::check;
use crate::config::JobConfig;
use crate::job::DbBackup;
use crate::restore::{self, Restore};
use crate::space::human;

/// The configuration, the data directory and the backup directory.
struct Settings {
    data_dir: PathBuf,
    dir: PathBuf,
}

fn settings(args: &CommonArgs, access: Access) -> anyhow::Result<Settings> {
    let path = ConfigPath::from_flag(args.config.as_deref());
    let config: Config<JobConfig> = config::load(&path, DbBackup::NAME)?;
    let data_dir = resolve_data_dir(args.data_dir.as_deref(), config.data_dir.as_deref(), access)?;
    let dir = config.backups.dir(&data_dir);
    Ok(Settings { data_dir, dir })
}

/// `list`: every backup with its time (IST), age, size, compression ratio and whether its
/// manifest says it was verified.
pub fn list(args: &CommonArgs) -> anyhow::Result<()> {
    let settings = settings(args, Access::Read)?;
    let all = backups::list(&settings.dir).map_err(|e| {
        Fatal::new(
            Exit::IoErr,
            format!(
                "cannot read {}: {e}; check [backups] dir and that this user can read it (join group upstox)",
                settings.dir.display()
            ),
        )
    })?;
    let mut out = std::io::stdout().lock();
    if all.is_empty() {
        writeln!(out, "no backups in {}", settings.dir.display())?;
        return Ok(());
    }
    let now = market_now(Utc::now());
    writeln!(
        out,
        "{:<14} {:<19} {:>8} {:>10} {:>6}  VERIFIED",
        "DATABASE", "TAKEN (IST)", "AGE", "SIZE", "RATIO"
    )?;
    for backup in &all {
        let age = now - backup.name.taken;
        let age = if age.num_days() > 0 {
            format!("{}d{}h", age.num_days(), age.num_hours() % 24)
        } else {
            format!("{}h{}m", age.num_hours(), age.num_minutes() % 60)
        };
        let size = std::fs::metadata(&backup.path)
            .map(|m| m.len())
            .unwrap_or(0);
        let (ratio, verified) = match &backup.manifest {
            Ok(m) if m.compressed_bytes > 0 => (
                format!("{:.1}x", m.copy_bytes as f64 / m.compressed_bytes as f64),
                if m.verified { "yes" } else { "no" }.to_string(),
            ),
            Ok(_) => ("-".to_string(), "no".to_string()),
            Err(e) => ("-".to_string(), format!("no: {e}")),
        };
        writeln!(
            out,
            "{:<14} {:<19} {:>8} {:>10} {:>6}  {verified}",
            backup.name.database,
            backup
                .name
                .taken
                .with_timezone(&IST)
                .format("%Y-%m-%d %H:%M:%S"),
            age,
            human(size),
            ratio
        )?;
    }
    Ok(())
}

/// `verify [FILE]`: FILE, or the newest backup of each database, checked in full. Exit 65
/// naming what is wrong when one is bad.
pub fn verify(args: &CommonArgs, file: Option<&Path>) -> anyhow::Result<()> {
    let settings = settings(args, Access::Read)?;
    let chosen: Vec<Backup> = match file {
        Some(file) => vec![one(file)?],
        None => newest_of_each(&settings.dir)?,
    };
    if chosen.is_empty() {
        return Err(Fatal::new(
            Exit::Failure,
            format!(
                "no backups in {}: run `upstox-db-backup` to make them",
                settings.dir.display()
            ),
        )
        .into());
    }
    let mut out = std::io::stdout().lock();
    let mut bad = Vec::new();
    for backup in &chosen {
        let scratch_in = backup.path.parent().unwrap_or(Path::new("."));
        let scratch = tempfile::Builder::new()
            .prefix(".verify-")
            .suffix(".tmp")
            .tempdir_in(scratch_in)
            .map_err(|e| {
                Fatal::new(
                    Exit::IoErr,
                    format!(
                        "cannot create a scratch directory in {}: {e}; the check needs room for one decompressed copy there: free some space, or check the directory's owner",
                        scratch_in.display()
                    ),
                )
            })?;
        match check::check(backup, scratch.path()) {
            Ok(contents) => writeln!(
                out,
                "ok   {}: {} tables, {} rows, as its manifest says",
                backup.path.display(),
                contents.tables.len(),
                contents.tables.values().sum::<u64>()
            )?,
            Err(p) => {
                writeln!(out, "BAD  {}: {p}", backup.path.display())?;
                bad.push((backup.path.clone(), p));
            }
        }
    }
    match bad.first() {
        None => Ok(()),
        Some((path, p)) => Err(Fatal::new(
            if bad.iter().all(|(_, p)| p.exit() == Exit::DataErr) {
                Exit::DataErr
            } else {
                p.exit()
            },
            format!(
                "{} of {} backups failed verification; {}: {p}; make a fresh one with `upstox-db-backup`, and restore only from one that verifies",
                bad.len(),
                chosen.len(),
                path.display()
            ),
        )
        .into()),
    }
}

/// The backup at `file`.
fn one(file: &Path) -> anyhow::Result<Backup> {
    let name = file
        .file_name()
        .and_then(|f| f.to_str())
        .and_then(BackupName::parse)
        .ok_or_else(|| {
            Fatal::new(
                Exit::Usage,
                format!(
                    "{} is not a backup: its name is not NAME-YYYYmmdd-HHMMSS.db.zst",
                    file.display()
                ),
            )
        })?;
    if !file.exists() {
        return Err(Fatal::new(
            Exit::Usage,
            format!(
                "{} does not exist: `upstox-db-backup list` shows the backups",
                file.display()
            ),
        )
        .into());
    }
    let manifest = backups::Manifest::read(&file.with_file_name(name.manifest_name()));
    Ok(Backup {
        name,
        path: file.to_path_buf(),
        manifest,
    })
}

/// The newest backup of each database in `dir`.
fn newest_of_each(dir: &Path) -> anyhow::Result<Vec<Backup>> {
    let all = backups::list(dir)
        .map_err(|e| {
            Fatal::new(
                Exit::IoErr,
                format!(
                    "cannot read {}: {e}; check [backups] dir and that this user can read it (join group upstox)",
                    dir.display()
                ),
            )
        })?;
    let mut newest: Vec<Backup> = Vec::new();
    // Listed by database, then oldest first: the last of each run of a database is its newest.
    for backup in all {
        match newest.last_mut() {
            Some(last) if last.name.database == backup.name.database => *last = backup,
            _ => newest.push(backup),
        }
    }
    Ok(newest)
}

/// `restore FILE --to PATH [--force]`.
pub fn restore(args: &CommonArgs, file: &Path, to: &Path) -> anyhow::Result<()> {
    let settings = settings(args, Access::Write)?;
    let holder = format!(
        "upstox-db-backup restore, pid {}, to {}",
        std::process::id(),
        to.display()
    );
    let done = restore::restore(&Restore {
        file,
        to,
        force: args.force,
        data_dir: &settings.data_dir,
        holder: &holder,
    })?;
    println!("{done}");
    Ok(())
}
