//! Errors of the auth layer and their classification (docs/protocol.md §2.2).
//!
//! Only an explicit credential rejection by the sign-in endpoint is fatal. Anything
//! unfamiliar stays transient: a message that merely *contains* "invalid" never
//! makes an error fatal.

use std::fmt;

use crate::api::envelope::CallFailure;

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
/// Cloneable because one renewal's outcome is handed to every caller that waited for it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
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
    #[error("{operation} failed: network error{}: {detail}", if *.timeout { " (timeout)" } else { "" })]
    Transport {
        /// The call.
        operation: AuthOperation,
        /// What happened (no URL, no header).
        detail: String,
        /// Whether the request timed out.
        timeout: bool,
    },
    /// A success answer that could not be used (not JSON, required fields missing).
    #[error("{operation} failed: malformed answer (HTTP {status}): {detail}")]
    Decode {
        /// The call.
        operation: AuthOperation,
        /// HTTP status.
        status: u16,
        /// What was wrong (field names and kinds, never values).
        detail: String,
    },
    /// No refresh token is held, so a refresh cannot be attempted.
    #[error("no refresh token available")]
    NoRefreshToken,
    /// The HTTP client could not be built.
    #[error("cannot set up the HTTP client: {detail}")]
    Setup {
        /// The builder's message.
        detail: String,
    },
    /// The auth actor is not running any more.
    #[error("the auth actor is not available")]
    Unavailable,
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
            CallFailure::Transport { detail, timeout } => Self::Transport {
                operation,
                detail,
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
            CallFailure::Malformed { status, detail } => Self::Decode {
                operation,
                status,
                detail,
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
mod tests {
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
            CallFailure::Transport {
                detail: "connection reset".into(),
                timeout: false,
            },
            CallFailure::Malformed {
                status: 200,
                detail: "no data".into(),
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

    #[test]
    fn display_carries_context() {
        let e = AuthError::Transport {
            operation: AuthOperation::SignIn,
            detail: "connection refused".into(),
            timeout: true,
        };
        assert_eq!(
            e.to_string(),
            "sign-in failed: network error (timeout): connection refused"
        );
    }
}
