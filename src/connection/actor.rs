//! The Connection actor: owns at most one transport generation, the acknowledgement
//! tracking of that generation, and the offline command queue.
//!
//! This file holds the actor's state and its lifecycle as an actix actor (start, stop,
//! supervised restart, status). The behaviour lives next to its concern:
//! [`link`] (connecting, closing and retiring transports, the poller task's events),
//! [`operations`] (publishes, subscriptions and their acknowledgement deadlines) and
//! [`flush`] (the offline queue).

mod flush;
mod handover;
mod link;
mod operations;

use std::collections::VecDeque;
use std::sync::Arc;

use actix::{Actor, ActorContext, Context, Handler, Recipient, SpawnHandle, Supervised};
use rumqttc::tokio_rustls::rustls::ClientConfig;
use rumqttc::AsyncClient;
use tokio::sync::oneshot;
use tokio::time::Instant;
use tracing::info;

use self::flush::FlushRun;
use self::link::{EndReason, Retiring};
use self::operations::{PublishResponder, Tracked};
use super::ack::AckTracker;
use super::error::ConnectError;
use super::messages::{
    CommandEvent, Connected, ConnectionEvent, GetStatus, IncomingPublish, LinkPhase, LinkStatus,
    QueuedCommand, Restart,
};
use super::pacer::PublishPacer;
use super::poller::{LiveTransports, PollerHandle};
use super::rtt::RttEstimator;
use super::settings::{ConnectionSettings, SettingsError};
use super::supervisor::ShutdownFlag;
use crate::queue::{OfflineQueue, QueuedEntry};

/// AWS IoT accepts at most 8 filters per SUBSCRIBE.
pub use crate::registry::MAX_FILTERS_PER_SUBSCRIBE;

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
    /// The MQTT client id this link connected under.
    client_id: String,
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
    /// This connection's publish rate (AWS's quota is per connection).
    pacer: PublishPacer,
    /// Set while publishes wait for the pacer: when the next one may go.
    paced_until: Option<Instant>,
    /// Live publishes waiting for the pacer, in order, their callers still waiting for
    /// the PUBACK (so a poller's in-flight window holds it back, and nothing takes the
    /// offline queue's room).
    paced: VecDeque<(QueuedEntry<QueuedCommand>, PublishResponder)>,
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

/// The Connection actor. See the [module documentation](super) for its messages.
///
/// A [`Restart`] rebuilds it: only the offline queue and the settings (and what outlives
/// a generation by nature: transports still closing, lifetime totals, transport ids)
/// survive; every other field starts anew.
pub struct Connection {
    settings: ConnectionSettings,
    events: Recipient<ConnectionEvent>,
    incoming: Recipient<IncomingPublish>,
    queue: OfflineQueue<QueuedCommand>,
    link: Option<Link>,
    /// A planned handover's second link, connecting or subscribing, not yet in use.
    standby: Option<Link>,
    /// After a handover, the link it replaced: still receiving (answers to requests sent
    /// on it, PUBACKs of its last publishes) until it is closed.
    draining: Option<Link>,
    /// The client id the next `Connect` uses: the configured one, or after a handover
    /// the one that took over.
    client_id: String,
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
    /// The client id in use (it changes with each handover).
    client_id: String,
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
            client_id: settings.client_id.clone(),
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
            client_id: kept.client_id,
            retiring: kept.retiring,
            gauge: kept.gauge,
            next_transport_id: kept.next_transport_id,
            restarts: kept.restarts,
            shutdown: kept.shutdown,
            link: None,
            standby: None,
            draining: None,
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
            client_id: self.client_id.clone(),
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
        self.end_side_links();
        for r in &self.retiring {
            r.poller.abort.abort();
        }
    }
}

impl Supervised for Connection {
    /// A new incarnation: `stopped` already ended the transport; everything but what
    /// `Kept` lists is discarded here (the old context's timers went with it).
    fn restarting(&mut self, _ctx: &mut Self::Context) {
        self.end_link(EndReason::Intentional, true);
        self.end_side_links();
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

impl Handler<Restart> for Connection {
    type Result = ();

    fn handle(&mut self, _msg: Restart, ctx: &mut Self::Context) {
        info!("connection actor restart requested");
        self.end_link(EndReason::Intentional, true);
        self.end_side_links();
        ctx.stop();
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
