//! Secrets: systemd credentials first (`LoadCredential=` puts them in `$CREDENTIALS_DIRECTORY`),
//! else a file named under `[credentials]` in the configuration. Never the command line or the
//! environment (both leak through `ps` and `systemctl show`), and never logged: each one read
//! is registered with `crate::redaction`, which hides it in every log line and stored row.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// A secret value. Its `Debug` and `Display` print a placeholder, so it cannot leak into a log.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Why a credential could not be read. Absent is not an error: callers fall back or skip.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// The file exists but cannot be read.
    #[error(
        "credential `{name}`: cannot read {path}: {error}; check its owner and mode (the jobs run as user `upstox`)"
    )]
    Unreadable {
        /// The credential's name.
        name: String,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The file holds far more than any secret.
    #[error(
        "credential `{name}`: {path} holds more than 64 KiB, which no token or password does; name the file that holds only the secret"
    )]
    TooLarge {
        /// The credential's name.
        name: String,
        /// The file.
        path: PathBuf,
    },
    /// The file is empty.
    #[error(
        "credential `{name}`: {path} is empty; put the secret in it or remove the [credentials] entry"
    )]
    Empty {
        /// The credential's name.
        name: String,
        /// The file.
        path: PathBuf,
    },
    /// The configuration names a file that is not there.
    #[error(
        "credential `{name}`: {path} (named in [credentials]) does not exist; put the secret there, or correct the path in [credentials]"
    )]
    Missing {
        /// The credential's name.
        name: String,
        /// The file.
        path: PathBuf,
    },
}

/// Looks up credential `name`: `$CREDENTIALS_DIRECTORY/<name>`, else the file `configured` names.
/// `Ok(None)` means not configured anywhere.
pub fn load(
    name: &str,
    credentials_directory: Option<&Path>,
    configured: &BTreeMap<String, PathBuf>,
) -> Result<Option<Secret>, CredentialError> {
    if let Some(dir) = credentials_directory {
        let path = dir.join(name);
        if path.exists() {
            return read(name, &path).map(Some);
        }
    }
    match configured.get(name) {
        Some(path) if !path.exists() => Err(CredentialError::Missing {
            name: name.to_string(),
            path: path.clone(),
        }),
        Some(path) => read(name, path).map(Some),
        None => Ok(None),
    }
}

/// The directory systemd passes credentials in, if any.
pub fn systemd_directory() -> Option<PathBuf> {
    std::env::var_os("CREDENTIALS_DIRECTORY").map(PathBuf::from)
}

/// The most a credential file may hold (see [`CredentialError::TooLarge`]).
const SECRET_MAX_BYTES: u64 = 64 * 1024;

fn read(name: &str, path: &Path) -> Result<Secret, CredentialError> {
    let text = crate::files::read_text_bounded(path, SECRET_MAX_BYTES).map_err(|e| match e {
        crate::files::ReadError::Io(error) => CredentialError::Unreadable {
            name: name.to_string(),
            path: path.to_path_buf(),
            error,
        },
        crate::files::ReadError::TooLarge { .. } => CredentialError::TooLarge {
            name: name.to_string(),
            path: path.to_path_buf(),
        },
    })?;
    // Editors add a final newline; a token never contains one.
    let value = text.trim_end_matches(['\r', '\n']).to_string();
    if value.is_empty() {
        return Err(CredentialError::Empty {
            name: name.to_string(),
            path: path.to_path_buf(),
        });
    }
    crate::redaction::register(name, &value);
    Ok(Secret(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn systemd_directory_wins_over_configured_file() {
        let dir = tempfile::tempdir().unwrap();
        let creds = dir.path().join("creds");
        std::fs::create_dir(&creds).unwrap();
        std::fs::write(creds.join("upstox_token"), "from-systemd\n").unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "from-file").unwrap();
        let configured = BTreeMap::from([("upstox_token".to_string(), file)]);
        let secret = load("upstox_token", Some(&creds), &configured)
            .unwrap()
            .unwrap();
        assert_eq!(secret.expose(), "from-systemd");
        let secret = load("upstox_token", None, &configured).unwrap().unwrap();
        assert_eq!(secret.expose(), "from-file");
    }

    #[test]
    fn absent_everywhere_is_none() {
        assert!(
            load("newsapi_key", None, &BTreeMap::new())
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn configured_but_missing_or_empty_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let configured = BTreeMap::from([("k".to_string(), missing)]);
        assert!(matches!(
            load("k", None, &configured),
            Err(CredentialError::Missing { .. })
        ));
        let empty = dir.path().join("empty");
        std::fs::write(&empty, "\n").unwrap();
        let configured = BTreeMap::from([("k".to_string(), empty)]);
        assert!(matches!(
            load("k", None, &configured),
            Err(CredentialError::Empty { .. })
        ));
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let secret = Secret("hunter2".to_string());
        assert!(!format!("{secret:?}").contains("hunter2"));
    }
}
