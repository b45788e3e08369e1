//! Where the databases are: one directory per machine, whoever runs the binary.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rustix::fs::Access as Permission;

use crate::exit::Exit;
use crate::harness::Fatal;

/// The data directory the package creates at install (owner `upstox`, mode 2770).
pub const SYSTEM_DATA_DIR: &str = "/var/lib/upstox-jobs";

/// What a data directory is wanted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// A job that writes, or a command that edits (`rules add`).
    Write,
    /// A person looking (`status`, `show`).
    Read,
}

/// The data directory: `--data-dir`, else `data_dir` in the configuration, else systemd's
/// `$STATE_DIRECTORY`, else [`SYSTEM_DATA_DIR`] when it exists, else the user's XDG data
/// directory (a developer's checkout, where nothing is installed).
///
/// The configured directory and the system one are the machine's: someone who may not use
/// them gets an error naming the directory and its group, never a private database that the
/// timers would not see. Resolving for writing a directory that is setgid (shared with its
/// group, as the package makes the system one) clears the group bits of this process's umask,
/// so that what it creates there stays writable for the group, the services included.
pub fn resolve_data_dir(
    flag: Option<&Path>,
    configured: Option<&Path>,
    access: Access,
) -> Result<PathBuf, Fatal> {
    let dir = if let Some(dir) = flag {
        dir.to_path_buf()
    } else if let Some(dir) = configured {
        machines(dir, access)?
    } else if let Some(dir) = state_directory() {
        dir
    } else if Path::new(SYSTEM_DATA_DIR).exists() {
        machines(Path::new(SYSTEM_DATA_DIR), access)?
    } else {
        personal().ok_or_else(|| {
            Fatal::new(
                Exit::CantCreate,
                "no data directory: neither $XDG_DATA_HOME nor $HOME is set; give --data-dir",
            )
        })?
    };
    if access == Access::Write {
        share_with_group(&dir);
    }
    Ok(dir)
}

/// The first path of systemd's `$STATE_DIRECTORY` (one per StateDirectory= entry,
/// colon-separated).
fn state_directory() -> Option<PathBuf> {
    let state = std::env::var_os("STATE_DIRECTORY")?;
    state
        .to_string_lossy()
        .split(':')
        .find(|s| !s.is_empty())
        .map(PathBuf::from)
}

/// `$XDG_DATA_HOME/upstox-jobs`, else `~/.local/share/upstox-jobs`.
fn personal() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(base.join("upstox-jobs"))
}

/// The machine's directory `dir`, when this user may use it for `access`. A directory that
/// does not exist yet is the job's to create (and to fail clearly on).
fn machines(dir: &Path, access: Access) -> Result<PathBuf, Fatal> {
    let Ok(meta) = std::fs::metadata(dir) else {
        return Ok(dir.to_path_buf());
    };
    let (wanted, exit, verb) = match access {
        Access::Write => (
            Permission::WRITE_OK | Permission::EXEC_OK,
            Exit::CantCreate,
            "write to",
        ),
        Access::Read => (
            Permission::READ_OK | Permission::EXEC_OK,
            Exit::IoErr,
            "read",
        ),
    };
    if rustix::fs::access(dir, wanted).is_ok() {
        return Ok(dir.to_path_buf());
    }
    let group = group_name(meta.gid());
    Err(Fatal::new(
        exit,
        format!(
            "cannot {verb} {}, this machine's upstox-jobs data directory: join its group \
             (sudo adduser $USER {group}, then log in again), or give --data-dir for data of your own",
            dir.display()
        ),
    ))
}

/// Clears the group bits of the umask when `dir` is setgid, so that databases, their WAL and
/// SHM files (SQLite gives them the database's mode), locks and directories created there
/// stay writable for the directory's group: the services and the desk users in it.
fn share_with_group(dir: &Path) {
    let setgid = std::fs::metadata(dir).is_ok_and(|m| m.permissions().mode() & 0o2000 != 0);
    if setgid {
        let old = rustix::process::umask(rustix::fs::Mode::empty());
        rustix::process::umask(old - rustix::fs::Mode::RWXG);
    }
}

/// The name of group `gid` from /etc/group, else the number.
fn group_name(gid: u32) -> String {
    std::fs::read_to_string("/etc/group")
        .ok()
        .and_then(|groups| name_of(&groups, gid))
        .unwrap_or_else(|| format!("with id {gid}"))
}

/// The name of `gid` in the text of /etc/group (`name:password:gid:members` lines).
fn name_of(groups: &str, gid: u32) -> Option<String> {
    groups.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        fields.next()?;
        (fields.next()?.parse::<u32>().ok()? == gid).then(|| name.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_dir_prefers_flag_then_config() {
        let flag = Path::new("/tmp/a");
        let conf = Path::new("/nonexistent/b");
        assert_eq!(
            resolve_data_dir(Some(flag), Some(conf), Access::Write).unwrap(),
            flag
        );
        assert_eq!(
            resolve_data_dir(None, Some(conf), Access::Read).unwrap(),
            conf
        );
    }

    #[test]
    fn group_names_come_from_the_group_file() {
        let groups = "root:x:0:\n# not a group\nupstox:x:998:desk,ops\nbroken\n";
        assert_eq!(name_of(groups, 998).as_deref(), Some("upstox"));
        assert_eq!(name_of(groups, 0).as_deref(), Some("root"));
        assert_eq!(name_of(groups, 5), None);
    }
}
