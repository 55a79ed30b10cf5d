//! Acknowledged operations: `Publish`, `Subscribe` and `Unsubscribe`, the tracking of
//! their acknowledgements, and the one deadline timer (acknowledgements and PINGRESP)
//! that detects a half-open link.

use actix::{AsyncContext, Context, Handler, ResponseFuture};
use futures::future::{join_all, ready};
use rumqttc::{Event, Incoming, Outgoing, QoS, SubscribeFilter, SubscribeReasonCode};
use tokio::sync::oneshot;
use tokio::time::Instant;
use tracing::{debug, warn};

use super::flush::FlushRun;
use super::link::EndReason;
use super::{Connection, Phase, MAX_FILTERS_PER_SUBSCRIBE};
use crate::connection::ack::Pending;
use crate::connection::error::{LinkError, Operation, RequestError};
use crate::connection::messages::{
    CommandEvent, FilterOutcome, FlushReport, Publish, PublishOutcome, QueuedCommand, Subscribe,
    Unsubscribe,
};
use crate::connection::rtt::RttEstimator;
use crate::queue::{PushOutcome, QueuedEntry};

/// How soon a paced publish is tried again when rumqttc's request channel is full.
const CHANNEL_RETRY: std::time::Duration = std::time::Duration::from_millis(20);

pub(super) type PublishResponder = oneshot::Sender<Result<PublishOutcome, RequestError>>;

/// Who is waiting for a publish.
#[derive(Debug)]
pub(super) enum Origin {
    /// A live `Publish` request.
    Caller(PublishResponder),
    /// The offline queue (flush).
    Queue,
}

/// What a tracked operation carries until its acknowledgement.
#[derive(Debug)]
pub(super) enum Tracked {
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

impl Connection {
    pub(super) fn ack_deadline(&self) -> Instant {
        Instant::now() + self.settings.operation_timeout
    }

    /// Resolves every operation of an ended generation: publishes go back to the head of
    /// the queue in their original order (unless their own deadline passed and a caller
    /// is waiting: that caller gets the timeout); subscriptions fail.
    pub(super) fn settle_pending(&mut self, pending: Vec<Pending<Tracked>>) {
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
        self.requeue(requeue);
    }

    /// Puts publishes that did not complete back at the head of the queue, in order.
    pub(super) fn requeue(&mut self, requeue: Vec<(QueuedEntry<QueuedCommand>, Origin)>) {
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

    pub(super) fn on_protocol_event(&mut self, event: Event) {
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
        acks.into_iter().chain(ping).chain(link.paced_until).min()
    }

    /// Sends what waited for the pacer once its time has come: live publishes first (they
    /// were ready before), then the queue's flush.
    fn resume_paced(&mut self) {
        let now = Instant::now();
        let deadline = self.ack_deadline();
        let Some(link) = self
            .link
            .as_mut()
            .filter(|l| l.paced_until.is_some_and(|at| at <= now))
        else {
            return;
        };
        link.paced_until = None;
        while let Some((entry, responder)) = link.paced.pop_front() {
            if let Err(next) = link.pacer.try_take(now) {
                link.paced.push_front((entry, responder));
                link.paced_until = Some(next);
                break;
            }
            let cmd = &entry.item;
            let sent = link.client.try_publish(
                cmd.topic.clone(),
                QoS::AtLeastOnce,
                false,
                cmd.payload.clone(),
            );
            if sent.is_err() {
                // rumqttc's channel is full: try again shortly, still in order.
                link.pacer.give_back();
                link.paced.push_front((entry, responder));
                link.paced_until = Some(now + CHANNEL_RETRY);
                break;
            }
            link.tracker.sent(
                Operation::Publish,
                deadline,
                Tracked::Publish {
                    entry,
                    origin: Origin::Caller(responder),
                },
            );
        }
        if self.flush.is_some() {
            self.pump();
        }
    }

    /// Keeps one timer at the earliest deadline. Called after anything that can add,
    /// settle or move a deadline; a timer already due no later than the new earliest
    /// deadline is kept (it re-arms itself when it fires).
    pub(super) fn rearm(&mut self, ctx: &mut Context<Self>) {
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
                        act.resume_paced();
                        act.rearm(ctx);
                    });
                    self.deadline_timer = Some((at, handle));
                }
            }
        }
    }
}

/// Re-arm the deadline timer (sent to itself after a request was recorded).
#[derive(Debug, actix::Message)]
#[rtype(result = "()")]
pub(super) struct Rearm;

impl Handler<Rearm> for Connection {
    type Result = ();

    fn handle(&mut self, _: Rearm, ctx: &mut Self::Context) {
        self.rearm(ctx);
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
        let mut held_back = false;
        if let Some(link) = self.link.as_mut().filter(|_| ready_now) {
            let waiting = !link.paced.is_empty();
            let sent = match link.pacer.try_take(Instant::now()) {
                Ok(()) if !waiting => link
                    .client
                    .try_publish(
                        command.topic.clone(),
                        QoS::AtLeastOnce,
                        false,
                        command.payload.clone(),
                    )
                    .is_ok(),
                Ok(()) => {
                    // Behind others waiting: the token goes back to them.
                    link.pacer.give_back();
                    false
                }
                Err(next) => {
                    link.paced_until = Some(next);
                    false
                }
            };
            if !sent && (waiting || link.paced_until.is_some()) {
                // Over this connection's rate: it waits its turn, its caller waiting
                // for the PUBACK as for any live publish.
                let (tx, rx) = oneshot::channel();
                link.paced
                    .push_back((QueuedEntry::new(command, enqueued_at), tx));
                debug!(
                    generation = link.generation,
                    waiting = link.paced.len(),
                    "publish rate reached; the publish waits its turn"
                );
                return Box::pin(
                    async move { rx.await.unwrap_or(Err(RequestError::ActorStopped)) },
                );
            }
            if sent {
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
            // Never wait on the channel or the pacer: queue it and let a flush pump it
            // out as they allow. Later publishes queue behind it.
            held_back = true;
            link.phase = Phase::Restoring;
            self.flush = Some(FlushRun {
                responder: None,
                report: FlushReport::default(),
            });
        }
        if self.queue.capacity() == 0 {
            let refused = if held_back {
                RequestError::Busy
            } else {
                RequestError::NotConnected
            };
            return Box::pin(ready(Err(refused)));
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
