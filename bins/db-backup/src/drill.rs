//! The restore drill: the newest backup of a database decompressed into a scratch directory,
//! checked and compared with its manifest, as a restore would need it. A backup nobody has
//! restored is a hope, not a backup. The last successful drill of each database is kept in
//! `drills.json` in the backup directory, so the timer's run drills when one is due.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use common::backups::{self, Backup, temporary_name};
use common::harness::UnitError;

use crate::check;
use crate::copy::{io_error, sync_dir, write_synced};

/// The file of the last successful drills, in the backup directory.
pub const RECORD: &str = "drills.json";
/// The record is a line per database; anything far larger is not ours.
const RECORD_MAX_BYTES: u64 = 1 << 20;

/// Database → when its last successful drill ran.
type Record = BTreeMap<String, DateTime<Utc>>;

fn read_record(dir: &Path) -> Record {
    let mut text = String::new();
    let read = std::fs::File::open(dir.join(RECORD))
        .and_then(|f| f.take(RECORD_MAX_BYTES).read_to_string(&mut text));
    match read {
        Ok(_) => serde_json::from_str(&text).unwrap_or_else(|e| {
            tracing::warn!(
                "{} is damaged ({e}): every drill is due",
                dir.join(RECORD).display()
            );
            Record::new()
        }),
        Err(_) => Record::new(),
    }
}

/// Whether `database`'s drill is due at `now`: never drilled, or last `every_days` ago or more.
pub fn due(dir: &Path, database: &str, now: DateTime<Utc>, every_days: u32) -> bool {
    // Runs start up to RandomizedDelaySec apart from day to day: the slack keeps a weekly
    // drill weekly rather than every eighth day.
    read_record(dir).get(database).is_none_or(|last| {
        now - *last >= Duration::days(i64::from(every_days)) - Duration::minutes(30)
    })
}

/// The newest backup of `database` in `dir`, if any.
pub fn newest(dir: &Path, database: &str) -> std::io::Result<Option<Backup>> {
    Ok(backups::list(dir)?
        .into_iter()
        .filter(|b| b.name.database == database)
        .max_by(|a, b| a.name.cmp(&b.name)))
}

/// Drills `backup` (restored under a hidden scratch directory in `dir`, removed after) and,
/// unless `dry_run`, records the success at `now`: a line for the summary.
pub fn drill(
    dir: &Path,
    backup: &Backup,
    now: DateTime<Utc>,
    dry_run: bool,
) -> Result<String, UnitError> {
    let scratch = tempfile::Builder::new()
        .prefix(".drill-")
        .suffix(".tmp")
        .tempdir_in(dir)
        .map_err(|e| {
            io_error(
                common::Exit::IoErr,
                "cannot create a scratch directory in",
                dir,
                &e,
            )
        })?;
    let contents = check::check(backup, scratch.path()).map_err(|p| UnitError {
        exit: p.exit(),
        message: format!(
            "the restore drill of {} failed: {p}; run `upstox-db-backup verify` and make a new \
             backup (`systemctl start upstox-db-backup.service`)",
            backup.path.display()
        ),
    })?;
    let rows: u64 = contents.tables.values().sum();
    let line = format!(
        "{} restored and checked: {} tables, {rows} rows as its manifest says",
        backup.name.file_name(),
        contents.tables.len()
    );
    if dry_run {
        return Ok(line);
    }
    let mut record = read_record(dir);
    record.insert(backup.name.database.clone(), now);
    let text = serde_json::to_string_pretty(&record).unwrap_or_default();
    let tmp = dir.join(temporary_name(RECORD));
    let _ = std::fs::remove_file(&tmp);
    write_synced(&tmp, text.as_bytes())
        .and_then(|()| std::fs::rename(&tmp, dir.join(RECORD)))
        .and_then(|()| sync_dir(dir))
        .map_err(|e| io_error(common::Exit::IoErr, "cannot record the drill in", dir, &e))?;
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drill_is_due_when_never_run_or_old_and_a_damaged_record_makes_all_due() {
        let dir = tempfile::tempdir().unwrap();
        let now = Utc::now();
        assert!(due(dir.path(), "upstox", now, 7));
        let record = Record::from([("upstox".to_string(), now - Duration::days(3))]);
        std::fs::write(
            dir.path().join(RECORD),
            serde_json::to_string(&record).unwrap(),
        )
        .unwrap();
        assert!(!due(dir.path(), "upstox", now, 7));
        assert!(due(dir.path(), "upstox", now + Duration::days(4), 7));
        assert!(due(dir.path(), "market_data", now, 7));
        std::fs::write(dir.path().join(RECORD), "{").unwrap();
        assert!(due(dir.path(), "upstox", now, 7));
    }
}
