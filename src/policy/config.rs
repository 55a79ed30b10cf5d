//! The reconnect policy's settings.

use std::num::NonZeroU64;
use std::time::Duration;

/// Settings of a [`ReconnectPolicy`](super::ReconnectPolicy).
///
/// Usually obtained from [`ClientConfig::policy_config`](crate::config::ClientConfig::policy_config),
/// which validates every value. The policy itself never fails on odd values: it
/// sanitises them (see each field), so it can never divide by zero, overflow or panic.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyConfig {
    /// Base delay of attempt 1. Default 1 s.
    pub initial_delay: Duration,
    /// Cap applied to the exponential base and again after jitter. Default 120 s.
    /// A value below `initial_delay` is raised to `initial_delay`.
    pub max_delay: Duration,
    /// Growth factor between consecutive attempts. Default 2.
    /// Non-finite values or values below 1 are treated as 1 (no growth).
    pub multiplier: f64,
    /// Jitter factor `f`: each delay is multiplied by a uniform factor in
    /// `[1 − f, 1 + f)` and re-capped at `max_delay`. Default 0.5.
    /// Clamped into `[0, 1]`; NaN is treated as 0.
    pub jitter: f64,
    /// Every `deep_every`-th attempt of an outage is deep. Default 10.
    pub deep_every: NonZeroU64,
    /// Give up after this many attempts; `None` (the default) retries forever.
    pub max_attempts: Option<NonZeroU64>,
    /// Minimum time between two CONNECTs (AWS IoT allows one per second per client id).
    /// Default 1 s.
    pub min_connect_interval: Duration,
    /// How long a connection must stay up before the attempt counter resets. Default 30 s.
    pub stable_after: Duration,
}

impl PolicyConfig {
    /// Default base delay of attempt 1.
    pub const DEFAULT_INITIAL_DELAY: Duration = Duration::from_secs(1);
    /// Default delay cap.
    pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(120);
    /// Default growth factor.
    pub const DEFAULT_MULTIPLIER: f64 = 2.0;
    /// Default jitter factor.
    pub const DEFAULT_JITTER: f64 = 0.5;
    /// Default deep-reconnect period.
    pub const DEFAULT_DEEP_EVERY: NonZeroU64 = match NonZeroU64::new(10) {
        Some(n) => n,
        None => NonZeroU64::MIN,
    };
    /// Default minimum interval between CONNECTs.
    pub const DEFAULT_MIN_CONNECT_INTERVAL: Duration = Duration::from_secs(1);
    /// Default stability window.
    pub const DEFAULT_STABLE_AFTER: Duration = Duration::from_secs(30);

    /// Returns a copy whose values are all usable as they are (see the field docs).
    pub(crate) fn sanitized(&self) -> Self {
        let multiplier = if self.multiplier.is_finite() && self.multiplier >= 1.0 {
            self.multiplier
        } else {
            1.0
        };
        let jitter = if self.jitter.is_nan() {
            0.0
        } else {
            self.jitter.clamp(0.0, 1.0)
        };
        Self {
            max_delay: self.max_delay.max(self.initial_delay),
            multiplier,
            jitter,
            ..self.clone()
        }
    }
}

impl Default for PolicyConfig {
    fn default() -> Self {
        Self {
            initial_delay: Self::DEFAULT_INITIAL_DELAY,
            max_delay: Self::DEFAULT_MAX_DELAY,
            multiplier: Self::DEFAULT_MULTIPLIER,
            jitter: Self::DEFAULT_JITTER,
            deep_every: Self::DEFAULT_DEEP_EVERY,
            max_attempts: None,
            min_connect_interval: Self::DEFAULT_MIN_CONNECT_INTERVAL,
            stable_after: Self::DEFAULT_STABLE_AFTER,
        }
    }
}
