//! Per-job advisory locks (flock), so an ad hoc run and a timer run never overlap. The kernel
//! drops the lock when the process dies, however it dies, so a stale lock cannot block a job.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// A held lock; released on drop.
#[derive(Debug)]
pub struct JobLock {
    file: File,
    path: PathBuf,
}

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds it.
    #[error(
        "another run holds the lock {path} ({holder}); wait for it to finish, or see `systemctl status` and `journalctl -u` for the job"
    )]
    Held {
        /// The lock file.
        path: PathBuf,
        /// What the holder wrote about itself.
        holder: String,
    },
    /// The lock file could not be opened.
    #[error(
        "cannot open the lock file {path}: {error}; give --data-dir a directory this user can write"
    )]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
}

impl JobLock {
    /// Takes the lock at `path` without waiting, recording `holder` (pid, host, start) in the file
    /// so that a process that loses can say who has it.
    pub fn acquire(path: &Path, holder: &str) -> Result<JobLock, LockError> {
        let io = |error| LockError::Io {
            path: path.to_path_buf(),
            error,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                // The holder may be between locking and writing; an empty file says so.
                let _ = file.read_to_string(&mut text);
                let holder = match text.trim() {
                    "" => "a process that has just started".to_string(),
                    t => t.to_string(),
                };
                return Err(LockError::Held {
                    path: path.to_path_buf(),
                    holder,
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        file.write_all(holder.as_bytes()).map_err(io)?;
        Ok(JobLock {
            file,
            path: path.to_path_buf(),
        })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for JobLock {
    fn drop(&mut self) {
        // Leave the file (removing it would race with a process that just opened it), but empty it.
        let _ = self.file.set_len(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_acquire_fails_naming_the_holder_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("locks/job.lock");
        let first = JobLock::acquire(&path, "pid 42 on desk1").unwrap();
        let err = JobLock::acquire(&path, "pid 43").unwrap_err();
        match &err {
            LockError::Held { holder, .. } => assert_eq!(holder, "pid 42 on desk1"),
            other => panic!("unexpected {other}"),
        }
        drop(first);
        JobLock::acquire(&path, "pid 43").unwrap();
    }
}
