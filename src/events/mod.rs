//! The typed events the client reports to the application.
//!
//! [`Event`] serialises (serde, internally tagged by `"event"`) to the JSON lines the
//! monitor prints; [`TimestampedEvent`] adds `"ts"` (RFC 3339, UTC, milliseconds).
//! Durations appear as whole milliseconds in fields ending in `_ms`.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use nwp500::{AttemptKind, Event, FailureKind, TimestampedEvent};
//!
//! let event = Event::ReconnectScheduled {
//!     attempt: 3,
//!     kind: AttemptKind::Quick,
//!     delay: Duration::from_millis(4_250),
//!     class: FailureKind::Unreachable,
//!     reason: "connect: WebSocket upgrade rejected with HTTP 503".into(),
//! };
//! let line = TimestampedEvent::new(SystemTime::UNIX_EPOCH, event);
//! assert_eq!(
//!     serde_json::to_value(&line).unwrap(),
//!     serde_json::json!({
//!         "ts": "1970-01-01T00:00:00.000Z",
//!         "event": "reconnect_scheduled",
//!         "attempt": 3,
//!         "kind": "quick",
//!         "delay_ms": 4250,
//!         "class": "unreachable",
//!         "reason": "connect: WebSocket upgrade rejected with HTTP 503"
//!     })
//! );
//! ```

use std::time::{Duration, SystemTime};

use serde::Serialize;

pub use crate::policy::{AttemptKind, FailureKind};
use crate::protocol::{Feature, MacAddress, Status};

mod report;

pub use report::Report;

/// How credentials were renewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RenewalMethod {
    /// `POST /auth/refresh` with the refresh token.
    Refresh,
    /// A full `POST /user/sign-in` with email and password.
    SignIn,
}

/// Why a connection was handed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum HandoverReason {
    /// The connection was about to reach the server's maximum lifetime
    /// (`connection_lifetime`, 24 h on AWS IoT Core).
    Lifetime,
}

/// Why the client stopped reconnecting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FailureReason {
    /// The sign-in was answered with "invalid credentials".
    InvalidCredentials,
    /// The configured `max_reconnect_attempts` was reached.
    AttemptLimit,
}

/// An event of the client's life, in the monitor's JSON shape.
///
/// `device` fields hold the device's [`MacAddress`]: its `Display` and `Debug` are
/// redacted for logs, while JSON carries it in full, as used in topics (12 lowercase hex
/// digits). `command` fields hold the numeric command code (docs/protocol.md §5.3).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// A connection attempt starts now.
    Connecting {
        /// Attempt number within the current cycle (1 for the initial connection).
        attempt: u64,
        /// Initial, quick or deep.
        kind: AttemptKind,
    },
    /// The broker accepted the connection (CONNACK).
    Connected {
        /// The MQTT client id in use.
        client_id: String,
        /// Whether the broker kept a session (AWS IoT with clean sessions: never).
        session_present: bool,
        /// The attempt that succeeded.
        attempt: u64,
    },
    /// An established connection was lost.
    Interrupted {
        /// What happened, redacted (no URL, token or full MAC).
        error: String,
    },
    /// The next attempt is scheduled.
    ReconnectScheduled {
        /// Its number (the `attempt` of the `connecting` event that follows).
        attempt: u64,
        /// Quick or deep.
        kind: AttemptKind,
        /// Wait before it starts (`delay_ms`).
        #[serde(rename = "delay_ms", with = "millis")]
        delay: Duration,
        /// The class of what happened: `interrupted`, `unreachable`, `auth_rejected`,
        /// `credentials`, `restore` or `other`.
        class: FailureKind,
        /// What happened, redacted (no URL query, token or full MAC).
        reason: String,
    },
    /// The device list became known after a start during an outage (when the cloud
    /// answered at start, [`Client::devices`](crate::client::Client::devices) has it
    /// from the start and this event is not sent).
    DevicesDiscovered {
        /// The devices now followed.
        devices: Vec<MacAddress>,
    },
    /// The account's device list changed (read again every `device_list_interval`):
    /// devices added are followed, devices removed are forgotten; the others are not
    /// disturbed.
    DevicesChanged {
        /// Devices now followed.
        added: Vec<MacAddress>,
        /// Devices no longer followed.
        removed: Vec<MacAddress>,
    },
    /// Credentials were renewed.
    CredentialsRenewed {
        /// Refresh or full sign-in.
        method: RenewalMethod,
    },
    /// Subscriptions were replayed after a connection without a session.
    Resubscribed {
        /// Number of filters acknowledged.
        topics: usize,
        /// Number of filters refused or unanswered (retried at the next replay).
        failed: usize,
    },
    /// The outage is over: connected, resubscribed, queue flushed. Exactly one per outage.
    Recovered {
        /// Attempts the recovery took.
        attempts: u64,
        /// From the interruption to the recovery (`outage_ms`).
        #[serde(rename = "outage_ms", with = "millis")]
        outage: Duration,
    },
    /// The client stopped reconnecting (invalid credentials or attempt limit).
    ReconnectionFailed {
        /// Attempts made.
        attempts: u64,
        /// Why it stopped.
        reason: FailureReason,
    },
    /// The connection was handed over to a new one before the server's lifetime cut
    /// (make-before-break): no outage, no `interrupted`, no `recovered`.
    HandedOver {
        /// The client id of the connection now in use.
        client_id: String,
        /// The client id of the connection it replaced (now closed).
        previous_client_id: String,
        /// From the start of the handover until the new connection was in use (`took_ms`).
        #[serde(rename = "took_ms", with = "millis")]
        took: Duration,
        /// Why: the connection was about to reach the server's maximum lifetime.
        reason: HandoverReason,
    },
    /// A planned handover did not complete: the connection in use stays in use.
    HandoverFailed {
        /// What went wrong, redacted.
        error: String,
        /// When the next try starts (`retry_in_ms`); `None` when the cut comes first and
        /// will be recovered from as an ordinary interruption.
        #[serde(rename = "retry_in_ms", with = "opt_millis")]
        retry_in: Option<Duration>,
    },
    /// A command was queued because the client is offline.
    CommandQueued {
        /// Target device.
        device: MacAddress,
        /// Command code.
        command: u32,
        /// Queue length after queuing.
        queue_len: usize,
    },
    /// A command (live or from the queue) was acknowledged by the broker.
    CommandSent {
        /// Target device.
        device: MacAddress,
        /// Command code.
        command: u32,
    },
    /// A queued command was older than the maximum age at flush time and was dropped.
    CommandExpired {
        /// Target device.
        device: MacAddress,
        /// Command code.
        command: u32,
        /// Its age when it was dropped (`age_ms`).
        #[serde(rename = "age_ms", with = "millis")]
        age: Duration,
    },
    /// A queued command was dropped because the queue was full.
    CommandDropped {
        /// Target device.
        device: MacAddress,
        /// Command code.
        command: u32,
    },
    /// A device refused a control: a `controlfail` frame (docs/protocol.md §5.8), e.g. a
    /// control that came too soon after the previous one. The command reached the device
    /// and was not applied; sending it again later may work. One event per frame.
    CommandRefused {
        /// The device: the one the frame names or, as frames usually name none, the only
        /// followed device of the frame's device type. `None` when that cannot be told
        /// (several followed devices of that type).
        device: Option<MacAddress>,
        /// The refused command's code, when the frame names it (it usually does not).
        command: Option<u32>,
        /// The frame's `failCode`, when it is a number (`2`: too soon).
        fail_code: Option<i64>,
        /// What the code means, for people (e.g. "too soon after the previous control").
        reason: String,
    },
    /// A status report from a device.
    Status {
        /// The device.
        device: MacAddress,
        /// The decoded `response.status` object, shared by every listener.
        status: Report<Status>,
    },
    /// A feature (device info) report from a device.
    Feature {
        /// The device.
        device: MacAddress,
        /// The decoded `response.feature` object, shared by every listener.
        feature: Report<Feature>,
    },
    /// The application disconnected the client.
    Disconnected,
}

impl Event {
    /// The `"event"` tag of this event (e.g. `"reconnect_scheduled"`).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Connecting { .. } => "connecting",
            Self::Connected { .. } => "connected",
            Self::Interrupted { .. } => "interrupted",
            Self::ReconnectScheduled { .. } => "reconnect_scheduled",
            Self::DevicesDiscovered { .. } => "devices_discovered",
            Self::DevicesChanged { .. } => "devices_changed",
            Self::CredentialsRenewed { .. } => "credentials_renewed",
            Self::Resubscribed { .. } => "resubscribed",
            Self::Recovered { .. } => "recovered",
            Self::ReconnectionFailed { .. } => "reconnection_failed",
            Self::HandedOver { .. } => "handed_over",
            Self::HandoverFailed { .. } => "handover_failed",
            Self::CommandQueued { .. } => "command_queued",
            Self::CommandSent { .. } => "command_sent",
            Self::CommandExpired { .. } => "command_expired",
            Self::CommandDropped { .. } => "command_dropped",
            Self::CommandRefused { .. } => "command_refused",
            Self::Status { .. } => "status",
            Self::Feature { .. } => "feature",
            Self::Disconnected => "disconnected",
        }
    }

    /// Attaches a wall-clock timestamp.
    pub fn at(self, ts: SystemTime) -> TimestampedEvent {
        TimestampedEvent::new(ts, self)
    }
}

/// An [`Event`] with the wall-clock time it happened; serialises as the event's
/// object plus `"ts"` (e.g. `"2026-11-28T01:02:03.456Z"`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimestampedEvent {
    /// When it happened.
    #[serde(with = "rfc3339_millis")]
    pub ts: SystemTime,
    /// The connection of the client's pool it concerns (`"connection"`: 0 for the first;
    /// an account with more devices than one connection may serve has several), when it
    /// concerns one; absent for events of the client as a whole (commands sent by the
    /// application).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection: Option<usize>,
    /// What happened.
    #[serde(flatten)]
    pub event: Event,
}

impl TimestampedEvent {
    /// Pairs `event` with `ts`.
    pub fn new(ts: SystemTime, event: Event) -> Self {
        Self {
            ts,
            connection: None,
            event,
        }
    }

    /// The same event, about connection `index` of the pool.
    pub fn on_connection(mut self, index: usize) -> Self {
        self.connection = Some(index);
        self
    }
}

/// Formats `t` as RFC 3339 in UTC with exactly three fractional digits
/// (truncated), e.g. `2026-11-28T01:02:03.456Z`. `None` if `t` lies outside the
/// years 0000–9999.
pub fn format_timestamp(t: SystemTime) -> Option<String> {
    const FORMAT: &[time::format_description::BorrowedFormatItem<'static>] = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    let nanos: i128 = match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => i128::try_from(after.as_nanos()).ok()?,
        Err(before) => -i128::try_from(before.duration().as_nanos()).ok()?,
    };
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()?
        .format(FORMAT)
        .ok()
}

/// Parses an RFC 3339 timestamp (any offset) into a `SystemTime`.
pub fn parse_timestamp(text: &str) -> Option<SystemTime> {
    let parsed =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    let secs = parsed.unix_timestamp();
    let subsec = Duration::from_nanos(u64::from(parsed.nanosecond()));
    let whole = Duration::from_secs(secs.unsigned_abs());
    if secs >= 0 {
        SystemTime::UNIX_EPOCH
            .checked_add(whole)?
            .checked_add(subsec)
    } else {
        SystemTime::UNIX_EPOCH
            .checked_sub(whole)?
            .checked_add(subsec)
    }
}

mod rfc3339_millis {
    use std::time::SystemTime;

    use serde::{ser, Serializer};

    pub(super) fn serialize<S: Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
        match super::format_timestamp(*t) {
            Some(text) => s.serialize_str(&text),
            None => Err(ser::Error::custom("timestamp outside years 0000-9999")),
        }
    }
}

mod millis {
    use std::time::Duration;

    use serde::Serializer;

    pub(super) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
}

mod opt_millis {
    use std::time::Duration;

    use serde::Serializer;

    pub(super) fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => super::millis::serialize(d, s),
            None => s.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    use crate::protocol::UnitSystem;

    fn json_of(event: Event) -> Value {
        serde_json::to_value(&event).unwrap()
    }

    fn mac() -> MacAddress {
        MacAddress::new("aabbccddeeff").unwrap()
    }

    const MAC: &str = "aabbccddeeff";

    /// The first raw status and feature payloads of the oracle's recordings.
    fn oracle_raw(jsonl: &str) -> Value {
        let first = jsonl.lines().next().unwrap();
        serde_json::from_str::<Value>(first).unwrap()["raw"].clone()
    }

    fn status_report(unit: UnitSystem) -> Report<Status> {
        let raw = oracle_raw(include_str!("../../tests/data/oracle/status.jsonl"));
        Report::new(serde_json::from_value::<Status>(raw).unwrap(), unit)
    }

    fn feature_report(unit: UnitSystem) -> Report<Feature> {
        let raw = oracle_raw(include_str!("../../tests/data/oracle/feature.jsonl"));
        Report::new(serde_json::from_value::<Feature>(raw).unwrap(), unit)
    }

    #[test]
    fn connecting() {
        assert_eq!(
            json_of(Event::Connecting {
                attempt: 1,
                kind: AttemptKind::Initial
            }),
            json!({"event": "connecting", "attempt": 1, "kind": "initial"})
        );
        assert_eq!(
            json_of(Event::Connecting {
                attempt: 10,
                kind: AttemptKind::Deep
            }),
            json!({"event": "connecting", "attempt": 10, "kind": "deep"})
        );
    }

    #[test]
    fn connected() {
        assert_eq!(
            json_of(Event::Connected {
                client_id: "navien-client-0a1b2c3d".into(),
                session_present: false,
                attempt: 3
            }),
            json!({"event": "connected", "client_id": "navien-client-0a1b2c3d",
                   "session_present": false, "attempt": 3})
        );
    }

    #[test]
    fn interrupted() {
        assert_eq!(
            json_of(Event::Interrupted {
                error: "keep-alive timeout".into()
            }),
            json!({"event": "interrupted", "error": "keep-alive timeout"})
        );
    }

    #[test]
    fn reconnect_scheduled() {
        assert_eq!(
            json_of(Event::ReconnectScheduled {
                attempt: 4,
                kind: AttemptKind::Quick,
                delay: Duration::from_micros(8_123_999),
                class: FailureKind::Interrupted,
                reason: "transport failed: connection reset".into(),
            }),
            json!({"event": "reconnect_scheduled", "attempt": 4, "kind": "quick", "delay_ms": 8123,
                   "class": "interrupted", "reason": "transport failed: connection reset"})
        );
    }

    #[test]
    fn credentials_renewed() {
        assert_eq!(
            json_of(Event::CredentialsRenewed {
                method: RenewalMethod::Refresh
            }),
            json!({"event": "credentials_renewed", "method": "refresh"})
        );
        assert_eq!(
            json_of(Event::CredentialsRenewed {
                method: RenewalMethod::SignIn
            }),
            json!({"event": "credentials_renewed", "method": "sign_in"})
        );
    }

    #[test]
    fn resubscribed() {
        assert_eq!(
            json_of(Event::Resubscribed {
                topics: 3,
                failed: 1
            }),
            json!({"event": "resubscribed", "topics": 3, "failed": 1})
        );
    }

    #[test]
    fn recovered() {
        assert_eq!(
            json_of(Event::Recovered {
                attempts: 12,
                outage: Duration::from_secs(601)
            }),
            json!({"event": "recovered", "attempts": 12, "outage_ms": 601_000})
        );
    }

    #[test]
    fn reconnection_failed() {
        assert_eq!(
            json_of(Event::ReconnectionFailed {
                attempts: 5,
                reason: FailureReason::AttemptLimit
            }),
            json!({"event": "reconnection_failed", "attempts": 5, "reason": "attempt_limit"})
        );
        assert_eq!(
            json_of(Event::ReconnectionFailed {
                attempts: 0,
                reason: FailureReason::InvalidCredentials
            }),
            json!({"event": "reconnection_failed", "attempts": 0, "reason": "invalid_credentials"})
        );
    }

    #[test]
    fn command_queued() {
        assert_eq!(
            json_of(Event::CommandQueued {
                device: mac(),
                command: 33_554_437,
                queue_len: 2
            }),
            json!({"event": "command_queued", "device": MAC, "command": 33_554_437, "queue_len": 2})
        );
    }

    #[test]
    fn command_sent() {
        assert_eq!(
            json_of(Event::CommandSent {
                device: mac(),
                command: 16_777_219
            }),
            json!({"event": "command_sent", "device": MAC, "command": 16_777_219})
        );
    }

    #[test]
    fn command_expired() {
        assert_eq!(
            json_of(Event::CommandExpired {
                device: mac(),
                command: 33_554_433,
                age: Duration::from_millis(300_001)
            }),
            json!({"event": "command_expired", "device": MAC, "command": 33_554_433, "age_ms": 300_001})
        );
    }

    #[test]
    fn command_dropped() {
        assert_eq!(
            json_of(Event::CommandDropped {
                device: mac(),
                command: 33_554_433
            }),
            json!({"event": "command_dropped", "device": MAC, "command": 33_554_433})
        );
    }

    #[test]
    fn command_refused() {
        assert_eq!(
            json_of(Event::CommandRefused {
                device: Some(mac()),
                command: None,
                fail_code: Some(2),
                reason: "too soon after the previous control".into(),
            }),
            json!({"event": "command_refused", "device": MAC, "command": null, "fail_code": 2,
                   "reason": "too soon after the previous control"})
        );
        assert_eq!(
            json_of(Event::CommandRefused {
                device: None,
                command: Some(33_554_464),
                fail_code: None,
                reason: "no failure code given".into(),
            }),
            json!({"event": "command_refused", "device": null, "command": 33_554_464,
                   "fail_code": null, "reason": "no failure code given"})
        );
    }

    #[test]
    fn status_carries_the_typed_status_and_serialises_it_in_its_unit() {
        let report = status_report(UnitSystem::UsCustomary);
        let recorded: Value = serde_json::from_str(
            include_str!("../../tests/data/oracle/status.jsonl")
                .lines()
                .next()
                .unwrap(),
        )
        .unwrap();
        let event = Event::Status {
            device: mac(),
            status: report.clone(),
        };
        let v = json_of(event.clone());
        assert_eq!(v["event"], "status");
        assert_eq!(v["device"], MAC);
        assert_eq!(
            v["status"]["dhwTemperature"],
            recorded["decoded_f"]["dhwTemperature"]
        );
        let Event::Status { status, .. } = event else {
            unreachable!()
        };
        // Typed access through the shared model, no JSON involved.
        assert_eq!(status.dhw_temperature, report.dhw_temperature);
        assert!(std::sync::Arc::ptr_eq(status.shared(), report.shared()));
    }

    #[test]
    fn feature_serialises_in_its_unit() {
        let recorded: Value = serde_json::from_str(
            include_str!("../../tests/data/oracle/feature.jsonl")
                .lines()
                .next()
                .unwrap(),
        )
        .unwrap();
        let v = json_of(Event::Feature {
            device: mac(),
            feature: feature_report(UnitSystem::Metric),
        });
        assert_eq!(v["event"], "feature");
        assert_eq!(v["device"], MAC);
        assert_eq!(
            v["feature"]["controllerSerialNumber"],
            recorded["decoded_c"]["controllerSerialNumber"]
        );
    }

    #[test]
    fn disconnected() {
        assert_eq!(
            json_of(Event::Disconnected),
            json!({"event": "disconnected"})
        );
    }

    #[test]
    fn names_match_the_tags() {
        let all = [
            Event::Connecting {
                attempt: 1,
                kind: AttemptKind::Quick,
            },
            Event::Connected {
                client_id: String::new(),
                session_present: true,
                attempt: 0,
            },
            Event::Interrupted {
                error: String::new(),
            },
            Event::ReconnectScheduled {
                attempt: 1,
                kind: AttemptKind::Deep,
                delay: Duration::MAX,
                class: FailureKind::Credentials,
                reason: String::new(),
            },
            Event::DevicesDiscovered {
                devices: vec![mac()],
            },
            Event::DevicesChanged {
                added: vec![mac()],
                removed: Vec::new(),
            },
            Event::CredentialsRenewed {
                method: RenewalMethod::SignIn,
            },
            Event::Resubscribed {
                topics: 0,
                failed: 0,
            },
            Event::Recovered {
                attempts: 1,
                outage: Duration::ZERO,
            },
            Event::ReconnectionFailed {
                attempts: 1,
                reason: FailureReason::AttemptLimit,
            },
            Event::HandedOver {
                client_id: String::new(),
                previous_client_id: String::new(),
                took: Duration::ZERO,
                reason: HandoverReason::Lifetime,
            },
            Event::HandoverFailed {
                error: String::new(),
                retry_in: None,
            },
            Event::CommandQueued {
                device: mac(),
                command: 1,
                queue_len: 1,
            },
            Event::CommandSent {
                device: mac(),
                command: 1,
            },
            Event::CommandExpired {
                device: mac(),
                command: 1,
                age: Duration::ZERO,
            },
            Event::CommandDropped {
                device: mac(),
                command: 1,
            },
            Event::CommandRefused {
                device: None,
                command: None,
                fail_code: None,
                reason: String::new(),
            },
            Event::Status {
                device: mac(),
                status: status_report(UnitSystem::Metric),
            },
            Event::Feature {
                device: mac(),
                feature: feature_report(UnitSystem::Metric),
            },
            Event::Disconnected,
        ];
        for event in all {
            let v = json_of(event.clone());
            assert_eq!(v["event"], event.name());
        }
    }

    #[test]
    fn handovers_serialise_with_milliseconds() {
        let v = json_of(Event::HandedOver {
            client_id: "navien-client-0a1b2c3d-h".into(),
            previous_client_id: "navien-client-0a1b2c3d".into(),
            took: Duration::from_millis(412),
            reason: HandoverReason::Lifetime,
        });
        assert_eq!(
            v,
            json!({"event": "handed_over", "client_id": "navien-client-0a1b2c3d-h",
                   "previous_client_id": "navien-client-0a1b2c3d", "took_ms": 412,
                   "reason": "lifetime"})
        );
        let v = json_of(Event::HandoverFailed {
            error: "connect: refused".into(),
            retry_in: Some(Duration::from_secs(2)),
        });
        assert_eq!(v["retry_in_ms"], json!(2000));
        let v = json_of(Event::HandoverFailed {
            error: String::new(),
            retry_in: None,
        });
        assert_eq!(v["retry_in_ms"], Value::Null);
    }

    #[test]
    fn saturating_millis() {
        let v = json_of(Event::ReconnectScheduled {
            attempt: 1,
            kind: AttemptKind::Deep,
            delay: Duration::MAX,
            class: FailureKind::Unreachable,
            reason: String::new(),
        });
        assert_eq!(v["delay_ms"], json!(u64::MAX));
    }

    #[test]
    fn timestamped_event_is_flat_with_millisecond_utc_ts() {
        let ts = SystemTime::UNIX_EPOCH + Duration::from_nanos(1_795_827_723_456_789_123);
        let line = Event::Interrupted {
            error: "reset".into(),
        }
        .at(ts);
        assert_eq!(
            serde_json::to_value(&line).unwrap(),
            json!({"ts": "2026-11-28T01:02:03.456Z", "event": "interrupted", "error": "reset"})
        );
        let text = serde_json::to_string(&line).unwrap();
        assert!(text.starts_with(r#"{"ts":"2026-11-28T01:02:03.456Z","event":"interrupted""#));
    }

    #[test]
    fn timestamps_read_back_to_the_millisecond() {
        let ts = SystemTime::UNIX_EPOCH + Duration::from_millis(1_795_827_723_456);
        let line = serde_json::to_value(Event::Disconnected.at(ts)).unwrap();
        assert_eq!(parse_timestamp(line["ts"].as_str().unwrap()), Some(ts));
    }

    #[test]
    fn timestamps_before_the_epoch_and_out_of_range() {
        let before = SystemTime::UNIX_EPOCH - Duration::from_millis(1_500);
        assert_eq!(
            format_timestamp(before).as_deref(),
            Some("1969-12-31T23:59:58.500Z")
        );
        assert_eq!(parse_timestamp("1969-12-31T23:59:58.500Z"), Some(before));
        let far = SystemTime::UNIX_EPOCH + Duration::from_secs(400_000_000_000);
        assert_eq!(format_timestamp(far), None);
        assert!(serde_json::to_value(Event::Disconnected.at(far)).is_err());
        assert_eq!(parse_timestamp("yesterday"), None);
    }
}
