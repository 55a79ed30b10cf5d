//! The offline command queue: a pure, bounded FIFO with drop-oldest overflow and age
//! expiry at flush time (behavior.md §6, docs/protocol.md §3.5).
//!
//! Rules (each one reported to the caller, never silent — L-20):
//! - [`OfflineQueue::push`] appends; when the queue is full the **oldest** entry is dropped
//!   and returned in [`PushOutcome::DroppedOldest`].
//! - [`OfflineQueue::push_front`] puts an entry back at the head (a failed send, P-30) with
//!   its original enqueue time. It never evicts another entry: when the queue is full the
//!   entry being put back is itself the oldest by position, so it is the one dropped and
//!   returned.
//! - Flushing ([`OfflineQueue::pop_flushable`] / [`OfflineQueue::take_flushable`]) yields
//!   entries in order and separates those older than the maximum age, which must be reported
//!   and not sent (P-30).
//!
//! The queue reads time only through the injected [`Clock`](crate::clock::Clock), so tests
//! drive it with [`ManualClock`](crate::clock::ManualClock) or tokio's paused time.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use nwp500::clock::TokioClock;
//! use nwp500::queue::{OfflineQueue, PushOutcome};
//!
//! let mut q = OfflineQueue::new(2, Duration::from_secs(300), Arc::new(TokioClock));
//! q.push("a");
//! q.push("b");
//! match q.push("c") {
//!     PushOutcome::DroppedOldest { dropped, len } => assert_eq!((dropped.item, len), ("a", 2)),
//!     other => panic!("unexpected {other:?}"),
//! }
//! ```

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use crate::clock::SharedClock;

/// One queued item with the (monotonic) instant it was first queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedEntry<T> {
    /// The queued item.
    pub item: T,
    /// When the item was first queued; kept when the entry is put back at the head.
    pub enqueued_at: Instant,
}

impl<T> QueuedEntry<T> {
    /// Wraps an item queued at `enqueued_at`.
    pub fn new(item: T, enqueued_at: Instant) -> Self {
        Self { item, enqueued_at }
    }

    /// Age at `now` (zero if `now` is earlier than the enqueue time).
    pub fn age(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.enqueued_at)
    }
}

/// The result of adding an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome<T> {
    /// Queued without loss; `len` is the new length.
    Queued {
        /// Queue length after the push.
        len: usize,
    },
    /// The queue was full: `dropped` (the oldest entry by position) was removed.
    DroppedOldest {
        /// The entry that was dropped.
        dropped: QueuedEntry<T>,
        /// Queue length after the push.
        len: usize,
    },
}

/// One step of a flush.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlushItem<T> {
    /// Young enough: send it.
    Send(QueuedEntry<T>),
    /// Older than the maximum age: report it, do not send it.
    Expired {
        /// The expired entry.
        entry: QueuedEntry<T>,
        /// Its age when it was taken out.
        age: Duration,
    },
}

/// Everything a flush took out of the queue, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlushBatch<T> {
    /// Entries to send, oldest first.
    pub send: Vec<QueuedEntry<T>>,
    /// Entries older than the maximum age with their ages, oldest first.
    pub expired: Vec<(QueuedEntry<T>, Duration)>,
}

/// A bounded FIFO of commands waiting for the link (see the module docs).
#[derive(Debug)]
pub struct OfflineQueue<T> {
    entries: VecDeque<QueuedEntry<T>>,
    capacity: usize,
    max_age: Duration,
    clock: SharedClock,
}

impl<T> OfflineQueue<T> {
    /// A queue holding at most `capacity` entries; entries older than `max_age` at flush
    /// time expire. A capacity of 0 keeps nothing (every push is dropped and reported).
    pub fn new(capacity: usize, max_age: Duration, clock: SharedClock) -> Self {
        Self {
            entries: VecDeque::with_capacity(capacity.min(1024)),
            capacity,
            max_age,
            clock,
        }
    }

    /// Appends `item`, stamped with the clock's current instant.
    pub fn push(&mut self, item: T) -> PushOutcome<T> {
        let entry = QueuedEntry::new(item, self.clock.now());
        if self.capacity == 0 {
            return PushOutcome::DroppedOldest {
                dropped: entry,
                len: 0,
            };
        }
        let dropped = if self.entries.len() >= self.capacity {
            self.entries.pop_front()
        } else {
            None
        };
        self.entries.push_back(entry);
        let len = self.entries.len();
        match dropped {
            Some(dropped) => PushOutcome::DroppedOldest { dropped, len },
            None => PushOutcome::Queued { len },
        }
    }

    /// Puts `entry` back at the head, keeping its enqueue time. Never evicts another entry:
    /// if the queue is full, `entry` (the oldest by position) is returned as dropped.
    pub fn push_front(&mut self, entry: QueuedEntry<T>) -> PushOutcome<T> {
        if self.entries.len() >= self.capacity {
            return PushOutcome::DroppedOldest {
                dropped: entry,
                len: self.entries.len(),
            };
        }
        self.entries.push_front(entry);
        PushOutcome::Queued {
            len: self.entries.len(),
        }
    }

    /// Takes the head entry, classified against `now` (compute `now` once per flush).
    pub fn pop_flushable(&mut self, now: Instant) -> Option<FlushItem<T>> {
        let entry = self.entries.pop_front()?;
        let age = entry.age(now);
        Some(if age > self.max_age {
            FlushItem::Expired { entry, age }
        } else {
            FlushItem::Send(entry)
        })
    }

    /// Empties the queue, separating entries to send from expired ones (both in order).
    pub fn take_flushable(&mut self, now: Instant) -> FlushBatch<T> {
        let mut batch = FlushBatch {
            send: Vec::with_capacity(self.entries.len()),
            expired: Vec::new(),
        };
        while let Some(item) = self.pop_flushable(now) {
            match item {
                FlushItem::Send(entry) => batch.send.push(entry),
                FlushItem::Expired { entry, age } => batch.expired.push((entry, age)),
            }
        }
        batch
    }

    /// Number of queued entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The bound.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The maximum age at flush time.
    pub fn max_age(&self) -> Duration {
        self.max_age
    }

    /// Removes everything and returns how many entries were removed.
    pub fn clear(&mut self) -> usize {
        let n = self.entries.len();
        self.entries.clear();
        n
    }

    /// The queued entries, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &QueuedEntry<T>> {
        self.entries.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};
    use std::sync::Arc;
    use std::time::SystemTime;

    fn queue(capacity: usize) -> (OfflineQueue<u32>, ManualClock) {
        let clock = ManualClock::new(SystemTime::UNIX_EPOCH);
        let q = OfflineQueue::new(capacity, Duration::from_secs(300), Arc::new(clock.clone()));
        (q, clock)
    }

    fn items(q: &OfflineQueue<u32>) -> Vec<u32> {
        q.iter().map(|e| e.item).collect()
    }

    #[tokio::test]
    async fn overflow_drops_the_oldest_and_reports_each_drop() {
        let (mut q, _clock) = queue(100);
        let mut dropped = Vec::new();
        for i in 0..500 {
            match q.push(i) {
                PushOutcome::Queued { len } => assert_eq!(len, (i + 1) as usize),
                PushOutcome::DroppedOldest { dropped: d, len } => {
                    assert_eq!(len, 100);
                    dropped.push(d.item);
                }
            }
        }
        assert_eq!(dropped, (0..400).collect::<Vec<_>>());
        assert_eq!(items(&q), (400..500).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn flush_keeps_order_and_separates_expired_entries() {
        let (mut q, clock) = queue(10);
        q.push(1);
        q.push(2);
        clock.advance(Duration::from_secs(200));
        q.push(3);
        clock.advance(Duration::from_secs(101));
        let batch = q.take_flushable(clock.now());
        let sent: Vec<u32> = batch.send.iter().map(|e| e.item).collect();
        let expired: Vec<(u32, Duration)> =
            batch.expired.iter().map(|(e, a)| (e.item, *a)).collect();
        assert_eq!(sent, vec![3]);
        assert_eq!(
            expired,
            vec![(1, Duration::from_secs(301)), (2, Duration::from_secs(301))]
        );
        assert!(q.is_empty());
    }

    #[tokio::test]
    async fn exactly_max_age_is_still_sent() {
        let (mut q, clock) = queue(10);
        q.push(1);
        clock.advance(Duration::from_secs(300));
        assert!(matches!(
            q.pop_flushable(clock.now()),
            Some(FlushItem::Send(QueuedEntry { item: 1, .. }))
        ));
    }

    #[tokio::test]
    async fn failed_send_goes_back_to_the_head_with_its_enqueue_time() {
        let (mut q, clock) = queue(10);
        q.push(1);
        q.push(2);
        let t1 = q.iter().next().unwrap().enqueued_at;
        clock.advance(Duration::from_secs(5));
        let Some(FlushItem::Send(head)) = q.pop_flushable(clock.now()) else {
            panic!("expected a sendable head");
        };
        assert_eq!(
            q.push_front(head),
            PushOutcome::Queued { len: 2 },
            "re-insert must succeed"
        );
        assert_eq!(items(&q), vec![1, 2]);
        assert_eq!(q.iter().next().unwrap().enqueued_at, t1);
    }

    #[tokio::test]
    async fn push_front_on_a_full_queue_never_evicts_the_newest() {
        let (mut q, clock) = queue(2);
        q.push(1);
        q.push(2);
        let old = QueuedEntry::new(0, clock.now());
        match q.push_front(old) {
            PushOutcome::DroppedOldest { dropped, len } => {
                assert_eq!(dropped.item, 0);
                assert_eq!(len, 2);
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(items(&q), vec![1, 2]);
    }

    #[tokio::test]
    async fn zero_capacity_keeps_nothing_and_says_so() {
        let (mut q, _clock) = queue(0);
        assert!(matches!(
            q.push(7),
            PushOutcome::DroppedOldest {
                dropped: QueuedEntry { item: 7, .. },
                len: 0
            }
        ));
        assert!(q.is_empty());
    }

    #[tokio::test]
    async fn clear_reports_the_number_removed() {
        let (mut q, _clock) = queue(5);
        q.push(1);
        q.push(2);
        assert_eq!(q.clear(), 2);
        assert!(q.is_empty());
        assert_eq!(q.pop_flushable(Instant::now()), None);
    }
}
