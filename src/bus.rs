//! The event bus: where every actor publishes the [`Event`]s the application sees.
//!
//! Two kinds of listeners: a tokio `broadcast` channel (for plain async code; a slow
//! receiver lags and is told how many events it missed, it never slows the client) and
//! actix [`Recipient`]s (for applications that embed the actors; delivered with
//! `try_send`, so a full mailbox drops the event for that listener only and counts it).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use actix::{Message, Recipient};
use tokio::sync::broadcast;

use crate::clock::SharedClock;
use crate::events::{Event, TimestampedEvent};

/// Smallest default capacity of the broadcast channel.
pub const DEFAULT_EVENT_CAPACITY: usize = 1024;

/// Events per device the default capacity leaves room for: a first connection answers
/// every device's status and feature request at once, and a receiver that is not read
/// yet (an application still setting up) must not lose that burst. Four leaves room for
/// a poll round and the connection events on top.
pub const EVENTS_PER_DEVICE: usize = 4;

/// The bus capacity used when none is configured: [`EVENTS_PER_DEVICE`] per device,
/// never below [`DEFAULT_EVENT_CAPACITY`].
pub fn default_event_capacity(devices: usize) -> usize {
    devices
        .saturating_mul(EVENTS_PER_DEVICE)
        .max(DEFAULT_EVENT_CAPACITY)
}

/// An event delivered to an actix listener.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct EventMessage(pub TimestampedEvent);

/// A cheap-to-clone handle to the bus.
#[derive(Clone)]
pub struct EventBus {
    inner: Arc<Inner>,
    /// The connection of the pool whose actors emit through this handle.
    connection: Option<usize>,
}

struct Inner {
    sender: broadcast::Sender<TimestampedEvent>,
    recipients: Mutex<Vec<Recipient<EventMessage>>>,
    clock: SharedClock,
    dropped: AtomicU64,
}

impl std::fmt::Debug for EventBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventBus")
            .field("receivers", &self.inner.sender.receiver_count())
            .field("dropped", &self.dropped())
            .finish_non_exhaustive()
    }
}

impl EventBus {
    /// A bus whose events are stamped with `clock`'s wall time.
    pub fn new(capacity: usize, clock: SharedClock) -> Self {
        let (sender, _) = broadcast::channel(capacity.max(1));
        Self {
            inner: Arc::new(Inner {
                sender,
                recipients: Mutex::new(Vec::new()),
                clock,
                dropped: AtomicU64::new(0),
            }),
            connection: None,
        }
    }

    /// A handle to the same bus whose events say they concern connection `index` of the
    /// client's pool.
    pub fn for_connection(&self, index: usize) -> Self {
        Self {
            inner: self.inner.clone(),
            connection: Some(index),
        }
    }

    /// Publishes `event` to every listener. Never blocks.
    pub fn emit(&self, event: Event) {
        let mut stamped = TimestampedEvent::new(self.inner.clock.wall(), event);
        stamped.connection = self.connection;
        let recipients = self
            .inner
            .recipients
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for recipient in &recipients {
            if recipient.try_send(EventMessage(stamped.clone())).is_err() {
                self.inner.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
        // An error only means nobody listens right now.
        let _ = self.inner.sender.send(stamped);
    }

    /// A new broadcast receiver (sees events emitted from now on).
    pub fn subscribe(&self) -> broadcast::Receiver<TimestampedEvent> {
        self.inner.sender.subscribe()
    }

    /// Adds an actix listener.
    pub fn add_recipient(&self, recipient: Recipient<EventMessage>) {
        self.inner
            .recipients
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(recipient);
    }

    /// Whether anyone listens (a broadcast receiver or an actix listener). Producers of
    /// costly events (e.g. serialised statuses) may skip building them when nobody does.
    pub fn has_listeners(&self) -> bool {
        self.inner.sender.receiver_count() > 0
            || !self
                .inner
                .recipients
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .is_empty()
    }

    /// Events not delivered to an actix listener because its mailbox was full or gone.
    pub fn dropped(&self) -> u64 {
        self.inner.dropped.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::TokioClock;

    #[test]
    fn default_capacity_grows_with_the_device_count() {
        assert_eq!(default_event_capacity(0), DEFAULT_EVENT_CAPACITY);
        assert_eq!(default_event_capacity(1), DEFAULT_EVENT_CAPACITY);
        assert_eq!(default_event_capacity(1000), 4000);
        assert_eq!(default_event_capacity(usize::MAX), usize::MAX);
    }

    #[tokio::test]
    async fn broadcast_receivers_get_stamped_events() {
        let bus = EventBus::new(8, Arc::new(TokioClock));
        let mut rx = bus.subscribe();
        bus.emit(Event::Disconnected);
        let got = rx.recv().await.ok().map(|e| e.event);
        assert_eq!(got, Some(Event::Disconnected));
    }

    #[tokio::test]
    async fn a_connection_handle_tags_its_events_on_the_same_bus() {
        let bus = EventBus::new(8, Arc::new(TokioClock));
        let mut rx = bus.subscribe();
        bus.for_connection(3).emit(Event::Disconnected);
        bus.emit(Event::Disconnected);
        let first = rx.recv().await.unwrap();
        assert_eq!(first.connection, Some(3));
        assert_eq!(serde_json::to_value(&first).unwrap()["connection"], 3);
        let second = rx.recv().await.unwrap();
        assert_eq!(second.connection, None);
        assert!(serde_json::to_value(&second).unwrap().get("connection").is_none());
    }

    #[test]
    fn knows_whether_anyone_listens() {
        let bus = EventBus::new(8, Arc::new(TokioClock));
        assert!(!bus.has_listeners());
        let rx = bus.subscribe();
        assert!(bus.has_listeners());
        drop(rx);
        assert!(!bus.has_listeners());
    }
}
