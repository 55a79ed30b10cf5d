//! Statistics of the Subscriptions actor.

use super::route::HandlerKind;
use super::sink::DeliveryMode;
use crate::registry::HandlerId;

/// A snapshot of the registry and the dispatcher's counters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SubscriptionStats {
    /// Registered topic filters.
    pub filters: usize,
    /// Filters acknowledged on the current connection.
    pub acked_filters: usize,
    /// Filters not yet acknowledged.
    pub pending_filters: usize,
    /// Filters whose last SUBSCRIBE failed.
    pub failed_filters: usize,
    /// Registered handlers (internal ones included).
    pub handlers: usize,
    /// Whether the actor considers the link up.
    pub link_up: bool,
    /// Publishes received.
    pub received: u64,
    /// Publishes that matched no filter.
    pub unmatched: u64,
    /// Messages handed to handlers (one per handler per publish).
    pub delivered: u64,
    /// Messages dropped because a handler's buffer was full.
    pub dropped: u64,
    /// Undecodable payloads dropped.
    pub malformed: u64,
    /// Requests (echoes of ours or other clients') ignored.
    pub echoes: u64,
    /// Control refusals seen.
    pub refusals: u64,
    /// Callback handlers that panicked (each was removed).
    pub panics: u64,
    /// Handlers removed because their receiving side was gone.
    pub closed: u64,
    /// Per handler, in id order.
    pub per_handler: Vec<HandlerStats>,
}

/// Counters of one handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerStats {
    /// The handler.
    pub id: HandlerId,
    /// What it receives.
    pub kind: HandlerKind,
    /// How it receives it.
    pub mode: DeliveryMode,
    /// Messages handed to it.
    pub delivered: u64,
    /// Messages dropped because its buffer was full.
    pub dropped: u64,
}
