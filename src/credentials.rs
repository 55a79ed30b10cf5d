//! AWS temporary credentials shared by the auth layer (which obtains them) and the
//! connection layer (which presigns WebSocket URLs with them).

use std::fmt;
use std::time::SystemTime;

/// AWS temporary credentials as returned by NaviLink sign-in / refresh (docs/protocol.md §2.3).
///
/// `Debug` never shows the secret key or the session token; the access key id is
/// shortened to its first four characters.
#[derive(Clone, PartialEq, Eq)]
pub struct AwsCredentials {
    /// `accessKeyId` (STS style, e.g. `ASIA…`).
    pub access_key_id: String,
    /// `secretKey`.
    pub secret_access_key: String,
    /// `sessionToken`; appended after the signature when presigning.
    pub session_token: Option<String>,
    /// Absolute expiry computed on receipt (`issued_at + authorizationExpiresIn`);
    /// `None` when the server did not say.
    pub expires_at: Option<SystemTime>,
}

impl fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsCredentials")
            .field("access_key_id", &redact_prefix(&self.access_key_id, 4))
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Keeps the first `keep` characters of a secret and replaces the rest with `…`.
pub fn redact_prefix(secret: &str, keep: usize) -> String {
    let prefix: String = secret.chars().take(keep).collect();
    format!("{prefix}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets() {
        let c = AwsCredentials {
            access_key_id: "ASIAFAKEACCESSKEY0001".into(),
            secret_access_key: "fakeSecretKey/0123456789+abcdefFAKE".into(),
            session_token: Some("FAKE/Session+Token==".into()),
            expires_at: None,
        };
        let s = format!("{c:?}");
        assert!(!s.contains("fakeSecretKey"));
        assert!(!s.contains("Session+Token"));
        assert!(!s.contains("ACCESSKEY0001"));
        assert!(s.contains("ASIA"));
    }
}
