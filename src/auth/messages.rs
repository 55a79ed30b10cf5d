//! The messages other actors send to [`Auth`](super::Auth) and what they get back.

use std::fmt;
use std::time::SystemTime;

use actix::Message;

use crate::credentials::AwsCredentials;

use super::error::AuthError;
use super::secret::Secret;
use super::tokens::TokenSet;

/// What a connection needs: the login tokens and the AWS credentials.
///
/// `Debug` shows expiry instants only.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The account e-mail (`userId` of REST calls).
    pub user_id: String,
    /// Raw access token (the `authorization` header value).
    pub access_token: Secret,
    /// Id token.
    pub id_token: Secret,
    /// When the access token expires.
    pub access_expires_at: SystemTime,
    /// AWS temporary credentials for the MQTT WebSocket, with their expiry; `None`
    /// when the server sent none (MQTT is then impossible).
    pub aws: Option<AwsCredentials>,
}

impl Credentials {
    pub(crate) fn from_tokens(user_id: &str, tokens: &TokenSet) -> Self {
        Self {
            user_id: user_id.to_owned(),
            access_token: tokens.access_token.clone(),
            id_token: tokens.id_token.clone(),
            access_expires_at: tokens.access_expires_at,
            aws: tokens.aws.clone(),
        }
    }

    /// The access token part, for REST calls.
    pub fn access(&self) -> AccessToken {
        AccessToken {
            user_id: self.user_id.clone(),
            token: self.access_token.clone(),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_token", &self.access_token)
            .field("id_token", &self.id_token)
            .field("access_expires_at", &self.access_expires_at)
            .field("aws", &self.aws)
            .finish_non_exhaustive()
    }
}

/// The access token and the account it belongs to, for authenticated REST calls.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    /// The account e-mail (`userId` in request bodies).
    pub user_id: String,
    /// Raw access token (sent as `authorization: <token>`).
    pub token: Secret,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

use crate::events::RenewalMethod;

/// The result of a renewal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renewed {
    /// The renewed credentials.
    pub credentials: Credentials,
    /// Which call produced them (the last one, when a refresh fell back to sign-in).
    pub method: RenewalMethod,
}

/// "Give me credentials valid for at least the margin." Renews lazily, only when
/// stale (stale AWS credentials → sign-in; stale access token → refresh, falling
/// back to sign-in). If a renewal fails transiently while the AWS credentials held
/// are still valid, those are returned: an MQTT connect needs nothing else.
#[derive(Debug, Clone, Copy, Default)]
pub struct GetCredentials;

impl Message for GetCredentials {
    type Result = Result<Credentials, AuthError>;
}

/// A forced renewal that one outage needs once, however many connections of a pool ask
/// for it: `None` when credentials were renewed (by `RenewCredentials` or by this message)
/// at or after `since` (the outage's start), so the caller uses the current ones
/// (`GetCredentials`); otherwise the renewal, as `RenewCredentials` does it.
#[derive(Debug, Clone, Copy)]
pub struct RenewCredentialsOnce {
    /// When the outage began.
    pub since: tokio::time::Instant,
}

impl Message for RenewCredentialsOnce {
    type Result = Result<Option<Renewed>, AuthError>;
}

/// Forced renewal for a deep reconnect: refresh first; sign in if the refresh fails
/// or brings no new AWS credentials.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenewCredentials;

impl Message for RenewCredentials {
    type Result = Result<Renewed, AuthError>;
}

/// Sign in again now, also after an `InvalidCredentials` error (the only way to
/// retry after one), optionally with a new password.
#[derive(Debug, Clone, Default)]
pub struct SignInAgain {
    /// Replaces the configured password before signing in.
    pub new_password: Option<Secret>,
}

impl Message for SignInAgain {
    type Result = Result<Renewed, AuthError>;
}

/// An access token valid for at least the margin, for REST calls. Renews only when
/// the access token is stale (the AWS credentials are not a REST concern).
#[derive(Debug, Clone, Copy, Default)]
pub struct GetAccessToken;

impl Message for GetAccessToken {
    type Result = Result<AccessToken, AuthError>;
}

/// The server refused `rejected` (HTTP/code 401): get a new access token. If the
/// token held already differs from the rejected one (someone renewed meanwhile), it
/// is returned without an HTTP call.
#[derive(Debug, Clone)]
pub struct RenewAccessToken {
    /// The token the server refused.
    pub rejected: Secret,
}

impl Message for RenewAccessToken {
    type Result = Result<AccessToken, AuthError>;
}
