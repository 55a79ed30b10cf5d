//! The dashboard's model: the connection state, the latest status of every device, their
//! histories and the connection's story, changed by the client's events (and the
//! controls' requests). Plain data, so every rule is unit-tested.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime};

use serde::Serialize;

use nwp500::client::DeviceSummary;
use nwp500::events::{format_timestamp, AttemptKind, Event, FailureReason, TimestampedEvent};
use nwp500::protocol::{MacAddress, UnitSystem};

use crate::card::DeviceCard;
use crate::controls::{Answer, Control};
use crate::history::{Histories, HistoryView, Sample, PAGE_SAMPLES};
use crate::limits::Limits;
use crate::story::{Episode, Story};

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
                    _ => "stopped",
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

/// A sample just added to a device's history, sent with the frame that shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Appended {
    /// The device's key.
    pub device: String,
    /// The sample.
    pub sample: Sample,
}

/// Everything the page shows, as sent by `/api/status` and in every server-sent event.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot<'a> {
    connection: LinkView<'a>,
    /// `°F` or `°C`.
    unit: &'static str,
    /// The server's time (ms since the Unix epoch): the charts' time axis ends here,
    /// whatever the browser's clock says.
    now: u64,
    /// The history window (ms).
    window_ms: u64,
    devices: &'a [DeviceCard],
    /// The connection's story, oldest first.
    episodes: &'a VecDeque<Episode>,
    /// Every device's history: only in the first frame of an event stream.
    #[serde(skip_serializing_if = "Option::is_none")]
    history: Option<HistoryView>,
    /// The sample a status added: in the frame of that status.
    #[serde(skip_serializing_if = "Option::is_none")]
    appended: Option<&'a Appended>,
}

/// What applying one event did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Applied {
    /// Something the page shows changed.
    pub changed: bool,
    /// A status added this sample to its device's history.
    pub appended: Option<Appended>,
}

/// The whole model.
#[derive(Debug, Clone)]
pub struct DashboardState {
    link: Link,
    link_since: Option<String>,
    unit: UnitSystem,
    devices: Vec<DeviceCard>,
    histories: Histories,
    story: Story,
}

impl DashboardState {
    /// Before any event: connecting, the client's devices without status; histories and
    /// story keep `window`, and at most `samples` samples per device.
    pub fn new(
        devices: &[DeviceSummary],
        unit: UnitSystem,
        window: Duration,
        samples: usize,
    ) -> Self {
        let histories = Histories::new(window, samples);
        Self {
            link: Link::Connecting { attempt: 1 },
            link_since: None,
            unit,
            devices: devices
                .iter()
                .map(|d| DeviceCard::new(&d.mac, &d.name))
                .collect(),
            story: Story::new(histories.window_ms()),
            histories,
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

    /// The connection's story.
    #[cfg(test)]
    pub fn story(&self) -> &Story {
        &self.story
    }

    /// Applies one event.
    pub fn apply(&mut self, stamped: TimestampedEvent) -> Applied {
        let at = unix_ms(stamped.ts);
        let ts = format_timestamp(stamped.ts);
        let mut applied = Applied {
            changed: self.story.apply(at, &stamped.event),
            appended: None,
        };
        match stamped.event {
            Event::Status { device, status } => {
                let status = status.to_json();
                let sample = Sample::from_status(at, &status);
                let card = self.card_mut(device.as_str());
                card.apply_status(status, ts);
                let key = card.key.clone();
                self.histories.push(&key, sample);
                applied.changed = true;
                applied.appended = Some(Appended {
                    device: key,
                    sample,
                });
            }
            Event::Feature { device, feature } => {
                let limits = Limits::from_feature(&feature.to_json());
                let card = self.card_mut(device.as_str());
                if card.limits != limits {
                    card.limits = limits;
                    applied.changed = true;
                }
            }
            Event::DevicesDiscovered { devices } => {
                for mac in devices {
                    if self.card_index(mac.as_str()).is_none() {
                        self.devices.push(DeviceCard::new(mac.as_str(), ""));
                        applied.changed = true;
                    }
                }
            }
            refused @ Event::CommandRefused { device: None, .. } => {
                // Not attributable: shown on every device.
                for card in &mut self.devices {
                    applied.changed |= card.controls.apply(at, &refused);
                }
            }
            command @ (Event::CommandQueued { .. }
            | Event::CommandSent { .. }
            | Event::CommandExpired { .. }
            | Event::CommandDropped { .. }
            | Event::CommandRefused { .. }) => {
                if let Some(index) = command_device(&command).and_then(|d| self.card_index(d)) {
                    applied.changed |= self.devices[index].controls.apply(at, &command);
                }
            }
            other => {
                if let Some(link) = self.link_after(&other) {
                    applied.changed |= self.set_link(link, ts);
                }
            }
        }
        self.mark_stale();
        applied
    }

    /// The connection state after `event`, if it is one that changes it.
    fn link_after(&self, event: &Event) -> Option<Link> {
        Some(match event {
            Event::Connecting {
                attempt,
                kind: AttemptKind::Initial,
            } => Link::Connecting { attempt: *attempt },
            Event::Connecting { attempt, .. } => Link::Reconnecting {
                attempt: Some(*attempt),
                retry_in_ms: None,
                error: self.last_error(),
            },
            Event::Connected { .. } | Event::Recovered { .. } => Link::Connected,
            Event::Interrupted { error } => Link::Reconnecting {
                attempt: None,
                retry_in_ms: None,
                error: Some(error.clone()),
            },
            Event::ReconnectScheduled {
                attempt,
                delay,
                reason,
                ..
            } => Link::Reconnecting {
                attempt: Some(*attempt),
                retry_in_ms: Some(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX)),
                error: self.last_error().or(Some(reason.clone())),
            },
            Event::ReconnectionFailed { attempts, reason } => Link::Failed {
                attempts: *attempts,
                reason: *reason,
            },
            Event::Disconnected => Link::Disconnected,
            _ => return None,
        })
    }

    /// Sets the connection state; `true` when it changed.
    fn set_link(&mut self, link: Link, ts: Option<String>) -> bool {
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

    /// A device's values are stale while the link is not up.
    fn mark_stale(&mut self) {
        let up = self.link == Link::Connected;
        for card in &mut self.devices {
            card.stale = !up && card.updated.is_some();
        }
    }

    /// The error of the outage under way, kept while the attempt details change.
    fn last_error(&self) -> Option<String> {
        match &self.link {
            Link::Reconnecting { error, .. } => error.clone(),
            _ => None,
        }
    }

    fn card_index(&self, mac: &str) -> Option<usize> {
        self.devices
            .iter()
            .position(|d| d.mac.eq_ignore_ascii_case(mac))
    }

    fn card_mut(&mut self, mac: &str) -> &mut DeviceCard {
        let index = match self.card_index(mac) {
            Some(index) => index,
            None => {
                self.devices.push(DeviceCard::new(mac, ""));
                self.devices.len() - 1
            }
        };
        &mut self.devices[index]
    }

    /// A setting was given through `control` of the device `mac`; `false` when the
    /// dashboard does not show that device.
    pub fn control_requested(
        &mut self,
        mac: &str,
        control: Control,
        value: String,
        code: u32,
        at: SystemTime,
    ) -> bool {
        match self.card_index(mac) {
            Some(index) => {
                self.devices[index]
                    .controls
                    .requested(control, value, code, unix_ms(at));
                true
            }
            None => false,
        }
    }

    /// The client answered the latest request of `control` of the device `mac`.
    pub fn control_answered(
        &mut self,
        mac: &str,
        control: Control,
        answer: Answer,
        at: SystemTime,
    ) {
        if let Some(index) = self.card_index(mac) {
            self.devices[index]
                .controls
                .answered(control, answer, unix_ms(at));
        }
    }

    /// Forgets the samples and episodes older than the window before `now`.
    pub fn prune(&mut self, now: SystemTime) {
        let now = unix_ms(now);
        self.histories.prune(now);
        self.story.prune(now);
    }

    fn snapshot<'a>(
        &'a self,
        now: SystemTime,
        history: Option<HistoryView>,
        appended: Option<&'a Appended>,
    ) -> Snapshot<'a> {
        Snapshot {
            connection: LinkView {
                link: &self.link,
                label: self.link.label(),
                since: self.link_since.clone(),
            },
            unit: self.unit.temperature_symbol(),
            now: unix_ms(now),
            window_ms: self.histories.window_ms(),
            devices: &self.devices,
            episodes: self.story.episodes(),
            history,
            appended,
        }
    }

    /// The page's content at `now` as one line of JSON (`/api/status`).
    pub fn snapshot_json(&self, now: SystemTime) -> String {
        to_json(&self.snapshot(now, None, None))
    }

    /// The first frame of an event stream: the content and every device's history
    /// (at most [`PAGE_SAMPLES`] samples each).
    pub fn opening_json(&self, now: SystemTime) -> String {
        let history = self.histories.view(PAGE_SAMPLES);
        to_json(&self.snapshot(now, Some(history), None))
    }

    /// A frame after a change: the content, and the sample the change added.
    pub fn update_json(&self, now: SystemTime, appended: Option<&Appended>) -> String {
        to_json(&self.snapshot(now, None, appended))
    }

    /// Every kept sample of every device (`/api/history`).
    pub fn history_json(&self) -> String {
        to_json(&self.histories.view(usize::MAX))
    }
}

/// The device a command event is about.
fn command_device(event: &Event) -> Option<&str> {
    match event {
        Event::CommandQueued { device, .. }
        | Event::CommandSent { device, .. }
        | Event::CommandExpired { device, .. }
        | Event::CommandDropped { device, .. } => Some(device.as_str()),
        Event::CommandRefused { device, .. } => device.as_ref().map(MacAddress::as_str),
        _ => None,
    }
}

/// Milliseconds since the Unix epoch (0 before it).
pub fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(crate::history::millis)
        .unwrap_or(0)
}

/// Only strings, numbers, booleans, JSON values and maps with string keys: serialisation
/// cannot fail, and an empty object would still be valid JSON for the page.
fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "{}".to_owned())
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use nwp500::AttemptKind;
    use serde_json::{json, Value};

    use super::*;
    use crate::controls::Stage;

    const MAC: &str = "aabbccddeeff";
    const HOUR: Duration = Duration::from_secs(3600);

    fn state() -> DashboardState {
        let mut device = DeviceSummary::from_mac(MAC);
        device.additional_value = "1234".into();
        device.name = "Garage Water Heater".into();
        let devices = [device];
        DashboardState::new(&devices, UnitSystem::UsCustomary, HOUR, 1_000)
    }

    fn time(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn at(secs: u64, event: Event) -> TimestampedEvent {
        TimestampedEvent::new(time(secs), event)
    }

    fn json_of(state: &DashboardState) -> Value {
        serde_json::from_str(&state.snapshot_json(time(100))).unwrap()
    }

    /// A status with `wire` fields (half-degrees and tenths of a degree Celsius), read
    /// back exactly in metric.
    fn status(secs: u64, wire: Value) -> TimestampedEvent {
        at(
            secs,
            Event::Status {
                device: crate::test_reports::mac(MAC),
                status: crate::test_reports::status(wire, UnitSystem::Metric),
            },
        )
    }

    #[test]
    fn starts_connecting_with_the_devices_and_no_status() {
        let s = state();
        let v = json_of(&s);
        assert_eq!(v["connection"]["state"], "connecting");
        assert_eq!(v["connection"]["label"], "connecting");
        assert_eq!(v["unit"], "°F");
        assert_eq!(v["now"], 100_000);
        assert_eq!(v["windowMs"], 3_600_000);
        assert_eq!(v["episodes"], json!([]));
        assert_eq!(v["devices"][0]["key"], "aabbccddeeff");
        assert_eq!(v["devices"][0]["name"], "Garage Water Heater");
        assert_eq!(v["devices"][0]["waterTemperature"], Value::Null);
        assert_eq!(v["devices"][0]["stale"], false);
        assert!(v.get("history").is_none() && v.get("appended").is_none());
    }

    #[test]
    fn a_status_updates_its_device_and_its_history() {
        let mut s = state();
        let applied = s.apply(status(
            5,
            json!({"dhwTemperature": 190, "dhwTemperatureSetting": 240,
                   "tankUpperTemperature": 1015}),
        ));
        assert!(applied.changed);
        let appended = applied.appended.unwrap();
        assert_eq!(appended.device, MAC);
        assert_eq!(appended.sample.t, 5_000);
        assert_eq!(appended.sample.upper, Some(101.5));
        let v = json_of(&s);
        assert_eq!(v["devices"][0]["waterTemperature"], 95.0);
        assert_eq!(v["devices"][0]["setpoint"], 120.0);
        assert_eq!(v["devices"][0]["updated"], "1970-01-01T00:00:05.000Z");
        assert_eq!(v["devices"][0]["status"]["dhwTemperature"], 95.0);
        assert_eq!(s.devices().len(), 1);

        let frame: Value = serde_json::from_str(&s.update_json(time(6), Some(&appended))).unwrap();
        assert_eq!(frame["appended"]["device"], MAC);
        assert_eq!(frame["appended"]["sample"]["setpoint"], 120.0);
    }

    #[test]
    fn the_opening_frame_has_every_history_and_api_history_too() {
        let mut s = state();
        for secs in 1..=3 {
            s.apply(status(
                secs,
                json!({"tankUpperTemperature": 1000 + 10 * secs}),
            ));
        }
        let opening: Value = serde_json::from_str(&s.opening_json(time(4))).unwrap();
        let samples = opening["history"]["devices"][MAC].as_array().unwrap();
        assert_eq!(samples.len(), 3);
        assert_eq!(samples[2]["upper"], 103.0);
        assert_eq!(opening["history"]["windowMs"], 3_600_000);
        let all: Value = serde_json::from_str(&s.history_json()).unwrap();
        assert_eq!(all["devices"][MAC].as_array().unwrap().len(), 3);
        // An hour and more later, without a status: nothing is left.
        s.prune(time(3 + 3_600 + 1));
        let all: Value = serde_json::from_str(&s.history_json()).unwrap();
        assert_eq!(all["devices"][MAC], json!([]));
    }

    #[test]
    fn a_status_of_an_unlisted_device_adds_it() {
        let mut s = state();
        assert!(
            s.apply(at(
                1,
                Event::Status {
                    device: crate::test_reports::mac("020000000001"),
                    status: crate::test_reports::status(
                        json!({"dhwTemperature": 200}),
                        UnitSystem::Metric,
                    ),
                },
            ))
            .changed
        );
        assert_eq!(s.devices().len(), 2);
        assert_eq!(s.devices()[1].water_temperature, Some(100.0));
    }

    #[test]
    fn devices_discovered_late_get_their_cards() {
        let mut s = DashboardState::new(&[], UnitSystem::UsCustomary, HOUR, 10);
        assert!(
            s.apply(at(
                1,
                Event::DevicesDiscovered {
                    devices: vec![crate::test_reports::mac(MAC)]
                }
            ))
            .changed
        );
        assert_eq!(s.devices().len(), 1);
        assert!(
            !s.apply(at(
                2,
                Event::DevicesDiscovered {
                    devices: vec![crate::test_reports::mac(MAC)]
                }
            ))
            .changed
        );
    }

    #[test]
    fn the_feature_report_gives_the_control_limits() {
        let mut s = state();
        let feature = Event::Feature {
            device: crate::test_reports::mac(MAC),
            feature: crate::test_reports::feature(
                json!({"dhwTemperatureMin": 190, "dhwTemperatureMax": 300}),
                UnitSystem::Metric,
            ),
        };
        assert!(s.apply(at(1, feature.clone())).changed);
        let v = json_of(&s);
        assert_eq!(v["devices"][0]["limits"]["setpointMin"], 95.0);
        assert_eq!(v["devices"][0]["limits"]["setpointMax"], 150.0);
        assert!(!s.apply(at(2, feature)).changed, "the same limits again");
    }

    #[test]
    fn the_connection_follows_the_recovery_cycle_and_the_story_records_it() {
        let mut s = state();
        s.apply(status(1, json!({"dhwTemperature": 240})));
        assert!(
            s.apply(at(
                1,
                Event::Connected {
                    client_id: "c".into(),
                    session_present: false,
                    attempt: 1
                }
            ))
            .changed
        );
        assert_eq!(s.link(), &Link::Connected);
        assert_eq!(json_of(&s)["devices"][0]["stale"], false);
        assert!(
            s.apply(at(
                2,
                Event::Interrupted {
                    error: "keep-alive timeout".into()
                }
            ))
            .changed
        );
        assert_eq!(s.link().label(), "reconnecting (keep-alive timeout)");
        // The last known values are kept, marked stale, with the outage under way.
        let v = json_of(&s);
        assert_eq!(v["devices"][0]["stale"], true);
        assert_eq!(v["devices"][0]["waterTemperature"], 120.0);
        assert_eq!(v["episodes"][0]["outcome"], "ongoing");
        assert_eq!(v["episodes"][0]["start"], 2_000);
        assert!(s.story().ongoing().is_some());
        assert!(
            s.apply(at(
                3,
                Event::ReconnectScheduled {
                    attempt: 3,
                    kind: AttemptKind::Quick,
                    delay: Duration::from_millis(4_250),
                    class: nwp500::FailureKind::Unreachable,
                    reason: "connect: network error: connection refused".into(),
                }
            ))
            .changed
        );
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
        assert!(
            s.apply(at(
                7,
                Event::Connecting {
                    attempt: 3,
                    kind: AttemptKind::Deep
                }
            ))
            .changed
        );
        assert_eq!(
            s.link().label(),
            "reconnecting (attempt 3, keep-alive timeout)"
        );
        assert!(
            s.apply(at(
                8,
                Event::Recovered {
                    attempts: 3,
                    outage: Duration::from_secs(6)
                }
            ))
            .changed
        );
        assert_eq!(s.link(), &Link::Connected);
        let v = json_of(&s);
        assert_eq!(v["connection"]["since"], "1970-01-01T00:00:08.000Z");
        assert_eq!(v["devices"][0]["stale"], false);
        assert_eq!(v["episodes"][0]["outcome"], "recovered");
        assert_eq!(v["episodes"][0]["end"], 8_000);
        assert_eq!(v["episodes"][0]["deepCount"], 1);
    }

    #[test]
    fn failure_and_disconnection_are_shown() {
        let mut s = state();
        assert!(
            s.apply(at(
                1,
                Event::ReconnectionFailed {
                    attempts: 5,
                    reason: FailureReason::AttemptLimit
                }
            ))
            .changed
        );
        assert_eq!(
            s.link().label(),
            "failed after 5 attempts: attempt limit reached"
        );
        assert_eq!(json_of(&s)["connection"]["state"], "failed");
        assert!(s.apply(at(2, Event::Disconnected)).changed);
        assert_eq!(json_of(&s)["connection"]["state"], "disconnected");
    }

    #[test]
    fn controls_follow_their_requests_and_the_command_events() {
        let mut s = state();
        assert!(!s.control_requested(
            "020000000001",
            Control::Mode,
            "Electric".into(),
            33_554_437,
            time(1)
        ));
        assert!(s.control_requested(
            MAC,
            Control::Temperature,
            "125 °F".into(),
            33_554_464,
            time(1)
        ));
        s.control_answered(MAC, Control::Temperature, Answer::Queued, time(2));
        assert_eq!(
            json_of(&s)["devices"][0]["controls"]["temperature"]["stage"],
            "queued"
        );
        assert!(
            s.apply(at(
                3,
                Event::CommandSent {
                    device: crate::test_reports::mac(MAC),
                    command: 33_554_464
                }
            ))
            .changed
        );
        assert!(
            s.apply(at(
                4,
                Event::CommandRefused {
                    device: Some(crate::test_reports::mac(MAC)),
                    command: None,
                    fail_code: Some(2),
                    reason: "too soon after the previous control".into(),
                }
            ))
            .changed
        );
        let setting = s.devices()[0].controls.temperature.clone().unwrap();
        assert_eq!(setting.stage, Stage::Refused);
        // A refusal naming no device is shown on every device.
        s.control_requested(MAC, Control::Mode, "Electric".into(), 33_554_437, time(5));
        s.control_answered(MAC, Control::Mode, Answer::Sent, time(5));
        assert!(
            s.apply(at(
                6,
                Event::CommandRefused {
                    device: None,
                    command: None,
                    fail_code: Some(2),
                    reason: "too soon after the previous control".into(),
                }
            ))
            .changed
        );
        assert_eq!(
            s.devices()[0].controls.mode.as_ref().map(|m| m.stage),
            Some(Stage::Refused)
        );
    }

    #[test]
    fn events_the_page_does_not_show_change_nothing() {
        let mut s = state();
        let before = s.snapshot_json(time(9));
        for event in [
            Event::CommandSent {
                device: crate::test_reports::mac(MAC),
                command: 1,
            },
            Event::Resubscribed {
                topics: 2,
                failed: 0,
            },
            // Already the state: no change to push.
            Event::Connecting {
                attempt: 1,
                kind: AttemptKind::Initial,
            },
        ] {
            assert!(!s.apply(at(9, event)).changed);
        }
        assert_eq!(s.snapshot_json(time(9)), before);
    }

    #[test]
    fn celsius_dashboards_say_so() {
        let s = DashboardState::new(&[], UnitSystem::Metric, HOUR, 10);
        assert_eq!(json_of(&s)["unit"], "°C");
    }
}
