//! The send window: how many periodic requests may await their PUBACK at once.
//!
//! Why: a resume with N devices makes 2 × N requests due at the same instant. Handing them
//! all to the Connection at once overfills rumqttc's request channel; the overflow would go
//! to the offline queue, whose bounded capacity would then drop requests (and evict user
//! commands queued there), and requests waiting behind a full channel would age past the
//! PUBACK deadline and make a healthy link look half-open. The window hands out at most
//! `limit` requests and releases the next one as each is answered, in the order they
//! became due.

use std::collections::{BTreeSet, VecDeque};

/// Default number of periodic requests that may await their PUBACK at once. Well under
/// the Connection's in-flight limit (100), so user commands always find room.
pub const DEFAULT_MAX_POLLS_IN_FLIGHT: usize = 32;

/// Whether a due request may go out now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    /// A slot was taken: send it.
    Send,
    /// The window is full: it waits its turn (once, however often it is offered).
    Wait,
}

/// Bounded in-flight count plus a first-in-first-out line of waiting keys.
#[derive(Debug, Clone)]
pub(crate) struct SendWindow<K: Ord + Clone> {
    limit: usize,
    in_flight: usize,
    line: VecDeque<K>,
    waiting: BTreeSet<K>,
}

impl<K: Ord + Clone> SendWindow<K> {
    /// A window of `limit` slots (at least one).
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            limit: limit.max(1),
            in_flight: 0,
            line: VecDeque::new(),
            waiting: BTreeSet::new(),
        }
    }

    /// Offers a due request.
    pub(crate) fn admit(&mut self, key: &K) -> Admission {
        if self.in_flight < self.limit && self.line.is_empty() {
            self.in_flight += 1;
            Admission::Send
        } else {
            if self.waiting.insert(key.clone()) {
                self.line.push_back(key.clone());
            }
            Admission::Wait
        }
    }

    /// A request that held a slot was answered (or never went out): frees its slot.
    pub(crate) fn release(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    /// The next waiting key, with a slot taken for it, if a slot is free.
    pub(crate) fn next(&mut self) -> Option<K> {
        if self.in_flight >= self.limit {
            return None;
        }
        let key = self.line.pop_front()?;
        self.waiting.remove(&key);
        self.in_flight += 1;
        Some(key)
    }

    /// Forgets every waiting key (the link dropped: they will be due again on resume).
    pub(crate) fn clear_waiting(&mut self) -> Vec<K> {
        self.waiting.clear();
        self.line.drain(..).collect()
    }

    /// Forgets one waiting key (its schedule was stopped or replaced).
    pub(crate) fn forget(&mut self, key: &K) {
        if self.waiting.remove(key) {
            self.line.retain(|k| k != key);
        }
    }

    /// Requests holding a slot.
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// Requests waiting for a slot.
    pub(crate) fn waiting(&self) -> usize {
        self.line.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_most_limit_go_out_and_the_rest_follow_in_order() {
        let mut w = SendWindow::new(2);
        assert_eq!(w.admit(&1), Admission::Send);
        assert_eq!(w.admit(&2), Admission::Send);
        assert_eq!(w.admit(&3), Admission::Wait);
        assert_eq!(w.admit(&4), Admission::Wait);
        assert_eq!(
            w.admit(&3),
            Admission::Wait,
            "offered again, still one entry"
        );
        assert_eq!((w.in_flight(), w.waiting()), (2, 2));
        assert_eq!(w.next(), None, "no free slot");
        w.release();
        assert_eq!(w.next(), Some(3));
        assert_eq!(w.next(), None);
        w.release();
        w.release();
        assert_eq!(w.next(), Some(4));
        assert_eq!(w.next(), None, "nobody waits");
        assert_eq!((w.in_flight(), w.waiting()), (1, 0));
    }

    #[test]
    fn a_newcomer_does_not_overtake_the_line() {
        let mut w = SendWindow::new(1);
        assert_eq!(w.admit(&1), Admission::Send);
        assert_eq!(w.admit(&2), Admission::Wait);
        w.release();
        // A slot is free, but 2 waits already: 3 queues behind it.
        assert_eq!(w.admit(&3), Admission::Wait);
        assert_eq!(w.next(), Some(2));
    }

    #[test]
    fn forgotten_and_cleared_keys_never_come_back() {
        let mut w = SendWindow::new(1);
        w.admit(&1);
        w.admit(&2);
        w.admit(&3);
        w.admit(&4);
        w.forget(&3);
        assert_eq!(w.waiting(), 2);
        assert_eq!(w.clear_waiting(), vec![2, 4]);
        w.release();
        assert_eq!(w.next(), None);
        assert_eq!(
            w.admit(&2),
            Admission::Send,
            "admitted afresh after clearing"
        );
    }

    #[test]
    fn release_never_underflows_and_limit_is_at_least_one() {
        let mut w = SendWindow::<u8>::new(0);
        w.release();
        assert_eq!(w.in_flight(), 0);
        assert_eq!(w.admit(&1), Admission::Send);
        assert_eq!(w.admit(&2), Admission::Wait);
    }
}
