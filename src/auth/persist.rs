//! The token file: tokens kept between runs, bound to the account they belong to.
//!
//! JSON with the account e-mail, the tokens and absolute expiry instants as Unix
//! seconds. Written to a temporary file in the same directory with mode 0600, synced,
//! then renamed over the old file, so a crash never leaves a half-written file and
//! the tokens are never readable by other users. Loading never fails hard: a missing,
//! foreign or corrupt file simply means "sign in".

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::api::JsonError;
use crate::credentials::AwsCredentials;

use super::secret::Secret;
use super::tokens::TokenSet;

/// Format marker written into every token file.
const FORMAT: &str = "nwp500-tokens";
/// Current version of the file layout.
const VERSION: u32 = 1;

/// What was found in the token file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loaded {
    /// No file yet.
    Missing,
    /// Tokens of the configured account.
    Restored(TokenSet),
    /// A valid file for a different account: ignored, replaced on the next save.
    OtherAccount,
    /// Unreadable or invalid: ignored, replaced on the next save.
    Corrupt(Unusable),
}

/// Why a token file is unusable. Never shows the file's content (it holds tokens).
///
/// Cloneable (the I/O error is shared in an [`Arc`]); equality compares the variant
/// and its plain fields (for an I/O error, its kind).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Unusable {
    /// The file exists but cannot be read.
    #[error("cannot read the token file")]
    Read(#[source] Arc<std::io::Error>),
    /// The content is not the file's JSON layout (its class and position only: the
    /// decoder's own message could quote a token).
    #[error("the token file's content is not valid")]
    Content(#[source] JsonError),
    /// A JSON file of another format or version.
    #[error("the token file is of an unknown format or version {version}")]
    UnknownFormat {
        /// The version the file states.
        version: u32,
    },
    /// The file holds no access token.
    #[error("the token file holds no access token")]
    NoAccessToken,
}

impl PartialEq for Unusable {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Read(a), Self::Read(b)) => a.kind() == b.kind(),
            (Self::Content(a), Self::Content(b)) => a == b,
            (Self::UnknownFormat { version: a }, Self::UnknownFormat { version: b }) => a == b,
            (Self::NoAccessToken, Self::NoAccessToken) => true,
            _ => false,
        }
    }
}

impl Eq for Unusable {}

/// Why the token file could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the token file")]
pub struct SaveError(#[from] pub(crate) std::io::Error);

#[derive(Serialize, Deserialize)]
struct FileV1 {
    format: String,
    version: u32,
    email: String,
    id_token: String,
    access_token: String,
    refresh_token: String,
    access_issued_at: u64,
    access_expires_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    aws: Option<AwsV1>,
}

#[derive(Serialize, Deserialize)]
struct AwsV1 {
    access_key_id: String,
    secret_access_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    session_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    issued_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<u64>,
}

/// Reads the token file for `email`. Never panics, whatever the file holds.
pub fn load(path: &Path, email: &str) -> Loaded {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Loaded::Missing,
        Err(e) => return Loaded::Corrupt(Unusable::Read(Arc::new(e))),
    };
    let file: FileV1 = match serde_json::from_slice(&bytes) {
        Ok(f) => f,
        Err(e) => return Loaded::Corrupt(Unusable::Content(e.into())),
    };
    if file.format != FORMAT || file.version != VERSION {
        return Loaded::Corrupt(Unusable::UnknownFormat {
            version: file.version,
        });
    }
    if file.email != email {
        return Loaded::OtherAccount;
    }
    if file.access_token.is_empty() {
        return Loaded::Corrupt(Unusable::NoAccessToken);
    }
    let (aws, aws_issued_at) = match file.aws {
        Some(a) => (
            Some(AwsCredentials {
                access_key_id: a.access_key_id,
                secret_access_key: a.secret_access_key,
                session_token: a.session_token,
                expires_at: a.expires_at.map(from_unix),
            }),
            a.issued_at.map(from_unix),
        ),
        None => (None, None),
    };
    Loaded::Restored(TokenSet {
        id_token: Secret::from(file.id_token),
        access_token: Secret::from(file.access_token),
        refresh_token: Secret::from(file.refresh_token),
        access_issued_at: from_unix(file.access_issued_at),
        access_expires_at: from_unix(file.access_expires_at),
        aws,
        aws_issued_at,
    })
}

/// Writes `tokens` for `email` atomically with mode 0600.
pub fn save(path: &Path, email: &str, tokens: &TokenSet) -> Result<(), SaveError> {
    let file = FileV1 {
        format: FORMAT.to_owned(),
        version: VERSION,
        email: email.to_owned(),
        id_token: tokens.id_token.expose().to_owned(),
        access_token: tokens.access_token.expose().to_owned(),
        refresh_token: tokens.refresh_token.expose().to_owned(),
        access_issued_at: to_unix(tokens.access_issued_at),
        access_expires_at: to_unix(tokens.access_expires_at),
        aws: tokens.aws.as_ref().map(|a| AwsV1 {
            access_key_id: a.access_key_id.clone(),
            secret_access_key: a.secret_access_key.clone(),
            session_token: a.session_token.clone(),
            issued_at: tokens.aws_issued_at.map(to_unix),
            expires_at: a.expires_at.map(to_unix),
        }),
    };
    let bytes = serde_json::to_vec_pretty(&file).map_err(std::io::Error::other)?;
    write_atomically(path, &bytes)?;
    Ok(())
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "tokens".to_owned());
    let tmp = dir.join(format!(
        ".{name}.{}-{:016x}.tmp",
        std::process::id(),
        rand::random::<u64>()
    ));
    let result = write_new_private(&tmp, bytes).and_then(|()| fs::rename(&tmp, path));
    if result.is_err() {
        // Best effort: do not leave a temporary file with secrets behind.
        let _ = fs::remove_file(&tmp);
    }
    result?;
    sync_dir(&dir);
    Ok(())
}

fn write_new_private(tmp: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(tmp)?;
    #[cfg(unix)]
    {
        // The umask can only remove bits, but be explicit in case the file system
        // applied something else.
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(unix)]
fn sync_dir(dir: &Path) {
    // Makes the rename durable; failure only weakens crash safety.
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) {}

fn to_unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn from_unix(secs: u64) -> SystemTime {
    UNIX_EPOCH
        .checked_add(Duration::from_secs(secs))
        .unwrap_or(UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> TokenSet {
        TokenSet {
            id_token: "id".into(),
            access_token: "acc".into(),
            refresh_token: "ref".into(),
            access_issued_at: from_unix(1_000),
            access_expires_at: from_unix(4_600),
            aws: Some(AwsCredentials {
                access_key_id: "ASIAK".into(),
                secret_access_key: "sk".into(),
                session_token: Some("st".into()),
                expires_at: Some(from_unix(4_600)),
            }),
            aws_issued_at: Some(from_unix(1_000)),
        }
    }

    #[test]
    fn round_trip_for_the_same_account() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json");
        assert_eq!(load(&path, "a@example.com"), Loaded::Missing);
        save(&path, "a@example.com", &tokens()).unwrap();
        assert_eq!(load(&path, "a@example.com"), Loaded::Restored(tokens()));
        assert_eq!(load(&path, "b@example.com"), Loaded::OtherAccount);
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn without_aws_credentials() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json");
        let t = TokenSet {
            aws: None,
            aws_issued_at: None,
            ..tokens()
        };
        save(&path, "a@example.com", &t).unwrap();
        assert_eq!(load(&path, "a@example.com"), Loaded::Restored(t));
    }

    #[test]
    fn corrupt_files_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json");
        for content in [&b"not json"[..], b"{}", b"[1,2,3]", &[0xff, 0xfe, 0x00]] {
            fs::write(&path, content).unwrap();
            assert!(
                matches!(
                    load(&path, "a@example.com"),
                    Loaded::Corrupt(Unusable::Content(_))
                ),
                "{content:?}"
            );
        }
        let other = serde_json::json!({"format": "other", "version": 1, "email": "a@example.com",
            "id_token": "", "access_token": "x", "refresh_token": "",
            "access_issued_at": 0, "access_expires_at": 0});
        fs::write(&path, other.to_string()).unwrap();
        assert_eq!(
            load(&path, "a@example.com"),
            Loaded::Corrupt(Unusable::UnknownFormat { version: 1 })
        );
        let mut file: serde_json::Value = serde_json::from_slice(
            &serde_json::to_vec(&FileV1 {
                format: FORMAT.into(),
                version: VERSION,
                email: "a@example.com".into(),
                id_token: String::new(),
                access_token: String::new(),
                refresh_token: String::new(),
                access_issued_at: 0,
                access_expires_at: 0,
                aws: None,
            })
            .unwrap(),
        )
        .unwrap();
        fs::write(&path, file.to_string()).unwrap();
        assert_eq!(
            load(&path, "a@example.com"),
            Loaded::Corrupt(Unusable::NoAccessToken)
        );
        // A token of the wrong type: the decoder's message would quote it.
        file["access_token"] = serde_json::json!(1234567);
        fs::write(&path, file.to_string()).unwrap();
        let Loaded::Corrupt(e) = load(&path, "a@example.com") else {
            panic!("not reported as corrupt");
        };
        let levels = crate::error_chain::tests::assert_no_repetition(&e);
        assert!(!levels.join(": ").contains("1234567"), "{levels:?}");
        assert!(!format!("{e:?}").contains("1234567"), "{e:?}");
    }

    #[test]
    fn no_level_of_an_error_chain_repeats_the_next() {
        let dir = tempfile::tempdir().unwrap();
        // A directory cannot be read as a file.
        let Loaded::Corrupt(read) = load(dir.path(), "a@example.com") else {
            panic!("a directory is not a token file");
        };
        assert!(matches!(read, Unusable::Read(_)), "{read:?}");
        let content = match serde_json::from_slice::<FileV1>(b"{ corrupt") {
            Ok(_) => panic!("decoded a corrupt file"),
            Err(e) => Unusable::Content(e.into()),
        };
        for e in [
            read,
            content,
            Unusable::UnknownFormat { version: 7 },
            Unusable::NoAccessToken,
        ] {
            let levels = crate::error_chain::tests::assert_no_repetition(&e);
            assert!(
                !levels[0].contains(&*dir.path().to_string_lossy()),
                "{levels:?}"
            );
        }
        let save = SaveError(std::io::Error::other("disk full"));
        crate::error_chain::tests::assert_no_repetition(&save);
    }

    #[cfg(unix)]
    #[test]
    fn file_mode_is_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json");
        fs::write(&path, "old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        save(&path, "a@example.com", &tokens()).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
