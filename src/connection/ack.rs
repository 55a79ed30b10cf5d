//! Correlation of acknowledged operations with broker acknowledgements.
//!
//! rumqttc's `AsyncClient` completes a request when it is queued locally, not when the
//! broker acknowledges it (behavior.md §15.4). The event loop handles requests strictly in
//! channel order and announces the packet id it assigned with `Outgoing::Publish(pkid)` /
//! `Outgoing::Subscribe(pkid)` / `Outgoing::Unsubscribe(pkid)`; acknowledgements come back
//! as `Incoming::PubAck/SubAck/UnsubAck(pkid)`. So each request waits in a FIFO until its
//! packet id is announced, then in a map keyed by (kind, pkid) until acknowledged.
//!
//! Packet-id collisions: when a publish gets a packet id that is still in flight, rumqttc
//! announces `Outgoing::AwaitAck(pkid)` instead and sends the publish (announced again as
//! `Outgoing::Publish(pkid)`) right after the older one's PUBACK. Packet ids of different
//! kinds may also coincide, hence the key includes the kind; a queue per key keeps FIFO
//! order if the same key is reused while still pending.

use std::collections::{HashMap, VecDeque};

use tokio::time::Instant;

use super::error::Operation;

/// One tracked operation.
#[derive(Debug)]
pub(crate) struct Pending<P> {
    /// Order in which the request was handed to rumqttc.
    pub(crate) seq: u64,
    pub(crate) op: Operation,
    pub(crate) deadline: Instant,
    /// When the packet was written (announced by rumqttc); `None` while it waits in
    /// rumqttc's request channel.
    pub(crate) sent_at: Option<Instant>,
    /// How many packets had come in from the broker when it was written: the link has
    /// been silent since iff that count has not moved.
    pub(crate) inbound_mark: u64,
    pub(crate) payload: P,
}

/// Pure correlation state for one transport generation.
#[derive(Debug)]
pub(crate) struct AckTracker<P> {
    next_seq: u64,
    awaiting_id: VecDeque<Pending<P>>,
    inflight: HashMap<(Operation, u16), VecDeque<Pending<P>>>,
    collided: Option<(u16, Pending<P>)>,
}

impl<P> Default for AckTracker<P> {
    fn default() -> Self {
        Self {
            next_seq: 0,
            awaiting_id: VecDeque::new(),
            inflight: HashMap::new(),
            collided: None,
        }
    }
}

impl<P> AckTracker<P> {
    /// Records a request just handed to the client's channel.
    pub(crate) fn sent(&mut self, op: Operation, deadline: Instant, payload: P) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.awaiting_id.push_back(Pending {
            seq,
            op,
            deadline,
            sent_at: None,
            inbound_mark: 0,
            payload,
        });
    }

    /// rumqttc announced that the next request of kind `op` went out with `pkid`, at
    /// `now`, when `inbound` packets had come in on this link. Returns false when no
    /// request of that kind was waiting (not ours; ignored).
    pub(crate) fn on_outgoing(
        &mut self,
        op: Operation,
        pkid: u16,
        now: Instant,
        inbound: u64,
    ) -> bool {
        if op == Operation::Publish {
            if let Some((collided_pkid, _)) = &self.collided {
                if *collided_pkid == pkid {
                    if let Some((_, mut pending)) = self.collided.take() {
                        pending.sent_at = Some(now);
                        pending.inbound_mark = inbound;
                        self.inflight
                            .entry((op, pkid))
                            .or_default()
                            .push_back(pending);
                    }
                    return true;
                }
            }
        }
        let Some(index) = self.awaiting_id.iter().position(|p| p.op == op) else {
            return false;
        };
        match self.awaiting_id.remove(index) {
            Some(mut pending) => {
                pending.sent_at = Some(now);
                pending.inbound_mark = inbound;
                self.inflight
                    .entry((op, pkid))
                    .or_default()
                    .push_back(pending);
                true
            }
            None => false,
        }
    }

    /// rumqttc announced a packet-id collision for the next publish.
    pub(crate) fn on_await_ack(&mut self, pkid: u16) -> bool {
        let Some(index) = self
            .awaiting_id
            .iter()
            .position(|p| p.op == Operation::Publish)
        else {
            return false;
        };
        match self.awaiting_id.remove(index) {
            Some(pending) => {
                self.collided = Some((pkid, pending));
                true
            }
            None => false,
        }
    }

    /// The broker acknowledged (`op`, `pkid`): returns the operation it completes.
    pub(crate) fn on_ack(&mut self, op: Operation, pkid: u16) -> Option<Pending<P>> {
        let key = (op, pkid);
        let queue = self.inflight.get_mut(&key)?;
        let pending = queue.pop_front();
        if queue.is_empty() {
            self.inflight.remove(&key);
        }
        pending
    }

    /// The earliest-sent operation that is overdue at `now`: past its hard deadline,
    /// or written more than `rto` ago with the link silent since (`inbound` has not
    /// moved from its mark). A slow answer while other packets keep arriving is a busy
    /// broker, not a dead link, and only the hard deadline applies to it.
    pub(crate) fn first_overdue(
        &self,
        now: Instant,
        rto: std::time::Duration,
        inbound: u64,
    ) -> Option<(u64, Operation)> {
        self.iter()
            .filter(|p| Self::due(p, rto, inbound) <= now)
            .min_by_key(|p| p.seq)
            .map(|p| (p.seq, p.op))
    }

    /// When the next operation becomes overdue (see [`first_overdue`](Self::first_overdue)).
    pub(crate) fn next_due(&self, rto: std::time::Duration, inbound: u64) -> Option<Instant> {
        self.iter().map(|p| Self::due(p, rto, inbound)).min()
    }

    fn due(p: &Pending<P>, rto: std::time::Duration, inbound: u64) -> Instant {
        let soft = p
            .sent_at
            .filter(|_| p.inbound_mark == inbound)
            .and_then(|sent| sent.checked_add(rto));
        soft.map_or(p.deadline, |soft| soft.min(p.deadline))
    }

    /// Removes everything, in the order the requests were sent.
    pub(crate) fn drain(&mut self) -> Vec<Pending<P>> {
        let mut all: Vec<Pending<P>> = self.awaiting_id.drain(..).collect();
        all.extend(self.inflight.drain().flat_map(|(_, q)| q));
        all.extend(self.collided.take().map(|(_, p)| p));
        all.sort_by_key(|p| p.seq);
        all
    }

    /// Number of pending operations.
    pub(crate) fn len(&self) -> usize {
        self.awaiting_id.len()
            + self.inflight.values().map(VecDeque::len).sum::<usize>()
            + usize::from(self.collided.is_some())
    }

    /// Number of pending operations whose payload satisfies `f`.
    pub(crate) fn count(&self, f: impl Fn(&P) -> bool) -> usize {
        self.iter().filter(|p| f(&p.payload)).count()
    }

    fn iter(&self) -> impl Iterator<Item = &Pending<P>> {
        self.awaiting_id
            .iter()
            .chain(self.inflight.values().flatten())
            .chain(self.collided.iter().map(|(_, p)| p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn deadline(ms: u64) -> Instant {
        Instant::now() + Duration::from_millis(ms)
    }

    #[tokio::test]
    async fn acks_resolve_the_operation_that_got_the_packet_id() {
        let mut t = AckTracker::default();
        t.sent(Operation::Publish, deadline(1000), "p1");
        t.sent(Operation::Subscribe, deadline(1000), "s1");
        t.sent(Operation::Publish, deadline(1000), "p2");
        assert!(t.on_outgoing(Operation::Publish, 1, Instant::now(), 0));
        assert!(t.on_outgoing(Operation::Subscribe, 2, Instant::now(), 0));
        assert!(t.on_outgoing(Operation::Publish, 3, Instant::now(), 0));
        assert_eq!(
            t.on_ack(Operation::Publish, 3).map(|p| p.payload),
            Some("p2")
        );
        assert_eq!(
            t.on_ack(Operation::Subscribe, 2).map(|p| p.payload),
            Some("s1")
        );
        assert_eq!(
            t.on_ack(Operation::Publish, 1).map(|p| p.payload),
            Some("p1")
        );
        assert_eq!(t.len(), 0);
    }

    #[tokio::test]
    async fn same_packet_id_of_different_kinds_does_not_mix() {
        let mut t = AckTracker::default();
        t.sent(Operation::Publish, deadline(1000), "p");
        t.sent(Operation::Subscribe, deadline(1000), "s");
        t.on_outgoing(Operation::Publish, 7, Instant::now(), 0);
        t.on_outgoing(Operation::Subscribe, 7, Instant::now(), 0);
        assert_eq!(
            t.on_ack(Operation::Subscribe, 7).map(|p| p.payload),
            Some("s")
        );
        assert_eq!(
            t.on_ack(Operation::Publish, 7).map(|p| p.payload),
            Some("p")
        );
    }

    #[tokio::test]
    async fn unknown_acks_and_announcements_are_ignored() {
        let mut t: AckTracker<&str> = AckTracker::default();
        assert!(t.on_ack(Operation::Publish, 1).is_none());
        assert!(!t.on_outgoing(Operation::Unsubscribe, 1, Instant::now(), 0));
        assert!(!t.on_await_ack(1));
    }

    #[tokio::test]
    async fn collision_keeps_the_later_publish_behind_the_older_one() {
        let mut t = AckTracker::default();
        t.sent(Operation::Publish, deadline(1000), "old");
        t.on_outgoing(Operation::Publish, 5, Instant::now(), 0);
        t.sent(Operation::Publish, deadline(1000), "new");
        assert!(t.on_await_ack(5));
        assert_eq!(t.len(), 2);
        // PUBACK for the old one, then rumqttc sends the collided publish with the same id.
        assert_eq!(
            t.on_ack(Operation::Publish, 5).map(|p| p.payload),
            Some("old")
        );
        assert!(t.on_outgoing(Operation::Publish, 5, Instant::now(), 0));
        assert_eq!(
            t.on_ack(Operation::Publish, 5).map(|p| p.payload),
            Some("new")
        );
        assert_eq!(t.len(), 0);
    }

    #[tokio::test]
    async fn expiry_reports_the_earliest_sent_overdue_operation() {
        let mut t = AckTracker::default();
        let now = Instant::now();
        t.sent(Operation::Subscribe, now + Duration::from_millis(50), "s");
        t.sent(Operation::Publish, now + Duration::from_millis(10), "p");
        t.on_outgoing(Operation::Publish, 1, now, 0);
        let rto = Duration::from_secs(60);
        assert_eq!(t.first_overdue(now, rto, 0), None);
        assert_eq!(
            t.first_overdue(now + Duration::from_millis(10), rto, 0),
            Some((1, Operation::Publish))
        );
        assert_eq!(
            t.first_overdue(now + Duration::from_millis(60), rto, 0),
            Some((0, Operation::Subscribe))
        );
    }

    #[tokio::test]
    async fn a_silent_link_is_overdue_after_the_round_trip_bound_a_busy_one_is_not() {
        let mut t = AckTracker::default();
        let now = Instant::now();
        let hard = now + Duration::from_secs(30);
        let rto = Duration::from_secs(5);
        t.sent(Operation::Publish, hard, "poll");
        // Still in rumqttc's channel: only the hard deadline applies.
        assert_eq!(t.next_due(rto, 7), Some(hard));
        t.on_outgoing(Operation::Publish, 1, now, 7);
        assert_eq!(t.next_due(rto, 7), Some(now + rto));
        assert_eq!(
            t.first_overdue(now + rto, rto, 7),
            Some((0, Operation::Publish))
        );
        // Something came in since it was written: the link is alive, the broker slow.
        assert_eq!(t.first_overdue(now + rto, rto, 8), None);
        assert_eq!(t.next_due(rto, 8), Some(hard));
        assert_eq!(t.first_overdue(hard, rto, 8), Some((0, Operation::Publish)));
    }

    #[tokio::test]
    async fn drain_returns_everything_in_send_order() {
        let mut t = AckTracker::default();
        for i in 0..6u16 {
            t.sent(Operation::Publish, deadline(1000), i);
        }
        t.on_outgoing(Operation::Publish, 40, Instant::now(), 0);
        t.on_outgoing(Operation::Publish, 2, Instant::now(), 0);
        t.on_outgoing(Operation::Publish, 9, Instant::now(), 0);
        t.on_await_ack(40);
        let order: Vec<u16> = t.drain().into_iter().map(|p| p.payload).collect();
        assert_eq!(order, vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(t.len(), 0);
        assert_eq!(t.count(|_| true), 0);
    }
}
