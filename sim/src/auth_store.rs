//! Issued tokens and AWS temporary credentials: creation, lookup, expiry, revocation.
//!
//! Plain data with the current instant passed in, so the rules are unit-tested without sockets.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// AWS temporary credentials issued by the simulator (what sign-in returns in `token`).
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedAwsCredentials {
    /// `accessKeyId` (`ASIA…`).
    pub access_key_id: String,
    /// `secretKey`.
    pub secret_access_key: String,
    /// `sessionToken`; contains `/`, `+` and `=` so that URI encoding is exercised.
    pub session_token: String,
    /// Wall-clock instant after which the gateway refuses them.
    pub expires_at: SystemTime,
}

impl std::fmt::Debug for IssuedAwsCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedAwsCredentials")
            .field("access_key_id", &"<redacted>")
            .field("secret_access_key", &"<redacted>")
            .field("session_token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// One answer of sign-in or refresh, before it is wrapped into JSON.
#[derive(Clone)]
pub(crate) struct IssuedTokens {
    pub id_token: String,
    pub access_token: String,
    pub refresh_token: String,
    pub access_lifetime_secs: u64,
    pub aws: Option<IssuedAwsCredentials>,
    pub aws_lifetime_secs: u64,
}

/// Lifetimes the store hands out.
#[derive(Debug, Clone)]
pub(crate) struct Lifetimes {
    pub access_token: Duration,
    pub refresh_token: Duration,
    pub aws_credentials: Duration,
}

/// Why an access token was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenProblem {
    Unknown,
    Expired,
}

/// Why AWS credentials were not accepted at the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AwsProblem {
    Unknown,
    MissingSessionToken,
    SessionTokenMismatch,
    Expired,
}

impl std::fmt::Display for AwsProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AwsProblem::Unknown => "unknown access key id",
            AwsProblem::MissingSessionToken => "missing X-Amz-Security-Token",
            AwsProblem::SessionTokenMismatch => "session token does not belong to the access key",
            AwsProblem::Expired => "credentials expired",
        })
    }
}

struct TokenRecord {
    user: String,
    expires: Instant,
}

struct AwsRecord {
    secret: String,
    session_token: String,
    expires: Instant,
}

/// The store of everything the simulated cloud has issued.
pub(crate) struct AuthStore {
    lifetimes: Lifetimes,
    access: HashMap<String, TokenRecord>,
    refresh: HashMap<String, TokenRecord>,
    aws: HashMap<String, AwsRecord>,
    rng: StdRng,
}

const ALNUM_UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Seconds reported to the client for a lifetime: rounded up, and at least 1 because the
/// protocol reads 0 as "unknown".
fn reported_secs(d: Duration) -> u64 {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    secs.max(1)
}

impl AuthStore {
    pub(crate) fn new(lifetimes: Lifetimes, seed: u64) -> Self {
        AuthStore {
            lifetimes,
            access: HashMap::new(),
            refresh: HashMap::new(),
            aws: HashMap::new(),
            rng: StdRng::seed_from_u64(seed),
        }
    }

    fn random(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| char::from(alphabet[self.rng.random_range(0..alphabet.len())]))
            .collect()
    }

    fn new_access_token(&mut self, user: &str, now: Instant) -> (String, String) {
        let id_token = format!("sim-id.{}", self.random(ALNUM_UPPER, 24));
        let access_token = format!("sim-access.{}", self.random(ALNUM_UPPER, 32));
        self.access.insert(
            access_token.clone(),
            TokenRecord {
                user: user.to_owned(),
                expires: now + self.lifetimes.access_token,
            },
        );
        (id_token, access_token)
    }

    /// Issues fresh AWS temporary credentials.
    pub(crate) fn issue_aws(&mut self, now: Instant, wall: SystemTime) -> IssuedAwsCredentials {
        let access_key_id = format!("ASIA{}", self.random(ALNUM_UPPER, 16));
        let secret_access_key = self.random(BASE64, 40);
        let session_token = format!("{}==", self.random(BASE64, 94));
        let lifetime = self.lifetimes.aws_credentials;
        self.aws.insert(
            access_key_id.clone(),
            AwsRecord {
                secret: secret_access_key.clone(),
                session_token: session_token.clone(),
                expires: now + lifetime,
            },
        );
        IssuedAwsCredentials {
            access_key_id,
            secret_access_key,
            session_token,
            expires_at: wall + lifetime,
        }
    }

    /// A full sign-in: tokens plus new AWS credentials.
    pub(crate) fn sign_in(&mut self, user: &str, now: Instant, wall: SystemTime) -> IssuedTokens {
        let (id_token, access_token) = self.new_access_token(user, now);
        let refresh_token = format!("sim-refresh.{}", self.random(ALNUM_UPPER, 32));
        self.refresh.insert(
            refresh_token.clone(),
            TokenRecord {
                user: user.to_owned(),
                expires: now + self.lifetimes.refresh_token,
            },
        );
        let aws = self.issue_aws(now, wall);
        IssuedTokens {
            id_token,
            access_token,
            refresh_token,
            access_lifetime_secs: reported_secs(self.lifetimes.access_token),
            aws: Some(aws),
            aws_lifetime_secs: reported_secs(self.lifetimes.aws_credentials),
        }
    }

    /// A refresh: new id/access tokens, the same refresh token, and new AWS credentials only when
    /// `with_aws`. `None` when the refresh token is unknown or expired.
    pub(crate) fn refresh(
        &mut self,
        refresh_token: &str,
        with_aws: bool,
        now: Instant,
        wall: SystemTime,
    ) -> Option<IssuedTokens> {
        let record = self.refresh.get(refresh_token)?;
        if now >= record.expires {
            return None;
        }
        let user = record.user.clone();
        let (id_token, access_token) = self.new_access_token(&user, now);
        let aws = with_aws.then(|| self.issue_aws(now, wall));
        Some(IssuedTokens {
            id_token,
            access_token,
            refresh_token: refresh_token.to_owned(),
            access_lifetime_secs: reported_secs(self.lifetimes.access_token),
            aws,
            aws_lifetime_secs: reported_secs(self.lifetimes.aws_credentials),
        })
    }

    /// The user an access token belongs to, if it is known and unexpired.
    pub(crate) fn user_for_access_token(
        &self,
        token: &str,
        now: Instant,
    ) -> Result<String, TokenProblem> {
        let record = self.access.get(token).ok_or(TokenProblem::Unknown)?;
        if now >= record.expires {
            return Err(TokenProblem::Expired);
        }
        Ok(record.user.clone())
    }

    /// The secret of an access key id (expired keys included: expiry is reported separately so
    /// that a correctly signed request with old credentials is told apart from a bad signature).
    pub(crate) fn aws_secret(&self, access_key_id: &str) -> Option<String> {
        self.aws.get(access_key_id).map(|r| r.secret.clone())
    }

    /// Whether verified credentials may connect now.
    pub(crate) fn check_aws(
        &self,
        access_key_id: &str,
        session_token: Option<&str>,
        now: Instant,
    ) -> Result<(), AwsProblem> {
        let record = self.aws.get(access_key_id).ok_or(AwsProblem::Unknown)?;
        let token = session_token.ok_or(AwsProblem::MissingSessionToken)?;
        if token != record.session_token {
            return Err(AwsProblem::SessionTokenMismatch);
        }
        if now >= record.expires {
            return Err(AwsProblem::Expired);
        }
        Ok(())
    }

    /// Makes every AWS credential issued so far expire now.
    pub(crate) fn expire_all_aws(&mut self, now: Instant) {
        for record in self.aws.values_mut() {
            record.expires = record.expires.min(now);
        }
    }

    /// Makes every access token issued so far expire now (refresh tokens stay valid).
    pub(crate) fn expire_all_access_tokens(&mut self, now: Instant) {
        for record in self.access.values_mut() {
            record.expires = record.expires.min(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> AuthStore {
        AuthStore::new(
            Lifetimes {
                access_token: Duration::from_secs(3600),
                refresh_token: Duration::from_secs(86400),
                aws_credentials: Duration::from_millis(1500),
            },
            7,
        )
    }

    #[test]
    fn sign_in_issues_working_tokens_and_credentials() {
        let mut s = store();
        let t0 = Instant::now();
        let issued = s.sign_in("user@example.com", t0, SystemTime::now());
        assert_eq!(issued.access_lifetime_secs, 3600);
        assert_eq!(issued.aws_lifetime_secs, 2, "rounded up");
        assert_eq!(
            s.user_for_access_token(&issued.access_token, t0).unwrap(),
            "user@example.com"
        );
        let aws = issued.aws.unwrap();
        assert!(aws.access_key_id.starts_with("ASIA"));
        assert_eq!(
            s.aws_secret(&aws.access_key_id),
            Some(aws.secret_access_key)
        );
        assert_eq!(
            s.check_aws(&aws.access_key_id, Some(&aws.session_token), t0),
            Ok(())
        );
        assert_eq!(
            s.check_aws(&aws.access_key_id, None, t0),
            Err(AwsProblem::MissingSessionToken)
        );
        assert_eq!(
            s.check_aws(&aws.access_key_id, Some("other"), t0),
            Err(AwsProblem::SessionTokenMismatch)
        );
        assert_eq!(
            s.check_aws(
                &aws.access_key_id,
                Some(&aws.session_token),
                t0 + Duration::from_millis(1500)
            ),
            Err(AwsProblem::Expired)
        );
    }

    #[test]
    fn expiring_everything_now_keeps_new_credentials_working() {
        let mut s = store();
        let t0 = Instant::now();
        let first = s.sign_in("u", t0, SystemTime::now());
        s.expire_all_aws(t0);
        s.expire_all_access_tokens(t0);
        let old = first.aws.unwrap();
        assert_eq!(
            s.check_aws(&old.access_key_id, Some(&old.session_token), t0),
            Err(AwsProblem::Expired)
        );
        assert_eq!(
            s.user_for_access_token(&first.access_token, t0),
            Err(TokenProblem::Expired)
        );
        let refreshed = s
            .refresh(&first.refresh_token, false, t0, SystemTime::now())
            .unwrap();
        assert!(refreshed.aws.is_none());
        assert!(s.user_for_access_token(&refreshed.access_token, t0).is_ok());
        let again = s.sign_in("u", t0, SystemTime::now()).aws.unwrap();
        assert_eq!(
            s.check_aws(&again.access_key_id, Some(&again.session_token), t0),
            Ok(())
        );
    }

    #[test]
    fn unknown_refresh_tokens_are_refused() {
        let mut s = store();
        assert!(s
            .refresh("nope", true, Instant::now(), SystemTime::now())
            .is_none());
        assert_eq!(
            s.user_for_access_token("nope", Instant::now()),
            Err(TokenProblem::Unknown)
        );
    }
}
