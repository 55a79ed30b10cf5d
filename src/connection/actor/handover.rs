//! The planned handover's side of the Connection: a second link (the *standby*) opened
//! and subscribed while the current one stays in use, the swap that makes it current,
//! and the replaced link (*draining*) kept receiving until it is closed.
//!
//! The standby and the draining link are full [`Link`]s. Their events go through the
//! same code as the current link's: the link is put in the current link's place for the
//! time of the call ([`Connection::with_side`]), so SUBACKs, PUBACKs, failures and
//! closing are handled once, in one place. Neither ever reports `Interrupted` for the
//! current generation: the supervisor knows their generations are not the live one.

use actix::{Handler, ResponseFuture};
use futures::future::ready;
use tracing::{debug, info};

use super::flush::FlushRun;
use super::link::{await_closed, EndReason};
use super::{Connection, Link, Phase};
use crate::connection::error::{ConnectError, RequestError};
use crate::connection::messages::{
    CloseDraining, CloseStandby, Connected, FilterOutcome, FlushReport, OpenStandby, Subscribe,
    SubscribeStandby, SwapLinks, Swapped,
};
use crate::connection::poller::{PollerHandle, TransportDone, TransportEvent};

/// Which of the two extra links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    Standby,
    Draining,
}

impl Connection {
    fn side_mut(&mut self, side: Side) -> &mut Option<Link> {
        match side {
            Side::Standby => &mut self.standby,
            Side::Draining => &mut self.draining,
        }
    }

    /// Runs `f` with the `side` link in the current link's place (and no flush running,
    /// so nothing of the queue is sent on it), then puts both back.
    pub(super) fn with_side<R>(&mut self, side: Side, f: impl FnOnce(&mut Self) -> R) -> R {
        let flush = self.flush.take();
        let current = self.link.take();
        self.link = self.side_mut(side).take();
        let result = f(self);
        let side_link = std::mem::replace(&mut self.link, current);
        *self.side_mut(side) = side_link;
        if let Some(mut run) = self.flush.take() {
            // Not expected (nothing above starts a flush), but a flush must not be lost.
            run.report.complete = false;
            if let Some(responder) = run.responder {
                let _ = responder.send(Ok(run.report));
            }
        }
        self.flush = flush;
        result
    }

    fn standby_generation(&self) -> Option<u64> {
        self.standby.as_ref().map(|l| l.generation)
    }

    /// The side a transport id belongs to, if it is the standby or the draining link.
    pub(super) fn side_of(&self, transport_id: u64) -> Option<Side> {
        if self.standby.as_ref().is_some_and(|l| l.id == transport_id) {
            Some(Side::Standby)
        } else if self.draining.as_ref().is_some_and(|l| l.id == transport_id) {
            Some(Side::Draining)
        } else {
            None
        }
    }

    /// A transport event of the standby or the draining link.
    pub(super) fn on_side_event(&mut self, side: Side, msg: TransportEvent) {
        self.with_side(side, |this| this.on_transport_event(msg));
        self.send_requeued();
    }

    /// Drops the standby and the draining link at once (a new `Connect`, a restart, a
    /// shutdown).
    pub(super) fn end_side_links(&mut self) {
        for side in [Side::Standby, Side::Draining] {
            if self.side_mut(side).is_some() {
                self.with_side(side, |this| this.end_link(EndReason::Intentional, true));
            }
        }
    }

    /// Publishes that went back to the queue from a side link (sent on the draining link,
    /// never acknowledged) are sent on the current link when it is in service.
    fn send_requeued(&mut self) {
        let ready_link = self
            .link
            .as_ref()
            .is_some_and(|l| matches!(l.phase, Phase::Ready));
        if !ready_link || self.flush.is_some() || self.queue.is_empty() {
            return;
        }
        if let Some(link) = self.link.as_mut() {
            link.phase = Phase::Restoring;
        }
        self.flush = Some(FlushRun {
            responder: None,
            report: FlushReport::default(),
        });
        self.pump();
    }

    /// Closes the `side` link: DISCONNECT if it is connected, then its task is awaited
    /// (bounded by the close timeout) and aborted if it does not end.
    fn close_side(&mut self, side: Side) -> ResponseFuture<()> {
        let Some(link) = self.side_mut(side).as_ref() else {
            return Box::pin(ready(()));
        };
        let graceful = link.is_connected() && link.client.try_disconnect().is_ok();
        let poller = PollerHandle {
            abort: link.poller.abort.clone(),
            done: link.poller.done.clone(),
        };
        let generation = link.generation;
        self.with_side(side, |this| this.end_link(EndReason::Intentional, !graceful));
        self.send_requeued();
        info!(generation, graceful, ?side, "closing a handover link");
        Box::pin(await_closed(poller, self.settings.close_timeout))
    }
}

impl Handler<OpenStandby> for Connection {
    type Result = ResponseFuture<Result<Connected, ConnectError>>;

    fn handle(&mut self, msg: OpenStandby, ctx: &mut Self::Context) -> Self::Result {
        if !self.link.as_ref().is_some_and(Link::is_connected) {
            // Nothing to hand over from: the supervisor recovers with `Connect` instead.
            return Box::pin(ready(Err(ConnectError::Cancelled)));
        }
        // A previous handover's links go first; the new one connects once they are gone
        // (one live connection per client id: the draining link may hold this id).
        if self.standby.is_some() {
            self.with_side(Side::Standby, |this| {
                this.end_link(EndReason::Intentional, true);
            });
        }
        if let Some(draining) = self.draining.as_ref() {
            let graceful = draining.is_connected() && draining.client.try_disconnect().is_ok();
            self.with_side(Side::Draining, |this| {
                this.end_link(EndReason::Intentional, !graceful);
            });
            self.send_requeued();
        }
        let wait_for: Vec<TransportDone> =
            self.retiring.iter().map(|r| r.poller.done.clone()).collect();
        let (link, rx) = self.open_link(
            ctx,
            msg.generation,
            msg.credentials.as_ref(),
            msg.client_id,
            wait_for,
        );
        self.standby = Some(link);
        info!(
            generation = msg.generation,
            signed = msg.credentials.is_some(),
            "opening a handover link"
        );
        self.await_connack(rx)
    }
}

impl Handler<SubscribeStandby> for Connection {
    type Result = ResponseFuture<Result<Vec<FilterOutcome>, RequestError>>;

    fn handle(&mut self, msg: SubscribeStandby, ctx: &mut Self::Context) -> Self::Result {
        if self.standby_generation() != Some(msg.generation) {
            return Box::pin(ready(Err(RequestError::NotConnected)));
        }
        let subscribe = Subscribe {
            filters: msg.filters,
        };
        self.with_side(Side::Standby, |this| {
            <Self as Handler<Subscribe>>::handle(this, subscribe, ctx)
        })
    }
}

impl Handler<SwapLinks> for Connection {
    type Result = Result<Swapped, RequestError>;

    fn handle(&mut self, msg: SwapLinks, _ctx: &mut Self::Context) -> Self::Result {
        let standby_ready = self
            .standby
            .as_ref()
            .is_some_and(|l| l.generation == msg.generation && l.is_connected());
        let current_up = self.link.as_ref().is_some_and(Link::is_connected);
        if !standby_ready || !current_up {
            return Err(RequestError::NotConnected);
        }
        let (Some(mut old), Some(mut new)) = (self.link.take(), self.standby.take()) else {
            return Err(RequestError::NotConnected);
        };
        // The publishes waiting for the old link's pacer were never sent: they go out on
        // the new link, first, in order. A flush in progress continues there.
        new.paced = std::mem::take(&mut old.paced);
        new.paced_until = old.paced_until.take().or_else(|| {
            (!new.paced.is_empty()).then(tokio::time::Instant::now)
        });
        new.phase = if self.flush.is_some() {
            Phase::Restoring
        } else {
            Phase::Ready
        };
        let swapped = Swapped {
            old_generation: old.generation,
            client_id: new.client_id.clone(),
        };
        self.client_id = new.client_id.clone();
        info!(
            from = old.generation,
            to = new.generation,
            "handover: the new link is current"
        );
        self.link = Some(new);
        if self.draining.is_some() {
            self.with_side(Side::Draining, |this| {
                this.end_link(EndReason::Intentional, true);
            });
        }
        self.draining = Some(old);
        if self.flush.is_some() {
            self.pump();
        }
        Ok(swapped)
    }
}

impl Handler<CloseDraining> for Connection {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, _: CloseDraining, ctx: &mut Self::Context) -> Self::Result {
        let done = self.close_side(Side::Draining);
        self.rearm(ctx);
        done
    }
}

impl Handler<CloseStandby> for Connection {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, msg: CloseStandby, _ctx: &mut Self::Context) -> Self::Result {
        if self.standby_generation() != Some(msg.generation) {
            debug!(generation = msg.generation, "no such handover link");
            return Box::pin(ready(()));
        }
        self.close_side(Side::Standby)
    }
}
