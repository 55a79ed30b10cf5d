//! What an application may ask the client's actors directly.
//!
//! Only the Reconnector starts, closes or restarts a connection (ARCHITECTURE.md,
//! invariant 2), so nothing here can: an application gets one recipient per message it
//! may send, never an actor's address.

use actix::{Addr, Recipient};

use super::router::HandlerRouter;
use super::wiring::ActorAddrs;
use crate::connection::GetStatus;
use crate::periodic::GetPollingStats;
use crate::reconnector::GetDiagnostics;
use crate::subscriptions::{AddFilterHandler, AddHandler, GetSubscriptionStats, RemoveHandler};

/// Recipients for the messages an application may send to the client's actors: typed
/// handlers (status, feature, energy, … updates on a channel or a callback), raw filter
/// handlers, and the actors' statistics. Cheap to clone.
///
/// ```no_run
/// # async fn f(client: nwp500::Client) {
/// let stats = client.actors().subscription_stats.send(nwp500::subscriptions::GetSubscriptionStats).await;
/// # }
/// ```
///
/// There is no way to reach the Connection or the Reconnector from here:
///
/// ```compile_fail
/// # async fn f(client: nwp500::Client) {
/// let _ = client.actors().connection;
/// # }
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct Actors {
    /// Registers a typed handler ([`AddHandler::status`], [`AddHandler::energy`], …).
    pub add_handler: Recipient<AddHandler>,
    /// Registers a handler for a raw topic filter.
    pub add_filter_handler: Recipient<AddFilterHandler>,
    /// Unregisters a handler.
    pub remove_handler: Recipient<RemoveHandler>,
    /// The subscription registry's statistics (of the first connection of a pool).
    pub subscription_stats: Recipient<GetSubscriptionStats>,
    /// The poller's statistics (of the first connection of a pool).
    pub polling_stats: Recipient<GetPollingStats>,
    /// The link's state: generation, queue length, counters (of the first connection of
    /// a pool).
    pub link_status: Recipient<GetStatus>,
    /// Connection diagnostics of the first connection ([`Client::diagnostics`](super::Client::diagnostics)
    /// has the whole pool's, [`Client::connection_diagnostics`](super::Client::connection_diagnostics)
    /// each connection's).
    pub diagnostics: Recipient<GetDiagnostics>,
}

impl Actors {
    /// Handler registrations go through `router` (to the connection that serves the
    /// device); statistics are the first connection's.
    pub(super) fn of(addrs: &ActorAddrs, router: &Addr<HandlerRouter>) -> Self {
        Self {
            add_handler: router.clone().recipient(),
            add_filter_handler: router.clone().recipient(),
            remove_handler: router.clone().recipient(),
            subscription_stats: addrs.subscriptions.clone().recipient(),
            polling_stats: addrs.periodic.clone().recipient(),
            link_status: addrs.connection.clone().recipient(),
            diagnostics: addrs.reconnector.clone().recipient(),
        }
    }
}

impl std::fmt::Debug for Actors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Actors").finish_non_exhaustive()
    }
}
