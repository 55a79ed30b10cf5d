//! Connection diagnostics: counters and durations kept by the supervisor (the owner
//! of every fact they record), readable at any time as a serialisable snapshot.
//!
//! Pure: every method that depends on time takes `now`. Counters saturate; the
//! snapshot holds only integers, booleans and strings (no float, so no infinity or
//! NaN can ever reach the JSON export).
//!
//! ```
//! use std::time::Duration;
//! use nwp500::diagnostics::Diagnostics;
//! use nwp500::policy::AttemptKind;
//!
//! let t0 = tokio::time::Instant::now();
//! let mut d = Diagnostics::new();
//! d.on_connected(t0);
//! d.on_interrupted(t0 + Duration::from_secs(60), "connection reset");
//! d.on_attempt(AttemptKind::Quick);
//! let outage = d.on_connected(t0 + Duration::from_secs(65));
//! assert_eq!(outage, Some(Duration::from_secs(5)));
//! let snap = d.snapshot(t0 + Duration::from_secs(70));
//! assert_eq!((snap.outages, snap.total_downtime_ms, snap.uptime_ms), (1, 5_000, Some(5_000)));
//! ```

use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

use crate::policy::AttemptKind;

/// The running record. See the module docs.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics {
    connected_since: Option<Instant>,
    outage_started: Option<Instant>,
    outages: u64,
    longest_outage: Duration,
    /// Sum of the finished outages.
    finished_downtime: Duration,
    last_error: Option<String>,
    current_outage_attempts: u64,
    total_attempts: u64,
    connects: u64,
    deep_reconnects: u64,
    messages_in: u64,
    messages_out: u64,
    queue_drops: u64,
    queue_expired: u64,
    credential_renewals: u64,
    resubscribe_failures: u64,
    handovers: u64,
    handover_failures: u64,
    last_handover: Option<Duration>,
}

/// A point-in-time view of [`Diagnostics`], serialisable to JSON. Durations are whole
/// milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DiagnosticsSnapshot {
    /// Whether a connection is established.
    pub connected: bool,
    /// Age of the current connection (`null` while disconnected).
    pub uptime_ms: Option<u64>,
    /// Number of interruptions of established connections.
    pub outages: u64,
    /// Age of the current outage (`null` when there is none).
    pub current_outage_ms: Option<u64>,
    /// Longest outage so far, the current one included.
    pub longest_outage_ms: u64,
    /// Total time spent in outages, the current one included.
    pub total_downtime_ms: u64,
    /// The most recent error (interruption or failed attempt), redacted by the caller.
    pub last_error: Option<String>,
    /// Attempts made in the current outage.
    pub current_outage_attempts: u64,
    /// Attempts made in total.
    pub total_attempts: u64,
    /// Successful connections (CONNACKs), the first one included.
    pub connects: u64,
    /// Deep attempts made.
    pub deep_reconnects: u64,
    /// Messages received from the broker.
    pub messages_in: u64,
    /// Messages published.
    pub messages_out: u64,
    /// Queued commands dropped because the queue was full.
    pub queue_drops: u64,
    /// Queued commands dropped because they were too old at flush time.
    pub queue_expired: u64,
    /// Credential renewals (refresh or sign-in).
    pub credential_renewals: u64,
    /// Filters whose resubscription failed.
    pub resubscribe_failures: u64,
    /// Planned handovers completed (a connection replaced before the server's lifetime
    /// cut, without an outage).
    pub handovers: u64,
    /// Planned handovers that did not complete (the connection in use stayed in use).
    pub handover_failures: u64,
    /// How long the last completed handover took (`null` before the first).
    pub last_handover_ms: Option<u64>,
}

impl DiagnosticsSnapshot {
    /// The snapshot of a pool of connections as a whole, from each connection's:
    /// connected when every connection is; the uptime of the youngest connection; the
    /// current outage the longest one under way; counters, outages and downtime summed
    /// (downtime is connection-time: two connections out for a second count two); the
    /// last error of the first connection that has one. One snapshot combines to itself.
    pub fn combine(each: &[DiagnosticsSnapshot]) -> DiagnosticsSnapshot {
        let sum =
            |f: fn(&DiagnosticsSnapshot) -> u64| each.iter().map(f).fold(0u64, u64::saturating_add);
        DiagnosticsSnapshot {
            connected: !each.is_empty() && each.iter().all(|s| s.connected),
            uptime_ms: if each.iter().all(|s| s.connected) {
                each.iter().filter_map(|s| s.uptime_ms).min()
            } else {
                None
            },
            outages: sum(|s| s.outages),
            current_outage_ms: each.iter().filter_map(|s| s.current_outage_ms).max(),
            longest_outage_ms: each.iter().map(|s| s.longest_outage_ms).max().unwrap_or(0),
            total_downtime_ms: sum(|s| s.total_downtime_ms),
            last_error: each.iter().find_map(|s| s.last_error.clone()),
            current_outage_attempts: sum(|s| s.current_outage_attempts),
            total_attempts: sum(|s| s.total_attempts),
            connects: sum(|s| s.connects),
            deep_reconnects: sum(|s| s.deep_reconnects),
            messages_in: sum(|s| s.messages_in),
            messages_out: sum(|s| s.messages_out),
            queue_drops: sum(|s| s.queue_drops),
            queue_expired: sum(|s| s.queue_expired),
            credential_renewals: sum(|s| s.credential_renewals),
            resubscribe_failures: sum(|s| s.resubscribe_failures),
            handovers: sum(|s| s.handovers),
            handover_failures: sum(|s| s.handover_failures),
            last_handover_ms: each.iter().filter_map(|s| s.last_handover_ms).max(),
        }
    }
}

impl Diagnostics {
    /// An empty record.
    pub fn new() -> Self {
        Self::default()
    }

    /// A connection was established. Ends the current outage, if any, and returns
    /// its length.
    pub fn on_connected(&mut self, now: Instant) -> Option<Duration> {
        self.connects = self.connects.saturating_add(1);
        self.connected_since = Some(now);
        self.current_outage_attempts = 0;
        let started = self.outage_started.take()?;
        let outage = now.saturating_duration_since(started);
        self.finished_downtime = self.finished_downtime.saturating_add(outage);
        self.longest_outage = self.longest_outage.max(outage);
        Some(outage)
    }

    /// An established connection was lost: an outage starts (unless one is already
    /// running).
    pub fn on_interrupted(&mut self, now: Instant, error: impl Into<String>) {
        self.last_error = Some(error.into());
        if self.connected_since.take().is_some() {
            self.outages = self.outages.saturating_add(1);
            self.outage_started = Some(now);
        }
    }

    /// The client started while the cloud was out (its first attempt failed): an outage
    /// that began at `since` (unless one is already running).
    pub fn on_start_failed(&mut self, since: Instant, error: impl Into<String>) {
        self.last_error = Some(error.into());
        if self.connected_since.is_none() && self.outage_started.is_none() {
            self.outages = self.outages.saturating_add(1);
            self.outage_started = Some(since);
        }
    }

    /// A connection attempt starts.
    pub fn on_attempt(&mut self, kind: AttemptKind) {
        self.total_attempts = self.total_attempts.saturating_add(1);
        self.current_outage_attempts = self.current_outage_attempts.saturating_add(1);
        if kind == AttemptKind::Deep {
            self.deep_reconnects = self.deep_reconnects.saturating_add(1);
        }
    }

    /// An attempt failed.
    pub fn on_attempt_failed(&mut self, error: impl Into<String>) {
        self.last_error = Some(error.into());
    }

    /// The application disconnected: not an outage; a running outage ends here
    /// (its time counts as downtime).
    pub fn on_disconnected(&mut self, now: Instant) {
        self.connected_since = None;
        if let Some(started) = self.outage_started.take() {
            let outage = now.saturating_duration_since(started);
            self.finished_downtime = self.finished_downtime.saturating_add(outage);
            self.longest_outage = self.longest_outage.max(outage);
        }
    }

    /// A message arrived from the broker.
    pub fn on_message_in(&mut self) {
        self.messages_in = self.messages_in.saturating_add(1);
    }

    /// Sets the traffic totals from their sources (messages received, publishes
    /// acknowledged); the totals never go down.
    pub fn record_traffic(&mut self, messages_in: u64, messages_out: u64) {
        self.messages_in = self.messages_in.max(messages_in);
        self.messages_out = self.messages_out.max(messages_out);
    }

    /// Records one message published (acknowledged).
    pub fn on_message_out(&mut self) {
        self.messages_out = self.messages_out.saturating_add(1);
    }

    /// A queued command was dropped because the queue was full.
    pub fn on_queue_drop(&mut self) {
        self.queue_drops = self.queue_drops.saturating_add(1);
    }

    /// A queued command expired before it could be sent.
    pub fn on_queue_expired(&mut self) {
        self.queue_expired = self.queue_expired.saturating_add(1);
    }

    /// Credentials were renewed.
    pub fn on_credentials_renewed(&mut self) {
        self.credential_renewals = self.credential_renewals.saturating_add(1);
    }

    /// `failed` filters could not be resubscribed.
    pub fn on_resubscribe_failures(&mut self, failed: u64) {
        self.resubscribe_failures = self.resubscribe_failures.saturating_add(failed);
    }

    /// A planned handover completed in `took`: the connection stays up, no outage.
    pub fn on_handover(&mut self, took: Duration) {
        self.handovers = self.handovers.saturating_add(1);
        self.last_handover = Some(took);
    }

    /// A planned handover failed; the connection in use stays in use.
    pub fn on_handover_failed(&mut self, error: impl Into<String>) {
        self.handover_failures = self.handover_failures.saturating_add(1);
        self.last_error = Some(error.into());
    }

    /// The record as of `now`.
    pub fn snapshot(&self, now: Instant) -> DiagnosticsSnapshot {
        let current_outage = self
            .outage_started
            .map(|started| now.saturating_duration_since(started));
        let longest = self
            .longest_outage
            .max(current_outage.unwrap_or(Duration::ZERO));
        let downtime = self
            .finished_downtime
            .saturating_add(current_outage.unwrap_or(Duration::ZERO));
        DiagnosticsSnapshot {
            connected: self.connected_since.is_some(),
            uptime_ms: self
                .connected_since
                .map(|since| millis(now.saturating_duration_since(since))),
            outages: self.outages,
            current_outage_ms: current_outage.map(millis),
            longest_outage_ms: millis(longest),
            total_downtime_ms: millis(downtime),
            last_error: self.last_error.clone(),
            current_outage_attempts: self.current_outage_attempts,
            total_attempts: self.total_attempts,
            connects: self.connects,
            deep_reconnects: self.deep_reconnects,
            messages_in: self.messages_in,
            messages_out: self.messages_out,
            queue_drops: self.queue_drops,
            queue_expired: self.queue_expired,
            credential_renewals: self.credential_renewals,
            resubscribe_failures: self.resubscribe_failures,
            handovers: self.handovers,
            handover_failures: self.handover_failures,
            last_handover_ms: self.last_handover.map(millis),
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use serde_json::json;

    use super::*;
    use crate::clock::{Clock, ManualClock};

    const SEC: Duration = Duration::from_secs(1);

    #[tokio::test(start_paused = true)]
    async fn a_pool_combines_its_connections() {
        let c = ManualClock::new(SystemTime::UNIX_EPOCH);
        let mut a = Diagnostics::new();
        let mut b = Diagnostics::new();
        a.on_connected(c.now());
        b.on_connected(c.now());
        c.advance(10 * SEC);
        b.on_interrupted(c.now(), "reset");
        b.on_message_in();
        a.on_message_in();
        c.advance(2 * SEC);
        let (sa, sb) = (a.snapshot(c.now()), b.snapshot(c.now()));
        let pool = DiagnosticsSnapshot::combine(&[sa.clone(), sb.clone()]);
        assert!(!pool.connected);
        assert_eq!(pool.uptime_ms, None);
        assert_eq!((pool.outages, pool.current_outage_ms), (1, Some(2_000)));
        assert_eq!(
            (pool.messages_in, pool.last_error.as_deref()),
            (2, Some("reset"))
        );
        b.on_connected(c.now());
        c.advance(SEC);
        let pool = DiagnosticsSnapshot::combine(&[a.snapshot(c.now()), b.snapshot(c.now())]);
        assert!(pool.connected);
        assert_eq!(pool.uptime_ms, Some(1_000), "the youngest connection's");
        assert_eq!(DiagnosticsSnapshot::combine(std::slice::from_ref(&sa)), sa);
        assert!(!DiagnosticsSnapshot::combine(&[]).connected);
    }

    #[tokio::test(start_paused = true)]
    async fn outages_downtime_and_counters() {
        let c = ManualClock::new(SystemTime::UNIX_EPOCH);
        let mut d = Diagnostics::new();
        let empty = d.snapshot(c.now());
        assert!(!empty.connected);
        assert_eq!((empty.uptime_ms, empty.current_outage_ms), (None, None));

        d.on_attempt(AttemptKind::Quick);
        assert_eq!(
            d.on_connected(c.now()),
            None,
            "first connect ends no outage"
        );
        c.advance(100 * SEC);
        d.on_message_in();
        d.on_message_out();
        d.on_interrupted(c.now(), "keep-alive timeout");
        c.advance(10 * SEC);
        d.on_interrupted(c.now(), "second report of the same outage");
        for kind in [AttemptKind::Quick, AttemptKind::Quick, AttemptKind::Deep] {
            d.on_attempt(kind);
            d.on_attempt_failed("connection refused");
        }
        c.advance(20 * SEC);
        let mid = d.snapshot(c.now());
        assert_eq!(mid.current_outage_ms, Some(30_000));
        assert_eq!(mid.longest_outage_ms, 30_000);
        assert_eq!(mid.total_downtime_ms, 30_000);
        assert_eq!(mid.current_outage_attempts, 3);
        assert_eq!(mid.last_error.as_deref(), Some("connection refused"));

        d.on_attempt(AttemptKind::Quick);
        assert_eq!(d.on_connected(c.now()), Some(30 * SEC));
        c.advance(5 * SEC);
        d.on_interrupted(c.now(), "reset");
        c.advance(2 * SEC);
        d.on_connected(c.now());
        c.advance(SEC);
        d.on_queue_drop();
        d.on_queue_expired();
        d.on_credentials_renewed();
        d.on_resubscribe_failures(2);
        d.on_handover_failed("connect: refused");
        d.on_handover(Duration::from_millis(40));
        d.on_handover(Duration::from_millis(25));

        let snap = d.snapshot(c.now());
        assert_eq!(
            serde_json::to_value(&snap).unwrap(),
            json!({
                "connected": true,
                "uptime_ms": 1_000,
                "outages": 2,
                "current_outage_ms": null,
                "longest_outage_ms": 30_000,
                "total_downtime_ms": 32_000,
                "last_error": "connect: refused",
                "current_outage_attempts": 0,
                "total_attempts": 5,
                "connects": 3,
                "deep_reconnects": 1,
                "messages_in": 1,
                "messages_out": 1,
                "queue_drops": 1,
                "queue_expired": 1,
                "credential_renewals": 1,
                "resubscribe_failures": 2,
                "handovers": 2,
                "handover_failures": 1,
                "last_handover_ms": 25
            })
        );
    }

    #[tokio::test(start_paused = true)]
    async fn application_disconnect_is_not_an_outage() {
        let c = ManualClock::new(SystemTime::UNIX_EPOCH);
        let mut d = Diagnostics::new();
        d.on_connected(c.now());
        c.advance(SEC);
        d.on_disconnected(c.now());
        let snap = d.snapshot(c.now());
        assert_eq!(
            (snap.connected, snap.outages, snap.total_downtime_ms),
            (false, 0, 0)
        );
        // An outage in progress when the application disconnects ends there.
        d.on_connected(c.now());
        d.on_interrupted(c.now(), "x");
        c.advance(3 * SEC);
        d.on_disconnected(c.now());
        c.advance(100 * SEC);
        let snap = d.snapshot(c.now());
        assert_eq!((snap.outages, snap.total_downtime_ms), (1, 3_000));
        assert_eq!(snap.current_outage_ms, None);
    }

    #[tokio::test(start_paused = true)]
    async fn counters_saturate() {
        let c = ManualClock::new(SystemTime::UNIX_EPOCH);
        let mut d = Diagnostics {
            total_attempts: u64::MAX,
            messages_in: u64::MAX,
            resubscribe_failures: u64::MAX - 1,
            finished_downtime: Duration::MAX,
            ..Diagnostics::default()
        };
        d.on_attempt(AttemptKind::Deep);
        d.on_message_in();
        d.on_resubscribe_failures(10);
        d.on_connected(c.now());
        d.on_interrupted(c.now(), "x");
        c.advance(SEC);
        let snap = d.snapshot(c.now());
        assert_eq!(snap.total_attempts, u64::MAX);
        assert_eq!(snap.messages_in, u64::MAX);
        assert_eq!(snap.resubscribe_failures, u64::MAX);
        assert_eq!(snap.total_downtime_ms, u64::MAX);
        assert!(serde_json::to_string(&snap).is_ok());
    }
}
