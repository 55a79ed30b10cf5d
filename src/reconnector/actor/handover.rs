//! The Reconnector's planned handover: when it starts, what it reports, and what a
//! failure or an outage in the middle of it does.

use actix::prelude::*;
use tracing::{info, warn};

use super::{redact_reason, Reconnector};
use crate::error_chain::Chain;
use crate::events::{Event, HandoverReason};
use crate::policy::HandoverRetry;
use crate::reconnector::handover_steps::{
    drain_for, finish_handover, run_handover, HandedOver, HandoverError, HandoverSteps,
};
use crate::reconnector::messages::Phase;
use crate::subscriptions::SetOverlap;

/// A handover in progress.
#[derive(Debug)]
pub(super) struct RunningHandover {
    pub(super) handle: SpawnHandle,
    /// The new link's generation.
    pub(super) generation: u64,
    pub(super) started: tokio::time::Instant,
}

impl Reconnector {
    /// The connection now in service began at `began`: plan its handover.
    pub(super) fn plan_handover(&mut self, ctx: &mut Context<Self>, began: tokio::time::Instant) {
        self.link_began = Some(began);
        let Some(due) = self.handover.due_at(began) else {
            return;
        };
        let wait = due.saturating_duration_since(self.now());
        info!(in_ms = wait.as_millis() as u64, "handover planned before the connection lifetime ends");
        self.arm_handover(ctx, wait);
    }

    fn arm_handover(&mut self, ctx: &mut Context<Self>, wait: std::time::Duration) {
        if let Some(timer) = self.handover_timer.take() {
            ctx.cancel_future(timer);
        }
        self.handover_timer = Some(ctx.run_later(wait, |act, ctx| {
            act.handover_timer = None;
            act.begin_handover(ctx);
        }));
    }

    /// Stops any planned or running handover (an outage, a disconnect); a standby link
    /// already opened is closed.
    pub(super) fn abort_handover(&mut self, ctx: &mut Context<Self>) {
        if let Some(timer) = self.handover_timer.take() {
            ctx.cancel_future(timer);
        }
        if let Some(running) = self.running_handover.take() {
            ctx.cancel_future(running.handle);
            self.peers.connection.do_send(crate::connection::CloseStandby {
                generation: running.generation,
            });
            self.peers.overlap.do_send(SetOverlap(None));
        }
    }

    fn begin_handover(&mut self, ctx: &mut Context<Self>) {
        let Some(old_generation) = self.live_generation.filter(|_| self.phase == Phase::Up) else {
            return; // not in service: the recovery in progress opens the next connection
        };
        if self.running_handover.is_some() {
            return;
        }
        self.generation = self.generation.saturating_add(1);
        let generation = self.generation;
        let client_id = self.peer_client_id().to_owned();
        let now = self.now();
        let not_before = Some(
            self.settings
                .connect_spacing
                .reserve(self.policy.earliest_connect().unwrap_or(now).max(now)),
        );
        self.policy.on_connect_started(self.now());
        let started = self.now();
        info!(
            from = old_generation,
            to = generation,
            "handover: opening a second connection before the lifetime cut"
        );
        let steps = HandoverSteps {
            auth: self.peers.auth.clone(),
            connection: self.peers.connection.clone(),
            filters: self.peers.filters.clone(),
            overlap: self.peers.overlap.clone(),
            old_generation,
            generation,
            client_id,
            not_before,
            bound: self.settings.handover_bound,
            drain: drain_for(self.settings.handover.margin),
        };
        let handle = ctx.spawn(
            run_handover(steps)
                .into_actor(self)
                .map(move |result, act, ctx| act.on_handover_done(ctx, generation, result)),
        );
        self.running_handover = Some(RunningHandover {
            handle,
            generation,
            started,
        });
    }

    fn on_handover_done(
        &mut self,
        ctx: &mut Context<Self>,
        generation: u64,
        result: Result<HandedOver, HandoverError>,
    ) {
        let Some(running) = self
            .running_handover
            .take_if(|r| r.generation == generation)
        else {
            return; // aborted meanwhile
        };
        // The new link's CONNECT went out before now.
        self.policy.on_connect_started(self.now());
        match result {
            Ok(done) => {
                let took = self.now().saturating_duration_since(running.started);
                let previous = std::mem::replace(&mut self.client_id, done.swapped.client_id.clone());
                self.live_generation = Some(generation);
                self.diagnostics.on_handover(took);
                info!(
                    took_ms = took.as_millis() as u64,
                    from = done.swapped.old_generation,
                    to = generation,
                    "handed over"
                );
                self.emit(Event::HandedOver {
                    client_id: self.client_id.clone(),
                    previous_client_id: previous,
                    took,
                    reason: HandoverReason::Lifetime,
                });
                let began = running.started;
                self.plan_handover(ctx, began);
                ctx.spawn(
                    finish_handover(
                        self.peers.connection.clone(),
                        self.peers.filters.clone(),
                        self.peers.overlap.clone(),
                        done.subscribed,
                        drain_for(self.settings.handover.margin),
                    )
                    .into_actor(self),
                );
            }
            Err(error) => {
                let message = redact_reason(&Chain(&error).to_string());
                let retry = match self.link_began {
                    Some(began) => self.handover.on_failed(began, self.now()),
                    None => HandoverRetry::GiveUp,
                };
                let retry_in = match retry {
                    HandoverRetry::After(delay) => Some(delay),
                    HandoverRetry::GiveUp => None,
                };
                warn!(
                    error = %message,
                    retry_in_ms = retry_in.map(|d| d.as_millis() as u64),
                    "handover failed; the connection in use stays in use"
                );
                self.diagnostics.on_handover_failed(message.clone());
                self.emit(Event::HandoverFailed {
                    error: message,
                    retry_in,
                });
                if let Some(delay) = retry_in {
                    self.arm_handover(ctx, delay);
                }
            }
        }
    }

    /// The client id the next handover connects under: the other of the pair.
    fn peer_client_id(&self) -> &str {
        if self.client_id == self.client_ids.0 {
            &self.client_ids.1
        } else {
            &self.client_ids.0
        }
    }
}
