//! The per-connection bookkeeping behind two of the AWS IoT quotas: the inbound publish rate
//! and the outbound in-flight window. Pure (the caller passes the clock), so both are tested
//! without sockets.

use std::collections::{HashSet, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

use super::broker::Message;

/// The window over which inbound publishes are counted.
const RATE_WINDOW: Duration = Duration::from_secs(1);

/// Inbound publishes accepted in the last second.
///
/// A sliding window rather than a token bucket: "at most N in any one second" is the plainest
/// reading of AWS's "N publish requests per second per connection", and it is what a test can
/// check exactly. Refused publishes are not counted, so a client that slows down is served
/// again as soon as its own accepted traffic allows.
#[derive(Debug, Default)]
pub(crate) struct PublishWindow {
    accepted: VecDeque<Instant>,
}

impl PublishWindow {
    /// Whether a publish arriving `now` is within `max` per second; counts it if so. `None`
    /// admits everything (and counts nothing).
    pub(crate) fn admit(&mut self, now: Instant, max: Option<u32>) -> bool {
        let Some(max) = max else {
            self.accepted.clear();
            return true;
        };
        while self
            .accepted
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= RATE_WINDOW)
        {
            self.accepted.pop_front();
        }
        if self.accepted.len() < usize::try_from(max).unwrap_or(usize::MAX) {
            self.accepted.push_back(now);
            true
        } else {
            false
        }
    }
}

/// Messages on their way to one connection: those sent at QoS 1 and not yet acknowledged
/// (by packet id), and those waiting because the in-flight window is full.
///
/// Waiting messages leave in arrival order, QoS 0 ones included, so the in-flight quota never
/// reorders what a subscriber sees.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    next_id: u16,
    in_flight: HashSet<u16>,
    waiting: VecDeque<Message>,
}

impl Outbox {
    /// Queues a message for delivery.
    pub(crate) fn push(&mut self, message: Message) {
        self.waiting.push_back(message);
    }

    /// A PUBACK arrived: the packet id is free again.
    pub(crate) fn acknowledged(&mut self, packet_id: u16) {
        self.in_flight.remove(&packet_id);
    }

    /// Messages queued and not sent yet.
    pub(crate) fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// QoS 1 messages sent and not acknowledged.
    #[cfg(test)]
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// The next message that may be sent now, with its packet id (QoS 1), or `None` when the
    /// queue is empty or its head is a QoS 1 message and `max` are already in flight.
    pub(crate) fn next(&mut self, max: Option<usize>) -> Option<(Message, Option<u16>)> {
        let head = self.waiting.front()?;
        if head.qos > 0 && max.is_some_and(|max| self.in_flight.len() >= max) {
            return None;
        }
        let message = self.waiting.pop_front()?;
        let packet_id = (message.qos > 0).then(|| self.allocate());
        Some((message, packet_id))
    }

    /// A packet id not in flight (ids run 1..=65535). With every id in flight (no quota, a
    /// client that never acknowledges) the next id is reused, as the client would have to
    /// treat it as a new message anyway.
    fn allocate(&mut self) -> u16 {
        for _ in 0..u16::MAX {
            self.next_id = self.next_id.checked_add(1).unwrap_or(1);
            if !self.in_flight.contains(&self.next_id) {
                break;
            }
        }
        self.in_flight.insert(self.next_id);
        self.next_id
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn message(qos: u8) -> Message {
        Message {
            topic: Arc::from("t"),
            payload: Arc::from(&b"x"[..]),
            qos,
        }
    }

    #[test]
    fn publish_window_admits_max_per_second_and_recovers() {
        let mut w = PublishWindow::default();
        let t = Instant::now();
        for _ in 0..3 {
            assert!(w.admit(t, Some(3)));
        }
        assert!(!w.admit(t + Duration::from_millis(999), Some(3)));
        // The three from `t` have left the window; the refused one never entered it.
        let later = t + Duration::from_secs(1);
        for _ in 0..3 {
            assert!(w.admit(later, Some(3)));
        }
        assert!(!w.admit(later, Some(3)));
        assert!(w.admit(t + Duration::from_secs(1), None));
    }

    #[test]
    fn outbox_holds_qos1_beyond_the_window_in_order() {
        let mut o = Outbox::default();
        o.push(message(1));
        o.push(message(1));
        o.push(message(0));
        let (_, first) = o.next(Some(1)).unwrap();
        assert_eq!(first, Some(1));
        assert!(o.next(Some(1)).is_none(), "window full");
        assert_eq!(o.waiting(), 2);
        o.acknowledged(1);
        let (_, second) = o.next(Some(1)).unwrap();
        assert_eq!(second, Some(2));
        // A QoS 0 message at the head needs no slot, even with the window full.
        assert_eq!(o.next(Some(1)).unwrap().1, None);
        assert_eq!(o.in_flight(), 1);
        assert!(o.next(Some(1)).is_none());
    }

    #[test]
    fn outbox_without_quota_sends_everything_and_skips_ids_in_flight() {
        let mut o = Outbox::default();
        for _ in 0..200 {
            o.push(message(1));
        }
        let mut ids = HashSet::new();
        while let Some((_, id)) = o.next(None) {
            assert!(ids.insert(id.unwrap()));
        }
        assert_eq!(ids.len(), 200);
        assert_eq!(o.in_flight(), 200);
    }
}
