//! The second destination (an NFS or USB mount): a copy of each new backup, written under a
//! hidden name, fsynced and renamed like the first, with retention of its own. Its failure
//! fails the run and leaves the local backups as they are.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

use common::Exit;
use common::backups::{BackupName, temporary_name};
use common::harness::UnitError;

use crate::copy::{io_error, sync_dir};

/// Copies the backup `name` (manifest, then file) from `local` into `offsite`.
pub fn send(local: &Path, offsite: &Path, name: &BackupName) -> Result<(), UnitError> {
    std::fs::create_dir_all(offsite).map_err(|e| {
        io_error(
            Exit::CantCreate,
            "cannot create the offsite directory",
            offsite,
            &e,
        )
    })?;
    for file in [name.manifest_name(), name.file_name()] {
        let tmp = offsite.join(temporary_name(&file));
        let copied = copy_synced(&local.join(&file), &tmp)
            .and_then(|()| std::fs::rename(&tmp, offsite.join(&file)));
        if let Err(e) = copied {
            let _ = std::fs::remove_file(&tmp);
            return Err(io_error(
                Exit::IoErr,
                "cannot copy the backup to",
                offsite,
                &e,
            ));
        }
    }
    sync_dir(offsite).map_err(|e| io_error(Exit::IoErr, "cannot sync", offsite, &e))
}

fn copy_synced(from: &Path, to: &Path) -> std::io::Result<()> {
    let _ = std::fs::remove_file(to);
    let mut reader = BufReader::new(File::open(from)?);
    let mut writer = BufWriter::new(File::create_new(to)?);
    std::io::copy(&mut reader, &mut writer)?;
    writer.flush()?;
    writer.into_inner().map_err(|e| e.into_error())?.sync_all()
}
