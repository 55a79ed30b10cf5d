//! Queue flushing: the offline queue, `FlushQueue`, `ClearQueue` and the pump that sends
//! the backlog in order as rumqttc's request channel accepts it.

use actix::{AsyncContext, Handler, ResponseFuture};
use futures::future::ready;
use rumqttc::QoS;
use tokio::sync::oneshot;
use tokio::time::Instant;
use tracing::{info, warn};

use super::operations::{Origin, Rearm, Tracked};
use super::{Connection, Phase};
use crate::connection::error::{Operation, RequestError};
use crate::connection::messages::{
    ClearQueue, CommandEvent, FlushQueue, FlushReport, QueuedCommand,
};
use crate::queue::{FlushItem, PushOutcome};

/// A running flush; `responder` is `None` when the flush was started internally (the
/// request channel was full and publishes had to wait).
#[derive(Debug)]
pub(super) struct FlushRun {
    pub(super) responder: Option<oneshot::Sender<Result<FlushReport, RequestError>>>,
    pub(super) report: FlushReport,
}

impl Connection {
    /// Queues a publish that cannot go out now; reports drops.
    pub(super) fn enqueue(&mut self, command: QueuedCommand) -> usize {
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

    /// Sends queued commands while the flush runs and the request channel accepts them.
    pub(super) fn pump(&mut self) {
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
                    if let Err(next) = link.pacer.try_take(Instant::now()) {
                        // Over this connection's rate: the timer resumes the flush.
                        link.paced_until = Some(next);
                        let _ = self.queue.push_front(entry);
                        break;
                    }
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

impl Handler<ClearQueue> for Connection {
    type Result = usize;

    fn handle(&mut self, _msg: ClearQueue, _ctx: &mut Self::Context) -> usize {
        self.queue.clear()
    }
}
