//! Sign-in (`POST /user/sign-in`, docs/protocol.md §2.3) and token refresh
//! (`POST /auth/refresh`, §2.5): request bodies and response models.
//!
//! These calls carry no `authorization` header. Turning the token payload into a
//! token set with expiry instants is the auth layer's job (`auth::TokenSet`).

use std::fmt;

use serde::Deserialize;
use serde_json::{json, Value};
use url::Url;

use super::envelope::CallFailure;
use super::error::AnswerError;
use super::http::{call, endpoint_url, Verb};
use crate::protocol::lenient::{self, field};

/// Sign-in path (docs/protocol.md §1).
pub const SIGN_IN_PATH: &str = "/user/sign-in";
/// Refresh path (docs/protocol.md §1).
pub const REFRESH_PATH: &str = "/auth/refresh";

/// The account holder as returned by sign-in (`data.userInfo`).
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserInfo {
    /// `userType`: `"O"` = owner.
    #[serde(default, deserialize_with = "field::opt_text")]
    pub user_type: Option<String>,
    /// `userFirstName`.
    #[serde(default, deserialize_with = "field::opt_text")]
    pub user_first_name: Option<String>,
    /// `userLastName`.
    #[serde(default, deserialize_with = "field::opt_text")]
    pub user_last_name: Option<String>,
    /// `userStatus`, e.g. `"NORMAL"`.
    #[serde(default, deserialize_with = "field::opt_text")]
    pub user_status: Option<String>,
    /// `userSeq`: account number.
    #[serde(default, deserialize_with = "field::opt_int")]
    pub user_seq: Option<i64>,
}

impl UserInfo {
    /// First and last name joined by a space (empty parts left out).
    pub fn full_name(&self) -> String {
        [&self.user_first_name, &self.user_last_name]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

// Names are personal data: Debug shows only the non-identifying fields.
impl fmt::Debug for UserInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserInfo")
            .field("user_type", &self.user_type)
            .field("user_status", &self.user_status)
            .field("name", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// The token object of a sign-in (`data.token`) or refresh (`data`) answer, as sent.
///
/// Every field is optional on the wire; empty strings are read as absent. `Debug`
/// shows which fields are present, never their values.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenPayload {
    /// `idToken` (JWT).
    #[serde(default, deserialize_with = "non_empty")]
    pub id_token: Option<String>,
    /// `accessToken` (JWT): the value of the `authorization` header.
    #[serde(default, deserialize_with = "non_empty")]
    pub access_token: Option<String>,
    /// `refreshToken`: input to `/auth/refresh`.
    #[serde(default, deserialize_with = "non_empty")]
    pub refresh_token: Option<String>,
    /// `authenticationExpiresIn`: lifetime of the id/access tokens in seconds.
    #[serde(default, deserialize_with = "field::opt_int")]
    pub authentication_expires_in: Option<i64>,
    /// `accessKeyId`: AWS temporary access key id.
    #[serde(default, deserialize_with = "non_empty")]
    pub access_key_id: Option<String>,
    /// `secretKey`: AWS secret access key.
    #[serde(default, deserialize_with = "non_empty")]
    pub secret_key: Option<String>,
    /// `sessionToken`: AWS session token.
    #[serde(default, deserialize_with = "non_empty")]
    pub session_token: Option<String>,
    /// `authorizationExpiresIn`: lifetime of the AWS credentials in seconds.
    #[serde(default, deserialize_with = "field::opt_int")]
    pub authorization_expires_in: Option<i64>,
}

impl TokenPayload {
    /// Whether the payload carries a complete AWS key pair (id and secret).
    pub fn has_aws_keys(&self) -> bool {
        self.access_key_id.is_some() && self.secret_key.is_some()
    }
}

impl fmt::Debug for TokenPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn shown(v: &Option<String>) -> &'static str {
            if v.is_some() {
                "<redacted>"
            } else {
                "<absent>"
            }
        }
        f.debug_struct("TokenPayload")
            .field("id_token", &shown(&self.id_token))
            .field("access_token", &shown(&self.access_token))
            .field("refresh_token", &shown(&self.refresh_token))
            .field("authentication_expires_in", &self.authentication_expires_in)
            .field("access_key_id", &shown(&self.access_key_id))
            .field("secret_key", &shown(&self.secret_key))
            .field("session_token", &shown(&self.session_token))
            .field("authorization_expires_in", &self.authorization_expires_in)
            .finish()
    }
}

/// A decoded sign-in answer (`data`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignInData {
    /// `data.userInfo` (defaults when absent).
    pub user: UserInfo,
    /// `data.token` (or `data.tokens`).
    pub tokens: TokenPayload,
}

fn non_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(field::opt_text(d)?.filter(|s| !s.is_empty()))
}

/// Decodes the `data` member of a sign-in answer.
///
/// Fails when the token object is missing or not an object; the error names the
/// member and the problem, never a value.
pub fn parse_sign_in_data(data: &Value) -> Result<SignInData, AnswerError> {
    let obj = data.as_object().ok_or(AnswerError::WrongKind {
        member: "data",
        found: lenient::kind(data),
        expected: "an object",
    })?;
    let token_value = obj
        .get("token")
        .or_else(|| obj.get("tokens"))
        .filter(|v| !v.is_null())
        .ok_or(AnswerError::Missing {
            member: "data.token",
        })?;
    let tokens = token_payload(token_value, "data.token")?;
    let user = match obj.get("userInfo") {
        None | Some(Value::Null) => UserInfo::default(),
        Some(v) => serde_json::from_value(v.clone()).map_err(|e| AnswerError::Invalid {
            member: "data.userInfo",
            source: e.into(),
        })?,
    };
    Ok(SignInData { user, tokens })
}

/// Decodes a token object: the flat `data` of a refresh answer (errors name the
/// member `data`).
pub fn parse_token_payload(value: &Value) -> Result<TokenPayload, AnswerError> {
    token_payload(value, "data")
}

fn token_payload(value: &Value, member: &'static str) -> Result<TokenPayload, AnswerError> {
    if !value.is_object() {
        return Err(AnswerError::WrongKind {
            member,
            found: lenient::kind(value),
            expected: "an object",
        });
    }
    serde_json::from_value(value.clone()).map_err(|e| AnswerError::Invalid {
        member,
        source: e.into(),
    })
}

/// `POST /user/sign-in` with `{userId, password}`.
pub(crate) async fn sign_in(
    client: &reqwest::Client,
    base: &Url,
    email: &str,
    password: &str,
) -> Result<SignInData, CallFailure> {
    let url = endpoint_url(base, SIGN_IN_PATH).map_err(CallFailure::Request)?;
    let body = json!({"userId": email, "password": password});
    let data = call(client, Verb::Post, url, None, Some(&body))
        .await?
        .ok_or_else(no_data)?;
    parse_sign_in_data(&data).map_err(malformed)
}

/// `POST /auth/refresh` with `{refreshToken}`.
pub(crate) async fn refresh(
    client: &reqwest::Client,
    base: &Url,
    refresh_token: &str,
) -> Result<TokenPayload, CallFailure> {
    let url = endpoint_url(base, REFRESH_PATH).map_err(CallFailure::Request)?;
    let body = json!({"refreshToken": refresh_token});
    let data = call(client, Verb::Post, url, None, Some(&body))
        .await?
        .ok_or_else(no_data)?;
    parse_token_payload(&data).map_err(malformed)
}

/// A success answer without `data` (the envelope rule passed, so the status was 200).
fn no_data() -> CallFailure {
    malformed(AnswerError::Missing { member: "data" })
}

fn malformed(source: AnswerError) -> CallFailure {
    CallFailure::Malformed {
        status: 200,
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g1_sign_in_data_decodes() {
        let data = serde_json::json!({
            "userInfo": {"userType": "O", "userFirstName": "Jane", "userLastName": "Doe",
                         "userStatus": "NORMAL", "userSeq": 20002},
            "token": {
                "idToken": "fake-id-token", "accessToken": "fake-access-token",
                "refreshToken": "fake-refresh-token", "authenticationExpiresIn": 3600,
                "accessKeyId": "ASIAFAKEACCESSKEY0001",
                "secretKey": "fakeSecretKey/0123456789+abcdefFAKE",
                "sessionToken": "FAKE/Session+Token==", "authorizationExpiresIn": 3600
            },
            "legal": []
        });
        let d = parse_sign_in_data(&data).unwrap();
        assert_eq!(d.user.full_name(), "Jane Doe");
        assert_eq!(d.user.user_seq, Some(20002));
        assert_eq!(d.tokens.access_token.as_deref(), Some("fake-access-token"));
        assert_eq!(d.tokens.authorization_expires_in, Some(3600));
        assert!(d.tokens.has_aws_keys());
        let dbg = format!("{d:?}");
        assert!(!dbg.contains("fake-"), "{dbg}");
        assert!(!dbg.contains("Jane"), "{dbg}");
    }

    #[test]
    fn tokens_key_alias_and_empty_strings() {
        let data = serde_json::json!({"tokens": {"accessToken": "a", "refreshToken": "",
                                                  "authenticationExpiresIn": 3600.0}});
        let d = parse_sign_in_data(&data).unwrap();
        assert_eq!(d.tokens.access_token.as_deref(), Some("a"));
        assert_eq!(d.tokens.refresh_token, None);
        assert_eq!(d.tokens.authentication_expires_in, Some(3600));
        assert!(!d.tokens.has_aws_keys());
        assert_eq!(d.user, UserInfo::default());
    }

    #[test]
    fn missing_token_object_is_an_error() {
        assert_eq!(
            parse_sign_in_data(&serde_json::json!({"userInfo": {}})),
            Err(AnswerError::Missing {
                member: "data.token"
            })
        );
        assert_eq!(
            parse_sign_in_data(&serde_json::json!([])),
            Err(AnswerError::WrongKind {
                member: "data",
                found: "an array",
                expected: "an object"
            })
        );
        assert!(matches!(
            parse_token_payload(&serde_json::json!("x")),
            Err(AnswerError::WrongKind { member: "data", .. })
        ));
    }

    #[test]
    fn decode_errors_name_the_member_never_the_value() {
        let data = serde_json::json!({"token": {"accessToken": "a"},
                                      "userInfo": {"userSeq": {"secret": "s3cr3t-name"}}});
        let e = parse_sign_in_data(&data).unwrap_err();
        assert!(
            matches!(
                e,
                AnswerError::Invalid {
                    member: "data.userInfo",
                    ..
                }
            ),
            "{e:?}"
        );
        let whole = crate::error_chain::tests::assert_no_repetition(&e).join(": ");
        assert!(!whole.contains("s3cr3t"), "{whole}");
    }
}
