//! [`KeepAlive`]: the MQTT keep-alive, defaulted and validated here and nowhere else.

use std::time::Duration;

use super::ConfigError;

/// A validated MQTT keep-alive: whole seconds within 1 s..=1200 s (AWS IoT accepts at most
/// 1200 s). Only [`KeepAlive::new`] makes one, so whoever holds one need not check it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct KeepAlive(Duration);

impl KeepAlive {
    /// The default keep-alive (60 s).
    pub const DEFAULT: Self = Self(Duration::from_secs(60));
    /// The shortest accepted keep-alive.
    pub const MIN: Duration = Duration::from_secs(1);
    /// The longest accepted keep-alive (AWS IoT's limit).
    pub const MAX: Duration = Duration::from_secs(1200);

    /// Validates `value`: whole seconds within [`MIN`](Self::MIN)..=[`MAX`](Self::MAX).
    pub fn new(value: Duration) -> Result<Self, ConfigError> {
        let in_range = (Self::MIN..=Self::MAX).contains(&value);
        if in_range && value.subsec_nanos() == 0 {
            Ok(Self(value))
        } else {
            Err(ConfigError::invalid(
                "keep_alive",
                format!("{value:?}"),
                "whole seconds within 1 s..=1200 s",
            ))
        }
    }

    /// The keep-alive as a duration.
    pub fn get(self) -> Duration {
        self.0
    }
}

impl Default for KeepAlive {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl TryFrom<Duration> for KeepAlive {
    type Error = ConfigError;

    fn try_from(value: Duration) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    #[test]
    fn whole_seconds_from_one_to_1200_are_accepted() {
        for secs in [1, 30, 60, 1199, 1200] {
            assert_eq!(
                KeepAlive::new(secs * SEC).map(KeepAlive::get),
                Ok(secs * SEC)
            );
        }
    }

    #[test]
    fn out_of_range_or_fractional_values_are_refused() {
        for value in [
            Duration::ZERO,
            Duration::from_millis(999),
            Duration::from_millis(1500),
            1201 * SEC,
            65_536 * SEC,
            Duration::MAX,
        ] {
            let error = KeepAlive::new(value).unwrap_err();
            assert_eq!(error.option(), "keep_alive", "{value:?}");
        }
    }

    #[test]
    fn the_default_is_sixty_seconds_and_valid() {
        assert_eq!(KeepAlive::default().get(), 60 * SEC);
        assert_eq!(
            KeepAlive::new(KeepAlive::DEFAULT.get()),
            Ok(KeepAlive::DEFAULT)
        );
    }
}
