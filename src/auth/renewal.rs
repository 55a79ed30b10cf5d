//! One credential renewal ("flight"): the HTTP calls of a plan and the update of the
//! shared session state. Runs outside the actor's handlers, so the actor never blocks;
//! the state is updated before the outcome is handed to anyone, so every waiter and
//! every later request sees the same tokens.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tracing::{debug, info, warn};
use url::Url;

use crate::api::auth_api;
use crate::api::AnswerError;
use crate::clock::SharedClock;
use crate::error_chain::Causes;

use super::error::{AuthError, AuthOperation};
use super::messages::{Credentials, Renewed};
use super::persist;
use super::secret::Secret;
use super::tokens::TokenSet;
use crate::events::RenewalMethod;

/// What a renewal does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plan {
    /// Refresh the access token; sign in if the refresh fails.
    Refresh,
    /// Refresh; sign in if the refresh fails or brings no new AWS credentials.
    ForcedRefresh,
    /// Full sign-in.
    SignIn,
}

impl Plan {
    /// Whether a renewal running this plan gives a caller that wants `wanted`
    /// everything it needs, so the caller may share its outcome.
    pub(crate) fn satisfies(self, wanted: Plan) -> bool {
        match wanted {
            Plan::Refresh => true,
            Plan::ForcedRefresh => self != Plan::Refresh,
            Plan::SignIn => self == Plan::SignIn,
        }
    }
}

/// Mutable session state shared by the actor and the running renewal.
#[derive(Debug)]
pub(crate) struct Session {
    /// Current tokens, if any.
    pub(crate) tokens: Option<TokenSet>,
    /// Set by a credential rejection; cleared only by a successful sign-in.
    pub(crate) fatal: Option<AuthError>,
    /// The password used for the next sign-in.
    pub(crate) password: Secret,
}

/// Everything a renewal needs.
#[derive(Debug)]
pub(crate) struct Env {
    pub(crate) http: reqwest::Client,
    pub(crate) email: String,
    pub(crate) api_base_url: Url,
    pub(crate) token_file: Option<PathBuf>,
    pub(crate) clock: SharedClock,
    pub(crate) session: Mutex<Session>,
}

impl Env {
    /// Locks the session (never held across an await).
    pub(crate) fn session(&self) -> MutexGuard<'_, Session> {
        self.session.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn persist(&self, tokens: &TokenSet) {
        let Some(path) = self.token_file.clone() else {
            return;
        };
        let email = self.email.clone();
        let tokens = tokens.clone();
        match tokio::task::spawn_blocking(move || persist::save(&path, &email, &tokens)).await {
            Ok(Ok(())) => debug!("token file written"),
            Ok(Err(e)) => warn!(error = %e, cause = %Causes(&e), "could not save the tokens"),
            Err(e) => warn!(error = %e, "the token file writer did not finish"),
        }
    }
}

/// Runs `plan` to completion.
pub(crate) async fn execute(env: Arc<Env>, plan: Plan, flight: u64) -> Result<Renewed, AuthError> {
    debug!(flight, ?plan, "credential renewal started");
    let outcome = match plan {
        Plan::SignIn => sign_in(&env).await,
        Plan::Refresh => match refresh(&env).await {
            Ok((renewed, _)) => Ok(renewed),
            Err(e) => {
                warn!(flight, error = %e, cause = %Causes(&e), "token refresh failed; signing in instead");
                sign_in(&env).await
            }
        },
        Plan::ForcedRefresh => match refresh(&env).await {
            Ok((renewed, true)) => Ok(renewed),
            Ok((_, false)) => {
                info!(flight, "refresh brought no new AWS credentials; signing in");
                sign_in(&env).await
            }
            Err(e) => {
                warn!(flight, error = %e, cause = %Causes(&e), "token refresh failed; signing in instead");
                sign_in(&env).await
            }
        },
    };
    match &outcome {
        Ok(r) => debug!(flight, method = ?r.method, "credential renewal finished"),
        Err(e) => debug!(
            flight,
            error = %e,
            cause = %Causes(e),
            fatal = e.is_fatal(),
            "credential renewal failed"
        ),
    }
    outcome
}

/// `/auth/refresh`, merged into the current tokens. Also reports whether the answer
/// carried new AWS credentials.
async fn refresh(env: &Env) -> Result<(Renewed, bool), AuthError> {
    let refresh_token = env
        .session()
        .tokens
        .as_ref()
        .map(|t| t.refresh_token.clone())
        .filter(|t| !t.is_empty())
        .ok_or(AuthError::NoRefreshToken)?;
    let payload = auth_api::refresh(&env.http, &env.api_base_url, refresh_token.expose())
        .await
        .map_err(AuthError::from_refresh)?;
    let now = env.clock.wall();
    let (tokens, fresh_aws) = {
        let mut session = env.session();
        let current = session.tokens.as_ref().ok_or(AuthError::NoRefreshToken)?;
        let merged = current
            .merge_refresh(&payload, now)
            .map_err(|_| AuthError::Decode {
                operation: AuthOperation::Refresh,
                status: 200,
                source: AnswerError::Missing {
                    member: "data.accessToken",
                },
            })?;
        session.tokens = Some(merged.tokens.clone());
        (merged.tokens, merged.fresh_aws)
    };
    info!(
        fresh_aws,
        lifetime_s = payload.authentication_expires_in,
        "access token refreshed"
    );
    env.persist(&tokens).await;
    let renewed = Renewed {
        credentials: Credentials::from_tokens(&env.email, &tokens),
        method: RenewalMethod::Refresh,
    };
    Ok((renewed, fresh_aws))
}

/// `/user/sign-in` with the stored e-mail and password; replaces all tokens.
async fn sign_in(env: &Env) -> Result<Renewed, AuthError> {
    let password = env.session().password.clone();
    let data = match auth_api::sign_in(&env.http, &env.api_base_url, &env.email, password.expose())
        .await
    {
        Ok(d) => d,
        Err(failure) => {
            let e = AuthError::from_sign_in(failure);
            if e.is_fatal() {
                // Returned, so logged by whoever handles it; here only for tracing the flow.
                debug!(error = %e, "sign-in rejected: invalid credentials; not retrying automatically");
                env.session().fatal = Some(e.clone());
            }
            return Err(e);
        }
    };
    let now = env.clock.wall();
    let tokens = TokenSet::from_sign_in(&data.tokens, now).map_err(|_| AuthError::Decode {
        operation: AuthOperation::SignIn,
        status: 200,
        source: AnswerError::Missing {
            member: "data.token.accessToken",
        },
    })?;
    {
        let mut session = env.session();
        session.tokens = Some(tokens.clone());
        session.fatal = None;
    }
    if tokens.aws.is_none() {
        warn!("the sign-in answer carries no AWS credentials; MQTT cannot connect");
    }
    info!(
        aws_credentials = tokens.aws.is_some(),
        lifetime_s = data.tokens.authentication_expires_in,
        aws_lifetime_s = data.tokens.authorization_expires_in,
        "signed in"
    );
    env.persist(&tokens).await;
    Ok(Renewed {
        credentials: Credentials::from_tokens(&env.email, &tokens),
        method: RenewalMethod::SignIn,
    })
}

#[cfg(test)]
mod tests {
    use super::Plan;

    #[test]
    fn which_running_renewal_serves_which_request() {
        use Plan::*;
        assert!(Refresh.satisfies(Refresh));
        assert!(!Refresh.satisfies(ForcedRefresh));
        assert!(!Refresh.satisfies(SignIn));
        assert!(ForcedRefresh.satisfies(Refresh));
        assert!(ForcedRefresh.satisfies(ForcedRefresh));
        assert!(!ForcedRefresh.satisfies(SignIn));
        assert!(SignIn.satisfies(Refresh));
        assert!(SignIn.satisfies(ForcedRefresh));
        assert!(SignIn.satisfies(SignIn));
    }
}
