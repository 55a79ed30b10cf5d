//! The Reconnector actor.

use std::time::Duration;

use actix::prelude::*;
use tracing::{debug, info, warn};

use super::messages::{Disconnect, GetDiagnostics, GetPhase, Phase, Retry, Start};
use super::probe::{is_reachable, ProbeTarget};
use super::steps::{
    run_attempt, run_restore, AttemptOutcome, AttemptPlan, RestorePlan, Restored, StepError,
};
use crate::auth::Auth;
use crate::bus::EventBus;
use crate::clock::SharedClock;
use crate::connection::{
    Close, CommandEvent, CommandLabel, Connection, ConnectionEvent, GetStatus,
};
use crate::diagnostics::{Diagnostics, DiagnosticsSnapshot};
use crate::events::{ConnectKind, Event, FailureReason};
use crate::periodic::{Pause, Resume};
use crate::policy::{Attempt, AttemptKind, Decision, PolicyConfig, ReconnectPolicy};
use crate::subscriptions::{Replay, SetLink};

/// Settings of the Reconnector (from the client configuration).
#[derive(Debug, Clone)]
pub struct ReconnectorSettings {
    /// The MQTT client id (reported in `connected` events).
    pub client_id: String,
    /// The reconnect policy.
    pub policy: PolicyConfig,
    /// Seed for the policy's jitter (`None`: from the OS).
    pub seed: Option<u64>,
    /// Bound on closing a transport (and on `Disconnect`).
    pub operation_timeout: Duration,
    /// How often the endpoint is probed while waiting after a network-level failure.
    pub probe_interval: Duration,
    /// What to probe (`None`: no probing).
    pub probe_target: Option<ProbeTarget>,
    /// The clock.
    pub clock: SharedClock,
}

/// The actors the Reconnector drives.
#[derive(Clone)]
pub struct Peers {
    /// Auth (absent for brokers that need no credentials).
    pub auth: Option<Addr<Auth>>,
    /// The Connection actor.
    pub connection: Addr<Connection>,
    /// Subscriptions: replay the registry.
    pub replay: Recipient<Replay>,
    /// Subscriptions: link up / down.
    pub link: Recipient<SetLink>,
    /// PeriodicRequests: resume.
    pub resume: Recipient<Resume>,
    /// PeriodicRequests: pause.
    pub pause: Recipient<Pause>,
    /// Where events go.
    pub bus: EventBus,
}

/// The supervisor actor. See the [module docs](super).
pub struct Reconnector {
    settings: ReconnectorSettings,
    peers: Peers,
    policy: ReconnectPolicy,
    diagnostics: Diagnostics,
    phase: Phase,
    /// The last generation handed to the Connection actor.
    generation: u64,
    /// The generation that may hold a transport (connecting or connected).
    live_generation: Option<u64>,
    /// The attempt number of the current (or last) attempt.
    attempt_number: u64,
    /// Set when the current attempt's generation was interrupted before its
    /// `Connect` answer was seen.
    early_interrupt: bool,
    /// Whether an established connection was lost and not yet recovered.
    in_outage: bool,
    /// Backoff timer, attempt or restore in flight.
    pending: Option<SpawnHandle>,
    probe: Option<SpawnHandle>,
    stability: Option<SpawnHandle>,
    last_connect_started: Option<tokio::time::Instant>,
    /// When the current outage began.
    outage_started: Option<tokio::time::Instant>,
    /// The next schedule follows an interruption (probe even without a failure yet).
    interrupted_just_now: bool,
    /// The running probe has seen the endpoint unreachable.
    probe_saw_unreachable: bool,
}

impl std::fmt::Debug for Reconnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reconnector")
            .field("phase", &self.phase)
            .field("generation", &self.generation)
            .field("attempts", &self.policy.attempts())
            .finish_non_exhaustive()
    }
}

impl Reconnector {
    /// A Reconnector (not started).
    pub fn new(settings: ReconnectorSettings, peers: Peers) -> Self {
        let policy = match settings.seed {
            Some(seed) => ReconnectPolicy::with_seed(settings.policy.clone(), seed),
            None => ReconnectPolicy::new(settings.policy.clone()),
        };
        Self {
            settings,
            peers,
            policy,
            diagnostics: Diagnostics::new(),
            phase: Phase::Idle,
            generation: 0,
            live_generation: None,
            attempt_number: 0,
            early_interrupt: false,
            in_outage: false,
            pending: None,
            probe: None,
            stability: None,
            last_connect_started: None,
            outage_started: None,
            interrupted_just_now: false,
            probe_saw_unreachable: false,
        }
    }

    fn now(&self) -> tokio::time::Instant {
        self.settings.clock.now()
    }

    fn emit(&self, event: Event) {
        self.peers.bus.emit(event);
    }

    fn cancel(&mut self, ctx: &mut Context<Self>) {
        for handle in [
            self.pending.take(),
            self.probe.take(),
            self.stability.take(),
        ]
        .into_iter()
        .flatten()
        {
            ctx.cancel_future(handle);
        }
    }

    fn link_down(&self) {
        self.peers.link.do_send(SetLink { up: false });
        self.peers.pause.do_send(Pause);
    }

    /// Starts attempt `number` now.
    fn begin_attempt(
        &mut self,
        ctx: &mut Context<Self>,
        kind: ConnectKind,
        number: u64,
        renew: bool,
    ) {
        if matches!(self.phase, Phase::Disconnected | Phase::Failed) {
            return;
        }
        if let Some(probe) = self.probe.take() {
            ctx.cancel_future(probe);
        }
        self.phase = Phase::Attempting;
        self.generation = self.generation.saturating_add(1);
        let generation = self.generation;
        let old_generation = self.live_generation.replace(generation);
        self.attempt_number = number;
        self.early_interrupt = false;
        let now = self.now();
        self.policy.on_connect_started(now);
        self.last_connect_started = Some(now);
        let deep = kind == ConnectKind::Deep;
        self.diagnostics.on_attempt(if deep {
            AttemptKind::Deep
        } else {
            AttemptKind::Quick
        });
        info!(attempt = number, kind = ?kind, generation, "connecting");
        self.emit(Event::Connecting {
            attempt: number,
            kind,
        });
        let plan = AttemptPlan {
            auth: self.peers.auth.clone(),
            connection: self.peers.connection.clone(),
            bus: self.peers.bus.clone(),
            old_generation,
            generation,
            deep,
            renew,
            close_timeout: self.settings.operation_timeout,
        };
        let handle = ctx.spawn(
            run_attempt(plan)
                .into_actor(self)
                .map(move |result, act, ctx| act.on_attempt_done(ctx, generation, result)),
        );
        self.pending = Some(handle);
    }

    fn on_attempt_done(
        &mut self,
        ctx: &mut Context<Self>,
        generation: u64,
        outcome: AttemptOutcome,
    ) {
        if outcome.renewed {
            self.diagnostics.on_credentials_renewed();
        }
        let result = outcome.result;
        if self.phase != Phase::Attempting || self.generation != generation {
            return; // superseded or disconnected meanwhile
        }
        self.pending = None;
        let result = match result {
            Ok(_) if self.early_interrupt => {
                Err(StepError::Connect(crate::connection::ConnectError::Other {
                    message: "connection lost right after CONNACK".into(),
                }))
            }
            other => other,
        };
        match result {
            Ok(connected) => self.on_connected(ctx, generation, connected.session_present),
            Err(error) => self.on_attempt_failed(ctx, error),
        }
    }

    fn on_connected(&mut self, ctx: &mut Context<Self>, generation: u64, session_present: bool) {
        let now = self.now();
        self.policy.on_connected(now);
        self.diagnostics.on_connected(now);
        info!(
            generation,
            session_present,
            attempt = self.attempt_number,
            "connected"
        );
        self.emit(Event::Connected {
            client_id: self.settings.client_id.clone(),
            session_present,
            attempt: self.attempt_number,
        });
        let stable_after = self.settings.policy.stable_after;
        self.stability = Some(ctx.run_later(stable_after, |act, _| {
            let now = act.now();
            if act.policy.on_stable_check(now) {
                debug!("connection stable: attempt counter reset");
            }
            act.stability = None;
        }));
        self.phase = Phase::Restoring;
        let plan = RestorePlan {
            connection: self.peers.connection.clone(),
            replay: self.peers.replay.clone(),
            link: self.peers.link.clone(),
            resume: self.peers.resume.clone(),
            bus: self.peers.bus.clone(),
            session_present,
        };
        let handle = ctx.spawn(
            run_restore(plan)
                .into_actor(self)
                .map(move |result, act, ctx| act.on_restore_done(ctx, generation, result)),
        );
        self.pending = Some(handle);
    }

    fn on_restore_done(
        &mut self,
        ctx: &mut Context<Self>,
        generation: u64,
        result: Result<Restored, StepError>,
    ) {
        if self.phase != Phase::Restoring || self.live_generation != Some(generation) {
            return; // interrupted or disconnected meanwhile
        }
        self.pending = None;
        match result {
            Ok(restored) => {
                self.phase = Phase::Up;
                if let Some(refused) = restored.replay.map(|r| r.failed).filter(|n| *n > 0) {
                    self.diagnostics.on_resubscribe_failures(refused as u64);
                }
                debug!(
                    flushed = restored.flush.sent,
                    expired = restored.flush.expired,
                    replayed = restored.replay.map(|r| r.restored),
                    "restored"
                );
                if std::mem::take(&mut self.in_outage) {
                    let outage = self.outage_duration();
                    info!(
                        attempts = self.attempt_number,
                        outage_ms = outage.as_millis() as u64,
                        "recovered"
                    );
                    self.emit(Event::Recovered {
                        attempts: self.attempt_number,
                        outage,
                    });
                }
            }
            Err(error) => {
                warn!(%error, generation, "restore failed; closing this connection and retrying");
                self.peers.connection.do_send(Close { generation });
                if let Some(stability) = self.stability.take() {
                    ctx.cancel_future(stability);
                }
                self.policy.on_interrupted(self.now());
                self.link_down();
                self.on_attempt_failed(ctx, error);
            }
        }
    }

    fn outage_duration(&self) -> Duration {
        self.outage_started
            .map(|start| self.now().saturating_duration_since(start))
            .unwrap_or_default()
    }

    fn on_attempt_failed(&mut self, ctx: &mut Context<Self>, error: StepError) {
        let message = error.to_string();
        self.diagnostics.on_attempt_failed(message.clone());
        if error.is_fatal() {
            warn!(%error, "credentials rejected: reconnection stops");
            self.fail(ctx, FailureReason::InvalidCredentials);
            return;
        }
        warn!(%error, attempt = self.attempt_number, "connection attempt failed");
        self.policy.on_attempt_failed(error.failure_kind());
        self.schedule_next(ctx);
    }

    fn fail(&mut self, ctx: &mut Context<Self>, reason: FailureReason) {
        self.cancel(ctx);
        self.phase = Phase::Failed;
        // The failure is this outage's one outcome; a later `Retry` that succeeds
        // reports `connected`, not a second outcome.
        self.in_outage = false;
        self.link_down();
        self.emit(Event::ReconnectionFailed {
            attempts: self.policy.attempts().max(self.attempt_number),
            reason,
        });
    }

    fn schedule_next(&mut self, ctx: &mut Context<Self>) {
        let now = self.now();
        match self.policy.next_attempt(now) {
            Decision::Attempt(attempt) => {
                self.phase = Phase::Waiting;
                info!(
                    attempt = attempt.number,
                    kind = %attempt.kind,
                    delay_ms = attempt.delay.as_millis() as u64,
                    "reconnect scheduled"
                );
                self.emit(Event::ReconnectScheduled {
                    attempt: attempt.number,
                    kind: attempt.kind,
                    delay: attempt.delay,
                });
                self.pending = Some(ctx.run_later(attempt.delay, move |act, ctx| {
                    act.pending = None;
                    act.begin_attempt(
                        ctx,
                        attempt.kind.into(),
                        attempt.number,
                        attempt.renew_credentials,
                    );
                }));
                let after_interruption = std::mem::take(&mut self.interrupted_just_now);
                let after_network_failure =
                    !after_interruption && self.policy.last_failure_was_network();
                if (after_interruption || after_network_failure)
                    && attempt.delay > self.settings.probe_interval
                {
                    self.start_probe(ctx, attempt, after_network_failure);
                }
            }
            Decision::GiveUp { .. } => self.fail(ctx, FailureReason::AttemptLimit),
            Decision::Stopped => {
                self.phase = Phase::Failed;
            }
        }
    }

    /// Probes the endpoint every `probe_interval` while waiting. Only a change from
    /// unreachable to reachable starts the attempt early: an endpoint that answers all
    /// along (a kick, a refusal at the MQTT level) keeps the backoff.
    ///
    /// `failed_to_reach`: the wait follows an attempt that could not reach the endpoint,
    /// which counts as having seen it unreachable. Without it, an outage that ends just
    /// after a failed attempt (before the probe's first look) would go unnoticed and the
    /// client would sit out the whole backoff, up to two minutes.
    fn start_probe(&mut self, ctx: &mut Context<Self>, attempt: Attempt, failed_to_reach: bool) {
        let Some(target) = self.settings.probe_target.clone() else {
            return;
        };
        let interval = self.settings.probe_interval;
        let timeout = interval.min(Duration::from_secs(2));
        self.probe_saw_unreachable = failed_to_reach;
        self.probe = Some(ctx.run_interval(interval, move |act, ctx| {
            if act.phase != Phase::Waiting {
                return;
            }
            let target = target.clone();
            ctx.spawn(
                async move { is_reachable(&target, timeout).await }
                    .into_actor(act)
                    .map(move |reachable, act, ctx| {
                        if act.phase != Phase::Waiting || act.probe.is_none() {
                            return;
                        }
                        if !reachable {
                            act.probe_saw_unreachable = true;
                        } else if act.probe_saw_unreachable {
                            act.on_reachable(ctx, attempt);
                        }
                    }),
            );
        }));
    }

    /// The endpoint answers again: attempt now, or as soon as the minimum interval allows.
    fn on_reachable(&mut self, ctx: &mut Context<Self>, attempt: Attempt) {
        info!(
            attempt = attempt.number,
            "endpoint reachable again; attempting now"
        );
        if let Some(probe) = self.probe.take() {
            ctx.cancel_future(probe);
        }
        if let Some(pending) = self.pending.take() {
            ctx.cancel_future(pending);
        }
        let now = self.now();
        let wait = self
            .last_connect_started
            .map(|last| {
                (last + self.settings.policy.min_connect_interval).saturating_duration_since(now)
            })
            .unwrap_or_default();
        self.pending = Some(ctx.run_later(wait, move |act, ctx| {
            act.pending = None;
            act.begin_attempt(
                ctx,
                attempt.kind.into(),
                attempt.number,
                attempt.renew_credentials,
            );
        }));
    }

    fn on_interrupted(&mut self, ctx: &mut Context<Self>, generation: u64, error: String) {
        if self.live_generation != Some(generation) {
            debug!(generation, "interruption of a stale generation ignored");
            return;
        }
        match self.phase {
            Phase::Attempting => {
                // The Connect answer is still on its way; let it see the interruption.
                self.early_interrupt = true;
            }
            Phase::Restoring => {
                // Not recovered yet: losing the link now is a failed attempt of the
                // same outage, not a new outage (one outcome per interruption).
                warn!(generation, %error, "connection lost while restoring");
                if let Some(pending) = self.pending.take() {
                    ctx.cancel_future(pending);
                }
                if let Some(stability) = self.stability.take() {
                    ctx.cancel_future(stability);
                }
                self.policy.on_interrupted(self.now());
                self.link_down();
                self.on_attempt_failed(ctx, StepError::Lost(error));
            }
            Phase::Up => {
                warn!(generation, %error, "connection interrupted");
                if let Some(stability) = self.stability.take() {
                    ctx.cancel_future(stability);
                }
                let now = self.now();
                self.diagnostics.on_interrupted(now, error.clone());
                self.policy.on_interrupted(now);
                self.in_outage = true;
                self.outage_started = Some(now);
                self.link_down();
                self.emit(Event::Interrupted { error });
                self.interrupted_just_now = true;
                self.schedule_next(ctx);
            }
            _ => {}
        }
    }

    fn on_command_event(&mut self, event: CommandEvent) {
        let label = |l: Option<CommandLabel>| l.map(|l| (l.device, l.command)).unwrap_or_default();
        let event = match event {
            CommandEvent::Queued {
                label: l,
                queue_len,
            } => {
                let (device, command) = label(l);
                Event::CommandQueued {
                    device,
                    command,
                    queue_len,
                }
            }
            CommandEvent::Sent { label: l } => {
                let (device, command) = label(l);
                Event::CommandSent { device, command }
            }
            CommandEvent::Expired { label: l, age } => {
                self.diagnostics.on_queue_expired();
                let (device, command) = label(l);
                Event::CommandExpired {
                    device,
                    command,
                    age,
                }
            }
            CommandEvent::Dropped { label: l } => {
                self.diagnostics.on_queue_drop();
                let (device, command) = label(l);
                Event::CommandDropped { device, command }
            }
        };
        self.emit(event);
    }
}

impl Actor for Reconnector {
    type Context = Context<Self>;
}

impl Handler<Start> for Reconnector {
    type Result = ();

    fn handle(&mut self, _: Start, ctx: &mut Context<Self>) {
        if self.phase == Phase::Idle {
            self.begin_attempt(ctx, ConnectKind::Initial, 1, false);
        }
    }
}

impl Handler<Retry> for Reconnector {
    type Result = bool;

    fn handle(&mut self, _: Retry, ctx: &mut Context<Self>) -> bool {
        if self.phase != Phase::Failed {
            return false;
        }
        info!("retrying after a reconnection failure: new attempt cycle");
        self.policy.reset();
        self.phase = Phase::Waiting;
        self.begin_attempt(ctx, ConnectKind::Initial, 1, true);
        true
    }
}

impl Handler<ConnectionEvent> for Reconnector {
    type Result = ();

    fn handle(&mut self, event: ConnectionEvent, ctx: &mut Context<Self>) {
        match event {
            ConnectionEvent::Connected { generation, .. } => {
                debug!(generation, "CONNACK event");
            }
            ConnectionEvent::Interrupted { generation, error } => {
                self.on_interrupted(ctx, generation, error.to_string());
            }
            ConnectionEvent::Command(command) => self.on_command_event(command),
        }
    }
}

impl Handler<Disconnect> for Reconnector {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, _: Disconnect, ctx: &mut Context<Self>) -> Self::Result {
        let already = self.phase == Phase::Disconnected;
        self.cancel(ctx);
        self.phase = Phase::Disconnected;
        self.link_down();
        let generation = self.live_generation.take();
        let connection = self.peers.connection.clone();
        let bound = self.settings.operation_timeout;
        info!("disconnecting");
        Box::pin(
            async move {
                if let Some(generation) = generation {
                    let _ =
                        tokio::time::timeout(bound, connection.send(Close { generation })).await;
                }
            }
            .into_actor(self)
            .map(move |_, act, _| {
                if !already {
                    let now = act.now();
                    act.diagnostics.on_disconnected(now);
                    act.emit(Event::Disconnected);
                }
            }),
        )
    }
}

impl Handler<GetDiagnostics> for Reconnector {
    type Result = ResponseActFuture<Self, DiagnosticsSnapshot>;

    fn handle(&mut self, _: GetDiagnostics, _: &mut Context<Self>) -> Self::Result {
        // Traffic is counted where it happens (the transport task and the PUBACK
        // handler); the rest is the Reconnector's own.
        let connection = self.peers.connection.clone();
        Box::pin(
            async move { connection.send(GetStatus).await.ok() }
                .into_actor(self)
                .map(|status, act, _| {
                    if let Some(status) = status {
                        act.diagnostics.record_traffic(
                            status.messages_received,
                            status.publishes_acknowledged,
                        );
                    }
                    act.diagnostics.snapshot(act.now())
                }),
        )
    }
}

impl Handler<GetPhase> for Reconnector {
    type Result = MessageResult<GetPhase>;

    fn handle(&mut self, _: GetPhase, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.phase)
    }
}
