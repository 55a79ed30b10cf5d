//! An injectable clock. Decision logic (token expiry, reconnect policy, command queue)
//! reads time only through [`Clock`], so tests can use [`ManualClock`] or tokio's
//! paused time (`tokio::time::pause()`), which [`TokioClock`] follows.

use std::fmt::Debug;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

/// A source of monotonic and wall-clock time.
pub trait Clock: Debug + Send + Sync + 'static {
    /// Monotonic now (follows tokio's paused/advanced time in tests).
    fn now(&self) -> Instant;
    /// Wall-clock now (used for SigV4 timestamps and absolute token expiry).
    fn wall(&self) -> SystemTime;
}

/// The real clock: tokio's `Instant::now()` and `SystemTime::now()`.
#[derive(Debug, Default, Clone, Copy)]
pub struct TokioClock;

impl Clock for TokioClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn wall(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that moves only when told to; monotonic and wall time advance together.
#[derive(Debug, Clone)]
pub struct ManualClock {
    inner: Arc<Mutex<(Instant, SystemTime)>>,
}

impl ManualClock {
    /// Starts at tokio's current instant and the given wall-clock time.
    pub fn new(wall: SystemTime) -> Self {
        Self {
            inner: Arc::new(Mutex::new((Instant::now(), wall))),
        }
    }

    /// Moves both clocks forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut g = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        g.0 += by;
        g.1 += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).0
    }
    fn wall(&self) -> SystemTime {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).1
    }
}

/// A shared clock handle.
pub type SharedClock = Arc<dyn Clock>;

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn manual_clock_advances_both() {
        let c = ManualClock::new(SystemTime::UNIX_EPOCH);
        let (i0, w0) = (c.now(), c.wall());
        c.advance(Duration::from_secs(5));
        assert_eq!(c.now() - i0, Duration::from_secs(5));
        assert_eq!(
            c.wall().duration_since(w0).ok(),
            Some(Duration::from_secs(5))
        );
    }
}
