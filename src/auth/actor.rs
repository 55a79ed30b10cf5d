//! The [`Auth`] actor: a thin shell around the token set, the HTTP client and at most
//! one running renewal, whose outcome every concurrent requester shares.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix::fut::{self, ActorFutureExt};
use actix::{Actor, ActorContext, AsyncContext, Context, Handler, ResponseActFuture};
use futures::future::{FutureExt, LocalBoxFuture, Shared};
use tracing::{debug, info, warn};

use crate::api::http::build_client;
use crate::clock::{SharedClock, TokioClock};
use crate::error_chain::Causes;

use super::config::AuthConfig;
use super::error::AuthError;
use super::messages::{
    AccessToken, Credentials, GetAccessToken, GetCredentials, RenewAccessToken, RenewCredentials,
    RenewCredentialsOnce, Renewed, SignInAgain,
};
use super::persist::{self, Loaded};
use super::renewal::{execute, Env, Plan, Session};
use super::secret::Secret;
use super::tokens::Renewal;

type Outcome = Result<Renewed, AuthError>;
type SharedOutcome = Shared<LocalBoxFuture<'static, Outcome>>;

/// A renewal in progress.
struct Flight {
    id: u64,
    plan: Plan,
    outcome: SharedOutcome,
}

/// Requests answered from the current tokens when they are fresh enough.
#[derive(Debug, Clone)]
enum LazyAsk {
    /// Credentials for MQTT (both token kinds by the §2.4 policy).
    Credentials,
    /// An access token for REST.
    AccessToken,
    /// A new access token unless the held one differs from the rejected one.
    RenewAccess(Secret),
}

/// Requests that always renew.
#[derive(Debug, Clone, Copy)]
enum RenewAsk {
    /// Refresh, falling back to sign-in.
    Forced,
    /// Sign in; `exclusive` when the password changed (a running sign-in used the
    /// old one, so it cannot be shared).
    SignInAgain { exclusive: bool },
}

/// Owns the account's tokens and the HTTP client, and renews credentials on request
/// (single flight: concurrent requests during a renewal all get its result).
///
/// ```no_run
/// use actix::Actor;
/// use nwp500::auth::{Auth, AuthConfig, GetCredentials};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let auth = Auth::new(AuthConfig::new("user@example.com", "correct-horse"))?.start();
/// let creds = auth.send(GetCredentials).await??;
/// println!("AWS credentials present: {}", creds.aws.is_some());
/// # Ok(()) }
/// ```
pub struct Auth {
    env: Arc<Env>,
    margin: Duration,
    flight: Option<Flight>,
    flights_started: u64,
    /// When a forced renewal last succeeded.
    last_forced_renewal: Option<tokio::time::Instant>,
}

impl Auth {
    /// Builds the actor with the real clock; restores tokens from the token file if
    /// one is configured (a foreign or corrupt file is reported and ignored).
    pub fn new(config: AuthConfig) -> Result<Self, AuthError> {
        Self::with_clock(config, Arc::new(TokioClock))
    }

    /// Builds the actor reading time from `clock`.
    pub fn with_clock(config: AuthConfig, clock: SharedClock) -> Result<Self, AuthError> {
        let http = build_client(config.http_timeout).map_err(|e| AuthError::Setup {
            source: Arc::new(e),
        })?;
        let tokens = config
            .token_file
            .as_deref()
            .and_then(|path| match persist::load(path, &config.email) {
                Loaded::Missing => {
                    debug!("no token file yet");
                    None
                }
                Loaded::Restored(tokens) => {
                    info!("tokens restored from the token file");
                    Some(tokens)
                }
                Loaded::OtherAccount => {
                    warn!("the token file belongs to another account; ignoring it");
                    None
                }
                Loaded::Corrupt(reason) => {
                    warn!(%reason, cause = %Causes(&reason), "the token file is unusable; it will be replaced after the next sign-in");
                    None
                }
            });
        let env = Env {
            http,
            email: config.email,
            api_base_url: config.api_base_url,
            token_file: config.token_file,
            clock,
            session: Mutex::new(Session {
                tokens,
                fatal: None,
                password: config.password,
            }),
        };
        Ok(Self {
            env: Arc::new(env),
            margin: config.safety_margin,
            flight: None,
            flights_started: 0,
            last_forced_renewal: None,
        })
    }

    /// The running renewal, if any.
    fn live_flight(&self) -> Option<&Flight> {
        self.flight.as_ref().filter(|f| f.outcome.peek().is_none())
    }

    /// Answers a lazy request from the current tokens, or through a renewal.
    fn lazy(
        &mut self,
        ask: LazyAsk,
        ctx: &mut Context<Self>,
    ) -> ResponseActFuture<Self, Result<Credentials, AuthError>> {
        let now = self.env.clock.wall();
        let plan = {
            let session = self.env.session();
            if let Some(e) = &session.fatal {
                return Box::pin(fut::ready(Err(e.clone())));
            }
            match &session.tokens {
                None => Plan::SignIn,
                Some(t) => {
                    let plan = match &ask {
                        LazyAsk::Credentials => match t.needs_renewal(now, self.margin) {
                            Renewal::None => None,
                            Renewal::Refresh => Some(Plan::Refresh),
                            Renewal::SignIn => Some(Plan::SignIn),
                        },
                        LazyAsk::AccessToken => {
                            t.access_stale(now, self.margin).then_some(Plan::Refresh)
                        }
                        LazyAsk::RenewAccess(rejected) => {
                            let renewed_meanwhile =
                                t.access_token != *rejected && !t.access_stale(now, self.margin);
                            (!renewed_meanwhile).then_some(Plan::Refresh)
                        }
                    };
                    match plan {
                        Some(p) => p,
                        None => {
                            let creds = Credentials::from_tokens(&self.env.email, t);
                            return Box::pin(fut::ready(Ok(creds)));
                        }
                    }
                }
            }
        };
        self.through_flight(
            plan,
            false,
            ctx,
            move |act, ctx| act.lazy(ask, ctx),
            |outcome| outcome.map(|r| r.credentials),
        )
    }

    /// Answers a request that always renews.
    fn renew(
        &mut self,
        ask: RenewAsk,
        ctx: &mut Context<Self>,
    ) -> ResponseActFuture<Self, Outcome> {
        let (plan, exclusive) = match ask {
            RenewAsk::Forced => {
                let session = self.env.session();
                if let Some(e) = &session.fatal {
                    return Box::pin(fut::ready(Err(e.clone())));
                }
                let plan = if session.tokens.is_some() {
                    Plan::ForcedRefresh
                } else {
                    Plan::SignIn
                };
                (plan, false)
            }
            RenewAsk::SignInAgain { exclusive } => (Plan::SignIn, exclusive),
        };
        self.through_flight(
            plan,
            exclusive,
            ctx,
            move |act, ctx| act.renew(ask, ctx),
            |outcome| outcome,
        )
    }

    /// Joins the running renewal if it serves `plan`; otherwise waits for it to end
    /// and asks again (`retry`); with no renewal running, starts one.
    fn through_flight<T: 'static>(
        &mut self,
        plan: Plan,
        exclusive: bool,
        ctx: &mut Context<Self>,
        retry: impl FnOnce(&mut Self, &mut Context<Self>) -> ResponseActFuture<Self, T> + 'static,
        finish: impl FnOnce(Outcome) -> T + 'static,
    ) -> ResponseActFuture<Self, T> {
        if let Some(flight) = self.live_flight() {
            if !exclusive && flight.plan.satisfies(plan) {
                debug!(flight = flight.id, "joining the renewal in progress");
                let joined = flight.outcome.clone();
                return Box::pin(fut::wrap_future::<_, Self>(joined).map(move |o, _, _| finish(o)));
            }
            debug!(
                flight = flight.id,
                ?plan,
                "waiting for the renewal in progress"
            );
            let running = flight.outcome.clone();
            return Box::pin(
                fut::wrap_future::<_, Self>(running).then(move |_, act, ctx| retry(act, ctx)),
            );
        }
        let outcome = self.start_flight(plan, ctx);
        Box::pin(fut::wrap_future::<_, Self>(outcome).map(move |o, _, _| finish(o)))
    }

    fn start_flight(&mut self, plan: Plan, ctx: &mut Context<Self>) -> SharedOutcome {
        self.flights_started += 1;
        let id = self.flights_started;
        let outcome = execute(Arc::clone(&self.env), plan, id)
            .boxed_local()
            .shared();
        // Drives the renewal to its end even if every requester gave up, then frees
        // the slot (unless a newer renewal already took it).
        ctx.spawn(
            fut::wrap_future::<_, Self>(outcome.clone()).map(move |_, act, _| {
                if act.flight.as_ref().is_some_and(|f| f.id == id) {
                    act.flight = None;
                }
            }),
        );
        self.flight = Some(Flight {
            id,
            plan,
            outcome: outcome.clone(),
        });
        outcome
    }

    /// After a transient failure: the held credentials if their AWS part is still
    /// valid for the margin (an MQTT connect needs nothing else).
    fn still_usable_for_mqtt(&self) -> Option<Credentials> {
        let now = self.env.clock.wall();
        let session = self.env.session();
        let tokens = session.tokens.as_ref()?;
        (tokens.aws.is_some() && !tokens.aws_stale(now, self.margin))
            .then(|| Credentials::from_tokens(&self.env.email, tokens))
    }
}

impl Actor for Auth {
    type Context = Context<Self>;

    fn started(&mut self, _ctx: &mut Self::Context) {
        crate::lifecycle::actor_started(crate::lifecycle::ActorKind::Auth);
    }

    fn stopped(&mut self, _ctx: &mut Self::Context) {
        crate::lifecycle::actor_stopped(crate::lifecycle::ActorKind::Auth);
    }
}

impl Handler<crate::lifecycle::Shutdown> for Auth {
    type Result = ();

    /// A renewal in flight belongs to the context and is dropped with it.
    fn handle(&mut self, _: crate::lifecycle::Shutdown, ctx: &mut Context<Self>) {
        debug!("auth actor shutting down");
        ctx.stop();
    }
}

impl Handler<GetCredentials> for Auth {
    type Result = ResponseActFuture<Self, Result<Credentials, AuthError>>;

    fn handle(&mut self, _: GetCredentials, ctx: &mut Context<Self>) -> Self::Result {
        Box::pin(
            self.lazy(LazyAsk::Credentials, ctx)
                .map(|result, act, _| match result {
                    Err(e) if e.is_transient() => match act.still_usable_for_mqtt() {
                        Some(creds) => {
                            warn!(error = %e, cause = %Causes(&e), "renewal failed; the AWS credentials held are still valid, using them");
                            Ok(creds)
                        }
                        None => Err(e),
                    },
                    other => other,
                }),
        )
    }
}

impl Handler<GetAccessToken> for Auth {
    type Result = ResponseActFuture<Self, Result<AccessToken, AuthError>>;

    fn handle(&mut self, _: GetAccessToken, ctx: &mut Context<Self>) -> Self::Result {
        Box::pin(
            self.lazy(LazyAsk::AccessToken, ctx)
                .map(|r, _, _| r.map(|c| c.access())),
        )
    }
}

impl Handler<RenewAccessToken> for Auth {
    type Result = ResponseActFuture<Self, Result<AccessToken, AuthError>>;

    fn handle(&mut self, msg: RenewAccessToken, ctx: &mut Context<Self>) -> Self::Result {
        Box::pin(
            self.lazy(LazyAsk::RenewAccess(msg.rejected), ctx)
                .map(|r, _, _| r.map(|c| c.access())),
        )
    }
}

impl Handler<RenewCredentials> for Auth {
    type Result = ResponseActFuture<Self, Outcome>;

    fn handle(&mut self, _: RenewCredentials, ctx: &mut Context<Self>) -> Self::Result {
        Box::pin(self.renew(RenewAsk::Forced, ctx).map(|outcome, act, _| {
            if outcome.is_ok() {
                act.last_forced_renewal = Some(act.env.clock.now());
            }
            outcome
        }))
    }
}

impl Handler<RenewCredentialsOnce> for Auth {
    type Result = ResponseActFuture<Self, Result<Option<Renewed>, AuthError>>;

    fn handle(&mut self, msg: RenewCredentialsOnce, ctx: &mut Context<Self>) -> Self::Result {
        if self.last_forced_renewal.is_some_and(|at| at >= msg.since) {
            debug!("credentials already renewed during this outage");
            return Box::pin(fut::ready(Ok(None)));
        }
        if self.live_flight().is_some() {
            // Another connection's renewal is under way: wait for it, then use what it
            // brought (the caller reads the fresh credentials with `GetCredentials`).
            return Box::pin(
                self.renew(RenewAsk::Forced, ctx)
                    .map(|outcome, _, _| outcome.map(|_| None)),
            );
        }
        Box::pin(
            <Self as Handler<RenewCredentials>>::handle(self, RenewCredentials, ctx)
                .map(|outcome, _, _| outcome.map(Some)),
        )
    }
}

impl Handler<SignInAgain> for Auth {
    type Result = ResponseActFuture<Self, Outcome>;

    fn handle(&mut self, msg: SignInAgain, ctx: &mut Context<Self>) -> Self::Result {
        let exclusive = {
            let mut session = self.env.session();
            session.fatal = None;
            match msg.new_password {
                Some(password) => {
                    session.password = password;
                    true
                }
                None => false,
            }
        };
        info!(new_password = exclusive, "signing in again on request");
        self.renew(RenewAsk::SignInAgain { exclusive }, ctx)
    }
}
