//! The two ordered sequences the Reconnector runs as futures: one connection attempt
//! and one restore. They only send messages; every decision stays in the actor.

use std::rc::Rc;
use std::time::Duration;

use actix::{Addr, MailboxError, Recipient};
use futures::future::LocalBoxFuture;
use tracing::{debug, info};

use crate::auth::{Auth, AuthError, GetCredentials, RenewCredentials, RenewCredentialsOnce};
use crate::bus::EventBus;
use crate::connection::LinkError;
use crate::connection::{
    Close, ConnectError, ConnectErrorKind, Connected, Connection, FlushQueue, FlushReport,
    RequestError, Restart,
};
use crate::events::Event;
use crate::periodic::Resume;
use crate::policy::FailureKind;
use crate::rest::RestError;
use crate::subscriptions::{Replay, ReplayError, ReplayReport, SetLink};

/// Lists the account's devices and starts following them (subscriptions, polling);
/// answers how many. Run by each attempt until it has succeeded once, so a client
/// started while the cloud was unreachable learns its devices under the reconnect
/// policy.
pub type DeviceDiscovery = Rc<dyn Fn() -> LocalBoxFuture<'static, Result<usize, RestError>>>;

/// Why an attempt or a restore failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StepError {
    /// Credentials could not be obtained.
    #[error("credentials")]
    Credentials(#[source] AuthError),
    /// The device list could not be obtained.
    #[error("device list")]
    Devices(#[source] RestError),
    /// The connection attempt failed.
    #[error("connect")]
    Connect(#[source] ConnectError),
    /// Replaying the subscriptions failed (the registry is intact).
    #[error("resubscribe")]
    Replay(#[source] ReplayError),
    /// Flushing the offline queue failed.
    #[error("flush")]
    Flush(#[source] RequestError),
    /// The link was lost before the recovery completed.
    #[error("connection lost while restoring")]
    Lost(#[source] LinkError),
    /// The link was lost between CONNACK and the end of the attempt.
    #[error("connection lost right after CONNACK")]
    LostAfterConnack,
    /// A peer actor is gone.
    #[error("{0} actor unavailable")]
    Unavailable(&'static str),
    /// The attempt hung in an outage that has ended meanwhile (the probe saw the
    /// endpoint answer again); it is abandoned for a fresh one.
    #[error("attempt stalled in the outage; the endpoint answers again")]
    Stalled,
}

impl StepError {
    /// The failure class for the policy.
    pub fn failure_kind(&self) -> FailureKind {
        match self {
            Self::Credentials(_) | Self::Devices(_) => FailureKind::Credentials,
            Self::Connect(e) => match e.kind() {
                ConnectErrorKind::Unreachable => FailureKind::Unreachable,
                ConnectErrorKind::AuthRejected => FailureKind::AuthRejected,
                ConnectErrorKind::Cancelled => FailureKind::Other,
            },
            Self::Replay(_) | Self::Flush(_) | Self::Lost(_) | Self::LostAfterConnack => {
                FailureKind::Restore
            }
            Self::Stalled => FailureKind::Unreachable,
            Self::Unavailable(_) => FailureKind::Other,
        }
    }

    /// Whether this stops the loop for good (the server rejected the account).
    pub fn is_fatal(&self) -> bool {
        match self {
            Self::Credentials(e) => e.is_fatal(),
            Self::Devices(RestError::Auth { source, .. }) => source.is_fatal(),
            _ => false,
        }
    }
}

fn gone(actor: &'static str) -> impl Fn(MailboxError) -> StepError {
    move |_| StepError::Unavailable(actor)
}

/// What an attempt needs.
pub(super) struct AttemptPlan {
    pub auth: Option<Addr<Auth>>,
    pub connection: Addr<Connection>,
    pub bus: EventBus,
    pub old_generation: Option<u64>,
    pub generation: u64,
    pub deep: bool,
    /// A renewal is owed (after an authorization rejection, or one an earlier attempt
    /// could not do): renew whatever happened meanwhile.
    pub renew: bool,
    pub close_timeout: Duration,
    /// No CONNECT before this instant (the minimum interval after the previous one).
    pub not_before: Option<tokio::time::Instant>,
    /// The endpoint is `wss://`: load the TLS settings (off this thread) first.
    pub needs_tls: bool,
    /// The device list is not known yet.
    pub discovery: Option<DeviceDiscovery>,
    /// When the outage this attempt belongs to began: a deep attempt renews the
    /// credentials only if nobody (another connection of the pool) did since.
    pub outage_began: Option<tokio::time::Instant>,
}

/// What an attempt did: whether credentials were renewed (even if the connect then
/// failed), and how it ended.
pub(super) struct AttemptOutcome {
    pub renewed: bool,
    /// A deep renewal was not made: another connection had renewed during this outage.
    pub renewal_shared: bool,
    /// The device list was obtained (the discovery is done for good).
    pub discovered: bool,
    pub result: Result<Connected, StepError>,
}

/// close old → credentials → (deep: restart Connection) → connect.
pub(super) async fn run_attempt(plan: AttemptPlan) -> AttemptOutcome {
    let mut done = Done::default();
    let result = attempt(&plan, &mut done).await;
    AttemptOutcome {
        renewed: done.renewed,
        renewal_shared: done.renewal_shared,
        discovered: done.discovered,
        result,
    }
}

/// What an attempt did before it ended, whatever its result.
#[derive(Default)]
struct Done {
    renewed: bool,
    renewal_shared: bool,
    discovered: bool,
}

async fn attempt(plan: &AttemptPlan, done: &mut Done) -> Result<Connected, StepError> {
    if let Some(old) = plan.old_generation {
        // Bounded: a wedged close must not wedge the loop.
        let _ = tokio::time::timeout(
            plan.close_timeout,
            plan.connection.send(Close { generation: old }),
        )
        .await;
    }
    let aws = match &plan.auth {
        None => None,
        Some(auth) if plan.deep || plan.renew => {
            // An owed renewal happens whatever; a deep attempt's own renewal happens once
            // per outage, whichever connection of the pool asks first.
            let renewed = match plan.outage_began.filter(|_| !plan.renew) {
                Some(since) => auth
                    .send(RenewCredentialsOnce { since })
                    .await
                    .map_err(gone("auth"))?
                    .map_err(StepError::Credentials)?,
                None => Some(
                    auth.send(RenewCredentials)
                        .await
                        .map_err(gone("auth"))?
                        .map_err(StepError::Credentials)?,
                ),
            };
            match renewed {
                Some(renewed) => {
                    let method = renewed.method;
                    done.renewed = true;
                    info!(?method, "credentials renewed");
                    plan.bus.emit(Event::CredentialsRenewed { method });
                    renewed.credentials.aws
                }
                None => {
                    debug!("credentials renewed during this outage already; using them");
                    done.renewal_shared = true;
                    auth.send(GetCredentials)
                        .await
                        .map_err(gone("auth"))?
                        .map_err(StepError::Credentials)?
                        .aws
                }
            }
        }
        Some(auth) => {
            auth.send(GetCredentials)
                .await
                .map_err(gone("auth"))?
                .map_err(StepError::Credentials)?
                .aws
        }
    };
    if let Some(discover) = &plan.discovery {
        let count = discover().await.map_err(StepError::Devices)?;
        done.discovered = true;
        info!(devices = count, "device list obtained");
    }
    if plan.needs_tls {
        crate::connection::shared_tls_config().await;
    }
    // Credentials may have taken a while (a slow renewal); the minimum interval is
    // between CONNECT packets, so it is enforced here, just before connecting.
    if let Some(not_before) = plan.not_before {
        tokio::time::sleep_until(not_before).await;
    }
    if plan.deep {
        debug!(
            generation = plan.generation,
            "restarting the connection actor"
        );
        plan.connection
            .send(Restart)
            .await
            .map_err(gone("connection"))?;
    }
    plan.connection
        .send(crate::connection::Connect {
            generation: plan.generation,
            credentials: aws,
        })
        .await
        .map_err(gone("connection"))?
        .map_err(StepError::Connect)
}

/// What a restore needs.
pub(super) struct RestorePlan {
    pub connection: Addr<Connection>,
    pub replay: Recipient<Replay>,
    pub link: Recipient<SetLink>,
    pub resume: Recipient<Resume>,
    pub bus: EventBus,
    pub session_present: bool,
}

/// What a successful restore did.
#[derive(Debug, Clone, Copy)]
pub(super) struct Restored {
    pub replay: Option<ReplayReport>,
    pub flush: FlushReport,
}

/// (session) link up | (no session) replay → flush → resume polling.
pub(super) async fn run_restore(plan: RestorePlan) -> Result<Restored, StepError> {
    // With a session the broker kept our subscriptions: link up subscribes only what
    // is not acknowledged yet. Without one, the replay subscribes the whole registry
    // (and marks the link up first, so filters added meanwhile are not missed).
    let replay = if plan.session_present {
        plan.link
            .send(SetLink { up: true })
            .await
            .map_err(gone("subscriptions"))?;
        None
    } else {
        let report = plan
            .replay
            .send(Replay)
            .await
            .map_err(gone("subscriptions"))?
            .map_err(StepError::Replay)?;
        plan.bus.emit(Event::Resubscribed {
            topics: report.restored,
            failed: report.failed,
        });
        if report.failed > 0 {
            // Refused by the broker (SUBACK 0x80): reconnecting would not change that.
            // The filters stay registered and are retried at the next replay.
            tracing::warn!(
                refused = report.failed,
                restored = report.restored,
                "the broker refused some subscriptions"
            );
        }
        Some(report)
    };
    let flush = plan
        .connection
        .send(FlushQueue)
        .await
        .map_err(gone("connection"))?
        .map_err(StepError::Flush)?;
    plan.resume.send(Resume).await.map_err(gone("periodic"))?;
    Ok(Restored { replay, flush })
}
