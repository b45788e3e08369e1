//! The spool directory: `*.json` request files dropped by any program in group `upstox`
//! (written under another name, then renamed, so a half-written file is never read). Each is
//! accepted and removed; one refused is moved to `rejected/` with a `.error` file beside it.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use common::requests::{self, MAX_DOC_BYTES, Origin, RequestDoc, RequestError, Requests};

/// Where refused files go, inside the spool directory.
pub const REJECTED: &str = "rejected";

/// The spool files not yet taken, oldest name first. Hidden files (the wake file, a writer's
/// temporary name) and anything not `*.json` are left alone.
pub fn pending(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .filter(|p| is_request_file(p))
        .collect();
    files.sort();
    Ok(files)
}

fn is_request_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| !n.starts_with('.') && n.ends_with(".json"))
}

/// Reads a spool file, refusing one larger than a request may be without reading it all.
fn read_doc(path: &Path) -> Result<RequestDoc, RequestError> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_DOC_BYTES as u64 + 1).read_to_end(&mut bytes))
        .map_err(|e| RequestError::Storage(format!("cannot read {}: {e}", path.display())))?;
    RequestDoc::from_json(&bytes)
}

/// Takes every pending spool file once: accepted ones are removed, refused ones moved to
/// `rejected/`. A file that could not be handled for want of the database stays for the next
/// dispatch, and is skipped by this one (`skipped`).
pub fn ingest(ctx: &Requests, skipped: &mut HashSet<PathBuf>) -> std::io::Result<()> {
    for path in pending(ctx.spool_dir())? {
        if skipped.contains(&path) {
            continue;
        }
        let name = path.display().to_string();
        match read_doc(&path).and_then(|doc| requests::accept(ctx, doc, Origin::Spool)) {
            Ok(id) => {
                tracing::info!("{name}: request {id} queued");
                if let Err(e) = std::fs::remove_file(&path) {
                    // The request is in; the file would be taken again by the next pass.
                    tracing::error!(
                        "{name}: queued as request {id} but cannot be removed: {e}; remove it by hand"
                    );
                    skipped.insert(path);
                }
            }
            Err(e) if e.http_status() == 400 => {
                let why = e.to_string();
                tracing::warn!("{name}: refused: {why}");
                if let Err(e) = reject(&path, &why) {
                    tracing::error!("{name}: cannot be moved to {REJECTED}/: {e}");
                    skipped.insert(path);
                }
            }
            Err(e) => {
                tracing::error!("{name}: left for the next dispatch: {e}");
                skipped.insert(path);
            }
        }
    }
    Ok(())
}

/// Moves `path` to `rejected/` and writes why beside it as `<name>.error`.
fn reject(path: &Path, why: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .join(REJECTED);
    std::fs::create_dir_all(&dir)?;
    let name = path.file_name().unwrap_or_default();
    let target = dir.join(name);
    let mut error_name = name.to_os_string();
    error_name.push(".error");
    std::fs::write(dir.join(error_name), format!("{why}\n"))?;
    std::fs::rename(path, target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_visible_json_files_are_pending_and_a_rejected_one_says_why() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.json", "a.json", ".wake", ".c.json.tmp", "notes.txt"] {
            std::fs::write(dir.path().join(name), "{}").unwrap();
        }
        std::fs::create_dir(dir.path().join("d.json")).unwrap();
        let names: Vec<_> = pending(dir.path())
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a.json", "b.json"]);
        reject(&dir.path().join("a.json"), "`x` is not a job").unwrap();
        let rejected = dir.path().join(REJECTED);
        assert!(rejected.join("a.json").exists() && !dir.path().join("a.json").exists());
        assert_eq!(
            std::fs::read_to_string(rejected.join("a.json.error")).unwrap(),
            "`x` is not a job\n"
        );
        assert!(pending(&dir.path().join("absent")).unwrap().is_empty());
    }
}
