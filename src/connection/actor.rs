//! The Connection actor: owns at most one transport generation, the acknowledgement
//! tracking of that generation, and the offline command queue.
//!
//! This file holds the actor's state and its lifecycle as an actix actor (start, stop,
//! supervised restart, status). The behaviour lives next to its concern:
//! [`link`] (connecting, closing and retiring transports, the poller task's events),
//! [`operations`] (publishes, subscriptions and their acknowledgement deadlines) and
//! [`flush`] (the offline queue).

mod flush;
mod link;
mod operations;

use std::sync::Arc;

use actix::{
    Actor, ActorContext, Context, Handler, Recipient, SpawnHandle, Supervised, Supervisor,
};
use rumqttc::tokio_rustls::rustls::ClientConfig;
use rumqttc::AsyncClient;
use tokio::sync::oneshot;
use tokio::time::Instant;
use tracing::info;

use self::flush::FlushRun;
use self::link::{EndReason, Retiring};
use self::operations::Tracked;
use super::ack::AckTracker;
use super::error::ConnectError;
use super::messages::{
    CommandEvent, Connected, ConnectionEvent, GetStatus, IncomingPublish, LinkPhase, LinkStatus,
    QueuedCommand, Restart,
};
use super::poller::{LiveTransports, PollerHandle};
use super::rtt::RttEstimator;
use super::settings::{ConnectionSettings, SettingsError};
use crate::queue::OfflineQueue;

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

/// The Connection actor. See the [module documentation](super) for its messages.
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
        Ok(Self {
            settings,
            events,
            incoming,
            queue,
            link: None,
            retiring: Vec::new(),
            flush: None,
            gauge: LiveTransports::default(),
            tls: None,
            next_transport_id: 0,
            deadline_timer: None,
        })
    }

    /// Starts the actor under an actix [`Supervisor`], so that [`Restart`] (or a stop)
    /// restarts it with its queue and settings intact.
    pub fn start_supervised(self) -> actix::Addr<Self> {
        Supervisor::start(|_| self)
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
        // A restart begins without a timer: timers belong to the old actor's context.
        self.deadline_timer = None;
    }

    fn stopped(&mut self, _ctx: &mut Self::Context) {
        self.end_link(EndReason::Intentional, true);
        for r in &self.retiring {
            r.poller.abort.abort();
        }
    }
}

impl Supervised for Connection {
    fn restarting(&mut self, _ctx: &mut Self::Context) {
        // `stopped` already dropped the transport; this keeps a restart safe even if actix
        // skipped it. The queue and settings persist.
        self.end_link(EndReason::Intentional, true);
        info!(queue_len = self.queue.len(), "connection actor restarting");
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
        })
    }
}
