//! When to hand a connection over to a new one before the server's lifetime cut.
//!
//! AWS IoT Core closes every connection after 24 hours. [`HandoverPlan`] is the decision
//! type the Reconnector consults: it does no IO and reads no clock (every method takes
//! the instants it needs), and its jitter comes from a seedable RNG, so a fleet of clients
//! started together does not hand over at the same moment.
//!
//! A connection that began at `t` is handed over at `t + lifetime − margin − U[0, jitter)`.
//! A failed handover is retried with the reconnect policy's backoff (initial delay,
//! multiplier, cap and jitter), as long as the retry still comes before the cut; after
//! that the cut is an ordinary outage and the usual recovery applies.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::time::Instant;

use super::exponential::{base_delay, jittered};
use super::reconnect::entropy_rng;
use super::PolicyConfig;

/// Settings of the planned handover.
#[derive(Debug, Clone, PartialEq)]
pub struct HandoverConfig {
    /// The server's maximum connection lifetime. `None`: no known lifetime, no handover
    /// (a cut is an ordinary interruption). Default 24 h (AWS IoT Core).
    pub lifetime: Option<Duration>,
    /// How long before the cut the handover begins at the latest. Default 5 min.
    pub margin: Duration,
    /// The handover begins up to this much earlier still, uniformly at random. Default 2 min.
    pub jitter: Duration,
}

impl HandoverConfig {
    /// AWS IoT Core's maximum connection lifetime.
    pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(24 * 3600);
    /// Default margin before the cut.
    pub const DEFAULT_MARGIN: Duration = Duration::from_secs(300);
    /// Default jitter.
    pub const DEFAULT_JITTER: Duration = Duration::from_secs(120);
}

impl Default for HandoverConfig {
    fn default() -> Self {
        Self {
            lifetime: Some(Self::DEFAULT_LIFETIME),
            margin: Self::DEFAULT_MARGIN,
            jitter: Self::DEFAULT_JITTER,
        }
    }
}

/// What to do after a failed handover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandoverRetry {
    /// Try again after this delay (the old connection stays in use meanwhile).
    After(Duration),
    /// The cut comes before another try could: let it be an ordinary outage.
    GiveUp,
}

/// The handover schedule of one client: when to hand a connection over before the
/// server cuts it, and when to try again after a failed handover.
#[derive(Debug)]
pub struct HandoverPlan {
    config: HandoverConfig,
    retry: PolicyConfig,
    rng: StdRng,
    failures: u32,
}

impl HandoverPlan {
    /// A plan whose jitter is seeded from the operating system.
    pub fn new(config: HandoverConfig, retry: PolicyConfig) -> Self {
        Self::with_rng(config, retry, entropy_rng())
    }

    /// A plan with a fixed seed (reproducible jitter).
    pub fn with_seed(config: HandoverConfig, retry: PolicyConfig, seed: u64) -> Self {
        Self::with_rng(config, retry, StdRng::seed_from_u64(seed))
    }

    fn with_rng(config: HandoverConfig, retry: PolicyConfig, rng: StdRng) -> Self {
        Self {
            config,
            retry: retry.sanitized(),
            rng,
            failures: 0,
        }
    }

    /// Whether handovers are planned at all.
    pub fn is_enabled(&self) -> bool {
        self.config.lifetime.is_some()
    }

    /// When the server will cut a connection that began at `began`.
    pub fn cut_at(&self, began: Instant) -> Option<Instant> {
        self.config.lifetime.map(|lifetime| began + lifetime)
    }

    /// When to hand over a connection that began at `began` (its CONNECT went out then),
    /// jitter drawn now. `None` when handovers are disabled. A new connection also
    /// starts a new retry cycle.
    pub fn due_at(&mut self, began: Instant) -> Option<Instant> {
        let lifetime = self.config.lifetime?;
        self.failures = 0;
        let jitter = self.draw(self.config.jitter);
        let lead = self.config.margin.saturating_add(jitter);
        Some(began + lifetime.saturating_sub(lead))
    }

    /// A handover of the connection that began at `began` failed at `now`: when to try
    /// again, under the reconnect policy's backoff, if the retry still starts before the
    /// cut.
    pub fn on_failed(&mut self, began: Instant, now: Instant) -> HandoverRetry {
        let Some(cut) = self.cut_at(began) else {
            return HandoverRetry::GiveUp;
        };
        let step = self.failures;
        self.failures = self.failures.saturating_add(1);
        let base = base_delay(
            self.retry.initial_delay,
            self.retry.max_delay,
            self.retry.multiplier,
            step,
        );
        let delay = self.jittered(base);
        if now + delay >= cut {
            HandoverRetry::GiveUp
        } else {
            HandoverRetry::After(delay)
        }
    }

    /// Failed handovers since the current connection began.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// A uniform duration in `[0, max)`.
    fn draw(&mut self, max: Duration) -> Duration {
        if max.is_zero() {
            return Duration::ZERO;
        }
        let unit: f64 = self.rng.random();
        Duration::try_from_secs_f64(max.as_secs_f64() * unit).unwrap_or(Duration::ZERO)
    }

    fn jittered(&mut self, base: Duration) -> Duration {
        if self.retry.jitter == 0.0 {
            return base;
        }
        let unit: f64 = self.rng.random();
        jittered(base, self.retry.jitter, unit, self.retry.max_delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    fn config(lifetime: u64, margin: u64, jitter: u64) -> HandoverConfig {
        HandoverConfig {
            lifetime: Some(Duration::from_secs(lifetime)),
            margin: Duration::from_secs(margin),
            jitter: Duration::from_secs(jitter),
        }
    }

    fn no_jitter() -> PolicyConfig {
        PolicyConfig {
            jitter: 0.0,
            ..PolicyConfig::default()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn hands_over_margin_before_the_cut_without_jitter() {
        let mut plan = HandoverPlan::with_seed(config(86_400, 300, 0), no_jitter(), 1);
        let began = Instant::now();
        assert_eq!(plan.due_at(began), Some(began + Duration::from_secs(86_400 - 300)));
        assert_eq!(plan.cut_at(began), Some(began + Duration::from_secs(86_400)));
    }

    #[tokio::test(start_paused = true)]
    async fn jitter_spreads_a_fleet_within_the_window_reproducibly() {
        let began = Instant::now();
        let dues: Vec<Instant> = (0..200)
            .map(|seed| {
                let mut plan = HandoverPlan::with_seed(config(86_400, 300, 120), no_jitter(), seed);
                plan.due_at(began).unwrap()
            })
            .collect();
        let earliest = began + Duration::from_secs(86_400 - 420);
        let latest = began + Duration::from_secs(86_400 - 300);
        assert!(dues.iter().all(|d| *d >= earliest && *d <= latest));
        let distinct: std::collections::BTreeSet<_> = dues.iter().collect();
        assert!(distinct.len() > 190, "spread out: {} distinct", distinct.len());
        let again = HandoverPlan::with_seed(config(86_400, 300, 120), no_jitter(), 7).due_at(began);
        let once = HandoverPlan::with_seed(config(86_400, 300, 120), no_jitter(), 7).due_at(began);
        assert_eq!(again, once, "same seed, same moment");
    }

    #[tokio::test(start_paused = true)]
    async fn failures_back_off_under_the_policy_until_the_cut_is_too_close() {
        let mut plan = HandoverPlan::with_seed(config(600, 60, 0), no_jitter(), 1);
        let began = Instant::now();
        let due = plan.due_at(began).unwrap();
        assert_eq!(plan.on_failed(began, due), HandoverRetry::After(SEC));
        assert_eq!(plan.on_failed(began, due + SEC), HandoverRetry::After(2 * SEC));
        assert_eq!(plan.on_failed(began, due + 3 * SEC), HandoverRetry::After(4 * SEC));
        assert_eq!(plan.failures(), 3);
        // 8 s from 5 s before the cut would be after it.
        let late = began + Duration::from_secs(595);
        assert_eq!(plan.on_failed(began, late), HandoverRetry::GiveUp);
        // A new connection starts a new cycle.
        let next = began + Duration::from_secs(600);
        plan.due_at(next);
        assert_eq!(plan.failures(), 0);
        assert_eq!(plan.on_failed(next, next + Duration::from_secs(540)), HandoverRetry::After(SEC));
    }

    #[tokio::test(start_paused = true)]
    async fn disabled_plans_nothing() {
        let mut plan = HandoverPlan::with_seed(
            HandoverConfig {
                lifetime: None,
                ..HandoverConfig::default()
            },
            no_jitter(),
            1,
        );
        let now = Instant::now();
        assert!(!plan.is_enabled());
        assert_eq!(plan.due_at(now), None);
        assert_eq!(plan.on_failed(now, now), HandoverRetry::GiveUp);
    }

    #[tokio::test(start_paused = true)]
    async fn a_margin_longer_than_the_lifetime_hands_over_at_once() {
        let mut plan = HandoverPlan::with_seed(config(10, 30, 0), no_jitter(), 1);
        let began = Instant::now();
        assert_eq!(plan.due_at(began), Some(began));
    }
}
