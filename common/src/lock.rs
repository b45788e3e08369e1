//! Per-job advisory locks (flock), so an ad hoc run and a timer run never overlap. The kernel
//! drops the lock when the process dies, however it dies, so a stale lock cannot block a job.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The lock db-backup and db-maintenance share besides their own, so that a backup never
/// copies a database in the middle of a VACUUM and maintenance never rewrites one being copied.
pub const DATABASES: &str = "databases";

/// How often a waiting process tries a held lock again.
const RETRY: Duration = Duration::from_millis(100);

/// A held lock; released on drop.
#[derive(Debug)]
pub struct JobLock {
    file: File,
    path: PathBuf,
    /// What the previous holder left in the file for its successor ([`JobLock::leave_note`]).
    note: Option<String>,
    /// Whether this holder left a note, which the file keeps after the lock is released.
    noted: bool,
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
    /// A stop (SIGTERM, SIGINT) was asked for while waiting for the lock.
    #[error("stopped while waiting for the lock {path}")]
    Stopped {
        /// The lock file.
        path: PathBuf,
    },
    /// The lock file could not be opened.
    #[error("cannot open the lock file {path}: {error}; {}", advice(error))]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
}

/// What to do about an I/O error on the lock file.
fn advice(error: &std::io::Error) -> &'static str {
    use std::io::ErrorKind;
    match error.kind() {
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded => {
            "the file system of the data directory is full: free some space on it (df -h shows it)"
        }
        ErrorKind::FileTooLarge => {
            "the file size limit (ulimit -f, LimitFSIZE=) is too small: raise it"
        }
        _ => "give --data-dir a directory this user can write",
    }
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
        // A released lock's file is empty unless its holder left a note.
        let mut previous = String::new();
        let _ = file.read_to_string(&mut previous);
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        file.write_all(holder.as_bytes()).map_err(io)?;
        Ok(JobLock {
            file,
            path: path.to_path_buf(),
            note: Some(previous.trim().to_string()).filter(|n| !n.is_empty()),
            noted: false,
        })
    }

    /// Takes the lock at `path`, waiting up to `wait` while another process holds it; then
    /// [`LockError::Held`] names the holder as [`JobLock::acquire`] does.
    pub fn acquire_waiting(
        path: &Path,
        holder: &str,
        wait: Duration,
    ) -> Result<JobLock, LockError> {
        JobLock::acquire_unless(path, holder, wait, || false)
    }

    /// [`JobLock::acquire_waiting`], giving up with [`LockError::Stopped`] as soon as `stop`
    /// says so (checked between tries), so a stop asked for while waiting is not held up.
    pub fn acquire_unless(
        path: &Path,
        holder: &str,
        wait: Duration,
        stop: impl Fn() -> bool,
    ) -> Result<JobLock, LockError> {
        let end = Instant::now() + wait;
        loop {
            match JobLock::acquire(path, holder) {
                Err(LockError::Held { .. }) if Instant::now() < end => {}
                other => return other,
            }
            if stop() {
                return Err(LockError::Stopped {
                    path: path.to_path_buf(),
                });
            }
            std::thread::sleep(RETRY.min(end.saturating_duration_since(Instant::now())));
        }
    }

    /// Who holds the lock at `path`, without taking it: `None` when it is free (or its file
    /// does not exist yet). Looks with a shared lock on a read-only handle, so the file and
    /// any note in it are left as they are.
    pub fn holder(path: &Path) -> Result<Option<String>, LockError> {
        let io = |error| LockError::Io {
            path: path.to_path_buf(),
            error,
        };
        let mut file = match File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(e)),
        };
        match file.try_lock_shared() {
            Ok(()) => Ok(None),
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                Ok(Some(match text.trim() {
                    "" => "a process that has just started".to_string(),
                    t => t.to_string(),
                }))
            }
            Err(TryLockError::Error(e)) => Err(io(e)),
        }
    }

    /// What the previous holder left for this one with [`JobLock::leave_note`], if anything.
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }

    /// Leaves `note` in the lock file for the next holder, in place of this one's name. For
    /// what cannot be written elsewhere: on a full disk a short note still fits, since the
    /// file's first block is already allocated and it is overwritten, never truncated first.
    pub fn leave_note(&mut self, note: &str) -> std::io::Result<()> {
        self.file.rewind()?;
        self.file.write_all(note.as_bytes())?;
        let length = note.len() as u64;
        self.file.set_len(length)?;
        self.file.sync_data()?;
        self.noted = true;
        Ok(())
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for JobLock {
    fn drop(&mut self) {
        // Leave the file (removing it would race with a process that just opened it), but empty
        // it, unless it holds a note for the next holder.
        if !self.noted {
            let _ = self.file.set_len(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_is_said_to_be_full_not_a_matter_of_permissions() {
        let full = LockError::Io {
            path: PathBuf::from("/var/lib/upstox-jobs/locks/x.lock"),
            error: std::io::Error::from_raw_os_error(28), // ENOSPC
        };
        let text = full.to_string();
        assert!(text.contains("is full: free some space"), "{text}");
        assert!(!text.contains("can write"), "{text}");
        let denied = LockError::Io {
            path: PathBuf::from("/x.lock"),
            error: std::io::Error::from_raw_os_error(13), // EACCES
        };
        assert!(
            denied
                .to_string()
                .contains("a directory this user can write")
        );
    }

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
        let second = JobLock::acquire(&path, "pid 43").unwrap();
        assert_eq!(second.note(), None, "a released lock leaves nothing");
    }

    #[test]
    fn holder_names_who_holds_it_without_taking_it_or_touching_a_note() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("locks/job.lock");
        assert_eq!(JobLock::holder(&path).unwrap(), None, "no file yet");
        let mut first = JobLock::acquire(&path, "pid 42 on desk1").unwrap();
        assert_eq!(
            JobLock::holder(&path).unwrap().as_deref(),
            Some("pid 42 on desk1")
        );
        first.leave_note("unrecorded end of run 7").unwrap();
        drop(first);
        assert_eq!(JobLock::holder(&path).unwrap(), None);
        let next = JobLock::acquire(&path, "pid 43").unwrap();
        assert_eq!(
            next.note(),
            Some("unrecorded end of run 7"),
            "the note is kept"
        );
    }

    #[test]
    fn a_waiting_acquire_gets_the_lock_once_it_is_released_and_names_a_holder_that_stays() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir
            .path()
            .join("locks")
            .join(DATABASES)
            .with_extension("lock");
        let first = JobLock::acquire(&path, "pid 42, a backup").unwrap();
        let started = Instant::now();
        let err =
            JobLock::acquire_waiting(&path, "pid 43", Duration::from_millis(300)).unwrap_err();
        assert!(started.elapsed() >= Duration::from_millis(300), "it waited");
        match err {
            LockError::Held { holder, .. } => assert_eq!(holder, "pid 42, a backup"),
            other => panic!("unexpected {other}"),
        }
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            drop(first);
        });
        let second = JobLock::acquire_waiting(&path, "pid 43", Duration::from_secs(30));
        releaser.join().unwrap();
        assert!(second.is_ok(), "taken once released: {second:?}");
    }

    #[test]
    fn a_stop_ends_the_wait_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        let _held = JobLock::acquire(&path, "pid 42").unwrap();
        let started = Instant::now();
        let err =
            JobLock::acquire_unless(&path, "pid 43", Duration::from_secs(60), || true).unwrap_err();
        assert!(matches!(err, LockError::Stopped { .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(30));
    }

    #[test]
    fn a_note_left_by_a_holder_is_read_by_the_next_one_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("locks/job.lock");
        let mut first = JobLock::acquire(&path, "pid 42 on desk1, started at noon").unwrap();
        first.leave_note("short").unwrap();
        drop(first);
        let second = JobLock::acquire(&path, "pid 43").unwrap();
        assert_eq!(second.note(), Some("short"));
        drop(second);
        assert_eq!(JobLock::acquire(&path, "pid 44").unwrap().note(), None);
    }
}
