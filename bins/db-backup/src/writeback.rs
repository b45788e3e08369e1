//! A file written with its data sent to disk while it is written, not all at the end: a
//! restore must fsync the database before renaming it into place, and a gigabyte left in the
//! page cache until then made the final fsync as long as the decompression itself. A second
//! thread flushes (`fdatasync`) what is written so far every few tens of MiB, so the disk
//! works while the main thread decompresses, and the final `sync_all` has little left to do.

use std::fs::File;
use std::io::{self, Write};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::thread::JoinHandle;

/// Bytes written between two flushes.
const EVERY: u64 = 64 << 20;

/// A file whose data is flushed in the background as it is written; [`Writeback::finish`]
/// syncs the rest.
pub struct Writeback {
    file: File,
    since: u64,
    nudge: Option<SyncSender<()>>,
    flusher: Option<JoinHandle<io::Result<()>>>,
}

impl Writeback {
    /// Writes to `file`, flushing in the background.
    pub fn new(file: File) -> io::Result<Self> {
        let flushed = file.try_clone()?;
        // One nudge waits at most: a flush still running when the next is due covers it.
        let (nudge, nudged) = mpsc::sync_channel::<()>(1);
        let flusher = std::thread::Builder::new()
            .name("writeback".into())
            .spawn(move || {
                // The first error is kept for finish(): the shared file description reports
                // a writeback error once, so the final sync_all alone could miss it.
                let mut result = Ok(());
                for () in nudged {
                    if result.is_ok() {
                        result = flushed.sync_data();
                    }
                }
                result
            })?;
        Ok(Writeback {
            file,
            since: 0,
            nudge: Some(nudge),
            flusher: Some(flusher),
        })
    }

    /// Waits for the background flushes, then syncs the file's data and metadata: an error of
    /// either is returned.
    pub fn finish(mut self) -> io::Result<()> {
        self.stop_flusher()?;
        self.file.sync_all()
    }

    fn stop_flusher(&mut self) -> io::Result<()> {
        self.nudge = None;
        match self.flusher.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(io::Error::other("the writeback thread panicked")),
            None => Ok(()),
        }
    }
}

impl Write for Writeback {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.since += n as u64;
        if self.since >= EVERY {
            self.since = 0;
            if let Some(nudge) = &self.nudge
                && let Err(TrySendError::Disconnected(())) = nudge.try_send(())
            {
                return Err(io::Error::other("the writeback thread stopped"));
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Drop for Writeback {
    /// An abandoned file (an error on the way) still ends its thread.
    fn drop(&mut self) {
        let _ = self.stop_flusher();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn what_is_written_is_in_the_file_after_finish() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let mut w = Writeback::new(File::create_new(&path).unwrap()).unwrap();
        let block = vec![7u8; 1 << 20];
        for _ in 0..(EVERY >> 20) * 2 + 3 {
            w.write_all(&block).unwrap();
        }
        w.finish().unwrap();
        let mut read = Vec::new();
        File::open(&path).unwrap().read_to_end(&mut read).unwrap();
        assert_eq!(read.len() as u64, EVERY * 2 + (3 << 20));
        assert!(read.iter().all(|&b| b == 7));
    }
}
