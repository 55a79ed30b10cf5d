//! The planned handover as the Reconnector runs it: a second connection opened,
//! subscribed and made current before the first is closed (make-before-break).
//!
//! ```text
//! Auth: GetCredentials (renewed first when about to expire)
//!   → Connection: OpenStandby{new, peer client id}      (the old link stays in use)
//!   → Subscriptions: SetOverlap{old, new}               (each message delivered once)
//!   → Subscriptions: GetFilterBatches → Connection: SubscribeStandby×⌈n/8⌉ (pipelined)
//!   → Connection: SwapLinks{new}                        (publishing, pacer, queue move)
//!   … drain: the old link still receives answers to what was sent on it …
//!   → Connection: CloseDraining → Subscriptions: SetOverlap{none}
//! ```
//!
//! Any failure before the swap closes the standby link (`CloseStandby`) and leaves the
//! old link in use; the actor retries under the policy's backoff ([`HandoverPlan`]).
//!
//! [`HandoverPlan`]: crate::policy::HandoverPlan

use std::collections::HashSet;
use std::time::Duration;

use actix::{Addr, MailboxError, Recipient};
use futures::future::join_all;
use tracing::{debug, info, warn};

use crate::auth::{Auth, AuthError, GetCredentials};
use crate::connection::{
    CloseDraining, CloseStandby, ConnectError, Connection, OpenStandby, RequestError, Subscribe,
    SubscribeStandby, SwapLinks, Swapped,
};
use crate::subscriptions::{GetFilterBatches, Overlap, SetOverlap};

/// How long the replaced link keeps receiving after the swap at most: PUBACKs of its
/// last publishes and answers already on their way.
const MAX_DRAIN: Duration = Duration::from_secs(2);

/// The drain after the swap: [`MAX_DRAIN`], or half the handover margin if that is
/// shorter, so the old link is closed before the server's cut.
pub(crate) fn drain_for(margin: Duration) -> Duration {
    MAX_DRAIN.min(margin / 2)
}

/// The deduplication window: half the drain, so a message only the old link got (before
/// the new link's SUBACK) is forgotten before the old link closes.
fn window_for(drain: Duration) -> Duration {
    drain / 2
}

/// Why a handover did not complete.
#[derive(Debug, Clone, thiserror::Error)]
pub enum HandoverError {
    /// Credentials for the new connection could not be obtained.
    #[error("credentials")]
    Credentials(#[source] AuthError),
    /// The new connection could not be opened.
    #[error("connect")]
    Connect(#[source] ConnectError),
    /// The registry could not be subscribed on the new connection.
    #[error("subscribe")]
    Subscribe(#[source] RequestError),
    /// The new connection was lost before it could take over.
    #[error("swap")]
    Swap(#[source] RequestError),
    /// The handover did not complete within its bound.
    #[error("no progress within {after:?}")]
    Timeout {
        /// The bound.
        after: Duration,
    },
    /// A peer actor is gone.
    #[error("{0} actor unavailable")]
    Unavailable(&'static str),
}

fn gone(actor: &'static str) -> impl Fn(MailboxError) -> HandoverError {
    move |_| HandoverError::Unavailable(actor)
}

/// What a handover needs.
pub(super) struct HandoverSteps {
    pub auth: Option<Addr<Auth>>,
    pub connection: Addr<Connection>,
    pub filters: Recipient<GetFilterBatches>,
    pub overlap: Recipient<SetOverlap>,
    pub old_generation: u64,
    pub generation: u64,
    pub client_id: String,
    /// No CONNECT before this instant (the minimum interval after the previous one).
    pub not_before: Option<tokio::time::Instant>,
    /// Bound on the whole handover (connect, subscribe, swap).
    pub bound: Duration,
    /// How long the old link drains after the swap.
    pub drain: Duration,
}

/// What a completed handover leaves to the actor.
#[derive(Debug)]
pub(super) struct HandedOver {
    pub swapped: Swapped,
    /// The filters the new link subscribed (those added since are subscribed after the
    /// drain).
    pub subscribed: HashSet<String>,
}

/// Opens, subscribes and swaps in the new link. On failure the standby link is closed
/// and the overlap ended; the old link was never touched.
pub(super) async fn run_handover(steps: HandoverSteps) -> Result<HandedOver, HandoverError> {
    let result = match tokio::time::timeout(steps.bound, hand_over(&steps)).await {
        Ok(result) => result,
        Err(_) => Err(HandoverError::Timeout { after: steps.bound }),
    };
    if result.is_err() {
        let _ = steps
            .connection
            .send(CloseStandby {
                generation: steps.generation,
            })
            .await;
        steps.overlap.do_send(SetOverlap(None));
    }
    result
}

async fn hand_over(steps: &HandoverSteps) -> Result<HandedOver, HandoverError> {
    let credentials = match &steps.auth {
        None => None,
        Some(auth) => {
            auth.send(GetCredentials)
                .await
                .map_err(gone("auth"))?
                .map_err(HandoverError::Credentials)?
                .aws
        }
    };
    if let Some(not_before) = steps.not_before {
        tokio::time::sleep_until(not_before).await;
    }
    steps
        .connection
        .send(OpenStandby {
            generation: steps.generation,
            credentials,
            client_id: steps.client_id.clone(),
        })
        .await
        .map_err(gone("connection"))?
        .map_err(HandoverError::Connect)?;
    // From here the broker delivers every message on both links.
    steps
        .overlap
        .send(SetOverlap(Some(Overlap {
            old: steps.old_generation,
            new: steps.generation,
            window: window_for(steps.drain),
        })))
        .await
        .map_err(gone("subscriptions"))?;
    let batches = steps
        .filters
        .send(GetFilterBatches)
        .await
        .map_err(gone("subscriptions"))?;
    let subscribed: HashSet<String> = batches.iter().flatten().cloned().collect();
    let answers = join_all(batches.into_iter().map(|filters| {
        steps.connection.send(SubscribeStandby {
            generation: steps.generation,
            filters,
        })
    }))
    .await;
    let mut refused = 0usize;
    for answer in answers {
        for outcome in answer
            .map_err(gone("connection"))?
            .map_err(HandoverError::Subscribe)?
        {
            match outcome.result {
                Ok(()) => {}
                // Refused by the broker (a quota): the old link could not have it either
                // once it was refused there; the next replay retries it.
                Err(RequestError::Rejected) => refused += 1,
                Err(error) => return Err(HandoverError::Subscribe(error)),
            }
        }
    }
    if refused > 0 {
        warn!(refused, "the broker refused some subscriptions on the new connection");
    }
    let swapped = steps
        .connection
        .send(SwapLinks {
            generation: steps.generation,
        })
        .await
        .map_err(gone("connection"))?
        .map_err(HandoverError::Swap)?;
    Ok(HandedOver {
        swapped,
        subscribed,
    })
}

/// After the swap: lets the old link drain, closes it, ends the overlap, and subscribes
/// on the new link any filter registered while the handover ran (those went to the old
/// link only).
pub(super) async fn finish_handover(
    connection: Addr<Connection>,
    filters: Recipient<GetFilterBatches>,
    overlap: Recipient<SetOverlap>,
    subscribed: HashSet<String>,
    drain: Duration,
) {
    tokio::time::sleep(drain).await;
    let _ = connection.send(CloseDraining).await;
    overlap.do_send(SetOverlap(None));
    let Ok(batches) = filters.send(GetFilterBatches).await else {
        return;
    };
    let missing: Vec<String> = batches
        .into_iter()
        .flatten()
        .filter(|f| !subscribed.contains(f))
        .collect();
    if missing.is_empty() {
        return;
    }
    info!(
        filters = missing.len(),
        "subscribing filters registered during the handover"
    );
    for chunk in missing.chunks(crate::registry::MAX_FILTERS_PER_SUBSCRIBE) {
        match connection
            .send(Subscribe {
                filters: chunk.to_vec(),
            })
            .await
        {
            Ok(Ok(_)) => {}
            other => debug!(?other, "subscription after the handover failed; the next replay retries it"),
        }
    }
}
