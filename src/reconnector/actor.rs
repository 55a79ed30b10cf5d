//! The Reconnector actor.

mod handover;

use std::time::Duration;

use actix::prelude::*;
use tracing::{debug, info, warn};

use super::messages::{Disconnect, GetDiagnostics, GetFailure, GetPhase, Phase, Retry, Start};
use super::probe::{is_reachable, ProbeTarget};
use super::steps::{
    run_attempt, run_restore, AttemptOutcome, AttemptPlan, DeviceDiscovery, RestorePlan, Restored,
    StepError,
};
use crate::auth::Auth;
use crate::bus::EventBus;
use crate::clock::SharedClock;
use crate::connection::LinkError;
use crate::connection::{
    Close, CloseDraining, CommandEvent, CommandLabel, Connection, ConnectionEvent, GetStatus,
};
use crate::diagnostics::{Diagnostics, DiagnosticsSnapshot};
use crate::error_chain::Chain;
use crate::events::{Event, FailureReason};
use crate::periodic::{Pause, Resume};
use crate::policy::{
    Attempt, AttemptKind, ConnectSpacing, Decision, FailureKind, HandoverConfig, HandoverPlan,
    PolicyConfig, ReconnectPolicy,
};
use crate::protocol::ClientId;
use crate::subscriptions::{GetFilterBatches, Replay, SetLink, SetOverlap};

/// Settings of the Reconnector (from the client configuration).
#[derive(Debug, Clone)]
pub struct ReconnectorSettings {
    /// The MQTT client id (reported in `connected` events). A planned handover
    /// alternates between it and its peer (`ClientId::handover_peer`).
    pub client_id: String,
    /// When to hand a connection over before the server's lifetime cut.
    pub handover: HandoverConfig,
    /// Bound on one handover (connect, subscribe, swap).
    pub handover_bound: Duration,
    /// CONNECT slots shared by every connection of the client's pool (AWS IoT's
    /// per-account CONNECT rate).
    pub connect_spacing: ConnectSpacing,
    /// The reconnect policy.
    pub policy: PolicyConfig,
    /// Seed for the policy's jitter (`None`: from the OS).
    pub seed: Option<u64>,
    /// Bound on closing a transport (and on `Disconnect`).
    pub operation_timeout: Duration,
    /// How often the endpoint is probed while waiting after a network-level failure.
    pub probe_interval: Duration,
    /// What to probe while the MQTT endpoint is out (`None`: no probing).
    pub probe_target: Option<ProbeTarget>,
    /// What to probe while the REST API is out (`None`: no probing).
    pub api_probe_target: Option<ProbeTarget>,
    /// The endpoint is `wss://` (TLS settings are loaded off the actors' thread first).
    pub needs_tls: bool,
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
    /// Subscriptions: the registry's filters (for a handover's new link).
    pub filters: Recipient<GetFilterBatches>,
    /// Subscriptions: a handover's overlap.
    pub overlap: Recipient<SetOverlap>,
    /// Where events go.
    pub bus: EventBus,
    /// Lists and follows the devices, while the device list is not known yet (a start
    /// during an outage); `None` once it is.
    pub discovery: Option<DeviceDiscovery>,
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
    /// The kind of the current (or last) attempt.
    attempt_kind: AttemptKind,
    /// Set when the current attempt's generation was interrupted before its
    /// `Connect` answer was seen.
    early_interrupt: bool,
    /// Whether an established connection was lost and not yet recovered.
    in_outage: bool,
    /// Backoff timer, attempt or restore in flight.
    pending: Option<SpawnHandle>,
    probe: Option<SpawnHandle>,
    stability: Option<SpawnHandle>,
    /// When the current outage began.
    outage_started: Option<tokio::time::Instant>,
    /// Numbers the waits between attempts: a probe result belongs to the wait it was
    /// started in and is discarded once that wait is over.
    wait_id: u64,
    /// The running probe has seen the endpoint unreachable.
    probe_saw_unreachable: bool,
    /// Why the loop stopped (in the `Failed` phase).
    failure: Option<FailureReason>,
    /// When `Start` arrived, until the first connection is in service or fails.
    started_at: Option<tokio::time::Instant>,
    /// The next scheduled attempt starts at once (a stalled attempt was abandoned).
    skip_backoff: bool,
    /// When the current (or last) attempt started: its CONNECT went out after this.
    attempt_started: Option<tokio::time::Instant>,
    /// When the connection in service began (the server's lifetime counts from there).
    link_began: Option<tokio::time::Instant>,
    /// When to hand over before the lifetime cut.
    handover: HandoverPlan,
    /// The configured client id and its handover peer.
    client_ids: (String, String),
    /// The client id in use.
    client_id: String,
    /// The timer of the next handover.
    handover_timer: Option<SpawnHandle>,
    /// The handover in progress.
    running_handover: Option<handover::RunningHandover>,
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
        let handover = match settings.seed {
            Some(seed) => HandoverPlan::with_seed(
                settings.handover.clone(),
                settings.policy.clone(),
                seed.wrapping_add(1),
            ),
            None => HandoverPlan::new(settings.handover.clone(), settings.policy.clone()),
        };
        let peer = ClientId::new(settings.client_id.as_str())
            .map(|id| id.handover_peer().as_str().to_owned())
            .unwrap_or_else(|_| format!("{}-h", settings.client_id));
        let client_ids = (settings.client_id.clone(), peer);
        Self {
            handover,
            client_id: settings.client_id.clone(),
            client_ids,
            attempt_started: None,
            link_began: None,
            handover_timer: None,
            running_handover: None,
            settings,
            peers,
            policy,
            diagnostics: Diagnostics::new(),
            phase: Phase::Idle,
            generation: 0,
            live_generation: None,
            attempt_number: 0,
            attempt_kind: AttemptKind::Initial,
            early_interrupt: false,
            in_outage: false,
            pending: None,
            probe: None,
            stability: None,
            outage_started: None,
            wait_id: 0,
            probe_saw_unreachable: false,
            failure: None,
            started_at: None,
            skip_backoff: false,
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
        self.abort_handover(ctx);
    }

    fn link_down(&self) {
        self.peers.link.do_send(SetLink { up: false });
        self.peers.pause.do_send(Pause);
    }

    /// Starts attempt `number` now.
    fn begin_attempt(
        &mut self,
        ctx: &mut Context<Self>,
        kind: AttemptKind,
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
        self.attempt_kind = kind;
        self.early_interrupt = false;
        let now = self.now();
        self.attempt_started = Some(now);
        // Computed before this attempt is recorded: the floor is the previous CONNECT's;
        // then a slot among the pool's CONNECTs.
        let not_before = Some(
            self.settings
                .connect_spacing
                .reserve(self.policy.earliest_connect().unwrap_or(now).max(now)),
        );
        self.policy.on_connect_started(now);
        self.diagnostics.on_attempt(kind);
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
            deep: kind == AttemptKind::Deep,
            renew,
            close_timeout: self.settings.operation_timeout,
            not_before,
            needs_tls: self.settings.needs_tls,
            discovery: self.peers.discovery.clone(),
            // One renewal per outage serves every connection of a pool, unless this
            // connection's credentials were just refused: then it renews whatever.
            outage_began: self
                .outage_started
                .filter(|_| self.in_outage)
                .filter(|_| self.policy.last_failure() != Some(FailureKind::AuthRejected)),
        };
        let handle = ctx.spawn(
            run_attempt(plan)
                .into_actor(self)
                .map(move |result, act, ctx| act.on_attempt_done(ctx, generation, result)),
        );
        self.pending = Some(handle);
        self.watch_attempt(ctx, generation);
    }

    /// Probes the endpoint while attempt `generation` is under way. An attempt started
    /// into a black hole hangs until the connect timeout (20 s); if meanwhile the probe
    /// sees the endpoint go from unreachable to healthy, the stalled attempt is abandoned
    /// for a fresh one. A slow attempt to a healthy endpoint is left alone: the probe sees
    /// it healthy from the start.
    fn watch_attempt(&mut self, ctx: &mut Context<Self>, generation: u64) {
        if let Some(target) = self.settings.probe_target.clone() {
            self.run_probe(ctx, target, false, ProbeScope::Attempt { generation });
        }
    }

    /// The endpoint answers again while the current attempt still hangs in the outage:
    /// that attempt failed; the next one starts now (its CONNECT still no sooner than the
    /// minimum interval after the last).
    fn abandon_stalled_attempt(&mut self, ctx: &mut Context<Self>) {
        info!(
            attempt = self.attempt_number,
            "endpoint healthy again while an attempt hangs; starting a fresh one"
        );
        for handle in [self.pending.take(), self.probe.take()]
            .into_iter()
            .flatten()
        {
            ctx.cancel_future(handle);
        }
        self.policy.on_connect_started(self.now());
        // The outage is over: no backoff before the fresh attempt.
        self.skip_backoff = true;
        self.on_attempt_failed(ctx, StepError::Stalled);
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
        if outcome.renewal_shared {
            self.policy.on_renewal_shared();
        }
        if outcome.discovered {
            self.peers.discovery = None;
        }
        let result = outcome.result;
        if self.phase != Phase::Attempting || self.generation != generation {
            return; // superseded or disconnected meanwhile
        }
        self.pending = None;
        if let Some(watch) = self.probe.take() {
            ctx.cancel_future(watch);
        }
        // The attempt's CONNECT, if one went out, went out before now.
        let now = self.now();
        self.policy.on_connect_started(now);
        let result = match result {
            Ok(_) if self.early_interrupt => Err(StepError::LostAfterConnack),
            other => other,
        };
        match result {
            Ok(connected) => self.on_connected(ctx, generation, connected.session_present),
            Err(error) => self.on_attempt_failed(ctx, error),
        }
    }

    fn on_connected(&mut self, ctx: &mut Context<Self>, generation: u64, session_present: bool) {
        // Credentials accepted. The connection is not in service until the restore is
        // complete: the stability window and diagnostics' "connected" start there.
        self.policy.on_connack();
        info!(
            generation,
            session_present,
            attempt = self.attempt_number,
            "connected; restoring"
        );
        self.emit(Event::Connected {
            client_id: self.client_id.clone(),
            session_present,
            attempt: self.attempt_number,
        });
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
                self.started_at = None;
                let now = self.now();
                self.policy.on_connected(now);
                self.diagnostics.on_connected(now);
                if let Some(began) = self.attempt_started {
                    self.plan_handover(ctx, began);
                }
                let stable_after = self.settings.policy.stable_after;
                self.stability = Some(ctx.run_later(stable_after, |act, _| {
                    let now = act.now();
                    if act.policy.on_stable_check(now) {
                        debug!("connection stable: attempt counter reset");
                    }
                    act.stability = None;
                }));
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
                warn!(error = %Chain(&error), generation, "restore failed; closing this connection and retrying");
                self.peers.connection.do_send(Close { generation });
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
        let message = redact_reason(&Chain(&error).to_string());
        self.diagnostics.on_attempt_failed(message.clone());
        if error.is_fatal() {
            warn!(error = %Chain(&error), "credentials rejected: reconnection stops");
            self.fail(ctx, FailureReason::InvalidCredentials);
            return;
        }
        let class = error.failure_kind();
        warn!(%class, reason = %message, attempt = self.attempt_number, "connection attempt failed");
        if self.attempt_kind == AttemptKind::Initial {
            // A failed initial attempt is attempt 1 of the cycle: the next is number 2.
            self.policy.count_unscheduled_attempt();
        }
        if let Some(started) = self.started_at.take() {
            // A start during an outage is an outage: it ends with one `recovered` (or
            // a failure), and its length counts from the start.
            self.in_outage = true;
            self.outage_started = Some(started);
            self.diagnostics.on_start_failed(started, message.clone());
        }
        self.policy.on_attempt_failed(class);
        self.schedule_next(ctx, class, message);
    }

    fn fail(&mut self, ctx: &mut Context<Self>, reason: FailureReason) {
        self.cancel(ctx);
        self.phase = Phase::Failed;
        self.failure = Some(reason);
        self.skip_backoff = false;
        // The failure is this outage's one outcome; a later `Retry` that succeeds
        // reports `connected`, not a second outcome.
        self.in_outage = false;
        self.link_down();
        self.emit(Event::ReconnectionFailed {
            attempts: self.policy.attempts().max(self.attempt_number),
            reason,
        });
    }

    /// Schedules the next attempt after a failure or an interruption of class `class`,
    /// and watches the outage's end with the probe when the wait is long enough for
    /// that to matter.
    fn schedule_next(&mut self, ctx: &mut Context<Self>, class: FailureKind, reason: String) {
        let now = self.now();
        self.wait_id = self.wait_id.wrapping_add(1);
        match self.policy.next_attempt(now) {
            Decision::Attempt(mut attempt) => {
                if std::mem::take(&mut self.skip_backoff) {
                    // The attempt still waits for the minimum interval before its CONNECT.
                    attempt.delay = Duration::ZERO;
                }
                self.phase = Phase::Waiting;
                info!(
                    attempt = attempt.number,
                    kind = %attempt.kind,
                    delay_ms = attempt.delay.as_millis() as u64,
                    %class,
                    "reconnect scheduled"
                );
                self.emit(Event::ReconnectScheduled {
                    attempt: attempt.number,
                    kind: attempt.kind,
                    delay: attempt.delay,
                    class,
                    reason,
                });
                self.pending = Some(ctx.run_later(attempt.delay, move |act, ctx| {
                    act.pending = None;
                    act.begin_attempt(ctx, attempt.kind, attempt.number, attempt.renewal_owed);
                }));
                if attempt.delay > self.settings.probe_interval {
                    // An interruption may or may not be an outage: only a change from
                    // unreachable to reachable counts. A failed attempt of an outage
                    // class has already seen the endpoint (or the API) unreachable.
                    let watch = match class {
                        FailureKind::Interrupted => {
                            self.settings.probe_target.clone().map(|t| (t, false))
                        }
                        FailureKind::Unreachable => {
                            self.settings.probe_target.clone().map(|t| (t, true))
                        }
                        FailureKind::Credentials => self
                            .settings
                            .api_probe_target
                            .clone()
                            .or_else(|| self.settings.probe_target.clone())
                            .map(|t| (t, true)),
                        _ => None,
                    };
                    if let Some((target, seen_unreachable)) = watch {
                        self.start_probe(ctx, attempt, target, seen_unreachable);
                    }
                }
            }
            Decision::GiveUp { .. } => self.fail(ctx, FailureReason::AttemptLimit),
            Decision::Stopped => {
                self.phase = Phase::Failed;
            }
        }
    }

    /// Probes `target` every `probe_interval` while waiting. Only a change from
    /// unreachable to reachable starts the attempt early: an endpoint that answers all
    /// along (a kick, a refusal at the MQTT level) keeps the backoff.
    ///
    /// `seen_unreachable`: the wait follows an attempt that could not reach the endpoint,
    /// which counts as having seen it unreachable. Without it, an outage that ends just
    /// after a failed attempt (before the probe's first look) would go unnoticed and the
    /// client would sit out the whole backoff, up to two minutes.
    ///
    /// Every result is checked against the wait it was started in: a result that
    /// arrives after its wait ended (an attempt started meanwhile, or another wait
    /// began) is discarded, so it can never replace a later attempt.
    fn start_probe(
        &mut self,
        ctx: &mut Context<Self>,
        attempt: Attempt,
        target: ProbeTarget,
        seen_unreachable: bool,
    ) {
        let scope = ProbeScope::Wait {
            id: self.wait_id,
            attempt,
        };
        self.run_probe(ctx, target, seen_unreachable, scope);
    }

    /// Probes `target` every `probe_interval` for as long as `scope` is current, and acts
    /// on a change from unreachable (or `seen_unreachable`) to healthy.
    fn run_probe(
        &mut self,
        ctx: &mut Context<Self>,
        target: ProbeTarget,
        seen_unreachable: bool,
        scope: ProbeScope,
    ) {
        let interval = self.settings.probe_interval;
        let timeout = interval.min(Duration::from_secs(2));
        self.probe_saw_unreachable = seen_unreachable;
        if let Some(previous) = self.probe.take() {
            ctx.cancel_future(previous);
        }
        self.probe = Some(ctx.run_interval(interval, move |act, ctx| {
            if !scope.is_current(act) {
                return;
            }
            let target = target.clone();
            ctx.spawn(
                async move { is_reachable(&target, timeout).await }
                    .into_actor(act)
                    .map(move |reachable, act, ctx| {
                        if !scope.is_current(act) {
                            return; // its wait or attempt is over: the result is stale
                        }
                        if !reachable {
                            act.probe_saw_unreachable = true;
                        } else if act.probe_saw_unreachable {
                            match scope {
                                ProbeScope::Wait { attempt, .. } => act.on_reachable(ctx, attempt),
                                ProbeScope::Attempt { .. } => act.abandon_stalled_attempt(ctx),
                            }
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
        // The attempt itself waits for the minimum interval after the last CONNECT.
        self.wait_id = self.wait_id.wrapping_add(1);
        self.pending = Some(ctx.run_later(Duration::ZERO, move |act, ctx| {
            act.pending = None;
            act.begin_attempt(ctx, attempt.kind, attempt.number, attempt.renewal_owed);
        }));
    }

    fn on_interrupted(&mut self, ctx: &mut Context<Self>, generation: u64, error: LinkError) {
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
                // same outage, not a new outage (one outcome per interruption), and the
                // connection never was in service, so nothing is paid back.
                warn!(generation, error = %Chain(&error), "connection lost while restoring");
                if let Some(pending) = self.pending.take() {
                    ctx.cancel_future(pending);
                }
                self.policy.on_connect_started(self.now());
                self.link_down();
                self.on_attempt_failed(ctx, StepError::Lost(error));
            }
            Phase::Up => {
                let error = redact_reason(&Chain(&error).to_string());
                warn!(generation, %error, "connection interrupted");
                if let Some(stability) = self.stability.take() {
                    ctx.cancel_future(stability);
                }
                self.abort_handover(ctx);
                let now = self.now();
                self.diagnostics.on_interrupted(now, error.clone());
                self.policy.on_interrupted(now);
                self.in_outage = true;
                self.outage_started = Some(now);
                self.link_down();
                self.emit(Event::Interrupted {
                    error: error.clone(),
                });
                self.schedule_next(ctx, FailureKind::Interrupted, error);
            }
            _ => {}
        }
    }

    fn on_command_event(&mut self, event: CommandEvent) {
        match &event {
            CommandEvent::Expired { .. } => self.diagnostics.on_queue_expired(),
            CommandEvent::Dropped { .. } => self.diagnostics.on_queue_drop(),
            CommandEvent::Queued { .. } | CommandEvent::Sent { .. } => {}
        }
        // Unlabelled publishes (none today) name no device: nothing to report.
        let event = match event {
            CommandEvent::Queued {
                label: Some(CommandLabel { device, command }),
                queue_len,
            } => Event::CommandQueued {
                device,
                command,
                queue_len,
            },
            CommandEvent::Sent {
                label: Some(CommandLabel { device, command }),
            } => Event::CommandSent { device, command },
            CommandEvent::Expired {
                label: Some(CommandLabel { device, command }),
                age,
            } => Event::CommandExpired {
                device,
                command,
                age,
            },
            CommandEvent::Dropped {
                label: Some(CommandLabel { device, command }),
            } => Event::CommandDropped { device, command },
            _ => return,
        };
        self.emit(event);
    }
}

impl Actor for Reconnector {
    type Context = Context<Self>;

    fn started(&mut self, _ctx: &mut Self::Context) {
        crate::lifecycle::actor_started(crate::lifecycle::ActorKind::Reconnector);
    }

    fn stopped(&mut self, _ctx: &mut Self::Context) {
        crate::lifecycle::actor_stopped(crate::lifecycle::ActorKind::Reconnector);
    }
}

impl Handler<Start> for Reconnector {
    type Result = ();

    fn handle(&mut self, _: Start, ctx: &mut Context<Self>) {
        if self.phase == Phase::Idle {
            self.started_at = Some(self.now());
            self.begin_attempt(ctx, AttemptKind::Initial, 1, false);
        }
    }
}

impl Handler<Retry> for Reconnector {
    type Result = bool;

    fn handle(&mut self, msg: Retry, ctx: &mut Context<Self>) -> bool {
        if self.phase != Phase::Failed {
            return false;
        }
        info!("retrying after a reconnection failure: new attempt cycle");
        self.failure = None;
        self.policy.reset();
        self.phase = Phase::Waiting;
        self.wait_id = self.wait_id.wrapping_add(1);
        // Credentials are renewed only if stale unless asked: a retry works without the
        // REST API while the AWS credentials are valid.
        self.begin_attempt(ctx, AttemptKind::Initial, 1, msg.renew_credentials);
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
                self.on_interrupted(ctx, generation, error);
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
                // A handover's replaced link, if one is still draining.
                let _ = tokio::time::timeout(bound, connection.send(CloseDraining)).await;
            }
            .into_actor(self)
            .map(move |_, act, ctx| {
                if !already {
                    let now = act.now();
                    act.diagnostics.on_disconnected(now);
                    act.emit(Event::Disconnected);
                }
                // Disconnected is final (no message starts an attempt again), so the
                // actor ends here and drops its addresses of the other actors. The
                // answer still reaches the caller: it is sent when this future ends.
                ctx.stop();
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

impl Handler<GetFailure> for Reconnector {
    type Result = MessageResult<GetFailure>;

    fn handle(&mut self, _: GetFailure, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.failure.filter(|_| self.phase == Phase::Failed))
    }
}

impl Handler<GetPhase> for Reconnector {
    type Result = MessageResult<GetPhase>;

    fn handle(&mut self, _: GetPhase, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.phase)
    }
}

/// What a running probe belongs to; its results count only while that is current.
#[derive(Debug, Clone, Copy)]
enum ProbeScope {
    /// The wait numbered `id` before `attempt`.
    Wait { id: u64, attempt: Attempt },
    /// The attempt of this generation, while it is under way.
    Attempt { generation: u64 },
}

impl ProbeScope {
    fn is_current(&self, act: &Reconnector) -> bool {
        match *self {
            Self::Wait { id, .. } => act.phase == Phase::Waiting && act.wait_id == id,
            Self::Attempt { generation } => {
                act.phase == Phase::Attempting && act.generation == generation
            }
        }
    }
}

/// A failure's description as events and diagnostics carry it: no query string (a
/// presigned URL's signature) and no full MAC address.
pub(crate) fn redact_reason(reason: &str) -> String {
    let mut out = String::with_capacity(reason.len());
    for (i, word) in reason.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let word = match word.find('?') {
            Some(q) if word[q..].contains('=') => {
                out.push_str(&word[..q]);
                out.push_str("?…");
                continue;
            }
            _ => word,
        };
        out.push_str(&redact_macs(word));
    }
    out
}

/// Replaces every run of exactly 12 hex digits (a MAC address as topics spell it) by
/// its redacted form.
fn redact_macs(word: &str) -> String {
    let bytes = word.as_bytes();
    let mut out = String::with_capacity(word.len());
    let mut i = 0;
    while i < bytes.len() {
        let run = bytes[i..]
            .iter()
            .take_while(|b| b.is_ascii_hexdigit())
            .count();
        if run == 12 && bytes[i..i + run].iter().any(u8::is_ascii_digit) {
            out.push_str(&crate::protocol::redact_mac(&word[i..i + run]));
            i += run;
        } else if run > 0 {
            out.push_str(&word[i..i + run]);
            i += run;
        } else {
            let ch = word[i..].chars().next().unwrap_or_default();
            out.push(ch);
            i += ch.len_utf8().max(1);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::redact_reason;

    #[test]
    fn reasons_lose_query_strings_and_macs() {
        assert_eq!(
            redact_reason("GET ws://h/mqtt?X-Amz-Signature=abc failed"),
            "GET ws://h/mqtt?… failed"
        );
        let redacted = redact_reason("no PUBACK for cmd/52/navilink-04786332fca0/st");
        assert!(!redacted.contains("04786332fca0"), "{redacted}");
        assert_eq!(
            redact_reason("WebSocket upgrade rejected with HTTP 503"),
            "WebSocket upgrade rejected with HTTP 503"
        );
    }
}
