//! The dashboard's model: the connection state and the latest status of every device,
//! changed only by the client's events. Plain data, so every rule is unit-tested.

use serde::Serialize;

use nwp500::client::DeviceSummary;
use nwp500::events::{format_timestamp, ConnectKind, Event, FailureReason, TimestampedEvent};
use nwp500::protocol::UnitSystem;

use crate::card::DeviceCard;

/// The client's connection, as the page shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Link {
    /// The first connection is being made.
    Connecting {
        /// Attempt number.
        attempt: u64,
    },
    /// Connected to the broker.
    Connected,
    /// Lost; the client is reconnecting by itself.
    Reconnecting {
        /// The attempt under way or scheduled next (`None` right after the loss).
        attempt: Option<u64>,
        /// Wait before that attempt, when one is scheduled.
        retry_in_ms: Option<u64>,
        /// Why the connection was lost (already redacted by the client).
        error: Option<String>,
    },
    /// The client stopped reconnecting (invalid credentials or attempt limit).
    Failed {
        /// Attempts made.
        attempts: u64,
        /// Why it stopped.
        reason: FailureReason,
    },
    /// The client was disconnected (the dashboard is shutting down).
    Disconnected,
}

impl Link {
    /// A short human description, e.g. "reconnecting (attempt 3, in 4.2 s)".
    pub fn label(&self) -> String {
        match self {
            Self::Connecting { attempt: 1 } => "connecting".to_owned(),
            Self::Connecting { attempt } => format!("connecting (attempt {attempt})"),
            Self::Connected => "connected".to_owned(),
            Self::Reconnecting {
                attempt,
                retry_in_ms,
                error,
            } => {
                let mut details = Vec::new();
                if let Some(attempt) = attempt {
                    details.push(format!("attempt {attempt}"));
                }
                if let Some(ms) = retry_in_ms {
                    details.push(format!("in {:.1} s", *ms as f64 / 1000.0));
                }
                if let Some(error) = error {
                    details.push(error.clone());
                }
                if details.is_empty() {
                    "reconnecting".to_owned()
                } else {
                    format!("reconnecting ({})", details.join(", "))
                }
            }
            Self::Failed { attempts, reason } => {
                let why = match reason {
                    FailureReason::InvalidCredentials => "invalid credentials",
                    FailureReason::AttemptLimit => "attempt limit reached",
                };
                format!("failed after {attempts} attempts: {why}")
            }
            Self::Disconnected => "disconnected".to_owned(),
        }
    }
}

/// The connection part of a snapshot.
#[derive(Debug, Clone, Serialize)]
pub struct LinkView<'a> {
    #[serde(flatten)]
    link: &'a Link,
    label: String,
    since: Option<String>,
}

/// Everything the page shows, as sent by `/api/status` and in every server-sent event.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot<'a> {
    connection: LinkView<'a>,
    /// `°F` or `°C`.
    unit: &'static str,
    devices: &'a [DeviceCard],
}

/// The connection state and the devices.
#[derive(Debug, Clone)]
pub struct DashboardState {
    link: Link,
    link_since: Option<String>,
    unit: UnitSystem,
    devices: Vec<DeviceCard>,
}

impl DashboardState {
    /// Before any event: connecting, the client's devices without status.
    pub fn new(devices: &[DeviceSummary], unit: UnitSystem) -> Self {
        Self {
            link: Link::Connecting { attempt: 1 },
            link_since: None,
            unit,
            devices: devices
                .iter()
                .map(|d| DeviceCard::new(&d.mac, &d.name))
                .collect(),
        }
    }

    /// The connection state.
    pub fn link(&self) -> &Link {
        &self.link
    }

    /// The devices, in the client's order (devices first seen in events last).
    #[cfg(test)]
    pub fn devices(&self) -> &[DeviceCard] {
        &self.devices
    }

    /// Applies one event; `true` when something the page shows changed.
    pub fn apply(&mut self, stamped: TimestampedEvent) -> bool {
        let ts = format_timestamp(stamped.ts);
        let link = match stamped.event {
            Event::Status { device, status } => {
                self.card_mut(&device).apply_status(status.to_json(), ts);
                return true;
            }
            Event::Connecting {
                attempt,
                kind: ConnectKind::Initial,
            } => Link::Connecting { attempt },
            Event::Connecting { attempt, .. } => Link::Reconnecting {
                attempt: Some(attempt),
                retry_in_ms: None,
                error: self.last_error(),
            },
            Event::Connected { .. } | Event::Recovered { .. } => Link::Connected,
            Event::Interrupted { error } => Link::Reconnecting {
                attempt: None,
                retry_in_ms: None,
                error: Some(error),
            },
            Event::ReconnectScheduled {
                attempt,
                delay,
                reason,
                ..
            } => Link::Reconnecting {
                attempt: Some(attempt),
                retry_in_ms: Some(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX)),
                error: self.last_error().or(Some(reason)),
            },
            Event::ReconnectionFailed { attempts, reason } => Link::Failed { attempts, reason },
            Event::Disconnected => Link::Disconnected,
            _ => return false,
        };
        if link == self.link {
            return false;
        }
        // "since" is when the state last changed kind, not when its details did.
        if std::mem::discriminant(&link) != std::mem::discriminant(&self.link) {
            self.link_since = ts;
        }
        self.link = link;
        true
    }

    /// The error of the outage under way, kept while the attempt details change.
    fn last_error(&self) -> Option<String> {
        match &self.link {
            Link::Reconnecting { error, .. } => error.clone(),
            _ => None,
        }
    }

    fn card_mut(&mut self, mac: &str) -> &mut DeviceCard {
        let index = match self
            .devices
            .iter()
            .position(|d| d.mac.eq_ignore_ascii_case(mac))
        {
            Some(index) => index,
            None => {
                self.devices.push(DeviceCard::new(mac, ""));
                self.devices.len() - 1
            }
        };
        &mut self.devices[index]
    }

    /// The page's whole content, serialisable.
    pub fn snapshot(&self) -> Snapshot<'_> {
        Snapshot {
            connection: LinkView {
                link: &self.link,
                label: self.link.label(),
                since: self.link_since.clone(),
            },
            unit: self.unit.temperature_symbol(),
            devices: &self.devices,
        }
    }

    /// [`snapshot`](Self::snapshot) as one line of JSON.
    pub fn snapshot_json(&self) -> String {
        // Only strings, numbers, booleans and JSON values: serialisation cannot fail,
        // and an empty object would still be valid JSON for the page.
        serde_json::to_string(&self.snapshot()).unwrap_or_else(|_| "{}".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use nwp500::policy::AttemptKind;
    use serde_json::{json, Value};

    use super::*;

    fn state() -> DashboardState {
        let devices = [DeviceSummary {
            mac: "aabbccddeeff".into(),
            additional_value: "1234".into(),
            device_type: 52,
            name: "Garage Water Heater".into(),
        }];
        DashboardState::new(&devices, UnitSystem::UsCustomary)
    }

    fn at(secs: u64, event: Event) -> TimestampedEvent {
        TimestampedEvent::new(SystemTime::UNIX_EPOCH + Duration::from_secs(secs), event)
    }

    fn json_of(state: &DashboardState) -> Value {
        serde_json::from_str(&state.snapshot_json()).unwrap()
    }

    #[test]
    fn starts_connecting_with_the_devices_and_no_status() {
        let s = state();
        let v = json_of(&s);
        assert_eq!(v["connection"]["state"], "connecting");
        assert_eq!(v["connection"]["label"], "connecting");
        assert_eq!(v["unit"], "°F");
        assert_eq!(v["devices"][0]["key"], "aabbccddeeff");
        assert_eq!(v["devices"][0]["name"], "Garage Water Heater");
        assert_eq!(v["devices"][0]["waterTemperature"], Value::Null);
    }

    #[test]
    fn a_status_updates_its_device() {
        let mut s = state();
        let changed = s.apply(at(
            5,
            Event::Status {
                device: "aabbccddeeff".into(),
                status: json!({"dhwTemperature": 95.0, "dhwTemperatureSetting": 120.0}).into(),
            },
        ));
        assert!(changed);
        let v = json_of(&s);
        assert_eq!(v["devices"][0]["waterTemperature"], 95.0);
        assert_eq!(v["devices"][0]["setpoint"], 120.0);
        assert_eq!(v["devices"][0]["updated"], "1970-01-01T00:00:05.000Z");
        assert_eq!(v["devices"][0]["status"]["dhwTemperature"], 95.0);
        assert_eq!(s.devices().len(), 1);
    }

    #[test]
    fn a_status_of_an_unlisted_device_adds_it() {
        let mut s = state();
        assert!(s.apply(at(
            1,
            Event::Status {
                device: "020000000001".into(),
                status: json!({"dhwTemperature": 100.0}).into(),
            },
        )));
        assert_eq!(s.devices().len(), 2);
        assert_eq!(s.devices()[1].water_temperature, Some(100.0));
    }

    #[test]
    fn the_connection_follows_the_recovery_cycle() {
        let mut s = state();
        assert!(s.apply(at(
            1,
            Event::Connected {
                client_id: "c".into(),
                session_present: false,
                attempt: 1
            }
        )));
        assert_eq!(s.link(), &Link::Connected);
        assert!(s.apply(at(
            2,
            Event::Interrupted {
                error: "keep-alive timeout".into()
            }
        )));
        assert_eq!(s.link().label(), "reconnecting (keep-alive timeout)");
        assert!(s.apply(at(
            3,
            Event::ReconnectScheduled {
                attempt: 3,
                kind: AttemptKind::Quick,
                delay: Duration::from_millis(4_250),
                class: nwp500::policy::FailureKind::Unreachable,
                reason: "connect: network error: connection refused".into(),
            }
        )));
        assert_eq!(
            s.link().label(),
            "reconnecting (attempt 3, in 4.2 s, keep-alive timeout)"
        );
        let v = json_of(&s);
        assert_eq!(v["connection"]["state"], "reconnecting");
        assert_eq!(v["connection"]["attempt"], 3);
        assert_eq!(v["connection"]["retry_in_ms"], 4250);
        // Since the loss, not since the latest attempt detail.
        assert_eq!(v["connection"]["since"], "1970-01-01T00:00:02.000Z");
        assert!(s.apply(at(
            7,
            Event::Connecting {
                attempt: 3,
                kind: ConnectKind::Deep
            }
        )));
        assert_eq!(
            s.link().label(),
            "reconnecting (attempt 3, keep-alive timeout)"
        );
        assert!(s.apply(at(
            8,
            Event::Recovered {
                attempts: 3,
                outage: Duration::from_secs(6)
            }
        )));
        assert_eq!(s.link(), &Link::Connected);
        assert_eq!(
            json_of(&s)["connection"]["since"],
            "1970-01-01T00:00:08.000Z"
        );
    }

    #[test]
    fn failure_and_disconnection_are_shown() {
        let mut s = state();
        assert!(s.apply(at(
            1,
            Event::ReconnectionFailed {
                attempts: 5,
                reason: FailureReason::AttemptLimit
            }
        )));
        assert_eq!(
            s.link().label(),
            "failed after 5 attempts: attempt limit reached"
        );
        assert_eq!(json_of(&s)["connection"]["state"], "failed");
        assert!(s.apply(at(2, Event::Disconnected)));
        assert_eq!(json_of(&s)["connection"]["state"], "disconnected");
    }

    #[test]
    fn events_the_page_does_not_show_change_nothing() {
        let mut s = state();
        let before = s.snapshot_json();
        for event in [
            Event::CommandSent {
                device: "aabbccddeeff".into(),
                command: 1,
            },
            Event::Resubscribed {
                topics: 2,
                failed: 0,
            },
            Event::Feature {
                device: "aabbccddeeff".into(),
                feature: json!({}).into(),
            },
            // Already the state: no change to push.
            Event::Connecting {
                attempt: 1,
                kind: ConnectKind::Initial,
            },
        ] {
            assert!(!s.apply(at(9, event)));
        }
        assert_eq!(s.snapshot_json(), before);
    }

    #[test]
    fn celsius_dashboards_say_so() {
        let s = DashboardState::new(&[], UnitSystem::Metric);
        assert_eq!(json_of(&s)["unit"], "°C");
    }
}
