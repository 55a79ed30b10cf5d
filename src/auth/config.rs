//! Settings of the [`Auth`](super::Auth) actor.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use super::secret::{redact_email, Secret};
use crate::config::DEFAULT_API_URL;

/// Default early-renewal margin: tokens count as expired this long before their expiry.
pub const DEFAULT_SAFETY_MARGIN: Duration = Duration::from_secs(300);
/// Default total timeout of one HTTP request. The API answers in well under a second; a
/// request stuck in a black-holed API holds up the reconnect that needs it, so the bound
/// is short.
pub const DEFAULT_HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// Account and transport settings for signing in.
///
/// ```
/// use std::time::Duration;
/// use nwp500::auth::AuthConfig;
///
/// let cfg = AuthConfig::new("user@example.com", "correct-horse")
///     .with_safety_margin(Duration::from_secs(120))
///     .with_token_file("tokens.json");
/// assert_eq!(cfg.api_base_url.as_str(), "https://nlus.naviensmartcontrol.com/api/v2.1");
/// assert!(!format!("{cfg:?}").contains("correct-horse"));
/// ```
#[derive(Clone)]
pub struct AuthConfig {
    /// Account e-mail; also the `userId` of every REST call.
    pub email: String,
    /// Account password.
    pub password: Secret,
    /// REST base URL, without a trailing path separator (one is tolerated).
    pub api_base_url: Url,
    /// Credentials count as stale this long before they expire (capped at half of
    /// their lifetime, so short-lived tokens are not renewed on every request).
    pub safety_margin: Duration,
    /// Total timeout of one HTTP request.
    pub http_timeout: Duration,
    /// Where to keep the tokens between runs (`None`: memory only). Written
    /// atomically with mode 0600 and bound to [`email`](Self::email).
    pub token_file: Option<PathBuf>,
}

impl AuthConfig {
    /// Settings for an account, with the defaults of docs/protocol.md §1.
    pub fn new(email: impl Into<String>, password: impl Into<Secret>) -> Self {
        Self {
            email: email.into(),
            password: password.into(),
            api_base_url: default_api_base_url(),
            safety_margin: DEFAULT_SAFETY_MARGIN,
            http_timeout: DEFAULT_HTTP_TIMEOUT,
            token_file: None,
        }
    }

    /// Points the client at another REST base URL (tests, simulators).
    pub fn with_api_base_url(mut self, url: Url) -> Self {
        self.api_base_url = url;
        self
    }

    /// Sets the early-renewal margin.
    pub fn with_safety_margin(mut self, margin: Duration) -> Self {
        self.safety_margin = margin;
        self
    }

    /// Sets the per-request timeout.
    pub fn with_http_timeout(mut self, timeout: Duration) -> Self {
        self.http_timeout = timeout;
        self
    }

    /// Enables token persistence in `path`.
    pub fn with_token_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.token_file = Some(path.into());
        self
    }
}

fn default_api_base_url() -> Url {
    // A compile-time constant that is a valid URL; covered by a unit test.
    Url::parse(DEFAULT_API_URL).expect("DEFAULT_API_URL is a valid URL")
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthConfig")
            .field("email", &redact_email(&self.email))
            .field("password", &self.password)
            .field("api_base_url", &self.api_base_url.as_str())
            .field("safety_margin", &self.safety_margin)
            .field("http_timeout", &self.http_timeout)
            .field("token_file", &self.token_file)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_protocol() {
        let c = AuthConfig::new("user@example.com", "correct-horse");
        assert_eq!(c.api_base_url.as_str(), DEFAULT_API_URL);
        assert_eq!(c.safety_margin, Duration::from_secs(300));
        assert_eq!(c.http_timeout, Duration::from_secs(10));
        assert!(c.token_file.is_none());
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("correct-horse"));
        assert!(!dbg.contains("user@example.com"));
    }
}
