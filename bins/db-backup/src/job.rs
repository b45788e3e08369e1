//! The run, in order: what a killed run left is removed; each database backed up (free space
//! checked first); retention applied only when every backup succeeded; each new backup sent
//! to the second destination; a restore drill of each database whose last one is old. Or, for
//! `drill`, only the drill.

use std::path::Path;
use std::time::Duration;

use common::Exit;
use common::backups::{self, is_temporary};
use common::harness::{Context, Fatal, Job, Outcome, SharedLock, UnitError};
use common::lock;

use crate::config::JobConfig;
use crate::copy::{self, io_error};
use crate::databases::{self, Database};
use crate::drill;
use crate::offsite;
use crate::prune;
use crate::space::{self, human};

/// What the command line asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// A backup run (the timer's).
    Backup,
    /// `drill`: the restore drill of every database, now.
    Drill,
}

/// The db-backup job.
pub struct DbBackup {
    /// What to do.
    pub request: Request,
}

impl Job for DbBackup {
    const NAME: &'static str = "db-backup";
    const UNIT_NOUNS: (&'static str, &'static str) = ("database", "databases");
    type Config = JobConfig;
    const SCHEMAS: &'static [common::db::Schema] = &[];

    /// db-maintenance's VACUUM must not rewrite a database while it is copied: the two share
    /// the databases' lock, and a backup waits for a maintenance run to end.
    fn shared_lock(&self, config: &JobConfig) -> Option<SharedLock> {
        Some(SharedLock {
            name: lock::DATABASES,
            wait: Duration::from_secs(config.lock_wait_secs),
        })
    }

    fn run(&mut self, ctx: &mut Context<JobConfig>) -> anyhow::Result<Outcome> {
        let cfg = ctx.config.job.clone();
        let dir = ctx.config.backups.dir(&ctx.data_dir);
        let present = present(&cfg, &ctx.data_dir);
        if self.request == Request::Drill {
            return drills(ctx, &dir, &present, None);
        }
        if ctx.dry_run {
            return dry_run(ctx, &cfg, &dir, &present);
        }
        std::fs::create_dir_all(&dir).map_err(|e| {
            Fatal::new(
                Exit::CantCreate,
                format!(
                    "cannot create the backup directory {}: {e}; set [backups] dir to a \
                     directory the user upstox can write",
                    dir.display()
                ),
            )
        })?;
        remove_stale(&dir);
        ctx.plan(present.iter().map(|d| d.name.clone()));
        let busy = Duration::from_secs_f64(ctx.config.database.busy_timeout_secs);
        let mut made = Vec::new();
        let mut failed = false;
        for database in &present {
            if ctx.stop_requested() {
                break;
            }
            let done =
                space::check(&dir, &database.path, size_with_wal(&database.path)).and_then(|()| {
                    copy::back_up(&copy::Request {
                        database,
                        dir: &dir,
                        taken: ctx.now,
                        level: cfg.zstd_level,
                        busy,
                        stop: &ctx.shutdown,
                    })
                });
            match done {
                Ok(manifest) => {
                    tracing::info!(
                        unit = database.name.as_str(),
                        "{}: backed up and verified, {} compressed to {} in {:.1}s",
                        database.name,
                        human(manifest.copy_bytes),
                        human(manifest.compressed_bytes),
                        manifest.duration_ms as f64 / 1000.0
                    );
                    ctx.unit_done(&database.name, 1);
                    made.push(manifest);
                }
                Err(e) => {
                    failed = true;
                    ctx.unit_failed(&database.name, e);
                }
            }
        }
        // What a person asking for the run opens: the one backup made, or their directory.
        match made.as_slice() {
            [] => {}
            [one] => ctx.output(
                dir.join(backups::BackupName::new(&one.database, one.taken_at).file_name())
                    .display()
                    .to_string(),
            ),
            _ => ctx.output(dir.display().to_string()),
        }
        let complete = !failed && !ctx.stop_requested();
        let removed = if complete {
            prune_all(ctx, &dir, &present, &cfg.keep(), "")
        } else {
            tracing::warn!("a backup failed or the run was stopped: retention deletes nothing");
            0
        };
        let mut detail = format!(
            "{} backed up ({} in {}), {removed} old backups removed",
            made.len(),
            human(made.iter().map(|m| m.copy_bytes).sum()),
            human(made.iter().map(|m| m.compressed_bytes).sum()),
        );
        if let Some(offsite) = &cfg.offsite_dir {
            let mut sent = 0;
            for manifest in &made {
                let name = backups::BackupName::new(&manifest.database, manifest.taken_at);
                let unit = format!("offsite {}", manifest.database);
                match offsite::send(&dir, offsite, &name) {
                    Ok(()) => {
                        sent += 1;
                        ctx.unit_done(&unit, 0);
                    }
                    Err(e) => ctx.unit_failed(&unit, e),
                }
            }
            if complete && sent == made.len() {
                let gone = prune_all(ctx, offsite, &present, &cfg.offsite_keep(), "offsite ");
                detail.push_str(&format!(", {sent} sent offsite ({gone} removed there)"));
            }
        }
        if ctx.stop_requested() {
            return Ok(Outcome::Done(detail));
        }
        let every = cfg.drill_every_days;
        match drills(ctx, &dir, &present, Some(every))? {
            Outcome::Done(drilled) if !drilled.is_empty() => {
                detail.push_str(&format!(", {drilled}"));
            }
            _ => {}
        }
        Ok(Outcome::Done(detail))
    }
}

/// The configured databases that exist; the others are warned about (told, for the defaults
/// that are often absent: not every desk has the trading application's database).
fn present(cfg: &JobConfig, data_dir: &Path) -> Vec<Database> {
    let defaults = JobConfig::default().databases == cfg.databases;
    databases::configured(cfg, data_dir)
        .into_iter()
        .filter(|d| {
            let exists = d.path.exists();
            match (exists, defaults) {
                (true, _) => {}
                (false, true) => {
                    tracing::info!("{} does not exist: not backed up", d.path.display())
                }
                (false, false) => tracing::warn!(
                    "{} is configured in [jobs.db-backup] databases but does not exist: not \
                     backed up",
                    d.path.display()
                ),
            }
            exists
        })
        .collect()
}

/// A database's size with its WAL, whose pages the copy holds too.
fn size_with_wal(path: &Path) -> u64 {
    let len = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    len(path) + len(Path::new(&wal))
}

/// Removes what a killed run left in `dir`: hidden files and directories in progress, and a
/// manifest whose backup was never renamed into place.
fn remove_stale(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let orphan = name
            .strip_suffix(".manifest.json")
            .is_some_and(|stem| !dir.join(format!("{stem}.db.zst")).exists());
        let removed = if is_temporary(&name) && path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else if is_temporary(&name) || orphan {
            std::fs::remove_file(&path)
        } else {
            continue;
        };
        match removed {
            Ok(()) => tracing::warn!(
                "removed {}, left by a run that did not finish",
                path.display()
            ),
            Err(e) => tracing::warn!(
                "cannot remove {}, left by an earlier run: {e}",
                path.display()
            ),
        }
    }
}

/// Applies `keep` to each database's backups in `dir`; how many were removed. A failure is a
/// unit of the run (`<prefix>retention NAME`).
fn prune_all(
    ctx: &mut Context<JobConfig>,
    dir: &Path,
    present: &[Database],
    keep: &crate::retention::Keep,
    prefix: &str,
) -> usize {
    let mut removed = 0;
    for database in present {
        let applied = prune::plan(dir, &database.name, keep, None)
            .map_err(|e| io_error(Exit::IoErr, "cannot read", dir, &e))
            .and_then(|entries| prune::apply(dir, &entries));
        match applied {
            Ok(n) => removed += n,
            Err(e) => ctx.unit_failed(&format!("{prefix}retention {}", database.name), e),
        }
    }
    removed
}

/// The drills of `present` databases, all of them or (`every` days) those due: each a unit.
fn drills(
    ctx: &mut Context<JobConfig>,
    dir: &Path,
    present: &[Database],
    every: Option<u32>,
) -> anyhow::Result<Outcome> {
    let mut ok = 0;
    for database in present {
        if every.is_some_and(|days| !drill::due(dir, &database.name, ctx.now, days)) {
            continue;
        }
        if ctx.stop_requested() {
            break;
        }
        let unit = format!("drill {}", database.name);
        let newest = drill::newest(dir, &database.name)
            .map_err(|e| io_error(Exit::IoErr, "cannot read", dir, &e));
        let drilled = match newest {
            Ok(Some(backup)) => drill::drill(dir, &backup, ctx.now, ctx.dry_run),
            // The timer's run drills what it has: a database whose first backup failed has
            // already failed its unit.
            Ok(None) if every.is_some() => continue,
            Ok(None) => Err(UnitError {
                exit: Exit::Failure,
                message: format!(
                    "no backup of {} in {} to drill: run `upstox-db-backup` first",
                    database.name,
                    dir.display()
                ),
            }),
            Err(e) => Err(e),
        };
        match drilled {
            Ok(line) => {
                tracing::info!(unit = unit.as_str(), "{unit}: {line}");
                ok += 1;
                ctx.unit_done(&unit, 0);
            }
            Err(e) => ctx.unit_failed(&unit, e),
        }
    }
    Ok(Outcome::Done(if ok > 0 {
        format!("{ok} restore drills passed")
    } else {
        String::new()
    }))
}

/// What a run would do, on stdout: each database's backup, and each file that retention
/// would keep (with its rules) or remove, counting the backup this run would make.
fn dry_run(
    ctx: &mut Context<JobConfig>,
    cfg: &JobConfig,
    dir: &Path,
    present: &[Database],
) -> anyhow::Result<Outcome> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    for database in present {
        let bytes = size_with_wal(&database.path);
        let name = backups::BackupName::new(&database.name, ctx.now);
        writeln!(
            out,
            "{}: would back up {} ({}) to {}",
            database.name,
            database.path.display(),
            human(bytes),
            dir.join(name.file_name()).display()
        )?;
        let entries = prune::plan(dir, &database.name, &cfg.keep(), Some(ctx.now))
            .map_err(|e| Fatal::new(Exit::IoErr, format!("cannot read {}: {e}", dir.display())))?;
        prune::print(&mut out, &entries)?;
    }
    Ok(Outcome::Done(format!(
        "{} databases would be backed up into {}",
        present.len(),
        dir.display()
    )))
}
