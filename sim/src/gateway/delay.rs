//! A FIFO that releases byte chunks a fixed delay after they entered (the latency fault).

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::{sleep_until, Instant};

#[derive(Default)]
pub(crate) struct DelayLine {
    queue: VecDeque<(Instant, Vec<u8>)>,
}

impl DelayLine {
    /// Queues `data` to be released after `delay` (order is kept even if the delay shrinks).
    pub(crate) fn push(&mut self, data: Vec<u8>, delay: Duration) {
        let due = Instant::now() + delay;
        let due = self.queue.back().map_or(due, |(last, _)| due.max(*last));
        self.queue.push_back((due, data));
    }

    /// Waits until the oldest chunk is due and takes it; never completes while empty.
    /// Cancel-safe: nothing is removed until the wait is over.
    pub(crate) async fn next_due(&mut self) -> Vec<u8> {
        match self.queue.front() {
            Some((due, _)) => sleep_until(*due).await,
            None => std::future::pending().await,
        }
        self.queue
            .pop_front()
            .map(|(_, data)| data)
            .unwrap_or_default()
    }

    /// Takes the oldest chunk without waiting (to flush before closing).
    pub(crate) fn take_any(&mut self) -> Option<Vec<u8>> {
        self.queue.pop_front().map(|(_, data)| data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn releases_in_order_after_the_delay() {
        let mut line = DelayLine::default();
        let start = Instant::now();
        line.push(vec![1], Duration::from_millis(100));
        line.push(vec![2], Duration::from_millis(10));
        assert_eq!(line.next_due().await, vec![1]);
        assert_eq!(Instant::now() - start, Duration::from_millis(100));
        assert_eq!(
            line.next_due().await,
            vec![2],
            "never overtakes an older chunk"
        );
        assert_eq!(Instant::now() - start, Duration::from_millis(100));
    }
}
