//! Errors of authenticated REST calls.
//!
//! Each message says only its own level (which endpoint, what class of failure); the
//! cause (the auth layer's error, reqwest's error, the decoding problem) is its
//! [`source`](std::error::Error::source).

use std::sync::Arc;

use serde_json::Value;

use crate::api::envelope::CallFailure;
use crate::api::{AnswerError, RequestError};
use crate::auth::AuthError;

/// Why an authenticated REST call failed.
///
/// Cloneable (reqwest's error is shared in an [`Arc`]); equality compares the variant
/// and its plain fields, not the causes behind them.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum RestError {
    /// No access token could be obtained.
    #[error("{endpoint}: no access token")]
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
    #[error("{endpoint} failed: network error{}", if *.timeout { " (timeout)" } else { "" })]
    Transport {
        /// The API path.
        endpoint: &'static str,
        /// reqwest's error (its URL removed).
        #[source]
        source: Arc<reqwest::Error>,
        /// Whether the request timed out.
        timeout: bool,
    },
    /// A success answer that could not be decoded.
    #[error("{endpoint} failed: malformed answer")]
    Decode {
        /// The API path.
        endpoint: &'static str,
        /// What was wrong (field names and kinds, never values).
        #[source]
        source: AnswerError,
    },
    /// The request could not be prepared (bad base URL, a body that cannot be
    /// encoded); nothing was sent.
    #[error("{endpoint}: cannot prepare the request")]
    Request {
        /// The API path.
        endpoint: &'static str,
        /// What was wrong.
        #[source]
        source: RequestError,
    },
    /// The HTTP client could not be built.
    #[error("cannot set up the HTTP client")]
    Setup {
        /// reqwest's builder error.
        #[source]
        source: Arc<reqwest::Error>,
    },
    /// An actor the call's caller depends on has stopped (the client is shutting down).
    #[error("the {actor} actor is not running")]
    Unavailable {
        /// Which actor.
        actor: &'static str,
    },
}

impl PartialEq for RestError {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (
                Self::Auth {
                    endpoint: e1,
                    source: a,
                },
                Self::Auth {
                    endpoint: e2,
                    source: b,
                },
            ) => e1 == e2 && a == b,
            (
                Self::Api {
                    endpoint: e1,
                    status: s1,
                    code: c1,
                    msg: m1,
                    body: b1,
                },
                Self::Api {
                    endpoint: e2,
                    status: s2,
                    code: c2,
                    msg: m2,
                    body: b2,
                },
            ) => e1 == e2 && s1 == s2 && c1 == c2 && m1 == m2 && b1 == b2,
            (
                Self::Transport {
                    endpoint: e1,
                    timeout: t1,
                    ..
                },
                Self::Transport {
                    endpoint: e2,
                    timeout: t2,
                    ..
                },
            ) => e1 == e2 && t1 == t2,
            (
                Self::Decode {
                    endpoint: e1,
                    source: a,
                },
                Self::Decode {
                    endpoint: e2,
                    source: b,
                },
            ) => e1 == e2 && a == b,
            (
                Self::Request {
                    endpoint: e1,
                    source: a,
                },
                Self::Request {
                    endpoint: e2,
                    source: b,
                },
            ) => e1 == e2 && a == b,
            (Self::Setup { .. }, Self::Setup { .. }) => true,
            (Self::Unavailable { actor: a }, Self::Unavailable { actor: b }) => a == b,
            _ => false,
        }
    }
}

impl RestError {
    /// Whether a later retry may succeed: network problems, 5xx, timeouts,
    /// malformed answers. A credential rejection and client errors (4xx) are not.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Auth { source, .. } => source.is_transient(),
            Self::Api { status, code, .. } => *status >= 500 || *code >= 500,
            Self::Transport { .. } | Self::Decode { .. } => true,
            Self::Request { .. } | Self::Setup { .. } | Self::Unavailable { .. } => false,
        }
    }

    pub(crate) fn from_call(endpoint: &'static str, failure: CallFailure) -> Self {
        match failure {
            CallFailure::Request(source) => Self::Request { endpoint, source },
            CallFailure::Transport { source, timeout } => Self::Transport {
                endpoint,
                source,
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
            CallFailure::Malformed { source, .. } => Self::Decode { endpoint, source },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error_chain::tests::assert_no_repetition;

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

    /// A report that prints every level says each thing once.
    #[tokio::test]
    async fn no_level_of_an_error_chain_repeats_the_next() {
        let mut errors = vec![
            RestError::from_call("/device/list", crate::auth::error::tests::refused().await),
            RestError::from_call(
                "/device/info",
                CallFailure::Rejected {
                    status: 500,
                    code: 500,
                    msg: "Internal Server Error".into(),
                    body: None,
                },
            ),
            RestError::from_call(
                "/device/tou",
                CallFailure::Request(RequestError::InvalidToken),
            ),
            RestError::Setup {
                source: Arc::new(
                    reqwest::Client::new()
                        .get("http://")
                        .build()
                        .unwrap_err()
                        .without_url(),
                ),
            },
            RestError::Unavailable {
                actor: "subscriptions",
            },
        ];
        for source in crate::auth::error::tests::samples().await {
            errors.push(RestError::Auth {
                endpoint: "/device/list",
                source,
            });
        }
        for source in crate::api::error::tests::samples() {
            errors.push(RestError::from_call(
                "/device/firmware/info",
                CallFailure::Malformed {
                    status: 200,
                    source,
                },
            ));
        }
        for e in &errors {
            let levels = assert_no_repetition(e);
            let whole = levels.join(": ");
            assert!(!whole.contains("example.com"), "{whole}");
            assert!(!whole.contains("secret-value"), "{whole}");
        }
        assert_eq!(
            assert_no_repetition(&errors[0])[0],
            "/device/list failed: network error"
        );
    }
}
