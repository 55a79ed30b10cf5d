//! The CONNECT-rate quota per client id (AWS IoT: one CONNECT per second per client id).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// When each client id last had a CONNECT accepted.
#[derive(Default)]
pub(crate) struct ConnectRate {
    last_accepted: Mutex<HashMap<String, Instant>>,
}

impl ConnectRate {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Instant>> {
        self.last_accepted.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Admits a CONNECT of `client_id` arriving `now` and records it, or refuses it with the
    /// time since the last accepted one when that is shorter than `min`. A refused CONNECT is
    /// not recorded: the interval counts from accepted CONNECTs, so a client retrying faster
    /// than the quota still gets in once per interval. `None` admits everything.
    pub(crate) fn admit(
        &self,
        client_id: &str,
        now: Instant,
        min: Option<Duration>,
    ) -> Result<(), Duration> {
        let mut last = self.lock();
        if let (Some(min), Some(previous)) = (min, last.get(client_id)) {
            let since = now.saturating_duration_since(*previous);
            if since < min {
                return Err(since);
            }
        }
        last.insert(client_id.to_owned(), now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_accepted_connect_per_interval_per_client_id() {
        let rate = ConnectRate::default();
        let t = Instant::now();
        let second = Some(Duration::from_secs(1));
        assert_eq!(rate.admit("a", t, second), Ok(()));
        assert_eq!(rate.admit("b", t, second), Ok(()), "other ids are apart");
        let early = t + Duration::from_millis(400);
        assert_eq!(
            rate.admit("a", early, second),
            Err(Duration::from_millis(400))
        );
        // Counted from the accepted CONNECT, not from the refused one.
        assert_eq!(rate.admit("a", t + Duration::from_secs(1), second), Ok(()));
        assert_eq!(rate.admit("a", t + Duration::from_secs(1), None), Ok(()));
    }
}
