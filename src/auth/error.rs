//! Errors of the auth layer and their classification (docs/protocol.md §2.2).
//!
//! Only an explicit credential rejection by the sign-in endpoint is fatal. Anything
//! unfamiliar stays transient: a message that merely *contains* "invalid" never
//! makes an error fatal.
//!
//! Each message says only its own level (which call, what class of failure); the
//! cause (reqwest's error, the decoding problem) is its [`source`](std::error::Error::source).

use std::fmt;
use std::sync::Arc;

use crate::api::envelope::CallFailure;
use crate::api::{AnswerError, RequestError};

/// Which auth call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthOperation {
    /// `POST /user/sign-in`.
    SignIn,
    /// `POST /auth/refresh`.
    Refresh,
}

impl fmt::Display for AuthOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::SignIn => "sign-in",
            Self::Refresh => "token refresh",
        })
    }
}

/// Why credentials could not be obtained.
///
/// Cloneable because one renewal's outcome is handed to every caller that waited for it
/// (so reqwest's error is shared in an [`Arc`]). Equality compares the variant and its
/// plain fields, not the causes behind them.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The server rejected the e-mail/password pair. Fatal: never retried
    /// automatically (retrying a wrong password risks locking the account); only an
    /// explicit `SignInAgain` tries again.
    #[error("invalid credentials (code {code}): {msg}")]
    InvalidCredentials {
        /// Effective code (401, or e.g. 1001 for `INVALID_USER_PASSWORD`).
        code: i64,
        /// Server message.
        msg: String,
    },
    /// The server answered with a failure that is not a credential rejection
    /// (5xx, 4xx other than the above, refresh rejected, unknown body code).
    #[error("{operation} failed: HTTP {status}, code {code}: {msg}")]
    Server {
        /// The call.
        operation: AuthOperation,
        /// HTTP status.
        status: u16,
        /// Effective code.
        code: i64,
        /// Server message (may be empty).
        msg: String,
    },
    /// No answer: DNS, TCP, TLS, timeout, connection dropped.
    #[error("{operation} failed: network error{}", if *.timeout { " (timeout)" } else { "" })]
    Transport {
        /// The call.
        operation: AuthOperation,
        /// reqwest's error (its URL removed).
        #[source]
        source: Arc<reqwest::Error>,
        /// Whether the request timed out.
        timeout: bool,
    },
    /// The request could not be prepared (bad base URL); nothing was sent.
    #[error("{operation} failed: cannot prepare the request")]
    Request {
        /// The call.
        operation: AuthOperation,
        /// What was wrong.
        #[source]
        source: RequestError,
    },
    /// A success answer that could not be used (not JSON, required fields missing).
    #[error("{operation} failed: malformed answer (HTTP {status})")]
    Decode {
        /// The call.
        operation: AuthOperation,
        /// HTTP status.
        status: u16,
        /// What was wrong (field names and kinds, never values).
        #[source]
        source: AnswerError,
    },
    /// No refresh token is held, so a refresh cannot be attempted.
    #[error("no refresh token available")]
    NoRefreshToken,
    /// The HTTP client could not be built.
    #[error("cannot set up the HTTP client")]
    Setup {
        /// reqwest's builder error.
        #[source]
        source: Arc<reqwest::Error>,
    },
    /// The auth actor is not running any more.
    #[error("the auth actor is not available")]
    Unavailable,
}

impl PartialEq for AuthError {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (
                Self::InvalidCredentials { code: c1, msg: m1 },
                Self::InvalidCredentials { code: c2, msg: m2 },
            ) => c1 == c2 && m1 == m2,
            (
                Self::Server {
                    operation: o1,
                    status: s1,
                    code: c1,
                    msg: m1,
                },
                Self::Server {
                    operation: o2,
                    status: s2,
                    code: c2,
                    msg: m2,
                },
            ) => o1 == o2 && s1 == s2 && c1 == c2 && m1 == m2,
            (
                Self::Transport {
                    operation: o1,
                    timeout: t1,
                    ..
                },
                Self::Transport {
                    operation: o2,
                    timeout: t2,
                    ..
                },
            ) => o1 == o2 && t1 == t2,
            (
                Self::Request {
                    operation: o1,
                    source: a,
                },
                Self::Request {
                    operation: o2,
                    source: b,
                },
            ) => o1 == o2 && a == b,
            (
                Self::Decode {
                    operation: o1,
                    status: s1,
                    source: a,
                },
                Self::Decode {
                    operation: o2,
                    status: s2,
                    source: b,
                },
            ) => o1 == o2 && s1 == s2 && a == b,
            (Self::NoRefreshToken, Self::NoRefreshToken)
            | (Self::Setup { .. }, Self::Setup { .. })
            | (Self::Unavailable, Self::Unavailable) => true,
            _ => false,
        }
    }
}

impl AuthError {
    /// Whether retrying automatically is pointless (and harmful): the server rejected
    /// the account credentials.
    pub fn is_fatal(&self) -> bool {
        matches!(self, Self::InvalidCredentials { .. })
    }

    /// Whether a later retry may succeed (network, server, malformed answer).
    pub fn is_transient(&self) -> bool {
        !self.is_fatal()
    }

    /// Maps a failed sign-in call, recognising the credential rejections of §2.2.
    pub(crate) fn from_sign_in(failure: CallFailure) -> Self {
        match failure {
            CallFailure::Rejected { code, ref msg, .. } if is_credential_rejection(code, msg) => {
                Self::InvalidCredentials {
                    code,
                    msg: msg.clone(),
                }
            }
            other => Self::from_call(AuthOperation::SignIn, other),
        }
    }

    /// Maps a failed refresh call. A refresh never yields `InvalidCredentials`:
    /// a rejected refresh token is repaired by signing in.
    pub(crate) fn from_refresh(failure: CallFailure) -> Self {
        Self::from_call(AuthOperation::Refresh, failure)
    }

    fn from_call(operation: AuthOperation, failure: CallFailure) -> Self {
        match failure {
            CallFailure::Request(source) => Self::Request { operation, source },
            CallFailure::Transport { source, timeout } => Self::Transport {
                operation,
                source,
                timeout,
            },
            CallFailure::Rejected {
                status, code, msg, ..
            } => Self::Server {
                operation,
                status,
                code,
                msg,
            },
            CallFailure::Malformed { status, source } => Self::Decode {
                operation,
                status,
                source,
            },
        }
    }
}

/// The documented sign-in rejections: effective code 401 (`{"code":401,"msg":"Invalid
/// credentials"}`), and the HTTP-200 forms `{"code":1001,"msg":"INVALID_USER_PASSWORD"}`
/// and `msg` `USER_NOT_FOUND`. Messages are compared whole, never as substrings.
pub(crate) fn is_credential_rejection(code: i64, msg: &str) -> bool {
    const REJECTION_MESSAGES: [&str; 2] = ["INVALID_USER_PASSWORD", "USER_NOT_FOUND"];
    let msg = msg.trim();
    code == 401
        || REJECTION_MESSAGES
            .iter()
            .any(|m| m.eq_ignore_ascii_case(msg))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn rejected(status: u16, code: i64, msg: &str) -> CallFailure {
        CallFailure::Rejected {
            status,
            code,
            msg: msg.into(),
            body: None,
        }
    }

    #[test]
    fn credential_rejections_are_fatal() {
        for f in [
            rejected(401, 401, "Invalid credentials"),
            rejected(200, 401, "Invalid credentials"),
            rejected(200, 1001, "INVALID_USER_PASSWORD"),
            rejected(200, 1002, "USER_NOT_FOUND"),
            rejected(401, 401, ""),
        ] {
            let e = AuthError::from_sign_in(f);
            assert!(e.is_fatal(), "{e}");
            assert!(matches!(e, AuthError::InvalidCredentials { .. }));
        }
    }

    #[test]
    fn unfamiliar_failures_stay_transient() {
        for f in [
            rejected(500, 500, "Internal server error"),
            // A substring "invalid" must not make it fatal (L-17).
            rejected(503, 503, "invalid upstream response"),
            rejected(200, 1001, "SOMETHING_ELSE_INVALID"),
            rejected(200, 400, "unauthorized gateway"),
            CallFailure::Request(RequestError::InvalidToken),
            CallFailure::Malformed {
                status: 200,
                source: AnswerError::Missing { member: "data" },
            },
        ] {
            let e = AuthError::from_sign_in(f);
            assert!(!e.is_fatal(), "{e}");
            assert!(e.is_transient());
        }
    }

    #[test]
    fn refresh_rejection_is_never_fatal() {
        let e = AuthError::from_refresh(rejected(401, 401, "Invalid credentials"));
        assert!(!e.is_fatal());
        assert!(matches!(
            e,
            AuthError::Server {
                operation: AuthOperation::Refresh,
                code: 401,
                ..
            }
        ));
    }

    /// A real transport failure: a connection refused on the loopback interface.
    pub(crate) async fn refused() -> CallFailure {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let url = url::Url::parse(&format!(
            "http://127.0.0.1:{port}/user/sign-in?userId=someone%40example.com"
        ))
        .unwrap();
        let client = crate::api::http::build_client(std::time::Duration::from_secs(2)).unwrap();
        crate::api::http::call(&client, crate::api::http::Verb::Get, url, None, None)
            .await
            .unwrap_err()
    }

    /// Sample errors of every variant that has a cause or a message.
    pub(crate) async fn samples() -> Vec<AuthError> {
        let mut errors = vec![
            AuthError::from_sign_in(refused().await),
            AuthError::from_refresh(refused().await),
            AuthError::from_sign_in(rejected(401, 401, "Invalid credentials")),
            AuthError::from_refresh(rejected(500, 500, "Internal Server Error")),
            AuthError::from_sign_in(CallFailure::Request(RequestError::Url {
                path: "/user/sign-in",
                source: url::ParseError::EmptyHost,
            })),
            AuthError::NoRefreshToken,
            AuthError::Setup {
                source: Arc::new(
                    reqwest::Client::new()
                        .get("http://")
                        .build()
                        .unwrap_err()
                        .without_url(),
                ),
            },
            AuthError::Unavailable,
        ];
        for source in crate::api::error::tests::samples() {
            errors.push(AuthError::from_sign_in(CallFailure::Malformed {
                status: 200,
                source,
            }));
        }
        errors
    }

    /// A report that prints every level says each thing once, and no level shows
    /// the URL (whose query string carries the e-mail).
    #[tokio::test]
    async fn no_level_of_an_error_chain_repeats_the_next() {
        for e in samples().await {
            let levels = crate::error_chain::tests::assert_no_repetition(&e);
            let whole = levels.join(": ");
            assert!(!whole.contains("sign-in failed: sign-in"), "{whole}");
            assert!(!whole.contains("example.com"), "{whole}");
            assert!(!whole.contains("127.0.0.1"), "{whole}");
            assert!(!format!("{e:?}").contains("example.com"), "{e:?}");
        }
        // The transport failure keeps reqwest's whole chain below its own level.
        let refused = AuthError::from_sign_in(refused().await);
        let levels = crate::error_chain::tests::chain(&refused);
        assert_eq!(levels[0], "sign-in failed: network error");
        assert!(levels.len() >= 3, "{levels:?}");
        assert!(
            levels.iter().any(|l| l.to_lowercase().contains("refused")),
            "{levels:?}"
        );
    }

    #[tokio::test]
    async fn equality_compares_the_variant_and_its_plain_fields() {
        let a = AuthError::from_sign_in(refused().await);
        let b = AuthError::from_sign_in(refused().await);
        assert_eq!(a, b);
        assert_ne!(a, AuthError::from_refresh(refused().await));
        assert_ne!(a, AuthError::Unavailable);
    }

    #[test]
    fn display_carries_context() {
        let e = AuthError::Decode {
            operation: AuthOperation::Refresh,
            status: 200,
            source: AnswerError::Missing { member: "data" },
        };
        assert_eq!(
            e.to_string(),
            "token refresh failed: malformed answer (HTTP 200)"
        );
    }
}
