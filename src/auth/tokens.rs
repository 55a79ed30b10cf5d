//! The token set and its pure decision rules (docs/protocol.md §2.4, §2.5).
//!
//! The server sends only lifetimes, so expiry instants are stamped on receipt with
//! the wall clock. The login tokens and the AWS credentials expire independently;
//! a refresh is not relied on to renew the AWS credentials.

use std::fmt;
use std::time::{Duration, SystemTime};

use crate::api::TokenPayload;
use crate::credentials::AwsCredentials;

use super::secret::Secret;

/// Lifetime assumed when `authenticationExpiresIn` is absent (docs/protocol.md §1).
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// The login tokens and AWS credentials held for one account.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenSet {
    /// `idToken` (JWT).
    pub id_token: Secret,
    /// `accessToken` (JWT): the raw `authorization` header value.
    pub access_token: Secret,
    /// `refreshToken`: input to `/auth/refresh`.
    pub refresh_token: Secret,
    /// When the access token was received.
    pub access_issued_at: SystemTime,
    /// `access_issued_at + authenticationExpiresIn`.
    pub access_expires_at: SystemTime,
    /// AWS temporary credentials (with their own absolute expiry), if the server sent any.
    pub aws: Option<AwsCredentials>,
    /// When the AWS credentials were received.
    pub aws_issued_at: Option<SystemTime>,
}

/// What must happen before the tokens can be used (docs/protocol.md §2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renewal {
    /// Everything is valid for at least the margin.
    None,
    /// The access token is stale: `/auth/refresh`.
    Refresh,
    /// The AWS credentials are stale: a full sign-in (a refresh may not renew them).
    SignIn,
}

/// The token object of a successful sign-in carried no access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the answer carries no access token")]
pub struct MissingAccessToken;

/// The outcome of merging a refresh answer into a token set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshMerge {
    /// The merged tokens.
    pub tokens: TokenSet,
    /// Whether the answer carried a new AWS key pair (which replaced the old one,
    /// together with its expiry).
    pub fresh_aws: bool,
}

impl TokenSet {
    /// Builds the token set from a sign-in answer processed at `issued_at`.
    pub fn from_sign_in(
        payload: &TokenPayload,
        issued_at: SystemTime,
    ) -> Result<Self, MissingAccessToken> {
        let access = payload.access_token.clone().ok_or(MissingAccessToken)?;
        let aws = aws_from_payload(payload, issued_at);
        Ok(Self {
            id_token: Secret::from(payload.id_token.clone().unwrap_or_default()),
            access_token: Secret::from(access),
            refresh_token: Secret::from(payload.refresh_token.clone().unwrap_or_default()),
            access_issued_at: issued_at,
            access_expires_at: expiry(issued_at, payload.authentication_expires_in)
                .unwrap_or_else(|| add_or_max(issued_at, DEFAULT_TOKEN_LIFETIME)),
            aws_issued_at: aws.as_ref().map(|_| issued_at),
            aws,
        })
    }

    /// Merges a refresh answer processed at `refreshed_at` (docs/protocol.md §2.5):
    /// the access token and its expiry are replaced; refresh and id tokens are kept
    /// when absent. AWS credentials are replaced only by a complete new key pair,
    /// and always together with their expiry: a lifetime without keys is ignored, so
    /// old keys never get a new expiry.
    pub fn merge_refresh(
        &self,
        payload: &TokenPayload,
        refreshed_at: SystemTime,
    ) -> Result<RefreshMerge, MissingAccessToken> {
        let access = payload.access_token.clone().ok_or(MissingAccessToken)?;
        let new_aws = aws_from_payload(payload, refreshed_at);
        let fresh_aws = new_aws.is_some();
        let (aws, aws_issued_at) = match new_aws {
            Some(aws) => (Some(aws), Some(refreshed_at)),
            None => (self.aws.clone(), self.aws_issued_at),
        };
        let tokens = Self {
            id_token: payload
                .id_token
                .clone()
                .map(Secret::from)
                .unwrap_or_else(|| self.id_token.clone()),
            access_token: Secret::from(access),
            refresh_token: payload
                .refresh_token
                .clone()
                .map(Secret::from)
                .unwrap_or_else(|| self.refresh_token.clone()),
            access_issued_at: refreshed_at,
            access_expires_at: expiry(refreshed_at, payload.authentication_expires_in)
                .unwrap_or_else(|| add_or_max(refreshed_at, DEFAULT_TOKEN_LIFETIME)),
            aws,
            aws_issued_at,
        };
        Ok(RefreshMerge { tokens, fresh_aws })
    }

    /// Whether the access token expires within the margin.
    pub fn access_stale(&self, now: SystemTime, margin: Duration) -> bool {
        is_stale(
            Some(self.access_issued_at),
            self.access_expires_at,
            now,
            margin,
        )
    }

    /// Whether the AWS credentials expire within the margin. Credentials without a
    /// known expiry are not stale (docs/protocol.md §2.4); missing credentials are not
    /// stale either (a renewal would not necessarily bring any).
    pub fn aws_stale(&self, now: SystemTime, margin: Duration) -> bool {
        match self.aws.as_ref().and_then(|a| a.expires_at) {
            Some(exp) => is_stale(self.aws_issued_at, exp, now, margin),
            None => false,
        }
    }

    /// The renewal policy of docs/protocol.md §2.4: stale AWS credentials → sign-in;
    /// otherwise a stale access token → refresh; otherwise nothing.
    pub fn needs_renewal(&self, now: SystemTime, margin: Duration) -> Renewal {
        if self.aws_stale(now, margin) {
            Renewal::SignIn
        } else if self.access_stale(now, margin) {
            Renewal::Refresh
        } else {
            Renewal::None
        }
    }
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("id_token", &self.id_token)
            .field("access_token", &self.access_token)
            .field("refresh_token", &self.refresh_token)
            .field("access_issued_at", &self.access_issued_at)
            .field("access_expires_at", &self.access_expires_at)
            .field("aws", &self.aws)
            .field("aws_issued_at", &self.aws_issued_at)
            .finish()
    }
}

/// "Expired" predicate of §2.4: `now >= expiry - margin`. The margin is capped at
/// half the lifetime (when known) so a short-lived token is not renewed on every use.
fn is_stale(
    issued: Option<SystemTime>,
    expires: SystemTime,
    now: SystemTime,
    margin: Duration,
) -> bool {
    let margin = match issued.and_then(|i| expires.duration_since(i).ok()) {
        Some(lifetime) => margin.min(lifetime / 2),
        None => margin,
    };
    match expires.checked_sub(margin) {
        Some(threshold) => now >= threshold,
        None => true,
    }
}

/// `at + seconds` for a positive lifetime; `None` for absent, zero or negative.
fn expiry(at: SystemTime, seconds: Option<i64>) -> Option<SystemTime> {
    let secs = u64::try_from(seconds?).ok().filter(|s| *s > 0)?;
    Some(add_or_max(at, Duration::from_secs(secs)))
}

/// `at + d`, saturating far in the future instead of panicking on overflow.
fn add_or_max(at: SystemTime, d: Duration) -> SystemTime {
    // About 100 years: far beyond any token lifetime, representable everywhere.
    const FAR: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
    at.checked_add(d.min(FAR))
        .or_else(|| at.checked_add(FAR))
        .unwrap_or(at)
}

fn aws_from_payload(payload: &TokenPayload, at: SystemTime) -> Option<AwsCredentials> {
    let (Some(key), Some(secret)) = (&payload.access_key_id, &payload.secret_key) else {
        return None;
    };
    Some(AwsCredentials {
        access_key_id: key.clone(),
        secret_access_key: secret.clone(),
        session_token: payload.session_token.clone(),
        expires_at: expiry(at, payload.authorization_expires_in),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn full_payload() -> TokenPayload {
        TokenPayload {
            id_token: Some("ID-TOKEN-VALUE".into()),
            access_token: Some("ACCESS-TOKEN-VALUE".into()),
            refresh_token: Some("REFRESH-TOKEN-VALUE".into()),
            authentication_expires_in: Some(3600),
            access_key_id: Some("ASIAKEYVALUE01".into()),
            secret_key: Some("SECRET-KEY-VALUE".into()),
            session_token: Some("SESSION-TOKEN-VALUE".into()),
            authorization_expires_in: Some(7200),
        }
    }

    #[test]
    fn sign_in_stamps_expiries() {
        let t = TokenSet::from_sign_in(&full_payload(), at(1000)).unwrap();
        assert_eq!(t.access_expires_at, at(4600));
        assert_eq!(t.aws.as_ref().unwrap().expires_at, Some(at(8200)));
        assert_eq!(t.aws_issued_at, Some(at(1000)));
    }

    #[test]
    fn sign_in_defaults_and_oddities() {
        let p = TokenPayload {
            access_token: Some("ACCESS-TOKEN-VALUE".into()),
            authentication_expires_in: Some(-5),
            access_key_id: Some("k".into()),
            secret_key: Some("s".into()),
            authorization_expires_in: Some(0),
            ..TokenPayload::default()
        };
        let t = TokenSet::from_sign_in(&p, at(0)).unwrap();
        assert_eq!(t.access_expires_at, at(3600));
        // Zero lifetime means unknown: never stale by time.
        assert_eq!(t.aws.as_ref().unwrap().expires_at, None);
        assert!(!t.aws_stale(at(1_000_000), Duration::from_secs(300)));
        assert!(TokenSet::from_sign_in(&TokenPayload::default(), at(0)).is_err());
        // A huge lifetime saturates instead of overflowing.
        let p = TokenPayload {
            access_token: Some("ACCESS-TOKEN-VALUE".into()),
            authentication_expires_in: Some(i64::MAX),
            ..TokenPayload::default()
        };
        assert!(TokenSet::from_sign_in(&p, at(0)).is_ok());
    }

    #[test]
    fn half_key_pair_is_no_aws_credentials() {
        let p = TokenPayload {
            secret_key: None,
            ..full_payload()
        };
        let t = TokenSet::from_sign_in(&p, at(0)).unwrap();
        assert!(t.aws.is_none());
        assert!(!t.aws_stale(at(10_000), Duration::from_secs(300)));
    }

    #[test]
    fn policy_order() {
        let m = Duration::from_secs(300);
        let t = TokenSet::from_sign_in(&full_payload(), at(0)).unwrap();
        assert_eq!(t.needs_renewal(at(3299), m), Renewal::None);
        assert_eq!(t.needs_renewal(at(3300), m), Renewal::Refresh);
        assert_eq!(t.needs_renewal(at(6899), m), Renewal::Refresh);
        assert_eq!(t.needs_renewal(at(6900), m), Renewal::SignIn);
    }

    #[test]
    fn margin_is_capped_at_half_the_lifetime() {
        let p = TokenPayload {
            authentication_expires_in: Some(100),
            authorization_expires_in: None,
            ..full_payload()
        };
        let t = TokenSet::from_sign_in(&p, at(0)).unwrap();
        let m = Duration::from_secs(300);
        assert_eq!(t.needs_renewal(at(49), m), Renewal::None);
        assert_eq!(t.needs_renewal(at(50), m), Renewal::Refresh);
    }

    #[test]
    fn refresh_with_lifetime_but_no_keys_keeps_old_keys_and_expiry() {
        let t = TokenSet::from_sign_in(&full_payload(), at(0)).unwrap();
        let p = TokenPayload {
            access_token: Some("acc2".into()),
            authorization_expires_in: Some(3600),
            ..TokenPayload::default()
        };
        let m = t.merge_refresh(&p, at(3000)).unwrap();
        assert!(!m.fresh_aws);
        assert_eq!(m.tokens.aws, t.aws);
        assert_eq!(m.tokens.aws_issued_at, Some(at(0)));
        assert_eq!(m.tokens.refresh_token.expose(), "REFRESH-TOKEN-VALUE");
        assert_eq!(m.tokens.id_token.expose(), "ID-TOKEN-VALUE");
        assert_eq!(m.tokens.access_expires_at, at(6600));
    }

    #[test]
    fn refresh_with_keys_replaces_keys_and_expiry_together() {
        let t = TokenSet::from_sign_in(&full_payload(), at(0)).unwrap();
        let p = TokenPayload {
            access_token: Some("acc2".into()),
            refresh_token: Some("ref2".into()),
            access_key_id: Some("ASIANEW".into()),
            secret_key: Some("secret2".into()),
            session_token: None,
            authorization_expires_in: None,
            ..TokenPayload::default()
        };
        let m = t.merge_refresh(&p, at(3000)).unwrap();
        assert!(m.fresh_aws);
        let aws = m.tokens.aws.unwrap();
        assert_eq!(aws.access_key_id, "ASIANEW");
        assert_eq!(aws.session_token, None);
        assert_eq!(aws.expires_at, None);
        assert_eq!(m.tokens.refresh_token.expose(), "ref2");
        assert!(t.merge_refresh(&TokenPayload::default(), at(1)).is_err());
    }

    #[test]
    fn debug_redacts_everything_secret() {
        let t = TokenSet::from_sign_in(&full_payload(), at(0)).unwrap();
        let s = format!("{t:?}");
        for secret in [
            "ID-TOKEN-VALUE",
            "ACCESS-TOKEN-VALUE",
            "REFRESH-TOKEN-VALUE",
            "KEYVALUE01",
            "SECRET-KEY-VALUE",
            "SESSION-TOKEN-VALUE",
        ] {
            assert!(!s.contains(secret), "{secret} in {s}");
        }
    }
}
