//! Counts delivered messages and remembers when the first and the last one arrived, shared by
//! every receiver measured (the bare client's poll task, nwp500 handlers).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// Arrival counter with a target; wakes [`Arrivals::wait`] when the target is reached.
#[derive(Debug)]
pub struct Arrivals {
    base: Instant,
    target: u64,
    count: AtomicU64,
    /// Nanoseconds after `base`, plus one (0 = none yet).
    first: AtomicU64,
    last: AtomicU64,
    reached: Notify,
}

impl Arrivals {
    /// A counter expecting `target` messages.
    pub fn new(target: u64) -> Arc<Self> {
        Arc::new(Self {
            base: Instant::now(),
            target,
            count: AtomicU64::new(0),
            first: AtomicU64::new(0),
            last: AtomicU64::new(0),
            reached: Notify::new(),
        })
    }

    /// Records one arrival now.
    pub fn record(&self) {
        let now = self.base.elapsed().as_nanos() as u64 + 1;
        let n = self.count.fetch_add(1, Ordering::Relaxed) + 1;
        let _ = self
            .first
            .compare_exchange(0, now, Ordering::Relaxed, Ordering::Relaxed);
        self.last.fetch_max(now, Ordering::Relaxed);
        if n == self.target {
            self.reached.notify_one();
        }
    }

    /// Arrivals so far.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// Waits until the target is reached; `false` if `within` passed first.
    pub async fn wait(&self, within: Duration) -> bool {
        if self.count() >= self.target {
            return true;
        }
        tokio::time::timeout(within, self.reached.notified())
            .await
            .is_ok()
            || self.count() >= self.target
    }

    /// Time between the first and the last arrival.
    pub fn window(&self) -> Duration {
        let first = self.first.load(Ordering::Relaxed);
        let last = self.last.load(Ordering::Relaxed);
        Duration::from_nanos(last.saturating_sub(first))
    }

    /// Arrivals per second over [`Arrivals::window`] (intervals between arrivals: n − 1).
    pub fn rate(&self) -> f64 {
        let secs = self.window().as_secs_f64();
        if secs <= 0.0 {
            return 0.0;
        }
        self.count().saturating_sub(1) as f64 / secs
    }
}
