//! Keeps one connection's publishes within AWS IoT Core's quota of 100 inbound publishes
//! per second per connection. Beyond it AWS throttles: a publish is dropped without a
//! PUBACK, which this client would take for a half-open link. A token bucket: `rate`
//! tokens a second, at most `rate` saved up, one per PUBLISH; so any one-second window
//! holds at most `2 × rate` publishes (a full bucket plus a second of refill), 100 at the
//! default of 50.

use std::num::NonZeroU32;
use std::time::Duration;

use tokio::time::Instant;

/// The default publish rate per connection (see the module documentation).
pub const DEFAULT_PUBLISH_RATE: NonZeroU32 = match NonZeroU32::new(50) {
    Some(rate) => rate,
    None => unreachable!(),
};

/// A token bucket for the publishes of one connection (one per transport generation: the
/// quota is per connection).
#[derive(Debug, Clone)]
pub(crate) struct PublishPacer {
    rate: f64,
    /// Tokens available at `at` (fractional: refill is continuous).
    tokens: f64,
    at: Instant,
}

impl PublishPacer {
    /// A full bucket at `now`.
    pub(crate) fn new(rate: NonZeroU32, now: Instant) -> Self {
        let rate = f64::from(rate.get());
        Self {
            rate,
            tokens: rate,
            at: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.rate);
        self.at = self.at.max(now);
    }

    /// Returns a token taken for a publish that was not sent after all.
    pub(crate) fn give_back(&mut self) {
        self.tokens = (self.tokens + 1.0).min(self.rate);
    }

    /// Takes a token for one PUBLISH, or says when the next one is available.
    pub(crate) fn try_take(&mut self, now: Instant) -> Result<(), Instant> {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            let missing = 1.0 - self.tokens;
            // Rounded up to the next millisecond so the wake-up finds the token there.
            let wait = Duration::from_secs_f64(missing / self.rate);
            let wait = Duration::from_millis(wait.as_millis() as u64 + 1);
            Err(now + wait)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(n: u32) -> NonZeroU32 {
        NonZeroU32::new(n).unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_bucket_then_the_rate() {
        let start = Instant::now();
        let mut pacer = PublishPacer::new(rate(50), start);
        for _ in 0..50 {
            assert_eq!(pacer.try_take(start), Ok(()));
        }
        let next = pacer.try_take(start).unwrap_err();
        assert!(next > start && next <= start + Duration::from_millis(21), "{next:?}");
        assert_eq!(pacer.try_take(next), Ok(()));
        assert!(pacer.try_take(next).is_err());
    }

    /// Whatever the pattern of attempts, no one-second window holds more than twice the
    /// rate: within AWS's 100 per second at the default.
    #[tokio::test(start_paused = true)]
    async fn no_one_second_window_exceeds_twice_the_rate() {
        let start = Instant::now();
        let mut pacer = PublishPacer::new(DEFAULT_PUBLISH_RATE, start);
        let mut sent = Vec::new();
        let mut now = start;
        // Greedy: every millisecond, as many as the bucket allows.
        while now < start + Duration::from_secs(5) {
            while pacer.try_take(now).is_ok() {
                sent.push(now);
            }
            now += Duration::from_millis(1);
        }
        let most = sent
            .iter()
            .map(|t| {
                sent.iter()
                    .filter(|s| **s >= *t && **s < *t + Duration::from_secs(1))
                    .count()
            })
            .max()
            .unwrap();
        assert!(most <= 100, "{most} publishes in one second");
        // And the rate is used: about 50 a second after the first burst.
        assert!(sent.len() >= 50 + 4 * 50 - 2, "{}", sent.len());
    }

    #[tokio::test(start_paused = true)]
    async fn the_bucket_refills_up_to_its_size_only() {
        let start = Instant::now();
        let mut pacer = PublishPacer::new(rate(10), start);
        for _ in 0..10 {
            pacer.try_take(start).unwrap();
        }
        let later = start + Duration::from_secs(60);
        let taken = (0..100).filter(|_| pacer.try_take(later).is_ok()).count();
        assert_eq!(taken, 10);
    }
}
