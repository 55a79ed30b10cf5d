//! The gateway's log of every connection, and the questions tests ask of it.

use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;

/// How a client reached the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// `ws://…/mqtt` with a SigV4-presigned query.
    WebSocket,
    /// Plain MQTT over TCP (no signing).
    Tcp,
}

/// How a connection ended (or `Open` while it lasts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "detail")]
pub enum ConnectionOutcome {
    /// Still open.
    Open,
    /// The client closed it (EOF, DISCONNECT, WebSocket close).
    ClientClosed,
    /// The upgrade was answered with HTTP 403 (bad or expired signature, forced rejection) or,
    /// on the TCP listener, CONNECT was answered "not authorized". The text says why.
    Rejected(String),
    /// Accepted at TCP level and reset at once (refuse-connections fault or broker restart).
    Refused,
    /// Closed because a newer connection arrived with the same client id.
    DuplicateClientId,
    /// Closed by [`Simulator::kick`](crate::Simulator::kick).
    Kicked,
    /// Closed after the maximum connection lifetime.
    LifetimeExceeded,
    /// Closed by [`Simulator::drop_all_connections`](crate::Simulator::drop_all_connections).
    Dropped,
    /// Closed by [`Simulator::restart_broker`](crate::Simulator::restart_broker).
    BrokerRestart,
    /// The broker ended the session (keep-alive expired, malformed packet, refused CONNECT).
    BrokerClosed,
    /// The WebSocket handshake failed, or the first packet was not a CONNECT.
    ProtocolError,
    /// The simulator shut down.
    Shutdown,
    /// The WebSocket upgrade was answered with this HTTP status by
    /// [`Simulator::set_upgrade_status`](crate::Simulator::set_upgrade_status).
    UpgradeStatus(u16),
    /// The upgrade request (WebSocket) or the CONNECT (either listener) was read and the socket
    /// closed without an answer, by
    /// [`Simulator::set_close_during_handshake`](crate::Simulator::set_close_during_handshake).
    ClosedDuringHandshake,
    /// The CONNECT was answered with a CONNACK carrying this refusal code, then closed, by
    /// [`Simulator::set_connack_refusal`](crate::Simulator::set_connack_refusal).
    ConnackRefused(u8),
    /// Closed a set time after its CONNACK by
    /// [`Simulator::set_kick_after_connack`](crate::Simulator::set_kick_after_connack).
    KickedAfterConnack,
    /// The CONNECT came sooner than
    /// [`AwsQuotas::min_connect_interval_per_client_id`](crate::AwsQuotas::min_connect_interval_per_client_id)
    /// after the last accepted CONNECT of its client id, and was closed without a CONNACK.
    ConnectThrottled,
    /// Closed on a SUBSCRIBE with more filters than
    /// [`AwsQuotas::max_filters_per_subscribe`](crate::AwsQuotas::max_filters_per_subscribe)
    /// (no SUBACK was sent).
    TooManyFilters,
}

/// One entry of the connection log.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectionRecord {
    /// Sequence number (0, 1, 2, … in accept order).
    pub id: u64,
    /// Listener it arrived on.
    pub transport: Transport,
    /// Remote address.
    pub peer: SocketAddr,
    /// Client id from the MQTT CONNECT, once seen.
    pub client_id: Option<String>,
    /// Wall-clock time of the TCP accept.
    pub opened_at: SystemTime,
    /// Monotonic time of the TCP accept.
    #[serde(skip)]
    pub opened: Instant,
    /// Monotonic time at which the gateway had the whole CONNECT packet, whatever was answered
    /// (accepted, refused by CONNACK code, closed unanswered). `None` if no CONNECT arrived.
    #[serde(skip)]
    pub connect_received: Option<Instant>,
    /// Wall-clock time of [`connect_received`](Self::connect_received).
    pub connect_received_at: Option<SystemTime>,
    /// Monotonic time at which the CONNECT was forwarded to the broker (the connection became
    /// live for its client id).
    #[serde(skip)]
    pub connected: Option<Instant>,
    /// Monotonic time it closed.
    #[serde(skip)]
    pub closed: Option<Instant>,
    /// How it ended.
    pub outcome: ConnectionOutcome,
    /// Whether it was black-holed at some point (a half-open link).
    pub blackholed: bool,
    /// SUBSCRIBEs left unanswered on it by
    /// [`Simulator::set_withhold_suback`](crate::Simulator::set_withhold_suback). The connection
    /// stays open, so its outcome says how it ended later; this says it never got a SUBACK.
    pub subacks_withheld: u32,
    /// Topic filters refused (SUBACK `0x80`) because the connection held
    /// [`AwsQuotas::max_subscriptions_per_connection`](crate::AwsQuotas::max_subscriptions_per_connection)
    /// already.
    pub subscriptions_refused: u32,
    /// PUBLISH packets from the client dropped (not delivered, not acknowledged) by
    /// [`AwsQuotas::max_inbound_publishes_per_second`](crate::AwsQuotas::max_inbound_publishes_per_second).
    pub publishes_throttled: u32,
    /// Deliveries to the client that waited for a PUBACK because
    /// [`AwsQuotas::max_inflight_outbound`](crate::AwsQuotas::max_inflight_outbound) QoS 1
    /// messages were unacknowledged.
    pub deliveries_held: u32,
    /// Open duration in milliseconds, once closed.
    pub duration_ms: Option<u128>,
}

impl ConnectionRecord {
    /// Time from accept to close (`None` while open).
    pub fn duration(&self) -> Option<Duration> {
        self.closed
            .map(|c| c.saturating_duration_since(self.opened))
    }

    /// Whether the connection is still open.
    pub fn is_open(&self) -> bool {
        self.closed.is_none()
    }
}

/// Thread-safe append-only log.
#[derive(Default)]
pub(crate) struct ConnLog {
    records: Mutex<Vec<ConnectionRecord>>,
}

impl ConnLog {
    fn lock(&self) -> MutexGuard<'_, Vec<ConnectionRecord>> {
        self.records.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a new TCP accept and returns its id.
    pub(crate) fn open(&self, transport: Transport, peer: SocketAddr) -> u64 {
        let mut records = self.lock();
        let id = records.len() as u64;
        records.push(ConnectionRecord {
            id,
            transport,
            peer,
            client_id: None,
            opened_at: SystemTime::now(),
            opened: Instant::now(),
            connect_received: None,
            connect_received_at: None,
            connected: None,
            closed: None,
            outcome: ConnectionOutcome::Open,
            blackholed: false,
            subacks_withheld: 0,
            subscriptions_refused: 0,
            publishes_throttled: 0,
            deliveries_held: 0,
            duration_ms: None,
        });
        id
    }

    fn with<R>(&self, id: u64, f: impl FnOnce(&mut ConnectionRecord) -> R) -> Option<R> {
        let mut records = self.lock();
        usize::try_from(id)
            .ok()
            .and_then(|i| records.get_mut(i))
            .map(f)
    }

    /// Records the arrival of the CONNECT packet, before anything is decided about it.
    pub(crate) fn set_connect_received(&self, id: u64, client_id: &str, at: Instant) {
        let wall = SystemTime::now();
        self.with(id, |r| {
            r.client_id = Some(client_id.to_owned());
            r.connect_received = Some(at);
            r.connect_received_at = Some(wall);
        });
    }

    pub(crate) fn note_suback_withheld(&self, id: u64) {
        self.with(id, |r| {
            r.subacks_withheld = r.subacks_withheld.saturating_add(1)
        });
    }

    pub(crate) fn note_subscription_refused(&self, id: u64) {
        self.with(id, |r| {
            r.subscriptions_refused = r.subscriptions_refused.saturating_add(1)
        });
    }

    pub(crate) fn note_publish_throttled(&self, id: u64) {
        self.with(id, |r| {
            r.publishes_throttled = r.publishes_throttled.saturating_add(1)
        });
    }

    pub(crate) fn note_delivery_held(&self, id: u64) {
        self.with(id, |r| {
            r.deliveries_held = r.deliveries_held.saturating_add(1)
        });
    }

    pub(crate) fn set_connected(&self, id: u64, client_id: &str, at: Instant) {
        self.with(id, |r| {
            r.client_id = Some(client_id.to_owned());
            r.connected = Some(at);
        });
    }

    pub(crate) fn mark_blackholed(&self, id: u64) {
        self.with(id, |r| r.blackholed = true);
    }

    /// Closes a record; the first close wins (later calls keep the original outcome).
    pub(crate) fn close(&self, id: u64, outcome: ConnectionOutcome, at: Instant) {
        self.with(id, |r| {
            if r.closed.is_none() {
                r.closed = Some(at);
                r.outcome = outcome;
                r.duration_ms = Some(at.saturating_duration_since(r.opened).as_millis());
            }
        });
    }

    pub(crate) fn snapshot(&self) -> Vec<ConnectionRecord> {
        self.lock().clone()
    }
}

/// The largest number of connections of `client_id` that were live at the same time.
///
/// A connection is live from the forwarding of its CONNECT to its close. A connection closed
/// because a newer one arrived with the same id counts as overlapping that newer one (the client
/// had two open at once), so any duplicate-id kick makes the answer at least 2.
pub fn max_concurrent_connections(records: &[ConnectionRecord], client_id: &str) -> usize {
    // (time, order, delta): at equal times ordinary closes come first, then opens, then closes
    // caused by a duplicate-id takeover.
    let mut events: Vec<(Instant, u8, i64)> = Vec::new();
    for r in records
        .iter()
        .filter(|r| r.client_id.as_deref() == Some(client_id))
    {
        let Some(start) = r.connected else { continue };
        events.push((start, 1, 1));
        if let Some(end) = r.closed {
            let order = if r.outcome == ConnectionOutcome::DuplicateClientId {
                2
            } else {
                0
            };
            events.push((end, order, -1));
        }
    }
    events.sort();
    let (mut live, mut max) = (0i64, 0i64);
    for (_, _, delta) in events {
        live += delta;
        max = max.max(live);
    }
    usize::try_from(max).unwrap_or(0)
}

/// The instants at which CONNECT packets of `client_id` arrived, in order: every CONNECT the
/// gateway read, including refused ones and ones closed unanswered.
pub fn connect_times(records: &[ConnectionRecord], client_id: &str) -> Vec<Instant> {
    let mut times: Vec<Instant> = records
        .iter()
        .filter(|r| r.client_id.as_deref() == Some(client_id))
        // `connected` alone only for records built by hand without the CONNECT instant.
        .filter_map(|r| r.connect_received.or(r.connected))
        .collect();
    times.sort();
    times
}

/// The shortest time between two consecutive CONNECT packets of `client_id` as the gateway
/// received them, refused ones included (`None` with fewer than two).
pub fn min_connect_gap(records: &[ConnectionRecord], client_id: &str) -> Option<Duration> {
    connect_times(records, client_id)
        .windows(2)
        .map(|w| w[1].saturating_duration_since(w[0]))
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 1))
    }

    #[test]
    fn sequential_connections_never_overlap() {
        let log = ConnLog::default();
        let t = Instant::now();
        let a = log.open(Transport::WebSocket, peer());
        log.set_connected(a, "c", t);
        log.close(
            a,
            ConnectionOutcome::ClientClosed,
            t + Duration::from_secs(1),
        );
        let b = log.open(Transport::WebSocket, peer());
        log.set_connected(b, "c", t + Duration::from_secs(1));
        let records = log.snapshot();
        assert_eq!(max_concurrent_connections(&records, "c"), 1);
        assert_eq!(min_connect_gap(&records, "c"), Some(Duration::from_secs(1)));
        assert_eq!(max_concurrent_connections(&records, "other"), 0);
        assert_eq!(min_connect_gap(&records, "other"), None);
    }

    #[test]
    fn duplicate_id_takeover_counts_as_two_live() {
        let log = ConnLog::default();
        let t = Instant::now();
        let a = log.open(Transport::WebSocket, peer());
        log.set_connected(a, "c", t);
        let b = log.open(Transport::WebSocket, peer());
        let kick = t + Duration::from_millis(300);
        log.close(a, ConnectionOutcome::DuplicateClientId, kick);
        log.set_connected(b, "c", kick);
        let records = log.snapshot();
        assert_eq!(max_concurrent_connections(&records, "c"), 2);
        assert_eq!(
            min_connect_gap(&records, "c"),
            Some(Duration::from_millis(300))
        );
    }

    #[test]
    fn refused_connects_count_for_the_gap_but_not_as_live() {
        let log = ConnLog::default();
        let t = Instant::now();
        let a = log.open(Transport::WebSocket, peer());
        log.set_connect_received(a, "c", t);
        log.close(a, ConnectionOutcome::ConnackRefused(3), t);
        let b = log.open(Transport::WebSocket, peer());
        let later = t + Duration::from_millis(40);
        log.set_connect_received(b, "c", later);
        log.set_connected(b, "c", later);
        let records = log.snapshot();
        assert_eq!(connect_times(&records, "c"), vec![t, later]);
        assert_eq!(
            min_connect_gap(&records, "c"),
            Some(Duration::from_millis(40))
        );
        assert_eq!(max_concurrent_connections(&records, "c"), 1);
    }

    #[test]
    fn first_close_wins() {
        let log = ConnLog::default();
        let a = log.open(Transport::Tcp, peer());
        let t = Instant::now();
        log.close(a, ConnectionOutcome::Kicked, t);
        log.close(
            a,
            ConnectionOutcome::ClientClosed,
            t + Duration::from_secs(1),
        );
        let r = &log.snapshot()[0];
        assert_eq!(r.outcome, ConnectionOutcome::Kicked);
        assert_eq!(r.closed, Some(t));
        assert!(!r.is_open());
    }
}
