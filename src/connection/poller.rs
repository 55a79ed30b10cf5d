//! The transport task: the only code that polls a generation's `EventLoop`.
//!
//! It does nothing but poll and forward: every event is tagged with its generation and sent
//! with `do_send` (never awaited), incoming publishes go straight to the dispatcher, and on
//! the first error the task reports once and exits — a failed event loop is never polled
//! again, so rumqttc can never reconnect on its own (behavior.md §15.1).
//!
//! Dropping the task (abort) drops the event loop and with it the socket. The task's
//! [`TransportGuard`] then decrements the live-transport gauge and signals `done`, which a
//! later generation awaits before it opens its own socket.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix::{Message, Recipient, WeakRecipient};
use futures::future::{FutureExt, Shared};
use rumqttc::{Event, EventLoop, Incoming, Outgoing};
use tokio::sync::oneshot;
use tokio::task::AbortHandle;
use tracing::{debug, warn};

use super::error::{Cause, ConnectError, LinkError};
use super::messages::IncomingPublish;
use super::transport::classify_connect_error;

/// Resolves once a transport task has dropped its event loop (socket closed).
pub(crate) type TransportDone = Shared<oneshot::Receiver<()>>;

/// What a transport task reports to the actor.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub(crate) struct TransportEvent {
    /// Private id of the transport (unique per actor, unlike the caller's generation).
    pub(crate) transport_id: u64,
    pub(crate) kind: TransportEventKind,
}

#[derive(Debug)]
pub(crate) enum TransportEventKind {
    /// CONNACK accepted.
    ConnAck { session_present: bool },
    /// The attempt failed before CONNACK; the task has exited.
    ConnectFailed(ConnectError),
    /// A protocol event relevant to acknowledgement or liveness tracking.
    Event(Event),
    /// The live transport failed; the task has exited.
    Failed(LinkError),
    /// The task has dropped its event loop.
    Exited,
}

/// Counts transports whose socket may be open, and the maximum ever seen at once.
#[derive(Debug, Clone, Default)]
pub(crate) struct LiveTransports {
    inner: Arc<Counters>,
}

#[derive(Debug, Default)]
struct Counters {
    live: AtomicUsize,
    max: AtomicUsize,
    opened: AtomicU64,
    received: AtomicU64,
    acknowledged: AtomicU64,
}

impl LiveTransports {
    fn open(&self) {
        let now = self.inner.live.fetch_add(1, Ordering::SeqCst) + 1;
        self.inner.max.fetch_max(now, Ordering::SeqCst);
        self.inner.opened.fetch_add(1, Ordering::SeqCst);
    }

    fn close(&self) {
        self.inner.live.fetch_sub(1, Ordering::SeqCst);
    }

    pub(crate) fn live(&self) -> usize {
        self.inner.live.load(Ordering::SeqCst)
    }

    pub(crate) fn max(&self) -> usize {
        self.inner.max.load(Ordering::SeqCst)
    }

    pub(crate) fn opened(&self) -> u64 {
        self.inner.opened.load(Ordering::SeqCst)
    }

    /// Counts an incoming PUBLISH (called by the transport task).
    pub(crate) fn on_received(&self) {
        self.inner.received.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn received(&self) -> u64 {
        self.inner.received.load(Ordering::Relaxed)
    }

    /// Counts a PUBACK that completed one of our publishes.
    pub(crate) fn on_acknowledged(&self) {
        self.inner.acknowledged.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn acknowledged(&self) -> u64 {
        self.inner.acknowledged.load(Ordering::Relaxed)
    }
}

/// Handle the actor keeps for a running transport task.
#[derive(Debug)]
pub(crate) struct PollerHandle {
    pub(crate) abort: AbortHandle,
    pub(crate) done: TransportDone,
}

/// Everything a transport task needs.
pub(crate) struct PollerSpec {
    pub(crate) transport_id: u64,
    pub(crate) generation: u64,
    pub(crate) eventloop: EventLoop,
    pub(crate) connect_timeout: Duration,
    /// Older transports that must be fully closed before this one opens.
    pub(crate) wait_for: Vec<TransportDone>,
    pub(crate) wait_bound: Duration,
    pub(crate) events: WeakRecipient<TransportEvent>,
    pub(crate) incoming: Recipient<IncomingPublish>,
    pub(crate) gauge: LiveTransports,
}

/// Starts the task for one generation.
pub(crate) fn spawn_poller(spec: PollerSpec) -> PollerHandle {
    let (done_tx, done_rx) = oneshot::channel();
    let guard = TransportGuard {
        eventloop: Some(spec.eventloop),
        transport_id: spec.transport_id,
        generation: spec.generation,
        counted: false,
        gauge: spec.gauge,
        done: Some(done_tx),
        events: spec.events,
    };
    let task = tokio::spawn(run(
        guard,
        spec.connect_timeout,
        spec.wait_for,
        spec.wait_bound,
        spec.incoming,
    ));
    PollerHandle {
        abort: task.abort_handle(),
        done: done_rx.shared(),
    }
}

/// Owns the event loop; on drop (normal exit or abort) closes the socket first, then
/// updates the gauge, signals `done` and tells the actor.
struct TransportGuard {
    eventloop: Option<EventLoop>,
    transport_id: u64,
    generation: u64,
    counted: bool,
    gauge: LiveTransports,
    done: Option<oneshot::Sender<()>>,
    events: WeakRecipient<TransportEvent>,
}

impl TransportGuard {
    fn report(&self, kind: TransportEventKind) {
        if let Some(r) = self.events.upgrade() {
            r.do_send(TransportEvent {
                transport_id: self.transport_id,
                kind,
            });
        }
    }
}

impl Drop for TransportGuard {
    fn drop(&mut self) {
        drop(self.eventloop.take());
        if self.counted {
            self.gauge.close();
        }
        if let Some(done) = self.done.take() {
            let _ = done.send(());
        }
        self.report(TransportEventKind::Exited);
    }
}

async fn run(
    mut guard: TransportGuard,
    connect_timeout: Duration,
    wait_for: Vec<TransportDone>,
    wait_bound: Duration,
    incoming: Recipient<IncomingPublish>,
) {
    let generation = guard.generation;
    for previous in wait_for {
        if tokio::time::timeout(wait_bound, previous).await.is_err() {
            warn!(generation, "previous transport did not close in time");
        }
    }
    let Some(eventloop) = guard.eventloop.as_mut() else {
        return;
    };
    guard.counted = true;
    guard.gauge.open();

    let first = tokio::time::timeout(connect_timeout, eventloop.poll()).await;
    let session_present = match first {
        Err(_) => {
            guard.report(TransportEventKind::ConnectFailed(ConnectError::Timeout {
                after: connect_timeout,
            }));
            return;
        }
        Ok(Err(e)) => {
            guard.report(TransportEventKind::ConnectFailed(classify_connect_error(
                e,
                connect_timeout,
            )));
            return;
        }
        Ok(Ok(Event::Incoming(Incoming::ConnAck(ack)))) => ack.session_present,
        Ok(Ok(_)) => {
            // Not formatted: a packet may carry a topic, and topics carry device MACs.
            guard.report(TransportEventKind::ConnectFailed(
                ConnectError::UnexpectedPacket,
            ));
            return;
        }
    };
    guard.report(TransportEventKind::ConnAck { session_present });

    loop {
        let Some(eventloop) = guard.eventloop.as_mut() else {
            return;
        };
        match eventloop.poll().await {
            Ok(Event::Incoming(Incoming::Publish(p))) => {
                guard.gauge.on_received();
                incoming.do_send(IncomingPublish {
                    generation,
                    topic: p.topic,
                    payload: p.payload,
                });
            }
            Ok(Event::Outgoing(Outgoing::Disconnect)) => {
                // Graceful close: DISCONNECT is written and flushed; drop the socket now.
                debug!(generation, "DISCONNECT sent; closing transport");
                return;
            }
            Ok(event) => {
                if is_tracked(&event) {
                    guard.report(TransportEventKind::Event(event));
                }
            }
            Err(e) => {
                guard.report(TransportEventKind::Failed(LinkError::Transport(
                    Cause::new(e),
                )));
                return;
            }
        }
    }
}

/// Events the actor needs: packet ids of our requests, their acknowledgements, pings.
fn is_tracked(event: &Event) -> bool {
    match event {
        Event::Outgoing(o) => matches!(
            o,
            Outgoing::Publish(_)
                | Outgoing::Subscribe(_)
                | Outgoing::Unsubscribe(_)
                | Outgoing::AwaitAck(_)
                | Outgoing::PingReq
        ),
        Event::Incoming(i) => matches!(
            i,
            Incoming::PubAck(_)
                | Incoming::SubAck(_)
                | Incoming::UnsubAck(_)
                | Incoming::PingResp
                | Incoming::Disconnect
        ),
    }
}
