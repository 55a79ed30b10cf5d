//! Link lifecycle: opening a transport generation (`Connect`), closing it (`Close`), the
//! poller task's events, ending a generation and retiring its transport.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use actix::{AsyncContext, Handler, ResponseFuture, WeakRecipient};
use futures::future::ready;
use rumqttc::tokio_rustls::rustls::ClientConfig;
use tokio::sync::oneshot;
use tokio::time::Instant;
use tracing::{debug, info, warn};

use super::operations::Origin;
use super::{Connection, Link, Phase};
use crate::connection::ack::AckTracker;
use crate::connection::pacer::PublishPacer;
use crate::connection::error::{ConnectError, LinkError};
use crate::connection::messages::{Close, Connect, Connected, ConnectionEvent};
use crate::connection::poller::{
    spawn_poller, PollerHandle, PollerSpec, TransportDone, TransportEvent, TransportEventKind,
};
use crate::connection::rtt::RttEstimator;
use crate::connection::settings::ConnectionSettings;
use crate::connection::transport::{build_transport, load_tls_config, loaded_tls_config};
use crate::error_chain::Chain;

/// A closed transport whose task may still be running.
#[derive(Debug)]
pub(super) struct Retiring {
    pub(super) id: u64,
    pub(super) poller: PollerHandle,
}

/// How a generation ends.
#[derive(Debug)]
pub(super) enum EndReason {
    /// The link failed on its own: report `Interrupted`.
    Interrupted(LinkError),
    /// The attempt failed before CONNACK (already answered).
    ConnectFailed,
    /// Closed on purpose (`Close`, a newer `Connect`, restart): silent.
    Intentional,
}

impl Connection {
    /// The TLS settings for `wss://`. The supervisor awaits the shared settings (loaded
    /// off this thread) before its first attempt, so this does not block; only a
    /// `Connect` sent directly, before anything loaded them, loads them here.
    fn tls_config(&mut self) -> Arc<ClientConfig> {
        self.tls
            .get_or_insert_with(|| loaded_tls_config().unwrap_or_else(load_tls_config))
            .clone()
    }

    /// Ends the current generation (if any). `abort` drops the transport at once; otherwise
    /// the caller has asked it to close gracefully.
    pub(super) fn end_link(&mut self, reason: EndReason, abort: bool) {
        let Some(mut link) = self.link.take() else {
            return;
        };
        let generation = link.generation;
        let was_connected = link.is_connected();
        if abort {
            link.poller.abort.abort();
        }
        if let Phase::Connecting(responder) = link.phase {
            let _ = responder.send(Err(ConnectError::Cancelled));
        }
        self.settle_pending(link.tracker.drain());
        // Publishes that waited for the pacer were never sent: they go to the queue.
        let unsent = link
            .paced
            .drain(..)
            .map(|(entry, responder)| (entry, Origin::Caller(responder)))
            .collect();
        self.requeue(unsent);
        if let Some(mut run) = self.flush.take() {
            run.report.complete = false;
            if let Some(responder) = run.responder {
                let _ = responder.send(Ok(run.report));
            }
        }
        self.retiring.push(Retiring {
            id: link.id,
            poller: link.poller,
        });
        match reason {
            EndReason::Interrupted(error) if was_connected => {
                warn!(generation, error = %Chain(&error), "link interrupted");
                self.emit(ConnectionEvent::Interrupted { generation, error });
            }
            EndReason::Interrupted(error) => {
                debug!(generation, error = %Chain(&error), "attempt ended before CONNACK");
            }
            EndReason::ConnectFailed => {}
            EndReason::Intentional => debug!(generation, "transport closed"),
        }
    }

    fn current_generation_is(&self, generation: u64) -> bool {
        self.link
            .as_ref()
            .is_some_and(|l| l.generation == generation)
    }

    fn current_transport_is(&self, id: u64) -> bool {
        self.link.as_ref().is_some_and(|l| l.id == id)
    }
}

impl Handler<Connect> for Connection {
    type Result = ResponseFuture<Result<Connected, ConnectError>>;

    fn handle(&mut self, msg: Connect, ctx: &mut Self::Context) -> Self::Result {
        let generation = msg.generation;
        // The old transport goes first (with a handover's second link, if any), and the
        // new task waits until they are gone.
        self.end_link(EndReason::Intentional, true);
        self.end_side_links();
        let wait_for: Vec<TransportDone> = self
            .retiring
            .iter()
            .map(|r| {
                r.poller.abort.abort();
                r.poller.done.clone()
            })
            .collect();
        let client_id = self.client_id.clone();
        let (link, rx) = self.open_link(ctx, generation, msg.credentials.as_ref(), client_id, wait_for);
        self.link = Some(link);
        info!(generation, signed = msg.credentials.is_some(), "connecting");
        self.await_connack(rx)
    }
}

impl Connection {
    /// Builds a transport for `generation` under `client_id` and starts its poller task,
    /// which connects once every transport in `wait_for` is gone.
    pub(super) fn open_link(
        &mut self,
        ctx: &mut <Self as actix::Actor>::Context,
        generation: u64,
        credentials: Option<&crate::credentials::AwsCredentials>,
        client_id: String,
        wait_for: Vec<TransportDone>,
    ) -> (Link, oneshot::Receiver<Result<Connected, ConnectError>>) {
        let tls = self
            .settings
            .endpoint
            .needs_tls()
            .then(|| self.tls_config());
        let tls_source = move || tls.clone().unwrap_or_else(load_tls_config);
        let settings = ConnectionSettings {
            client_id,
            ..self.settings.clone()
        };
        let (client, eventloop) = build_transport(&settings, credentials, &tls_source);
        let events: WeakRecipient<TransportEvent> = ctx.address().downgrade().into();
        let id = self.next_transport_id;
        self.next_transport_id += 1;
        let poller = spawn_poller(PollerSpec {
            transport_id: id,
            generation,
            eventloop,
            connect_timeout: self.settings.connect_timeout,
            wait_for,
            wait_bound: self.settings.close_timeout,
            events,
            incoming: self.incoming.clone(),
            gauge: self.gauge.clone(),
        });
        let (tx, rx) = oneshot::channel();
        let link = Link {
            client_id: settings.client_id,
            id,
            generation,
            client,
            poller,
            phase: Phase::Connecting(tx),
            tracker: AckTracker::default(),
            ping_sent_at: None,
            rtt: RttEstimator::new(
                self.settings.ack_timeout_floor,
                self.settings.operation_timeout,
            ),
            answers_in: 0,
            publishes_base: self.gauge.received(),
            pacer: PublishPacer::new(self.settings.publish_rate, Instant::now()),
            paced_until: None,
            paced: VecDeque::new(),
        };
        (link, rx)
    }

    /// Answers a `Connect` (or `OpenStandby`) once its link saw CONNACK or failed.
    pub(super) fn await_connack(
        &self,
        rx: oneshot::Receiver<Result<Connected, ConnectError>>,
    ) -> ResponseFuture<Result<Connected, ConnectError>> {
        let bound = self.settings.connect_timeout + self.settings.close_timeout;
        let connect_timeout = self.settings.connect_timeout;
        Box::pin(async move {
            match tokio::time::timeout(bound + Duration::from_secs(1), rx).await {
                Ok(Ok(result)) => result,
                Ok(Err(_)) => Err(ConnectError::ActorStopped),
                Err(_) => Err(ConnectError::Timeout {
                    after: connect_timeout,
                }),
            }
        })
    }
}

impl Handler<TransportEvent> for Connection {
    type Result = ();

    fn handle(&mut self, msg: TransportEvent, ctx: &mut Self::Context) {
        match self.side_of(msg.transport_id) {
            Some(side) => self.on_side_event(side, msg),
            None => self.on_transport_event(msg),
        }
        self.rearm(ctx);
    }
}

impl Connection {
    pub(super) fn on_transport_event(&mut self, msg: TransportEvent) {
        let id = msg.transport_id;
        if !self.current_transport_is(id) {
            if matches!(msg.kind, TransportEventKind::Exited) {
                self.retiring.retain(|r| r.id != id);
            }
            return;
        }
        let Some(generation) = self.link.as_ref().map(|l| l.generation) else {
            return;
        };
        match msg.kind {
            TransportEventKind::ConnAck { session_present } => {
                let Some(link) = self.link.as_mut() else {
                    return;
                };
                if let Phase::Connecting(responder) =
                    std::mem::replace(&mut link.phase, Phase::Restoring)
                {
                    info!(generation, session_present, "connected");
                    let _ = responder.send(Ok(Connected {
                        generation,
                        session_present,
                    }));
                    self.emit(ConnectionEvent::Connected {
                        generation,
                        session_present,
                    });
                }
            }
            TransportEventKind::ConnectFailed(error) => {
                if let Some(link) = self.link.as_mut() {
                    if let Phase::Connecting(responder) =
                        std::mem::replace(&mut link.phase, Phase::Restoring)
                    {
                        info!(generation, error = %Chain(&error), "connect attempt failed");
                        let _ = responder.send(Err(error));
                    }
                }
                self.end_link(EndReason::ConnectFailed, true);
            }
            TransportEventKind::Event(event) => self.on_protocol_event(event),
            TransportEventKind::Failed(error) => {
                self.end_link(EndReason::Interrupted(error), true);
            }
            TransportEventKind::Exited => {
                // The task ended without reporting why (it cannot panic by design, but a
                // dependency could): treat it as a failure of this generation.
                let connecting = self
                    .link
                    .as_ref()
                    .is_some_and(|l| matches!(l.phase, Phase::Connecting(_)));
                if connecting {
                    if let Some(link) = self.link.as_mut() {
                        if let Phase::Connecting(responder) =
                            std::mem::replace(&mut link.phase, Phase::Restoring)
                        {
                            let _ = responder.send(Err(ConnectError::TransportEnded));
                        }
                    }
                    self.end_link(EndReason::ConnectFailed, true);
                } else {
                    let error = LinkError::TransportEnded;
                    self.end_link(EndReason::Interrupted(error), true);
                }
                self.retiring.retain(|r| r.id != id);
            }
        }
    }
}

impl Handler<Close> for Connection {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, msg: Close, _ctx: &mut Self::Context) -> Self::Result {
        if !self.current_generation_is(msg.generation) {
            return Box::pin(ready(()));
        }
        let graceful = match self.link.as_ref() {
            Some(link) if link.is_connected() => link.client.try_disconnect().is_ok(),
            _ => false,
        };
        let Some(poller) = self.link.as_ref().map(|l| PollerHandle {
            abort: l.poller.abort.clone(),
            done: l.poller.done.clone(),
        }) else {
            return Box::pin(ready(()));
        };
        self.end_link(EndReason::Intentional, !graceful);
        let bound = self.settings.close_timeout;
        info!(generation = msg.generation, graceful, "closing transport");
        Box::pin(await_closed(poller, bound))
    }
}

/// Waits (bounded) for a closing transport's task to end, and aborts it if it does not.
pub(super) async fn await_closed(poller: PollerHandle, bound: Duration) {
    if tokio::time::timeout(bound, poller.done.clone())
        .await
        .is_err()
    {
        poller.abort.abort();
        let _ = tokio::time::timeout(bound, poller.done).await;
    }
}
