//! The exponential part of the delay, delegated to the `backoff` crate.
//!
//! `backoff` is unmaintained (RUSTSEC-2025-0012), so it is used only here, behind
//! this small type, and only for its deterministic growth: randomisation is off
//! (our jitter is seeded and re-capped, which `backoff`'s is not) and
//! `max_elapsed_time` is `None` (its default would give up after 15 minutes).

use std::time::Duration;

use backoff::backoff::Backoff;
use backoff::{ExponentialBackoff, ExponentialBackoffBuilder};

/// Yields `initial × multiplier^(n−1)` capped at `max` for n = 1, 2, 3, ….
#[derive(Debug)]
pub(crate) struct Exponential {
    inner: ExponentialBackoff,
    /// Set once the base reached the cap: the base can no longer change, so the
    /// inner state is not advanced any more (constant cost per attempt, no float
    /// growth however many attempts follow).
    saturated: bool,
}

impl Exponential {
    /// `multiplier` must be finite and ≥ 1 and `max ≥ initial` (see
    /// [`PolicyConfig::sanitized`](super::PolicyConfig)).
    pub(crate) fn new(initial: Duration, max: Duration, multiplier: f64) -> Self {
        let inner = ExponentialBackoffBuilder::new()
            .with_initial_interval(initial)
            .with_max_interval(max)
            .with_multiplier(multiplier)
            .with_randomization_factor(0.0)
            .with_max_elapsed_time(None)
            .build();
        let mut this = Self {
            inner,
            saturated: false,
        };
        this.reset();
        this
    }

    /// The base delay of the next attempt; advances to the one after.
    pub(crate) fn next_base(&mut self) -> Duration {
        let base = self.inner.current_interval.min(self.inner.max_interval);
        if !self.saturated {
            // Only the side effect (growing `current_interval`) is wanted; with a
            // randomisation factor of 0 and no elapsed-time limit it always
            // returns `Some`.
            let _ = self.inner.next_backoff();
            self.saturated = self.inner.current_interval >= self.inner.max_interval;
        }
        base
    }

    /// Back to attempt 1.
    pub(crate) fn reset(&mut self) {
        self.inner.reset();
        self.saturated = self.inner.current_interval >= self.inner.max_interval;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_then_saturates() {
        let mut e = Exponential::new(Duration::from_secs(1), Duration::from_secs(120), 2.0);
        let got: Vec<u64> = (0..12).map(|_| e.next_base().as_secs()).collect();
        assert_eq!(got, [1, 2, 4, 8, 16, 32, 64, 120, 120, 120, 120, 120]);
        e.reset();
        assert_eq!(e.next_base(), Duration::from_secs(1));
    }

    #[test]
    fn multiplier_one_is_constant() {
        let mut e = Exponential::new(Duration::from_millis(250), Duration::from_secs(5), 1.0);
        for _ in 0..100 {
            assert_eq!(e.next_base(), Duration::from_millis(250));
        }
    }

    #[test]
    fn huge_values_do_not_panic() {
        let mut e = Exponential::new(Duration::from_secs(1), Duration::MAX, f64::MAX);
        assert_eq!(e.next_base(), Duration::from_secs(1));
        for _ in 0..10 {
            assert!(e.next_base() <= Duration::MAX);
        }
    }
}
