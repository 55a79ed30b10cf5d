//! The `{code, msg, data}` response envelope and the success rule of docs/protocol.md §2.2.
//!
//! A call succeeds only when the HTTP status is below 400 **and** the effective code
//! is 200 (effective code = body `code` if present, else the HTTP status). The
//! layers above turn a [`CallFailure`] into their own error type.

use std::sync::Arc;

use serde_json::Value;

use super::error::{AnswerError, RequestError};
use crate::protocol::lenient;

/// Why one HTTP exchange did not produce a usable `data` member.
#[derive(Debug, Clone)]
pub(crate) enum CallFailure {
    /// The request could not be prepared; nothing was sent.
    Request(RequestError),
    /// No HTTP response: DNS, TCP, TLS, timeout, connection dropped.
    Transport {
        /// reqwest's error, its URL removed (query strings can carry the e-mail).
        source: Arc<reqwest::Error>,
        /// Whether the request timed out.
        timeout: bool,
    },
    /// The server answered, and the answer is a failure by the §2.2 rule.
    Rejected {
        /// HTTP status.
        status: u16,
        /// Effective code (body `code`, else the HTTP status).
        code: i64,
        /// Body `msg` (empty when absent).
        msg: String,
        /// The whole JSON body, when it was JSON.
        body: Option<Value>,
    },
    /// A success status with a body that is not a JSON envelope, or whose `data`
    /// lacks required fields.
    Malformed {
        /// HTTP status.
        status: u16,
        /// What was wrong (kinds and field names only, never values).
        source: AnswerError,
    },
}

impl CallFailure {
    /// A transport failure from reqwest's error, without its URL.
    pub(crate) fn transport(e: reqwest::Error) -> Self {
        Self::Transport {
            timeout: e.is_timeout(),
            source: Arc::new(e.without_url()),
        }
    }
}

// By hand: reqwest's error is not comparable, so a transport failure compares by its
// plain field (the timeout classification).
impl PartialEq for CallFailure {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Request(a), Self::Request(b)) => a == b,
            (Self::Transport { timeout: a, .. }, Self::Transport { timeout: b, .. }) => a == b,
            (
                Self::Rejected {
                    status: s1,
                    code: c1,
                    msg: m1,
                    body: b1,
                },
                Self::Rejected {
                    status: s2,
                    code: c2,
                    msg: m2,
                    body: b2,
                },
            ) => s1 == s2 && c1 == c2 && m1 == m2 && b1 == b2,
            (
                Self::Malformed {
                    status: s1,
                    source: a,
                },
                Self::Malformed {
                    status: s2,
                    source: b,
                },
            ) => s1 == s2 && a == b,
            _ => false,
        }
    }
}

impl CallFailure {
    /// The effective code of a rejection, if the server answered.
    pub(crate) fn effective_code(&self) -> Option<i64> {
        match self {
            Self::Rejected { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// Applies the §2.2 rule to one HTTP response; on success returns `data`
/// (`None` when absent or `null`).
pub(crate) fn interpret(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Option<Value>, CallFailure> {
    let parsed = serde_json::from_slice::<Value>(body)
        .ok()
        .filter(Value::is_object);
    let Some(json) = parsed else {
        if status >= 400 {
            // An error page (e.g. from a proxy): the HTTP status is the effective code.
            return Err(CallFailure::Rejected {
                status,
                code: i64::from(status),
                msg: String::new(),
                body: None,
            });
        }
        // The content type is shown only when it explains the failure.
        let content_type = content_type
            .filter(|ct| !ct.to_ascii_lowercase().contains("json"))
            .map(str::to_owned);
        return Err(CallFailure::Malformed {
            status,
            source: AnswerError::NotJson { content_type },
        });
    };

    let body_code = json.get("code").and_then(lenient::int_from_value);
    let code = body_code.unwrap_or(i64::from(status));
    if status >= 400 || code != 200 {
        let msg = match json.get("msg") {
            Some(Value::String(s)) => s.clone(),
            _ => String::new(),
        };
        return Err(CallFailure::Rejected {
            status,
            code,
            msg,
            body: Some(json),
        });
    }
    match json.get("data") {
        None | Some(Value::Null) => Ok(None),
        Some(data) => Ok(Some(data.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bytes(v: &Value) -> Vec<u8> {
        serde_json::to_vec(v).unwrap()
    }

    #[test]
    fn success_returns_data() {
        let b = bytes(&json!({"code": 200, "msg": "SUCCESS", "data": {"a": 1}}));
        assert_eq!(
            interpret(200, Some("application/json"), &b),
            Ok(Some(json!({"a": 1})))
        );
        let b = bytes(&json!({"code": 200, "msg": "SUCCESS"}));
        assert_eq!(interpret(200, None, &b), Ok(None));
    }

    #[test]
    fn error_code_inside_http_200_is_a_rejection() {
        let b = bytes(&json!({"code": 1001, "msg": "INVALID_USER_PASSWORD"}));
        let e = interpret(200, Some("application/json"), &b).unwrap_err();
        assert_eq!(e.effective_code(), Some(1001));
        match e {
            CallFailure::Rejected {
                status, msg, body, ..
            } => {
                assert_eq!(status, 200);
                assert_eq!(msg, "INVALID_USER_PASSWORD");
                assert!(body.is_some());
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn effective_code_falls_back_to_http_status() {
        let b = bytes(&json!({"msg": "nope"}));
        assert_eq!(
            interpret(401, None, &b).unwrap_err().effective_code(),
            Some(401)
        );
        // A body code of 200 cannot rescue an HTTP error status.
        let b = bytes(&json!({"code": 200, "msg": "SUCCESS"}));
        assert_eq!(
            interpret(500, None, &b).unwrap_err().effective_code(),
            Some(200)
        );
        // A float code counts.
        let b = bytes(&json!({"code": 401.0}));
        assert_eq!(
            interpret(200, None, &b).unwrap_err().effective_code(),
            Some(401)
        );
    }

    #[test]
    fn non_json_bodies() {
        let e = interpret(502, Some("text/html"), b"<html>bad gateway</html>").unwrap_err();
        assert_eq!(e.effective_code(), Some(502));
        let e = interpret(200, Some("text/html"), b"<html>ok</html>").unwrap_err();
        assert_eq!(
            e,
            CallFailure::Malformed {
                status: 200,
                source: AnswerError::NotJson {
                    content_type: Some("text/html".into())
                }
            }
        );
        let e = interpret(200, Some("application/json"), b"[1,2]").unwrap_err();
        assert_eq!(
            e,
            CallFailure::Malformed {
                status: 200,
                source: AnswerError::NotJson { content_type: None }
            }
        );
    }
}
