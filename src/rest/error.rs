//! Errors of authenticated REST calls.

use serde_json::Value;

use crate::auth::AuthError;

use crate::api::envelope::CallFailure;

/// Why an authenticated REST call failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RestError {
    /// No access token could be obtained.
    #[error("{endpoint}: no access token: {source}")]
    Auth {
        /// The API path.
        endpoint: &'static str,
        /// The auth layer's error.
        source: AuthError,
    },
    /// The server answered with a failure (including a 401 that persisted after one
    /// renewal and retry).
    #[error("{endpoint} failed: HTTP {status}, code {code}: {msg}")]
    Api {
        /// The API path.
        endpoint: &'static str,
        /// HTTP status.
        status: u16,
        /// Effective code (body `code`, else the HTTP status).
        code: i64,
        /// Body `msg` (may be empty).
        msg: String,
        /// The whole JSON body, when it was JSON.
        body: Option<Value>,
    },
    /// No answer: DNS, TCP, TLS, timeout, connection dropped.
    #[error("{endpoint} failed: network error{}: {detail}", if *.timeout { " (timeout)" } else { "" })]
    Transport {
        /// The API path.
        endpoint: &'static str,
        /// What happened (no URL, no header).
        detail: String,
        /// Whether the request timed out.
        timeout: bool,
    },
    /// A success answer that could not be decoded.
    #[error("{endpoint} failed: malformed answer: {detail}")]
    Decode {
        /// The API path.
        endpoint: &'static str,
        /// What was wrong (field names and kinds, never values).
        detail: String,
    },
    /// The request could not be built (bad base URL, HTTP client setup).
    #[error("cannot prepare the request: {detail}")]
    Setup {
        /// What was wrong.
        detail: String,
    },
}

impl RestError {
    /// Whether a later retry may succeed: network problems, 5xx, timeouts,
    /// malformed answers. A credential rejection and client errors (4xx) are not.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Auth { source, .. } => source.is_transient(),
            Self::Api { status, code, .. } => *status >= 500 || *code >= 500,
            Self::Transport { .. } | Self::Decode { .. } => true,
            Self::Setup { .. } => false,
        }
    }

    pub(crate) fn from_call(endpoint: &'static str, failure: CallFailure) -> Self {
        match failure {
            CallFailure::Transport { detail, timeout } => Self::Transport {
                endpoint,
                detail,
                timeout,
            },
            CallFailure::Rejected {
                status,
                code,
                msg,
                body,
            } => Self::Api {
                endpoint,
                status,
                code,
                msg,
                body,
            },
            CallFailure::Malformed { detail, .. } => Self::Decode { endpoint, detail },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transience() {
        let api = |status, code| RestError::Api {
            endpoint: "/device/list",
            status,
            code,
            msg: String::new(),
            body: None,
        };
        assert!(api(500, 500).is_transient());
        assert!(api(200, 503).is_transient());
        assert!(!api(404, 404).is_transient());
        assert!(!RestError::Auth {
            endpoint: "/device/list",
            source: AuthError::InvalidCredentials {
                code: 401,
                msg: "Invalid credentials".into()
            }
        }
        .is_transient());
    }
}
