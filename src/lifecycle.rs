//! A process-wide count of the crate's live actors, so that a test can show that
//! `Client::disconnect` leaves none behind.
//!
//! Each actor adds itself in `started` and removes itself in `stopped`. The Connection
//! runs under a restarting supervisor: a restart passes through `stopped` and `started`
//! again, so it leaves the count unchanged.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Ends an actor for good (sent by `Client::disconnect`). Unlike a plain stop, it also
/// ends the Connection under its restarting supervisor, and the Subscriptions actor
/// answers only once its callback threads are finished.
#[derive(Debug, actix::Message)]
#[rtype(result = "()")]
pub(crate) struct Shutdown;

/// The actors that are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActorKind {
    /// `auth::Auth`.
    Auth,
    /// `connection::Connection`.
    Connection,
    /// `subscriptions::Subscriptions`.
    Subscriptions,
    /// `periodic::PeriodicRequests`.
    PeriodicRequests,
    /// `reconnector::Reconnector`.
    Reconnector,
}

impl ActorKind {
    /// Every kind, in a fixed order.
    pub const ALL: [ActorKind; 5] = [
        ActorKind::Auth,
        ActorKind::Connection,
        ActorKind::Subscriptions,
        ActorKind::PeriodicRequests,
        ActorKind::Reconnector,
    ];

    fn slot(self) -> &'static AtomicUsize {
        &LIVE[self as usize]
    }
}

static LIVE: [AtomicUsize; 5] = [const { AtomicUsize::new(0) }; 5];

/// Counts an actor of `kind` as running (from its `started`).
pub(crate) fn actor_started(kind: ActorKind) {
    kind.slot().fetch_add(1, Ordering::SeqCst);
}

/// Counts an actor of `kind` as ended (from its `stopped`).
pub(crate) fn actor_stopped(kind: ActorKind) {
    // Saturating: a `stopped` without its `started` must not wrap the count.
    let _ = kind
        .slot()
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
}

/// How many of the crate's actors are running in this process, all kinds together.
#[doc(hidden)]
pub fn live_actors() -> usize {
    ActorKind::ALL.iter().map(|k| live_actors_of(*k)).sum()
}

/// How many actors of `kind` are running in this process.
#[doc(hidden)]
pub fn live_actors_of(kind: ActorKind) -> usize {
    kind.slot().load(Ordering::SeqCst)
}
