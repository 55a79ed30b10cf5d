//! The Connection actor: owns at most one transport generation, the acknowledgement
//! tracking of that generation, and the offline command queue.

use std::sync::Arc;
use std::time::Duration;

use actix::{
    Actor, ActorContext, AsyncContext, Context, Handler, Recipient, ResponseFuture, SpawnHandle,
    Supervised, WeakRecipient,
};
use futures::future::{join_all, ready};
use rumqttc::tokio_rustls::rustls::ClientConfig;
use rumqttc::{AsyncClient, Event, Incoming, Outgoing, QoS, SubscribeFilter, SubscribeReasonCode};
use tokio::sync::oneshot;
use tokio::time::Instant;
use tracing::{debug, info, warn};

use super::ack::{AckTracker, Pending};
use super::error::{ConnectError, LinkError, Operation, RequestError};
use super::messages::{
    ClearQueue, Close, CommandEvent, Connect, Connected, ConnectionEvent, FilterOutcome,
    FlushQueue, FlushReport, GetStatus, IncomingPublish, LinkPhase, LinkStatus, Publish,
    PublishOutcome, QueuedCommand, Restart, Subscribe, Unsubscribe,
};
use super::poller::{
    spawn_poller, LiveTransports, PollerHandle, PollerSpec, TransportDone, TransportEvent,
    TransportEventKind,
};
use super::rtt::RttEstimator;
use super::settings::{ConnectionSettings, Endpoint, SettingsError};
use super::supervisor::ShutdownFlag;
use super::transport::{build_transport, load_tls_config, loaded_tls_config};
use crate::queue::{FlushItem, OfflineQueue, PushOutcome, QueuedEntry};

/// AWS IoT accepts at most 8 filters per SUBSCRIBE.
pub use crate::registry::MAX_FILTERS_PER_SUBSCRIBE;

type PublishResponder = oneshot::Sender<Result<PublishOutcome, RequestError>>;

/// Who is waiting for a publish.
#[derive(Debug)]
enum Origin {
    /// A live `Publish` request.
    Caller(PublishResponder),
    /// The offline queue (flush).
    Queue,
}

/// What a tracked operation carries until its acknowledgement.
#[derive(Debug)]
enum Tracked {
    Publish {
        entry: QueuedEntry<QueuedCommand>,
        origin: Origin,
    },
    Subscribe {
        filters: Vec<String>,
        responder: oneshot::Sender<Vec<FilterOutcome>>,
    },
    Unsubscribe {
        filter: String,
        responder: oneshot::Sender<Vec<FilterOutcome>>,
    },
}

#[derive(Debug)]
enum Phase {
    Connecting(oneshot::Sender<Result<Connected, ConnectError>>),
    /// Connected; publishes queue behind the backlog until a flush drains it.
    Restoring,
    /// Connected and flushed.
    Ready,
}

#[derive(Debug)]
struct Link {
    /// Private transport id (matches `TransportEvent`s).
    id: u64,
    /// The supervisor's generation number (tags outgoing events).
    generation: u64,
    client: AsyncClient,
    poller: PollerHandle,
    phase: Phase,
    tracker: AckTracker<Tracked>,
    ping_sent_at: Option<Instant>,
    /// Acknowledgement deadlines follow this link's measured round trip.
    rtt: RttEstimator,
    /// Acknowledgements and PINGRESPs received on this link (incoming publishes are
    /// counted by the gauge): with them, "silent since" is a comparison of counts.
    answers_in: u64,
    /// The gauge's publish count when this link connected.
    publishes_base: u64,
}

impl Link {
    fn is_connected(&self) -> bool {
        matches!(self.phase, Phase::Restoring | Phase::Ready)
    }

    /// Packets received on this link so far.
    fn inbound(&self, gauge: &LiveTransports) -> u64 {
        gauge
            .received()
            .saturating_sub(self.publishes_base)
            .saturating_add(self.answers_in)
    }
}

/// A closed transport whose task may still be running.
#[derive(Debug)]
struct Retiring {
    id: u64,
    poller: PollerHandle,
}

/// A running flush; `responder` is `None` when the flush was started internally (the
/// request channel was full and publishes had to wait).
#[derive(Debug)]
struct FlushRun {
    responder: Option<oneshot::Sender<Result<FlushReport, RequestError>>>,
    report: FlushReport,
}

/// How a generation ends.
#[derive(Debug)]
enum EndReason {
    /// The link failed on its own: report `Interrupted`.
    Interrupted(LinkError),
    /// The attempt failed before CONNACK (already answered).
    ConnectFailed,
    /// Closed on purpose (`Close`, a newer `Connect`, restart): silent.
    Intentional,
}

/// The Connection actor. See the [module documentation](super) for its messages.
///
/// A restart (see [`Kept`]) rebuilds it with [`Connection::fresh`]: only what `Kept` lists
/// survives, every other field starts anew.
pub struct Connection {
    settings: ConnectionSettings,
    events: Recipient<ConnectionEvent>,
    incoming: Recipient<IncomingPublish>,
    queue: OfflineQueue<QueuedCommand>,
    link: Option<Link>,
    retiring: Vec<Retiring>,
    flush: Option<FlushRun>,
    gauge: LiveTransports,
    tls: Option<Arc<ClientConfig>>,
    next_transport_id: u64,
    /// The one timer for the earliest acknowledgement or PINGRESP deadline, and when it
    /// fires. No deadline, no timer: an idle client wakes only for its own traffic.
    deadline_timer: Option<(Instant, SpawnHandle)>,
    /// How many times the actor was restarted.
    restarts: u64,
    /// Set by `Shutdown`: the supervision ends the actor instead of restarting it.
    pub(super) shutdown: ShutdownFlag,
}

/// What survives a restart; everything else (transport, acknowledgement tracker, flush,
/// RTT estimate, the link's counters, TLS settings, timers) is built anew by
/// [`Connection::fresh`], so a field added later starts fresh unless it is listed here.
struct Kept {
    settings: ConnectionSettings,
    events: Recipient<ConnectionEvent>,
    incoming: Recipient<IncomingPublish>,
    /// The offline queue: commands wait through a restart.
    queue: OfflineQueue<QueuedCommand>,
    /// Transports still closing: the next transport opens only once they are gone
    /// (invariant 1), whichever incarnation closed them.
    retiring: Vec<Retiring>,
    /// Lifetime totals (transports opened, messages, acknowledgements) shared with every
    /// transport task; `GetStatus` reports them as counted since the actor was created.
    gauge: LiveTransports,
    /// Transport ids stay unique across restarts: a closing transport's events still
    /// reach this mailbox and must not be taken for the new one's.
    next_transport_id: u64,
    restarts: u64,
    shutdown: ShutdownFlag,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("generation", &self.link.as_ref().map(|l| l.generation))
            .field("queue_len", &self.queue.len())
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// A Connection actor (not started). `events` receives [`ConnectionEvent`]s (for the
    /// supervisor), `incoming` every incoming publish (for the dispatcher).
    pub fn new(
        settings: ConnectionSettings,
        events: Recipient<ConnectionEvent>,
        incoming: Recipient<IncomingPublish>,
    ) -> Result<Self, SettingsError> {
        settings.validate()?;
        let queue = OfflineQueue::new(
            settings.queue_capacity,
            settings.queue_max_age,
            settings.clock.clone(),
        );
        Ok(Self::fresh(Kept {
            settings,
            events,
            incoming,
            queue,
            retiring: Vec::new(),
            gauge: LiveTransports::default(),
            next_transport_id: 0,
            restarts: 0,
            shutdown: ShutdownFlag::default(),
        }))
    }

    /// The one place an incarnation's state is built: from what survives, the rest new.
    fn fresh(kept: Kept) -> Self {
        Self {
            settings: kept.settings,
            events: kept.events,
            incoming: kept.incoming,
            queue: kept.queue,
            retiring: kept.retiring,
            gauge: kept.gauge,
            next_transport_id: kept.next_transport_id,
            restarts: kept.restarts,
            shutdown: kept.shutdown,
            link: None,
            flush: None,
            tls: None,
            deadline_timer: None,
        }
    }

    /// Takes what survives a restart out of the old incarnation.
    fn keep(&mut self) -> Kept {
        let empty = OfflineQueue::new(0, self.settings.queue_max_age, self.settings.clock.clone());
        Kept {
            settings: self.settings.clone(),
            events: self.events.clone(),
            incoming: self.incoming.clone(),
            queue: std::mem::replace(&mut self.queue, empty),
            retiring: std::mem::take(&mut self.retiring),
            gauge: self.gauge.clone(),
            next_transport_id: self.next_transport_id,
            restarts: self.restarts,
            shutdown: self.shutdown.clone(),
        }
    }

    /// Starts the actor on the current arbiter under a supervision that restarts it
    /// whenever it stops ([`Restart`]) with its queue and settings intact, until the
    /// client shuts it down. Like actix's [`Supervisor`](actix::Supervisor), it also ends
    /// once no address of the actor is left.
    pub fn start_supervised(self) -> actix::Addr<Self> {
        let flag = self.shutdown.clone();
        super::supervisor::start(self, flag)
    }

    pub(super) fn queue_len(&self) -> usize {
        self.queue.len()
    }

    fn emit(&self, event: ConnectionEvent) {
        self.events.do_send(event);
    }

    fn emit_command(&self, event: CommandEvent) {
        self.emit(ConnectionEvent::Command(event));
    }

    /// The TLS settings for `wss://`. The supervisor awaits the shared settings (loaded
    /// off this thread) before its first attempt, so this does not block; only a
    /// `Connect` sent directly, before anything loaded them, loads them here.
    fn tls_config(&mut self) -> Arc<ClientConfig> {
        self.tls
            .get_or_insert_with(|| loaded_tls_config().unwrap_or_else(load_tls_config))
            .clone()
    }

    fn ack_deadline(&self) -> Instant {
        Instant::now() + self.settings.operation_timeout
    }

    /// Queues a publish that cannot go out now; reports drops.
    fn enqueue(&mut self, command: QueuedCommand) -> usize {
        let label = command.label.clone();
        let len = match self.queue.push(command) {
            PushOutcome::Queued { len } => len,
            PushOutcome::DroppedOldest { dropped, len } => {
                warn!(
                    queue_len = len,
                    "offline queue full; dropped the oldest command"
                );
                self.emit_command(CommandEvent::Dropped {
                    label: dropped.item.label,
                });
                len
            }
        };
        self.emit_command(CommandEvent::Queued {
            label,
            queue_len: len,
        });
        len
    }

    /// Ends the current generation (if any). `abort` drops the transport at once; otherwise
    /// the caller has asked it to close gracefully.
    fn end_link(&mut self, reason: EndReason, abort: bool) {
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
                warn!(generation, error = %error, "link interrupted");
                self.emit(ConnectionEvent::Interrupted { generation, error });
            }
            EndReason::Interrupted(error) => {
                debug!(generation, error = %error, "attempt ended before CONNACK");
            }
            EndReason::ConnectFailed => {}
            EndReason::Intentional => debug!(generation, "transport closed"),
        }
    }

    /// Resolves every operation of an ended generation: publishes go back to the head of
    /// the queue in their original order (unless their own deadline passed and a caller
    /// is waiting: that caller gets the timeout); subscriptions fail.
    fn settle_pending(&mut self, pending: Vec<Pending<Tracked>>) {
        let now = Instant::now();
        let timeout = self.settings.operation_timeout;
        let mut requeue = Vec::new();
        for p in pending {
            let failure = if p.deadline <= now {
                RequestError::Timeout { after: timeout }
            } else {
                RequestError::Interrupted
            };
            match p.payload {
                Tracked::Publish {
                    entry,
                    origin: Origin::Caller(responder),
                } if p.deadline <= now => {
                    let _ = responder.send(Err(failure));
                    drop(entry);
                }
                Tracked::Publish { entry, origin } => requeue.push((entry, origin)),
                Tracked::Subscribe { filters, responder } => {
                    let _ = responder.send(fail_all(filters, &failure));
                }
                Tracked::Unsubscribe { filter, responder } => {
                    let _ = responder.send(fail_all(vec![filter], &failure));
                }
            }
        }
        for (entry, origin) in requeue.into_iter().rev() {
            let label = entry.item.label.clone();
            match self.queue.push_front(entry) {
                PushOutcome::Queued { len } => {
                    self.emit_command(CommandEvent::Queued {
                        label,
                        queue_len: len,
                    });
                    match origin {
                        Origin::Caller(responder) => {
                            let _ = responder.send(Ok(PublishOutcome::Requeued { queue_len: len }));
                        }
                        Origin::Queue => {
                            if let Some(run) = self.flush.as_mut() {
                                run.report.requeued += 1;
                            }
                        }
                    }
                }
                PushOutcome::DroppedOldest { .. } => {
                    warn!("offline queue full; an interrupted command could not be re-queued");
                    self.emit_command(CommandEvent::Dropped { label });
                    if let Origin::Caller(responder) = origin {
                        let _ = responder.send(Err(RequestError::Interrupted));
                    }
                }
            }
        }
    }

    /// Sends queued commands while the flush runs and the request channel accepts them.
    fn pump(&mut self) {
        if self.flush.is_none() {
            return;
        }
        let deadline = self.ack_deadline();
        let now = self.settings.clock.now();
        let Some(link) = self.link.as_mut().filter(|l| l.is_connected()) else {
            return;
        };
        let mut expired = Vec::new();
        loop {
            match self.queue.pop_flushable(now) {
                None => break,
                Some(FlushItem::Expired { entry, age }) => expired.push((entry.item.label, age)),
                Some(FlushItem::Send(entry)) => {
                    let cmd = &entry.item;
                    match link.client.try_publish(
                        cmd.topic.clone(),
                        QoS::AtLeastOnce,
                        false,
                        cmd.payload.clone(),
                    ) {
                        Ok(()) => link.tracker.sent(
                            Operation::Publish,
                            deadline,
                            Tracked::Publish {
                                entry,
                                origin: Origin::Queue,
                            },
                        ),
                        Err(_) => {
                            // Channel full (or transport gone): keep it at the head and
                            // continue when rumqttc has taken more requests.
                            let _ = self.queue.push_front(entry);
                            break;
                        }
                    }
                }
            }
        }
        for (label, age) in expired {
            info!(
                age_ms = age.as_millis() as u64,
                "queued command expired; not sent"
            );
            if let Some(run) = self.flush.as_mut() {
                run.report.expired += 1;
            }
            self.emit_command(CommandEvent::Expired { label, age });
        }
        self.finish_flush_if_done();
    }

    fn finish_flush_if_done(&mut self) {
        let Some(link) = self.link.as_mut() else {
            return;
        };
        if self.flush.is_none() || !self.queue.is_empty() {
            return;
        }
        let outstanding = link.tracker.count(|t| {
            matches!(
                t,
                Tracked::Publish {
                    origin: Origin::Queue,
                    ..
                }
            )
        });
        if outstanding > 0 {
            return;
        }
        link.phase = Phase::Ready;
        if let Some(mut run) = self.flush.take() {
            run.report.complete = true;
            info!(
                generation = link.generation,
                sent = run.report.sent,
                expired = run.report.expired,
                "offline queue flushed"
            );
            if let Some(responder) = run.responder {
                let _ = responder.send(Ok(run.report));
            }
        }
    }

    fn on_protocol_event(&mut self, event: Event) {
        let Some(link) = self.link.as_mut().filter(|l| l.is_connected()) else {
            return;
        };
        let mut channel_progress = false;
        match event {
            Event::Outgoing(Outgoing::Publish(pkid)) => {
                let inbound = link.inbound(&self.gauge);
                link.tracker
                    .on_outgoing(Operation::Publish, pkid, Instant::now(), inbound);
                channel_progress = true;
            }
            Event::Outgoing(Outgoing::Subscribe(pkid)) => {
                let inbound = link.inbound(&self.gauge);
                link.tracker
                    .on_outgoing(Operation::Subscribe, pkid, Instant::now(), inbound);
                channel_progress = true;
            }
            Event::Outgoing(Outgoing::Unsubscribe(pkid)) => {
                let inbound = link.inbound(&self.gauge);
                link.tracker
                    .on_outgoing(Operation::Unsubscribe, pkid, Instant::now(), inbound);
                channel_progress = true;
            }
            Event::Outgoing(Outgoing::AwaitAck(pkid)) => {
                link.tracker.on_await_ack(pkid);
                channel_progress = true;
            }
            Event::Outgoing(Outgoing::PingReq) => {
                link.ping_sent_at.get_or_insert_with(Instant::now);
            }
            Event::Incoming(Incoming::PingResp) => {
                link.answers_in += 1;
                if let Some(sent) = link.ping_sent_at.take() {
                    link.rtt
                        .sample(Instant::now().saturating_duration_since(sent));
                }
            }
            Event::Incoming(Incoming::PubAck(ack)) => {
                link.answers_in += 1;
                if let Some(p) = link.tracker.on_ack(Operation::Publish, ack.pkid) {
                    sample_round_trip(&mut link.rtt, &p);
                    self.gauge.on_acknowledged();
                    self.complete(p.payload, None);
                }
                channel_progress = true;
            }
            Event::Incoming(Incoming::SubAck(ack)) => {
                link.answers_in += 1;
                if let Some(p) = link.tracker.on_ack(Operation::Subscribe, ack.pkid) {
                    sample_round_trip(&mut link.rtt, &p);
                    self.complete(p.payload, Some(ack.return_codes));
                }
            }
            Event::Incoming(Incoming::UnsubAck(ack)) => {
                link.answers_in += 1;
                if let Some(p) = link.tracker.on_ack(Operation::Unsubscribe, ack.pkid) {
                    sample_round_trip(&mut link.rtt, &p);
                    self.complete(p.payload, None);
                }
            }
            _ => {}
        }
        if channel_progress && self.flush.is_some() {
            self.pump();
        }
    }

    fn complete(&mut self, tracked: Tracked, codes: Option<Vec<SubscribeReasonCode>>) {
        match tracked {
            Tracked::Publish { entry, origin } => {
                let label = entry.item.label;
                match origin {
                    Origin::Caller(responder) => {
                        let _ = responder.send(Ok(PublishOutcome::Acknowledged));
                    }
                    Origin::Queue => {
                        if let Some(run) = self.flush.as_mut() {
                            run.report.sent += 1;
                        }
                        self.emit_command(CommandEvent::Sent { label });
                    }
                }
            }
            Tracked::Subscribe { filters, responder } => {
                let codes = codes.unwrap_or_default();
                let outcomes = filters
                    .into_iter()
                    .enumerate()
                    .map(|(i, filter)| {
                        let result = match codes.get(i) {
                            Some(SubscribeReasonCode::Success(_)) => Ok(()),
                            _ => Err(RequestError::Rejected),
                        };
                        FilterOutcome { filter, result }
                    })
                    .collect();
                let _ = responder.send(outcomes);
            }
            Tracked::Unsubscribe { filter, responder } => {
                let _ = responder.send(vec![FilterOutcome {
                    filter,
                    result: Ok(()),
                }]);
            }
        }
    }

    /// Half-open detection: an overdue acknowledgement or PINGRESP ends the generation.
    fn check_deadlines(&mut self) {
        let Some(link) = self.link.as_ref().filter(|l| l.is_connected()) else {
            return;
        };
        let now = Instant::now();
        let rto = link.rtt.timeout();
        let inbound = link.inbound(&self.gauge);
        let error = if let Some((_, operation)) = link.tracker.first_overdue(now, rto, inbound) {
            Some(LinkError::AckTimeout {
                operation,
                after: rto,
            })
        } else {
            let ping_timeout = self.settings.effective_ping_timeout();
            link.ping_sent_at
                .filter(|sent| now.saturating_duration_since(*sent) >= ping_timeout)
                .map(|_| LinkError::PingTimeout {
                    after: ping_timeout,
                })
        };
        if let Some(error) = error {
            self.end_link(EndReason::Interrupted(error), true);
        }
    }

    /// The next instant a deadline falls due on the live link, if any.
    fn next_deadline(&self) -> Option<Instant> {
        let link = self.link.as_ref().filter(|l| l.is_connected())?;
        let acks = link
            .tracker
            .next_due(link.rtt.timeout(), link.inbound(&self.gauge));
        let ping = link
            .ping_sent_at
            .map(|sent| sent + self.settings.effective_ping_timeout());
        acks.into_iter().chain(ping).min()
    }

    /// Keeps one timer at the earliest deadline. Called after anything that can add,
    /// settle or move a deadline; a timer already due no later than the new earliest
    /// deadline is kept (it re-arms itself when it fires).
    fn rearm(&mut self, ctx: &mut Context<Self>) {
        let next = self.next_deadline();
        match (next, self.deadline_timer.as_ref()) {
            (None, None) => {}
            (Some(at), Some((armed, _))) if *armed <= at => {}
            (next, _) => {
                if let Some((_, handle)) = self.deadline_timer.take() {
                    ctx.cancel_future(handle);
                }
                if let Some(at) = next {
                    let wait = at.saturating_duration_since(Instant::now());
                    let handle = ctx.run_later(wait, |act, ctx| {
                        act.deadline_timer = None;
                        act.check_deadlines();
                        act.rearm(ctx);
                    });
                    self.deadline_timer = Some((at, handle));
                }
            }
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

impl Actor for Connection {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        // Larger than the default 16 so bursts of publishes are not rejected by `try_send`.
        ctx.set_mailbox_capacity(1024);
        crate::lifecycle::actor_started(crate::lifecycle::ActorKind::Connection);
    }

    fn stopped(&mut self, _ctx: &mut Self::Context) {
        crate::lifecycle::actor_stopped(crate::lifecycle::ActorKind::Connection);
        self.end_link(EndReason::Intentional, true);
        for r in &self.retiring {
            r.poller.abort.abort();
        }
    }
}

impl Supervised for Connection {
    /// A new incarnation: `stopped` already ended the transport; everything but what
    /// [`Kept`] lists is discarded here (the old context's timers went with it).
    fn restarting(&mut self, _ctx: &mut Self::Context) {
        self.end_link(EndReason::Intentional, true);
        let mut kept = self.keep();
        kept.restarts = kept.restarts.saturating_add(1);
        *self = Self::fresh(kept);
        info!(
            queue_len = self.queue.len(),
            restarts = self.restarts,
            "connection actor restarting"
        );
    }
}

impl Handler<Connect> for Connection {
    type Result = ResponseFuture<Result<Connected, ConnectError>>;

    fn handle(&mut self, msg: Connect, ctx: &mut Self::Context) -> Self::Result {
        let generation = msg.generation;
        // The old transport goes first, and the new task waits until it is gone.
        self.end_link(EndReason::Intentional, true);
        let wait_for: Vec<TransportDone> = self
            .retiring
            .iter()
            .map(|r| {
                r.poller.abort.abort();
                r.poller.done.clone()
            })
            .collect();
        let tls = match self.settings.endpoint {
            Endpoint::SecureWebSocket(_) => Some(self.tls_config()),
            _ => None,
        };
        let tls_source = move || tls.clone().unwrap_or_else(load_tls_config);
        let (client, eventloop) =
            build_transport(&self.settings, msg.credentials.as_ref(), &tls_source);
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
        self.link = Some(Link {
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
        });
        info!(generation, signed = msg.credentials.is_some(), "connecting");
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
        self.on_transport_event(msg);
        self.rearm(ctx);
    }
}

impl Connection {
    fn on_transport_event(&mut self, msg: TransportEvent) {
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
                        info!(generation, error = %error, "connect attempt failed");
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
                            let _ = responder.send(Err(ConnectError::Other {
                                message: "transport task ended".into(),
                            }));
                        }
                    }
                    self.end_link(EndReason::ConnectFailed, true);
                } else {
                    let error = LinkError::Transport {
                        message: "transport task ended".into(),
                    };
                    self.end_link(EndReason::Interrupted(error), true);
                }
                self.retiring.retain(|r| r.id != id);
            }
        }
    }
}

/// Re-arm the deadline timer (sent to itself after a request was recorded).
#[derive(Debug, actix::Message)]
#[rtype(result = "()")]
struct Rearm;

impl Handler<Rearm> for Connection {
    type Result = ();

    fn handle(&mut self, _: Rearm, ctx: &mut Self::Context) {
        self.rearm(ctx);
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
        Box::pin(async move {
            if tokio::time::timeout(bound, poller.done.clone())
                .await
                .is_err()
            {
                poller.abort.abort();
                let _ = tokio::time::timeout(bound, poller.done).await;
            }
        })
    }
}

impl Handler<Publish> for Connection {
    type Result = ResponseFuture<Result<PublishOutcome, RequestError>>;

    fn handle(&mut self, msg: Publish, ctx: &mut Self::Context) -> Self::Result {
        // The request may add a deadline; the timer is re-armed once it is recorded.
        ctx.notify(Rearm);
        if !rumqttc::valid_topic(&msg.topic) {
            return Box::pin(ready(Err(RequestError::InvalidTopic)));
        }
        let command = QueuedCommand {
            topic: msg.topic,
            payload: msg.payload,
            label: msg.label,
        };
        let deadline = self.ack_deadline();
        let enqueued_at = self.settings.clock.now();
        let ready_now = self.queue.is_empty()
            && self
                .link
                .as_ref()
                .is_some_and(|l| matches!(l.phase, Phase::Ready));
        if let Some(link) = self.link.as_mut().filter(|_| ready_now) {
            let sent = link.client.try_publish(
                command.topic.clone(),
                QoS::AtLeastOnce,
                false,
                command.payload.clone(),
            );
            if sent.is_ok() {
                let (tx, rx) = oneshot::channel();
                link.tracker.sent(
                    Operation::Publish,
                    deadline,
                    Tracked::Publish {
                        entry: QueuedEntry::new(command, enqueued_at),
                        origin: Origin::Caller(tx),
                    },
                );
                return Box::pin(
                    async move { rx.await.unwrap_or(Err(RequestError::ActorStopped)) },
                );
            }
            // Never wait on the channel: queue it and let a flush pump it out as rumqttc
            // catches up. Later publishes queue behind it.
            link.phase = Phase::Restoring;
            self.flush = Some(FlushRun {
                responder: None,
                report: FlushReport::default(),
            });
        }
        if self.queue.capacity() == 0 {
            return Box::pin(ready(Err(RequestError::NotConnected)));
        }
        let queue_len = self.enqueue(command);
        self.pump();
        Box::pin(ready(Ok(PublishOutcome::Queued { queue_len })))
    }
}

impl Handler<Subscribe> for Connection {
    type Result = ResponseFuture<Result<Vec<FilterOutcome>, RequestError>>;

    fn handle(&mut self, msg: Subscribe, ctx: &mut Self::Context) -> Self::Result {
        // The request may add a deadline; the timer is re-armed once it is recorded.
        ctx.notify(Rearm);
        let deadline = self.ack_deadline();
        let Some(link) = self.link.as_mut().filter(|l| l.is_connected()) else {
            return Box::pin(ready(Err(RequestError::NotConnected)));
        };
        let mut slots: Vec<Slot> = Vec::new();
        let mut valid = Vec::new();
        for filter in msg.filters {
            if rumqttc::valid_filter(&filter) {
                valid.push(filter);
            } else {
                slots.push(Slot::Done(vec![FilterOutcome {
                    filter,
                    result: Err(RequestError::InvalidTopic),
                }]));
            }
        }
        for chunk in valid.chunks(MAX_FILTERS_PER_SUBSCRIBE) {
            let filters = chunk.to_vec();
            let request = filters
                .iter()
                .map(|f| SubscribeFilter::new(f.clone(), QoS::AtLeastOnce));
            match link.client.try_subscribe_many(request) {
                Ok(()) => {
                    let (tx, rx) = oneshot::channel();
                    link.tracker.sent(
                        Operation::Subscribe,
                        deadline,
                        Tracked::Subscribe {
                            filters: filters.clone(),
                            responder: tx,
                        },
                    );
                    slots.push(Slot::Waiting(filters, rx));
                }
                Err(_) => slots.push(Slot::Done(fail_all(filters, &RequestError::Busy))),
            }
        }
        Box::pin(collect_slots(slots))
    }
}

impl Handler<Unsubscribe> for Connection {
    type Result = ResponseFuture<Result<Vec<FilterOutcome>, RequestError>>;

    fn handle(&mut self, msg: Unsubscribe, ctx: &mut Self::Context) -> Self::Result {
        // The request may add a deadline; the timer is re-armed once it is recorded.
        ctx.notify(Rearm);
        let deadline = self.ack_deadline();
        let Some(link) = self.link.as_mut().filter(|l| l.is_connected()) else {
            return Box::pin(ready(Err(RequestError::NotConnected)));
        };
        let mut slots = Vec::new();
        for filter in msg.filters {
            if !rumqttc::valid_filter(&filter) {
                slots.push(Slot::Done(fail_all(
                    vec![filter],
                    &RequestError::InvalidTopic,
                )));
                continue;
            }
            match link.client.try_unsubscribe(filter.clone()) {
                Ok(()) => {
                    let (tx, rx) = oneshot::channel();
                    link.tracker.sent(
                        Operation::Unsubscribe,
                        deadline,
                        Tracked::Unsubscribe {
                            filter: filter.clone(),
                            responder: tx,
                        },
                    );
                    slots.push(Slot::Waiting(vec![filter], rx));
                }
                Err(_) => slots.push(Slot::Done(fail_all(vec![filter], &RequestError::Busy))),
            }
        }
        Box::pin(collect_slots(slots))
    }
}

impl Handler<FlushQueue> for Connection {
    type Result = ResponseFuture<Result<FlushReport, RequestError>>;

    fn handle(&mut self, _msg: FlushQueue, ctx: &mut Self::Context) -> Self::Result {
        // The request may add a deadline; the timer is re-armed once it is recorded.
        ctx.notify(Rearm);
        let Some(link) = self.link.as_mut().filter(|l| l.is_connected()) else {
            return Box::pin(ready(Err(RequestError::NotConnected)));
        };
        let (tx, rx) = oneshot::channel();
        match self.flush.as_mut() {
            Some(run) if run.responder.is_some() => {
                return Box::pin(ready(Err(RequestError::FlushInProgress)));
            }
            Some(run) => run.responder = Some(tx),
            None => {
                link.phase = Phase::Restoring;
                self.flush = Some(FlushRun {
                    responder: Some(tx),
                    report: FlushReport::default(),
                });
            }
        }
        info!(
            generation = link.generation,
            queue_len = self.queue.len(),
            "flushing offline queue"
        );
        self.pump();
        Box::pin(async move { rx.await.unwrap_or(Err(RequestError::ActorStopped)) })
    }
}

impl Handler<Restart> for Connection {
    type Result = ();

    fn handle(&mut self, _msg: Restart, ctx: &mut Self::Context) {
        info!("connection actor restart requested");
        self.end_link(EndReason::Intentional, true);
        ctx.stop();
    }
}

impl Handler<ClearQueue> for Connection {
    type Result = usize;

    fn handle(&mut self, _msg: ClearQueue, _ctx: &mut Self::Context) -> usize {
        self.queue.clear()
    }
}

impl Handler<GetStatus> for Connection {
    type Result = actix::MessageResult<GetStatus>;

    fn handle(&mut self, _msg: GetStatus, _ctx: &mut Self::Context) -> Self::Result {
        let phase = match self.link.as_ref().map(|l| &l.phase) {
            None => LinkPhase::Idle,
            Some(Phase::Connecting(_)) => LinkPhase::Connecting,
            Some(Phase::Restoring) => LinkPhase::Restoring,
            Some(Phase::Ready) => LinkPhase::Connected,
        };
        actix::MessageResult(LinkStatus {
            generation: self.link.as_ref().map(|l| l.generation),
            phase,
            queue_len: self.queue.len(),
            pending_acks: self.link.as_ref().map_or(0, |l| l.tracker.len()),
            live_transports: self.gauge.live(),
            max_live_transports: self.gauge.max(),
            transports_opened: self.gauge.opened(),
            messages_received: self.gauge.received(),
            publishes_acknowledged: self.gauge.acknowledged(),
            smoothed_rtt: self.link.as_ref().and_then(|l| l.rtt.smoothed()),
            ack_timeout: self.link.as_ref().map(|l| l.rtt.timeout()),
            restarts: self.restarts,
        })
    }
}

/// One part of a subscribe/unsubscribe answer, in request order.
enum Slot {
    Done(Vec<FilterOutcome>),
    Waiting(Vec<String>, oneshot::Receiver<Vec<FilterOutcome>>),
}

async fn collect_slots(slots: Vec<Slot>) -> Result<Vec<FilterOutcome>, RequestError> {
    let parts = join_all(slots.into_iter().map(|slot| async move {
        match slot {
            Slot::Done(outcomes) => outcomes,
            Slot::Waiting(filters, rx) => match rx.await {
                Ok(outcomes) => outcomes,
                Err(_) => fail_all(filters, &RequestError::ActorStopped),
            },
        }
    }))
    .await;
    Ok(parts.into_iter().flatten().collect())
}

fn fail_all(filters: Vec<String>, error: &RequestError) -> Vec<FilterOutcome> {
    filters
        .into_iter()
        .map(|filter| FilterOutcome {
            filter,
            result: Err(error.clone()),
        })
        .collect()
}

/// Feeds the round trip of an acknowledged operation to the estimator (from the moment
/// its packet was written).
fn sample_round_trip<P>(rtt: &mut RttEstimator, pending: &Pending<P>) {
    if let Some(sent) = pending.sent_at {
        rtt.sample(Instant::now().saturating_duration_since(sent));
    }
}
