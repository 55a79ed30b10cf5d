//! Spacing the CONNECTs of every connection of one client: AWS IoT Core accepts at most
//! 500 CONNECTs per second per account. A pool of connections that starts, or recovers
//! from an outage of all its connections, would otherwise send them all at once.
//!
//! Pure: no clock (callers give the instants) and no IO; shared by the pool's
//! Reconnectors.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// CONNECTs per second one client allows itself across all its connections: a fifth of
/// AWS IoT Core's 500 per account, leaving room for the account's other clients.
pub const DEFAULT_CONNECTS_PER_SECOND: u32 = 100;

/// Hands out CONNECT slots at most `1 / rate` apart, in the order they are asked for.
#[derive(Debug, Clone)]
pub struct ConnectSpacing {
    spacing: Duration,
    last: Arc<Mutex<Option<Instant>>>,
}

impl Default for ConnectSpacing {
    fn default() -> Self {
        Self::new(DEFAULT_CONNECTS_PER_SECOND)
    }
}

impl ConnectSpacing {
    /// At most `per_second` CONNECTs a second (values below 1 count as 1).
    pub fn new(per_second: u32) -> Self {
        Self {
            spacing: Duration::from_secs(1) / per_second.max(1),
            last: Arc::new(Mutex::new(None)),
        }
    }

    /// The earliest instant, no sooner than `not_before`, a CONNECT may go out; the slot
    /// is taken.
    pub fn reserve(&self, not_before: Instant) -> Instant {
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        let at = match *last {
            Some(previous) => not_before.max(previous + self.spacing),
            None => not_before,
        };
        *last = Some(at);
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[tokio::test(start_paused = true)]
    async fn a_burst_is_spread_at_the_rate_and_a_late_ask_waits_for_nothing() {
        let spacing = ConnectSpacing::new(100);
        let shared = spacing.clone();
        let now = Instant::now();
        let slots: Vec<Instant> = (0..21).map(|_| shared.reserve(now)).collect();
        assert_eq!(slots[0], now);
        assert!(slots.windows(2).all(|w| w[1] - w[0] == 10 * MS));
        assert_eq!(slots[20] - now, 200 * MS, "21 connections in 0.2 s");
        // Asked well after the last slot: at once.
        let later = now + Duration::from_secs(5);
        assert_eq!(spacing.reserve(later), later);
    }

    #[test]
    fn a_zero_rate_counts_as_one_per_second() {
        assert_eq!(ConnectSpacing::new(0).spacing, Duration::from_secs(1));
    }
}
