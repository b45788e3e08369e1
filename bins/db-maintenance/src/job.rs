//! The run: every database checked first, and nothing changed anywhere when one is damaged;
//! then, a database at a time, the purge (market_data.db only), `PRAGMA optimize`, a VACUUM
//! when it is worth it and there is room, and the WAL checkpointed and truncated.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::Exit;
use common::backups;
use common::calendar::IST;
use common::harness::{Context, Job, Outcome, SharedLock, UnitError};
use common::lock;
use common::shutdown::Shutdown;
use rusqlite::Connection;

use crate::config::JobConfig;
use crate::database::{self, Database, Pages, mib};
use crate::purge::{Counts, Ended, Purge};
use crate::vacuum::{self, Decision, Worth};

/// The db-maintenance job.
pub struct DbMaintenance;

impl Job for DbMaintenance {
    const NAME: &'static str = "db-maintenance";
    const UNIT_NOUNS: (&'static str, &'static str) = ("database", "databases");
    type Config = JobConfig;
    // It purges the tables other jobs own, where they exist, and creates none.
    const SCHEMAS: &'static [common::db::Schema] = &[];

    /// Never at the same time as db-backup: a backup must not copy a database being vacuumed.
    fn shared_lock(&self, config: &JobConfig) -> Option<SharedLock> {
        Some(SharedLock {
            name: lock::DATABASES,
            wait: config.lock_wait(),
        })
    }

    fn run(&mut self, ctx: &mut Context<JobConfig>) -> anyhow::Result<Outcome> {
        let cfg = ctx.config.job.clone();
        let busy = Duration::from_secs_f64(ctx.config.database.busy_timeout_secs.max(0.0));
        let (databases, warnings) = database::configured(&cfg, &ctx.data_dir);
        for warning in warnings {
            tracing::warn!("{warning}");
        }
        if databases.is_empty() {
            return Ok(Outcome::Done("no database to maintain".to_string()));
        }
        ctx.plan(databases.iter().map(|d| d.name.clone()));
        let Some(checked) = check_all(ctx, &databases, busy) else {
            if ctx.stop_requested() {
                return Ok(Outcome::Done(
                    "stopped during the integrity checks; nothing was changed".to_string(),
                ));
            }
            return Ok(Outcome::Done(
                "nothing was changed in any database: a database is maintained only when every one is sound"
                    .to_string(),
            ));
        };
        let mut reports = Vec::new();
        for (db, conn) in checked {
            if ctx.stop_requested() {
                break;
            }
            match maintain(ctx, &cfg, db, &conn) {
                Ok(report) => {
                    tracing::info!("{}: {}", db.name, report.text);
                    reports.push(format!("{} {}", db.name, report.text));
                    if report.stopped {
                        break;
                    }
                    ctx.unit_done(&db.name, report.purged.total());
                }
                // A statement interrupted by a stop rolled back: the unit was not reached.
                Err(_) if ctx.stop_requested() => {
                    tracing::warn!(
                        "{}: stopped; the statement in hand was rolled back",
                        db.name
                    );
                    break;
                }
                Err(e) => ctx.unit_failed(&db.name, UnitError::database(&db.path, e)),
            }
        }
        Ok(Outcome::Done(reports.join("; ")))
    }
}

/// Opens and checks every database; `None` when any is damaged or could not be checked
/// (each one failed, its first problems logged), so that nothing is changed in any.
fn check_all<'d>(
    ctx: &mut Context<JobConfig>,
    databases: &'d [Database],
    busy: Duration,
) -> Option<Vec<(&'d Database, Connection)>> {
    let mut sound = Vec::new();
    let mut refused = false;
    for db in databases {
        let checked = db.open(busy, ctx.dry_run).and_then(|conn| {
            let damage = interruptible(&conn, &ctx.shutdown, || database::integrity(&conn))?;
            Ok((conn, damage))
        });
        match checked {
            Ok((conn, None)) => sound.push((db, conn)),
            Ok((_, Some(damage))) => {
                refused = true;
                for line in &damage.first {
                    tracing::error!("{}: integrity check: {line}", db.name);
                }
                let more = damage.total.saturating_sub(damage.first.len());
                let and_more = if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                };
                let backups = ctx.config.backups.dir(&ctx.data_dir);
                let message = format!(
                    "{} is damaged (PRAGMA integrity_check: {}{and_more}); {}",
                    db.path.display(),
                    damage.first[0],
                    restore_advice(&db.path, &backups)
                );
                ctx.unit_failed(
                    &db.name,
                    UnitError {
                        exit: Exit::Failure,
                        message,
                    },
                );
            }
            Err(_) if ctx.shutdown.requested() => return None,
            Err(e) => {
                refused = true;
                ctx.unit_failed(&db.name, UnitError::database(&db.path, e));
            }
        }
    }
    (!refused).then_some(sound)
}

/// What to do about a damaged database: restore the newest verified backup db-backup made of
/// it, named with the command, or, when there is none, move the file aside.
fn restore_advice(path: &Path, backups: &Path) -> String {
    match backups::newest_verified(backups, &backups::database_name(path)) {
        Some(newest) => format!(
            "the newest verified backup is {}, taken {}: stop the jobs (systemctl stop 'upstox-*.timer'), then upstox-db-backup restore {} --to {} --force",
            newest.path.display(),
            newest
                .name
                .taken
                .with_timezone(&IST)
                .format("%Y-%m-%d %H:%M IST"),
            newest.path.display(),
            path.display()
        ),
        None => format!(
            "there is no verified backup of it in {}: move it aside (with its -wal and -shm) and let the jobs make a new one, or recover it with sqlite3's .recover",
            backups.display()
        ),
    }
}

/// What a database's maintenance did.
struct Report {
    /// Rows purged (or that would be).
    purged: Counts,
    /// Sizes, purge and VACUUM, in words.
    text: String,
    /// A stop was asked for during the purge.
    stopped: bool,
}

/// Purges, optimizes, vacuums when worth it and checkpoints one sound database.
fn maintain(
    ctx: &mut Context<JobConfig>,
    cfg: &JobConfig,
    db: &Database,
    conn: &Connection,
) -> rusqlite::Result<Report> {
    let before = db.size_on_disk();
    let dry = ctx.dry_run;
    let mut purged = Counts::default();
    let mut words = Vec::new();
    if db.is_market_data {
        let purge = Purge {
            retention: &cfg.retention,
            requests_days: ctx.config.requests.retention_days,
            now: ctx.now,
        };
        if dry {
            purged = purge.count(conn)?;
            words.push(format!(
                "would purge {} rows ({})",
                purged.total(),
                purged.describe()
            ));
        } else {
            let pause = cfg.batch_pause();
            let shutdown = ctx.shutdown.clone();
            // Asked after the pause, whether or not a signal cut it short: it records why.
            let mut between = || {
                shutdown.sleep(pause);
                !ctx.stop_requested()
            };
            let ended = purge.run(conn, cfg.batch_rows, &mut between, &mut purged);
            let done = format!("purged {} rows ({})", purged.total(), purged.describe());
            match ended {
                Ok(Ended::Complete) => words.push(done),
                Ok(Ended::Stopped) => {
                    return Ok(Report {
                        text: format!("{done} before the stop; each batch is committed"),
                        purged,
                        stopped: true,
                    });
                }
                Err(e) => {
                    tracing::error!("{}: {done} before the error", db.name);
                    return Err(e);
                }
            }
        }
    }
    let shutdown = ctx.shutdown.clone();
    if !dry {
        // Analyzes the tables whose statistics are missing or stale, every table of the file,
        // not only those this connection used (sqlite.org/pragma.html#pragma_optimize).
        interruptible(conn, &shutdown, || {
            conn.execute_batch("PRAGMA optimize=0x10002")
        })?;
    }
    let pages = Pages::of(conn)?;
    let worth = Worth {
        min_free_percent: cfg.vacuum_min_free_percent,
        min_free_bytes: cfg.vacuum_min_free_mib.saturating_mul(1024 * 1024),
    };
    let decision = vacuum::decide(pages, worth, vacuum::room(&db.path, pages));
    match (&decision, dry) {
        (Decision::Run(why), true) => words.push(format!("would {why}")),
        (Decision::Run(why), false) => {
            interruptible(conn, &shutdown, || conn.execute_batch("VACUUM"))?;
            words.push(why.clone());
        }
        (Decision::Skip(why), _) => words.push(why.clone()),
    }
    if !dry {
        // The result says whether a reader kept part of the WAL; the next checkpoint takes it.
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    }
    let after = db.size_on_disk();
    let sizes = if dry {
        mib(before)
    } else {
        format!("{} -> {}", mib(before), mib(after))
    };
    Ok(Report {
        text: format!("{sizes}: {}", words.join("; ")),
        purged,
        stopped: false,
    })
}

/// Runs `work`, SQLite's statements on `conn`, interrupting them as soon as a stop is asked
/// for: an integrity check or a VACUUM of a large file takes minutes, longer than systemd
/// waits after SIGTERM. An interrupted statement fails and rolls back, leaving the file whole.
fn interruptible<T>(
    conn: &Connection,
    shutdown: &Shutdown,
    work: impl FnOnce() -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    let handle = conn.get_interrupt_handle();
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while !done.load(Ordering::Acquire) {
                if shutdown.requested() {
                    // A no-op if the work has just ended: no statement is running.
                    handle.interrupt();
                    return;
                }
                std::thread::sleep(STOP_POLL);
            }
        });
        let result = work();
        done.store(true, Ordering::Release);
        result
    })
}

/// How often a long statement's watcher looks for a stop.
const STOP_POLL: Duration = Duration::from_millis(50);
