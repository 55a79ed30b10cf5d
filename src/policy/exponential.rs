//! The exponential part of the delay: `initial × multiplier^step`, capped.
//!
//! A closed form rather than an iterator: the policy moves its step both ways (up with
//! each failure, down with healthy connected time), so the base must be computable for
//! any step, in constant time, without float overflow however large the step.

use std::time::Duration;

/// Base delay of backoff step `step` (0 for the first attempt):
/// `min(initial × multiplier^step, max)`. `multiplier` must be finite and ≥ 1 and
/// `max ≥ initial` (see [`PolicyConfig::sanitized`](super::PolicyConfig)).
pub(crate) fn base_delay(initial: Duration, max: Duration, multiplier: f64, step: u32) -> Duration {
    // powi saturates to +inf for huge steps, which the cap below absorbs.
    let exponent = i32::try_from(step).unwrap_or(i32::MAX);
    let secs = initial.as_secs_f64() * multiplier.powi(exponent);
    if !secs.is_finite() || secs >= max.as_secs_f64() {
        return max;
    }
    Duration::try_from_secs_f64(secs).map_or(max, |d| d.min(max))
}

/// `base` scaled by `1 + jitter × (2 × unit − 1)` (`unit` uniform in `[0, 1)`, `jitter`
/// in `[0, 1]`) and capped at `max`.
pub(crate) fn jittered(base: Duration, jitter: f64, unit: f64, max: Duration) -> Duration {
    if jitter == 0.0 {
        return base;
    }
    let factor = 1.0 + jitter * (2.0 * unit - 1.0);
    let secs = base.as_secs_f64() * factor;
    if secs >= max.as_secs_f64() {
        max
    } else {
        Duration::try_from_secs_f64(secs).map_or(max, |d| d.min(max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    #[test]
    fn doubles_from_the_initial_delay_up_to_the_cap() {
        let got: Vec<u64> = (0..10)
            .map(|step| base_delay(SEC, 120 * SEC, 2.0, step).as_secs())
            .collect();
        assert_eq!(got, [1, 2, 4, 8, 16, 32, 64, 120, 120, 120]);
    }

    #[test]
    fn huge_steps_and_values_stay_at_the_cap() {
        assert_eq!(base_delay(SEC, 120 * SEC, 2.0, u32::MAX), 120 * SEC);
        assert_eq!(
            base_delay(Duration::MAX, Duration::MAX, f64::MAX, 7),
            Duration::MAX
        );
        assert_eq!(base_delay(SEC, 10 * SEC, 1.0, u32::MAX), SEC);
    }
}
