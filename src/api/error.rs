//! The typed causes the REST layers report: why a request could not be prepared
//! ([`RequestError`]), why an answer could not be used ([`AnswerError`], [`JsonError`]).
//!
//! Each names only its own level; a cause below it is reached through
//! [`std::error::Error::source`], so a report that prints the whole chain says each
//! thing once. None of them holds a value from a request or an answer: values can be
//! tokens, passwords or personal data.

use std::error::Error;
use std::fmt;
use std::sync::Arc;

use serde_json::error::Category;

/// Why a request could not be sent at all (before any network activity).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The endpoint's URL cannot be built from the configured base URL.
    #[error("cannot build the URL of {path}")]
    Url {
        /// The API path.
        path: &'static str,
        /// Why the joined URL does not parse.
        #[source]
        source: url::ParseError,
    },
    /// The access token contains bytes a header cannot carry.
    #[error("the access token is not a valid header value")]
    InvalidToken,
    /// The request body cannot be encoded as JSON.
    #[error("cannot encode the request body")]
    Body(#[source] JsonError),
}

impl PartialEq for RequestError {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Url { path: a, source: x }, Self::Url { path: b, source: y }) => {
                a == b && x == y
            }
            (Self::InvalidToken, Self::InvalidToken) => true,
            (Self::Body(x), Self::Body(y)) => x == y,
            _ => false,
        }
    }
}

/// A success answer that cannot be used. Names the member and what was wrong with
/// it (its JSON kind, its range), never its value.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum AnswerError {
    /// The body is not a JSON object.
    #[error("the answer is not a JSON object{}", ContentType(.content_type.as_deref()))]
    NotJson {
        /// The `content-type` the server sent, when it does not announce JSON.
        content_type: Option<String>,
    },
    /// A required member is absent or `null`.
    #[error("{member} is missing")]
    Missing {
        /// The member's path, e.g. `data.token`.
        member: &'static str,
    },
    /// A member is of another JSON kind than its model.
    #[error("{member} is {found}, not {expected}")]
    WrongKind {
        /// The member's path.
        member: &'static str,
        /// The JSON kind found (`"a string"`, `"null"`, …).
        found: &'static str,
        /// The JSON kind expected.
        expected: &'static str,
    },
    /// A number does not fit its model's range.
    #[error("{member} is out of range")]
    OutOfRange {
        /// The member's path.
        member: &'static str,
    },
    /// A member's content does not match its model.
    #[error("{member} does not match its model")]
    Invalid {
        /// The member's path.
        member: &'static str,
        /// What the JSON decoder found (its class and position only).
        #[source]
        source: JsonError,
    },
    /// An entry of a list does not match its model.
    #[error("{list}[{index}] does not match its model")]
    InvalidEntry {
        /// The list's path.
        list: &'static str,
        /// The entry's position in the list.
        index: usize,
        /// What the JSON decoder found (its class and position only).
        #[source]
        source: JsonError,
    },
    /// Time-of-Use data the protocol layer cannot decode (rate plans hold no secrets,
    /// so its decoder's message is kept).
    #[error("{member} is not valid Time-of-Use data")]
    Tou {
        /// The member's path.
        member: &'static str,
        /// The protocol layer's error.
        #[source]
        source: Arc<crate::protocol::DecodeError>,
    },
}

impl PartialEq for AnswerError {
    fn eq(&self, other: &Self) -> bool {
        use AnswerError as A;
        match (self, other) {
            (A::NotJson { content_type: a }, A::NotJson { content_type: b }) => a == b,
            (A::Missing { member: a }, A::Missing { member: b }) => a == b,
            (
                A::WrongKind {
                    member: a,
                    found: f,
                    expected: e,
                },
                A::WrongKind {
                    member: b,
                    found: g,
                    expected: d,
                },
            ) => a == b && f == g && e == d,
            (A::OutOfRange { member: a }, A::OutOfRange { member: b }) => a == b,
            (
                A::Invalid {
                    member: a,
                    source: x,
                },
                A::Invalid {
                    member: b,
                    source: y,
                },
            ) => a == b && x == y,
            (
                A::InvalidEntry {
                    list: a,
                    index: i,
                    source: x,
                },
                A::InvalidEntry {
                    list: b,
                    index: j,
                    source: y,
                },
            ) => a == b && i == j && x == y,
            // The protocol layer's error is not comparable; the member is the plain field.
            (A::Tou { member: a, .. }, A::Tou { member: b, .. }) => a == b,
            _ => false,
        }
    }
}

/// ` (content type …)` after a message, when there is one.
struct ContentType<'a>(Option<&'a str>);

impl fmt::Display for ContentType<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(ct) => write!(f, " (content type {ct})"),
            None => Ok(()),
        }
    }
}

/// A JSON decoding error, shown by its class and position only.
///
/// serde_json's own message can quote the offending value ("invalid type: string
/// \"…\""), and the values decoded here are tokens, passwords and names, so neither
/// `Display` nor `Debug` shows it, and it is not offered as a `source()`.
#[derive(Clone)]
pub struct JsonError(Arc<serde_json::Error>);

impl JsonError {
    /// What kind of error it is (syntax, data, end of input, I/O).
    pub fn category(&self) -> Category {
        self.0.classify()
    }

    /// The line of the error in the input (1-based; 0 when decoding a value in memory).
    pub fn line(&self) -> usize {
        self.0.line()
    }

    /// The column of the error in the input (1-based; 0 when decoding a value in memory).
    pub fn column(&self) -> usize {
        self.0.column()
    }
}

impl From<serde_json::Error> for JsonError {
    fn from(e: serde_json::Error) -> Self {
        Self(Arc::new(e))
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.category() {
            Category::Io => "cannot read the JSON input",
            Category::Syntax => "JSON syntax error",
            Category::Data => "a field is missing or of another type",
            Category::Eof => "the JSON input ends early",
        })?;
        if self.line() > 0 {
            write!(f, " at line {}, column {}", self.line(), self.column())?;
        }
        Ok(())
    }
}

impl fmt::Debug for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsonError")
            .field("category", &self.category())
            .field("line", &self.line())
            .field("column", &self.column())
            .finish()
    }
}

impl PartialEq for JsonError {
    fn eq(&self, other: &Self) -> bool {
        self.category() == other.category()
            && self.line() == other.line()
            && self.column() == other.column()
    }
}

impl Eq for JsonError {}

impl Error for JsonError {}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::error_chain::tests::assert_no_repetition;
    use crate::error_chain::Causes;

    /// A serde_json error whose own message quotes the value it failed on.
    pub(crate) fn json_error_quoting(value: &str) -> JsonError {
        serde_json::from_value::<u32>(serde_json::Value::String(value.to_owned()))
            .unwrap_err()
            .into()
    }

    /// Sample errors of every variant.
    pub(crate) fn samples() -> Vec<AnswerError> {
        vec![
            AnswerError::NotJson {
                content_type: Some("text/html".into()),
            },
            AnswerError::NotJson { content_type: None },
            AnswerError::Missing { member: "data" },
            AnswerError::WrongKind {
                member: "data",
                found: "a string",
                expected: "an object",
            },
            AnswerError::OutOfRange {
                member: "deviceInfo.deviceType",
            },
            AnswerError::Invalid {
                member: "data.token",
                source: json_error_quoting("secret-value"),
            },
            AnswerError::InvalidEntry {
                list: "firmwares",
                index: 3,
                source: json_error_quoting("secret-value"),
            },
            AnswerError::Tou {
                member: "data",
                source: Arc::new(
                    crate::protocol::TouInfo::from_value(serde_json::json!("x")).unwrap_err(),
                ),
            },
        ]
    }

    #[test]
    fn no_level_of_an_error_chain_repeats_the_next() {
        let url = RequestError::Url {
            path: "/user/sign-in",
            source: url::ParseError::RelativeUrlWithoutBase,
        };
        let body = RequestError::Body(json_error_quoting("x"));
        for e in [url, RequestError::InvalidToken, body] {
            assert_no_repetition(&e);
        }
        for e in samples() {
            let levels = assert_no_repetition(&e);
            // The JSON error's own message quotes the value; no level shows it.
            assert!(!levels.join(": ").contains("secret-value"), "{levels:?}");
            assert!(!format!("{e:?}").contains("secret-value"), "{e:?}");
        }
    }

    #[test]
    fn causes_lists_the_sources_only() {
        let e = AnswerError::Invalid {
            member: "data.token",
            source: json_error_quoting("x"),
        };
        assert_eq!(
            Causes(&e).to_string(),
            "a field is missing or of another type"
        );
        assert_eq!(
            Causes(&AnswerError::Missing { member: "data" }).to_string(),
            ""
        );
    }

    #[test]
    fn json_errors_compare_by_class_and_position() {
        let a = json_error_quoting("a");
        let b = json_error_quoting("b");
        assert_eq!(a, b);
        let syntax: JsonError = serde_json::from_str::<serde_json::Value>("{").unwrap_err().into();
        assert_ne!(a, syntax);
        assert_eq!(
            syntax.to_string(),
            "the JSON input ends early at line 1, column 1"
        );
    }
}
