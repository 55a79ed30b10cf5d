//! The PeriodicRequests actor.

use std::collections::BTreeMap;
use std::time::Duration;

use actix::fut::wrap_future;
use actix::prelude::*;
use bytes::Bytes;
use tracing::{debug, error, info, trace, warn};

use super::error::PollingError;
use super::messages::{
    GetPollingStats, Pause, PollKind, Resume, Shutdown, StartPolling, StopPolling,
};
use super::schedule::{Outage, OutcomeLog, PollOutcome, ScheduleState, TickDecision};
use super::stats::{PollingStats, ScheduleStats};
use super::window::{Admission, SendWindow, DEFAULT_MAX_POLLS_IN_FLIGHT};
use crate::connection::{CommandLabel, Publish, PublishOutcome, RequestError};
use crate::protocol::{ClientIdentity, DeviceRef, MacAddress};

type Key = (MacAddress, PollKind);

struct Scheduled {
    device: DeviceRef,
    interval: Duration,
    timer: SpawnHandle,
    /// Tells this schedule's publish answers from those of a schedule it replaced.
    serial: u64,
    state: ScheduleState,
}

/// The PeriodicRequests actor. See the [module documentation](super).
pub struct PeriodicRequests {
    publisher: Recipient<Publish>,
    identity: ClientIdentity,
    paused: bool,
    outage: Outage,
    schedules: BTreeMap<Key, Scheduled>,
    next_serial: u64,
    window: SendWindow<Key>,
}

impl PeriodicRequests {
    /// A new actor publishing through `publisher` (normally the Connection actor) with the
    /// client's identity. It starts **paused**: nothing is sent before the first
    /// [`Resume`] (sent by the Reconnector once the first connection is ready).
    pub fn new(publisher: Recipient<Publish>, identity: ClientIdentity) -> Self {
        let mut outage = Outage::default();
        outage.begin();
        Self {
            publisher,
            identity,
            paused: true,
            outage,
            schedules: BTreeMap::new(),
            next_serial: 0,
            window: SendWindow::new(DEFAULT_MAX_POLLS_IN_FLIGHT),
        }
    }

    /// Lets at most `limit` (at least 1) requests await their PUBACK at once instead of
    /// [`DEFAULT_MAX_POLLS_IN_FLIGHT`].
    #[cfg(any(test, feature = "internals"))]
    pub fn with_max_in_flight(mut self, limit: usize) -> Self {
        self.window = SendWindow::new(limit);
        self
    }

    fn start_timer(key: &Key, interval: Duration, ctx: &mut Context<Self>) -> SpawnHandle {
        let key = key.clone();
        ctx.run_interval(interval, move |act, ctx| act.poll(&key, ctx))
    }

    /// One tick (or the immediate request of a start or resume).
    fn poll(&mut self, key: &Key, ctx: &mut Context<Self>) {
        // Timers keep a context alive; without any address left nobody can stop or
        // resume the schedules, so end here.
        if !ctx.connected() {
            debug!("no address left: periodic requests stop");
            ctx.stop();
            return;
        }
        let paused = self.paused;
        let Some(scheduled) = self.schedules.get_mut(key) else {
            return;
        };
        match scheduled.state.on_tick(paused) {
            TickDecision::Send => match self.window.admit(key) {
                Admission::Send => self.send(key, ctx),
                Admission::Wait => scheduled.state.on_waiting(),
            },
            TickDecision::SkipPaused => {
                if self.outage.on_skip() {
                    info!(
                        device = %key.0,
                        kind = ?key.1,
                        "link down: skipping periodic requests until it is restored"
                    );
                } else {
                    trace!(device = %key.0, kind = ?key.1, "periodic request skipped (link down)");
                }
            }
            TickDecision::SkipInFlight => {
                debug!(device = %key.0, kind = ?key.1, "previous periodic request still unanswered: tick skipped");
            }
        }
    }

    /// Publishes the request of `key`, whose send slot is already taken.
    fn send(&mut self, key: &Key, ctx: &mut Context<Self>) {
        let Some(scheduled) = self.schedules.get_mut(key) else {
            self.window.release();
            return;
        };
        let request = match key
            .1
            .command()
            .build(&self.identity, &scheduled.device, None)
        {
            Ok(request) => request,
            Err(e) => {
                self.window.release();
                scheduled.state.on_build_error();
                error!(device = %key.0, kind = ?key.1, error = %e, "periodic request could not be built");
                return;
            }
        };
        let label = request.code.map(|code| CommandLabel {
            device: key.0.clone(),
            command: u32::try_from(code.raw()).unwrap_or(0),
        });
        let publish = Publish {
            payload: Bytes::from(request.payload_bytes()),
            topic: request.topic,
            label,
        };
        scheduled.state.on_sent();
        let serial = scheduled.serial;
        let key = key.clone();
        let answer = self.publisher.send(publish);
        ctx.spawn(wrap_future(answer).map(move |answer, act: &mut Self, ctx| {
            act.window.release();
            let link_ok = matches!(answer, Ok(Ok(PublishOutcome::Acknowledged)));
            act.on_answer(&key, serial, answer);
            if link_ok {
                act.send_waiting(ctx);
            } else {
                // Queued, requeued or failed: the link is down or going down. Sending the
                // line now would pour it into the offline queue (evicting user commands)
                // before the Pause arrives; the Resume after recovery polls them anyway.
                act.cancel_waiting();
            }
        }));
    }

    /// Drops the line of requests waiting for a send slot; their schedules request afresh
    /// on the next resume or tick.
    fn cancel_waiting(&mut self) {
        for key in self.window.clear_waiting() {
            if let Some(s) = self.schedules.get_mut(&key) {
                s.state.on_wait_cancelled();
            }
        }
    }

    /// Sends waiting requests while the window has free slots.
    fn send_waiting(&mut self, ctx: &mut Context<Self>) {
        while let Some(key) = self.window.next() {
            let still_waiting =
                !self.paused && self.schedules.get(&key).is_some_and(|s| s.state.waiting);
            if still_waiting {
                self.send(&key, ctx);
            } else {
                self.window.release();
            }
        }
    }

    fn on_answer(
        &mut self,
        key: &Key,
        serial: u64,
        answer: Result<Result<PublishOutcome, RequestError>, MailboxError>,
    ) {
        let Some(scheduled) = self.schedules.get_mut(key).filter(|s| s.serial == serial) else {
            return;
        };
        let (outcome, error) = match answer {
            Ok(Ok(PublishOutcome::Acknowledged)) => (PollOutcome::Acknowledged, None),
            Ok(Ok(PublishOutcome::Queued { .. } | PublishOutcome::Requeued { .. })) => {
                debug!(device = %key.0, kind = ?key.1, "periodic request queued (link down, request channel full or over the publish rate)");
                (PollOutcome::Queued, None)
            }
            Ok(Err(e)) => (PollOutcome::Failed, Some(e)),
            Err(_) => (PollOutcome::Failed, Some(RequestError::ActorStopped)),
        };
        let error = error.map(|e| e.to_string()).unwrap_or_default();
        // The loop never ends on an error (P-19): the next tick simply tries again.
        match scheduled.state.on_outcome(outcome) {
            OutcomeLog::Quiet => {}
            OutcomeLog::FirstFailure => {
                warn!(device = %key.0, kind = ?key.1, error = %error, "periodic request failed; polling continues");
            }
            OutcomeLog::RepeatedFailure => {
                debug!(device = %key.0, kind = ?key.1, error = %error, "periodic request failed again");
            }
            OutcomeLog::Recovered(failures) => {
                info!(device = %key.0, kind = ?key.1, failures, "periodic requests succeed again");
            }
        }
    }

    fn stats(&self) -> PollingStats {
        PollingStats {
            paused: self.paused,
            skipped_this_outage: self.outage.skipped,
            requests_in_flight: self.window.in_flight(),
            requests_waiting: self.window.waiting(),
            schedules: self
                .schedules
                .iter()
                .map(|((mac, kind), s)| ScheduleStats {
                    device: mac.clone(),
                    kind: *kind,
                    interval: s.interval,
                    sent: s.state.sent,
                    acknowledged: s.state.acknowledged,
                    queued: s.state.queued,
                    errors: s.state.errors,
                    skipped_paused: s.state.skipped_paused,
                    skipped_in_flight: s.state.skipped_in_flight,
                })
                .collect(),
        }
    }
}

impl Actor for PeriodicRequests {
    type Context = Context<Self>;

    fn started(&mut self, _ctx: &mut Self::Context) {
        crate::lifecycle::actor_started(crate::lifecycle::ActorKind::PeriodicRequests);
    }

    fn stopped(&mut self, _ctx: &mut Self::Context) {
        crate::lifecycle::actor_stopped(crate::lifecycle::ActorKind::PeriodicRequests);
        // Timers belong to the context and end with it.
        debug!(
            schedules = self.schedules.len(),
            "periodic requests stopped"
        );
    }
}

impl Handler<StartPolling> for PeriodicRequests {
    type Result = Result<(), PollingError>;

    fn handle(&mut self, msg: StartPolling, ctx: &mut Self::Context) -> Self::Result {
        if msg.interval.is_zero() {
            return Err(PollingError::ZeroInterval);
        }
        let key = (msg.device.mac.clone(), msg.kind);
        if let Some(old) = self.schedules.remove(&key) {
            ctx.cancel_future(old.timer);
        }
        self.window.forget(&key);
        let serial = self.next_serial;
        self.next_serial = self.next_serial.wrapping_add(1);
        let timer = Self::start_timer(&key, msg.interval, ctx);
        self.schedules.insert(
            key.clone(),
            Scheduled {
                device: msg.device,
                interval: msg.interval,
                timer,
                serial,
                state: ScheduleState::default(),
            },
        );
        debug!(device = %key.0, kind = ?key.1, interval = ?msg.interval, "polling started");
        if !self.paused {
            self.poll(&key, ctx);
        }
        Ok(())
    }
}

impl Handler<StopPolling> for PeriodicRequests {
    type Result = usize;

    fn handle(&mut self, msg: StopPolling, ctx: &mut Self::Context) -> usize {
        let keys: Vec<Key> = self
            .schedules
            .keys()
            .filter(|(mac, kind)| *mac == msg.mac && msg.kind.is_none_or(|k| k == *kind))
            .cloned()
            .collect();
        for key in &keys {
            if let Some(old) = self.schedules.remove(key) {
                ctx.cancel_future(old.timer);
            }
            self.window.forget(key);
        }
        keys.len()
    }
}

impl Handler<Pause> for PeriodicRequests {
    type Result = ();

    fn handle(&mut self, _msg: Pause, _ctx: &mut Self::Context) {
        if !self.paused {
            self.paused = true;
            self.outage.begin();
            self.cancel_waiting();
            debug!("periodic requests paused");
        }
    }
}

impl Handler<Resume> for PeriodicRequests {
    type Result = ();

    fn handle(&mut self, _msg: Resume, ctx: &mut Self::Context) {
        if self.paused && self.outage.skipped > 0 {
            info!(
                skipped = self.outage.skipped,
                "link restored: periodic requests resume"
            );
        }
        self.paused = false;
        // Statuses first: after an outage they are what is stale, and with many devices
        // the send window lets the feature requests follow once every status is asked for.
        let mut keys: Vec<Key> = self.schedules.keys().cloned().collect();
        keys.sort_by_key(|(mac, kind)| (*kind, mac.clone()));
        for key in &keys {
            // Restart each timer so the next tick is a full interval after this request.
            if let Some(s) = self.schedules.get_mut(key) {
                ctx.cancel_future(s.timer);
                s.timer = Self::start_timer(key, s.interval, ctx);
            }
            self.poll(key, ctx);
        }
    }
}

impl Handler<GetPollingStats> for PeriodicRequests {
    type Result = MessageResult<GetPollingStats>;

    fn handle(&mut self, _msg: GetPollingStats, _ctx: &mut Self::Context) -> Self::Result {
        MessageResult(self.stats())
    }
}

impl Handler<Shutdown> for PeriodicRequests {
    type Result = ();

    fn handle(&mut self, _msg: Shutdown, ctx: &mut Self::Context) {
        for (_, scheduled) in std::mem::take(&mut self.schedules) {
            ctx.cancel_future(scheduled.timer);
        }
        ctx.stop();
    }
}
