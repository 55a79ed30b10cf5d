//! Acknowledgement deadlines that follow the measured round trip, as TCP's
//! retransmission timer does (RFC 6298: smoothed RTT and its variance).
//!
//! A link that dies silently (a black hole, a NAT that forgot us) is only noticed when
//! something the broker must answer goes unanswered. With a fixed 30 s bound that takes
//! up to a poll interval plus 30 s; a bound of a few round trips notices it within a few
//! seconds of the next poll, with no extra traffic. The bound never goes below `floor`
//! (a burst queued behind a slow broker, a jittery mobile link) nor above `ceiling` (the
//! configured operation timeout).

use std::time::Duration;

/// Smoothing gains of RFC 6298 (α = 1/8, β = 1/4) and the variance factor K = 4.
const ALPHA: f64 = 0.125;
const BETA: f64 = 0.25;
const K: f64 = 4.0;

/// The round-trip estimator of one transport generation.
#[derive(Debug, Clone)]
pub(crate) struct RttEstimator {
    floor: Duration,
    ceiling: Duration,
    /// Smoothed RTT and RTT variance, in seconds, once a sample arrived.
    estimate: Option<(f64, f64)>,
}

impl RttEstimator {
    /// An estimator bounded by `floor` and `ceiling` (`floor` is lowered to `ceiling` if
    /// it exceeds it).
    pub(crate) fn new(floor: Duration, ceiling: Duration) -> Self {
        Self {
            floor: floor.min(ceiling),
            ceiling,
            estimate: None,
        }
    }

    /// Records one measured round trip (request written → acknowledgement read).
    pub(crate) fn sample(&mut self, rtt: Duration) {
        let r = rtt.as_secs_f64();
        self.estimate = Some(match self.estimate {
            None => (r, r / 2.0),
            Some((srtt, rttvar)) => {
                let rttvar = (1.0 - BETA) * rttvar + BETA * (srtt - r).abs();
                let srtt = (1.0 - ALPHA) * srtt + ALPHA * r;
                (srtt, rttvar)
            }
        });
    }

    /// How long an acknowledgement may take before the link counts as dead: `SRTT +
    /// 4·RTTVAR` within `[floor, ceiling]`; the ceiling until the first sample.
    pub(crate) fn timeout(&self) -> Duration {
        match self.estimate {
            None => self.ceiling,
            Some((srtt, rttvar)) => {
                let secs = srtt + K * rttvar;
                Duration::try_from_secs_f64(secs)
                    .unwrap_or(self.ceiling)
                    .clamp(self.floor, self.ceiling)
            }
        }
    }

    /// The smoothed round trip, once measured.
    pub(crate) fn smoothed(&self) -> Option<Duration> {
        self.estimate
            .and_then(|(srtt, _)| Duration::try_from_secs_f64(srtt).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);
    const FLOOR: Duration = Duration::from_secs(5);
    const CEILING: Duration = Duration::from_secs(30);

    #[test]
    fn the_ceiling_applies_until_the_first_sample() {
        let rtt = RttEstimator::new(FLOOR, CEILING);
        assert_eq!(rtt.timeout(), CEILING);
        assert_eq!(rtt.smoothed(), None);
    }

    #[test]
    fn a_fast_steady_link_gets_the_floor() {
        let mut rtt = RttEstimator::new(FLOOR, CEILING);
        for _ in 0..20 {
            rtt.sample(40 * MS);
        }
        assert_eq!(rtt.timeout(), FLOOR);
        let smoothed = rtt.smoothed().unwrap();
        assert!(smoothed >= 39 * MS && smoothed <= 41 * MS, "{smoothed:?}");
    }

    #[test]
    fn a_slow_jittery_link_gets_room_and_never_more_than_the_ceiling() {
        let mut rtt = RttEstimator::new(FLOOR, CEILING);
        for i in 0..50u64 {
            rtt.sample(Duration::from_millis(2_000 + (i % 5) * 1_000));
        }
        let timeout = rtt.timeout();
        assert!(timeout > Duration::from_secs(5), "{timeout:?}");
        assert!(timeout < CEILING, "{timeout:?}");
        for _ in 0..50 {
            rtt.sample(Duration::from_secs(60));
        }
        assert_eq!(rtt.timeout(), CEILING);
    }

    #[test]
    fn the_variance_follows_a_latency_jump() {
        let mut rtt = RttEstimator::new(Duration::from_millis(100), CEILING);
        for _ in 0..20 {
            rtt.sample(50 * MS);
        }
        let before = rtt.timeout();
        rtt.sample(Duration::from_secs(2));
        assert!(rtt.timeout() > before * 10, "{:?}", rtt.timeout());
    }

    #[test]
    fn odd_bounds_do_not_panic() {
        let mut rtt = RttEstimator::new(CEILING, FLOOR);
        rtt.sample(Duration::MAX);
        assert_eq!(rtt.timeout(), FLOOR);
        rtt.sample(Duration::ZERO);
        assert!(rtt.timeout() <= FLOOR);
    }
}
