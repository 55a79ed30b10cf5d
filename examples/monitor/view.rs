//! The state behind the human view, updated by each event, plus a one-line
//! description of every event (what is printed when stdout is not a terminal).

use std::collections::VecDeque;
use std::time::{Duration, SystemTime};

use nwp500::events::{AttemptKind, Event, FailureReason, RenewalMethod, TimestampedEvent};
use nwp500::FailureKind;
use nwp500::UnitSystem;

use crate::input::unit_symbol;
use crate::summary::StatusSummary;
use crate::text;

/// How many recent lines the terminal view keeps.
const RECENT_LINES: usize = 8;

/// The connection as the view shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum Link {
    /// Nothing has happened yet.
    Starting,
    /// The first connection is being made.
    Connecting {
        /// Attempt number.
        attempt: u64,
    },
    /// Connected.
    Online {
        /// Since when.
        since: SystemTime,
        /// Our MQTT client id.
        client_id: String,
        /// Connected again after an outage, subscriptions and queue not yet restored.
        restoring: bool,
    },
    /// Connection lost; reconnecting.
    Offline {
        /// Since when.
        since: SystemTime,
        /// Why it was lost.
        error: String,
        /// What the reconnection is doing.
        progress: Progress,
    },
    /// The client gave up.
    Failed {
        /// Attempts made.
        attempts: u64,
        /// Why.
        reason: FailureReason,
    },
    /// Disconnected on request.
    Disconnected,
}

/// Reconnection progress during an outage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Progress {
    /// Nothing scheduled yet.
    Idle,
    /// Attempt `attempt` starts at `at`.
    Waiting {
        /// Attempt number.
        attempt: u64,
        /// Quick or deep.
        kind: AttemptKind,
        /// When it starts.
        at: SystemTime,
    },
    /// Attempt `attempt` is under way.
    Connecting {
        /// Attempt number.
        attempt: u64,
        /// Initial, quick or deep.
        kind: AttemptKind,
    },
}

/// One monitored device.
#[derive(Debug, Clone)]
pub struct DeviceRow {
    /// MAC as the device list gives it.
    pub mac: String,
    /// Name from the device list.
    pub name: String,
    /// The last status report.
    pub status: Option<StatusSummary>,
    /// When it arrived.
    pub updated: Option<SystemTime>,
}

/// Everything the human view shows.
#[derive(Debug, Clone)]
pub struct View {
    /// First line: what is being monitored.
    pub title: String,
    /// Second line: where (endpoints), once known.
    pub subtitle: Option<String>,
    /// Display unit.
    pub unit: UnitSystem,
    /// The devices, in device-list order.
    pub devices: Vec<DeviceRow>,
    /// The connection.
    pub link: Link,
    /// Outages recovered so far.
    pub outages: u64,
    /// The last outage's length.
    pub last_outage: Option<Duration>,
    /// Planned handovers so far (connections replaced before the lifetime cut).
    pub handovers: u64,
    /// The state of each connection of the client's pool, by index (an account with
    /// more devices than one connection may serve has several): up or not.
    pub pool: std::collections::BTreeMap<usize, bool>,
    /// Commands waiting in the offline queue: (device, command code).
    pub pending: Vec<(String, u32)>,
    /// The latest notable lines, oldest first.
    pub recent: VecDeque<String>,
}

impl View {
    /// A view of `devices` (MAC, name).
    pub fn new(title: String, unit: UnitSystem, devices: Vec<(String, String)>) -> Self {
        let mut view = Self {
            title,
            subtitle: None,
            unit,
            devices: Vec::new(),
            link: Link::Starting,
            outages: 0,
            last_outage: None,
            handovers: 0,
            pool: std::collections::BTreeMap::new(),
            pending: Vec::new(),
            recent: VecDeque::new(),
        };
        view.set_devices(devices);
        view
    }

    /// Replaces the device list (MAC, name), forgetting their reports.
    pub fn set_devices(&mut self, devices: Vec<(String, String)>) {
        self.devices = devices
            .into_iter()
            .map(|(mac, name)| DeviceRow {
                mac,
                name,
                status: None,
                updated: None,
            })
            .collect();
    }

    /// The name shown for `mac`.
    pub fn device_name(&self, mac: &str) -> String {
        match self.devices.iter().find(|d| d.mac == mac) {
            Some(d) if !d.name.trim().is_empty() => d.name.clone(),
            _ => format!("device {}", text::short_mac(mac)),
        }
    }

    /// Records a message for the user (a refused command line, a send error).
    pub fn note(&mut self, at: SystemTime, message: &str) {
        self.remember(format!("{} {message}", text::clock(at)));
    }

    fn remember(&mut self, line: String) {
        if self.recent.len() == RECENT_LINES {
            self.recent.pop_front();
        }
        self.recent.push_back(line);
    }

    /// Updates the state with `event`; returns its one-line description (with time).
    /// With a pool of connections, lines about one of them name it (`#2`), and only the
    /// first connection's events drive the connection line; the pool line counts the
    /// others.
    pub fn apply(&mut self, stamped: &TimestampedEvent) -> String {
        let at = stamped.ts;
        let connection = stamped.connection.unwrap_or(0);
        self.track_pool(connection, &stamped.event);
        let description = if connection > 0 && is_link_event(&stamped.event) {
            pool_line(&stamped.event)
        } else {
            self.describe_and_update(at, &stamped.event)
        };
        let description = match stamped.connection {
            Some(i) if self.pool.len() > 1 && !matches!(stamped.event, Event::Status { .. }) => {
                format!("#{i} {description}")
            }
            _ => description,
        };
        let line = format!("{} {description}", text::clock(at));
        // Status reports are in the device panel already; everything else is history.
        if !matches!(stamped.event, Event::Status { .. }) {
            self.remember(line.clone());
        }
        line
    }

    fn describe_and_update(&mut self, at: SystemTime, event: &Event) -> String {
        match event {
            Event::Connecting { attempt, kind } => {
                match &mut self.link {
                    Link::Offline { progress, .. } => {
                        *progress = Progress::Connecting {
                            attempt: *attempt,
                            kind: *kind,
                        }
                    }
                    link => *link = Link::Connecting { attempt: *attempt },
                }
                format!("connecting (attempt {attempt}, {})", connect_kind(*kind))
            }
            Event::Connected {
                client_id, attempt, ..
            } => {
                let restoring = matches!(self.link, Link::Offline { .. });
                self.link = Link::Online {
                    since: at,
                    client_id: client_id.clone(),
                    restoring,
                };
                format!("connected as {client_id} (attempt {attempt})")
            }
            Event::Interrupted { error } => {
                self.link = Link::Offline {
                    since: at,
                    error: error.clone(),
                    progress: Progress::Idle,
                };
                format!("connection lost: {error}")
            }
            Event::ReconnectScheduled {
                attempt,
                kind,
                delay,
                class,
                reason,
            } => {
                match &mut self.link {
                    Link::Offline { progress, .. } => {
                        *progress = Progress::Waiting {
                            attempt: *attempt,
                            kind: *kind,
                            at: at + *delay,
                        };
                    }
                    // A start during an outage: offline from the first failure on.
                    link @ (Link::Connecting { .. } | Link::Starting) => {
                        *link = Link::Offline {
                            since: at,
                            error: reason.clone(),
                            progress: Progress::Waiting {
                                attempt: *attempt,
                                kind: *kind,
                                at: at + *delay,
                            },
                        };
                    }
                    _ => {}
                }
                format!(
                    "reconnect attempt {attempt} ({}) in {} after {}: {reason}",
                    kind.as_str(),
                    text::duration(*delay),
                    failure_class(*class)
                )
            }
            Event::DevicesDiscovered { devices } => {
                format!(
                    "device list obtained ({} device{})",
                    devices.len(),
                    plural(devices.len() as u64)
                )
            }
            Event::DevicesChanged { added, removed } => {
                for mac in removed {
                    self.devices.retain(|d| d.mac != mac.as_str());
                }
                for mac in added {
                    self.row(mac.as_str());
                }
                format!(
                    "device list changed: {} added, {} removed",
                    added.len(),
                    removed.len()
                )
            }
            Event::CredentialsRenewed { method } => format!(
                "credentials renewed ({})",
                match method {
                    RenewalMethod::Refresh => "refresh",
                    RenewalMethod::SignIn => "sign-in",
                    _ => "another method",
                }
            ),
            Event::Resubscribed { topics, failed } => {
                if *failed == 0 {
                    format!("subscriptions restored ({topics} topics)")
                } else {
                    format!(
                        "subscriptions restored ({topics} topics, {failed} failed, retried later)"
                    )
                }
            }
            Event::Recovered { attempts, outage } => {
                if let Link::Online { restoring, .. } = &mut self.link {
                    *restoring = false;
                }
                self.outages += 1;
                self.last_outage = Some(*outage);
                format!(
                    "recovered after {} ({attempts} attempt{})",
                    text::duration(*outage),
                    plural(*attempts)
                )
            }
            Event::ReconnectionFailed { attempts, reason } => {
                self.link = Link::Failed {
                    attempts: *attempts,
                    reason: *reason,
                };
                format!(
                    "gave up reconnecting after {attempts} attempt{}: {}",
                    plural(*attempts),
                    failure(*reason)
                )
            }
            Event::CommandQueued {
                device,
                command,
                queue_len,
            } => {
                self.pending.push((device.as_str().to_owned(), *command));
                format!(
                    "offline: {} for {} queued ({queue_len} waiting)",
                    text::command(*command),
                    self.device_name(device.as_str())
                )
            }
            Event::CommandSent { device, command } => {
                self.unqueue(device.as_str(), *command);
                format!(
                    "sent {} to {}",
                    text::command(*command),
                    self.device_name(device.as_str())
                )
            }
            Event::CommandExpired {
                device,
                command,
                age,
            } => {
                self.unqueue(device.as_str(), *command);
                format!(
                    "dropped {} for {}: queued {} ago, too old to send",
                    text::command(*command),
                    self.device_name(device.as_str()),
                    text::duration(*age)
                )
            }
            Event::CommandDropped { device, command } => {
                self.unqueue(device.as_str(), *command);
                format!(
                    "dropped {} for {}: offline queue full",
                    text::command(*command),
                    self.device_name(device.as_str())
                )
            }
            Event::CommandRefused {
                device,
                command,
                fail_code,
                reason,
            } => {
                let what = command.map_or_else(|| "a control".to_owned(), text::command);
                let code = fail_code.map_or_else(String::new, |c| format!(" (code {c})"));
                match device {
                    Some(device) => format!(
                        "{} refused {what}: {reason}{code}",
                        self.device_name(device.as_str())
                    ),
                    None => format!("a device refused {what}: {reason}{code}"),
                }
            }
            Event::Status { device, status } => {
                let summary = StatusSummary::from_status(&status.to_json());
                let line = format!(
                    "{}: {}",
                    self.device_name(device.as_str()),
                    status_line(&summary, self.unit)
                );
                let row = self.row(device.as_str());
                row.status = Some(summary);
                row.updated = Some(at);
                line
            }
            Event::Feature { device, .. } => {
                format!(
                    "{}: device information received",
                    self.device_name(device.as_str())
                )
            }
            Event::HandedOver {
                client_id, took, ..
            } => {
                if let Link::Online { client_id: id, .. } = &mut self.link {
                    id.clone_from(client_id);
                }
                self.handovers += 1;
                format!(
                    "handed over to {client_id} in {} before the connection lifetime ended (no outage)",
                    text::duration(*took)
                )
            }
            Event::HandoverFailed { error, retry_in } => match retry_in {
                Some(delay) => format!(
                    "handover failed: {error}; the connection in use stays, retrying in {}",
                    text::duration(*delay)
                ),
                None => format!(
                    "handover failed: {error}; the lifetime cut will be recovered as an outage"
                ),
            },
            Event::Disconnected => {
                self.link = Link::Disconnected;
                "disconnected".to_owned()
            }
            other => other.name().replace('_', " "),
        }
    }

    fn track_pool(&mut self, connection: usize, event: &Event) {
        match event {
            Event::Connected { .. } | Event::Recovered { .. } | Event::HandedOver { .. } => {
                self.pool.insert(connection, true);
            }
            Event::Interrupted { .. } | Event::ReconnectionFailed { .. } | Event::Disconnected => {
                self.pool.insert(connection, false);
            }
            Event::Connecting { .. } => {
                self.pool.entry(connection).or_insert(false);
            }
            _ => {}
        }
    }

    /// `(connections, up)` of the pool.
    pub fn pool_counts(&self) -> (usize, usize) {
        (
            self.pool.len(),
            self.pool.values().filter(|up| **up).count(),
        )
    }

    fn unqueue(&mut self, device: &str, command: u32) {
        if let Some(i) = self
            .pending
            .iter()
            .position(|(d, c)| d == device && *c == command)
        {
            self.pending.remove(i);
        }
    }

    /// The row of `mac`, added at the end if the device was not listed.
    fn row(&mut self, mac: &str) -> &mut DeviceRow {
        let index = match self.devices.iter().position(|d| d.mac == mac) {
            Some(i) => i,
            None => {
                self.devices.push(DeviceRow {
                    mac: mac.to_owned(),
                    name: String::new(),
                    status: None,
                    updated: None,
                });
                self.devices.len() - 1
            }
        };
        &mut self.devices[index]
    }
}

/// A status report on one line.
pub fn status_line(s: &StatusSummary, unit: UnitSystem) -> String {
    let mut parts = vec![format!(
        "water {} (setpoint {})",
        temperature(s.water, unit),
        temperature(s.setpoint, unit)
    )];
    if s.powered_off {
        parts.push("switched off".to_owned());
    } else {
        parts.push(format!("{} mode", s.mode));
    }
    parts.push(format!("heating: {}", s.heating));
    if let Some(w) = s.power_w {
        parts.push(format!("{} W", text::number(w)));
    }
    if let Some(c) = s.charge_percent {
        parts.push(format!("tank {}% charged", text::number(c)));
    }
    if let Some(flow) = s.draw {
        parts.push(draw(flow, unit));
    }
    if let Some((days, elapsed)) = s.vacation {
        parts.push(format!("vacation day {elapsed} of {days}"));
    }
    parts.push(match &s.error {
        Some(e) => format!("ERROR {e}"),
        None => "no error".to_owned(),
    });
    parts.join(" · ")
}

/// `118.5 °F`, or `? °F` when unknown.
pub fn temperature(value: Option<f64>, unit: UnitSystem) -> String {
    match value {
        Some(v) => format!("{} {}", text::number(v), unit_symbol(unit)),
        None => format!("? {}", unit_symbol(unit)),
    }
}

/// `hot water in use (2.5 GPM)`.
pub fn draw(flow: Option<f64>, unit: UnitSystem) -> String {
    let unit = match unit {
        UnitSystem::Metric => "L/min",
        UnitSystem::UsCustomary => "GPM",
    };
    match flow {
        Some(f) => format!("hot water in use ({} {unit})", text::number(f)),
        None => "hot water in use".to_owned(),
    }
}

/// How a failure class reads in the view.
fn failure_class(class: FailureKind) -> &'static str {
    match class {
        FailureKind::Interrupted => "an interruption",
        FailureKind::Unreachable => "the endpoint did not answer",
        FailureKind::AuthRejected => "a credential rejection",
        FailureKind::Credentials => "the REST API did not answer",
        FailureKind::Restore => "a failed restore",
        _ => "a failure",
    }
}

fn connect_kind(kind: AttemptKind) -> &'static str {
    match kind {
        AttemptKind::Initial => "initial",
        AttemptKind::Quick => "quick",
        AttemptKind::Deep => "deep, renewing credentials",
        _ => "other",
    }
}

/// Why reconnection stopped, in words.
pub fn failure(reason: FailureReason) -> &'static str {
    match reason {
        FailureReason::InvalidCredentials => "the account e-mail or password was refused",
        FailureReason::AttemptLimit => "the attempt limit was reached",
        _ => "an unknown reason",
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Events about the link of one connection (the pool's others do not drive the
/// connection line).
fn is_link_event(event: &Event) -> bool {
    matches!(
        event,
        Event::Connecting { .. }
            | Event::Connected { .. }
            | Event::Interrupted { .. }
            | Event::ReconnectScheduled { .. }
            | Event::Resubscribed { .. }
            | Event::Recovered { .. }
            | Event::ReconnectionFailed { .. }
            | Event::HandedOver { .. }
            | Event::HandoverFailed { .. }
            | Event::Disconnected
    )
}

/// The line of a link event of another connection of the pool.
fn pool_line(event: &Event) -> String {
    match event {
        Event::Connected { client_id, .. } => format!("connected as {client_id}"),
        Event::Interrupted { error } => format!("connection lost: {error}"),
        Event::Recovered { attempts, outage } => format!(
            "recovered after {} ({attempts} attempt{})",
            text::duration(*outage),
            plural(*attempts)
        ),
        Event::HandedOver {
            client_id, took, ..
        } => format!(
            "handed over to {client_id} in {} (no outage)",
            text::duration(*took)
        ),
        other => other.name().replace('_', " "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_reports;
    use nwp500::HandoverReason;
    use nwp500::MacAddress;
    use serde_json::json;

    const MAC: &str = "aabbccddeeff";

    fn mac() -> MacAddress {
        MacAddress::new(MAC).unwrap()
    }

    fn view() -> View {
        View::new(
            "test".into(),
            UnitSystem::UsCustomary,
            vec![(MAC.into(), "Garage Water Heater".into())],
        )
    }

    fn at(ms: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_millis(ms)
    }

    fn apply(view: &mut View, ms: u64, event: Event) -> String {
        view.apply(&event.at(at(ms)))
    }

    #[test]
    fn an_outage_from_loss_to_recovery() {
        let mut v = view();
        apply(
            &mut v,
            0,
            Event::Connecting {
                attempt: 1,
                kind: AttemptKind::Initial,
            },
        );
        assert_eq!(v.link, Link::Connecting { attempt: 1 });
        let line = apply(
            &mut v,
            100,
            Event::Connected {
                client_id: "c1".into(),
                session_present: false,
                attempt: 1,
            },
        );
        assert_eq!(line, "00:00:00 connected as c1 (attempt 1)");
        assert!(matches!(
            v.link,
            Link::Online {
                restoring: false,
                ..
            }
        ));

        let line = apply(
            &mut v,
            5_000,
            Event::Interrupted {
                error: "connection reset".into(),
            },
        );
        assert_eq!(line, "00:00:05 connection lost: connection reset");
        let line = apply(
            &mut v,
            5_001,
            Event::ReconnectScheduled {
                attempt: 1,
                kind: AttemptKind::Quick,
                delay: Duration::from_millis(800),
                class: nwp500::FailureKind::Unreachable,
                reason: "connect: network error: connection refused".into(),
            },
        );
        assert_eq!(line, "00:00:05 reconnect attempt 1 (quick) in 800 ms after the endpoint did not answer: connect: network error: connection refused");
        assert_eq!(
            v.link,
            Link::Offline {
                since: at(5_000),
                error: "connection reset".into(),
                progress: Progress::Waiting {
                    attempt: 1,
                    kind: AttemptKind::Quick,
                    at: at(5_801)
                }
            }
        );
        apply(
            &mut v,
            5_801,
            Event::Connecting {
                attempt: 1,
                kind: AttemptKind::Quick,
            },
        );
        assert!(matches!(
            v.link,
            Link::Offline {
                progress: Progress::Connecting { attempt: 1, .. },
                ..
            }
        ));
        apply(
            &mut v,
            5_900,
            Event::Connected {
                client_id: "c1".into(),
                session_present: false,
                attempt: 1,
            },
        );
        assert!(matches!(
            v.link,
            Link::Online {
                restoring: true,
                ..
            }
        ));
        let line = apply(
            &mut v,
            6_000,
            Event::Recovered {
                attempts: 1,
                outage: Duration::from_millis(1_000),
            },
        );
        assert_eq!(line, "00:00:06 recovered after 1.0 s (1 attempt)");
        assert!(matches!(
            v.link,
            Link::Online {
                restoring: false,
                ..
            }
        ));
        assert_eq!(v.outages, 1);
        assert_eq!(v.recent.len(), 7);
    }

    #[test]
    fn a_handover_keeps_the_link_online_under_the_new_client_id() {
        let mut v = view();
        apply(
            &mut v,
            1_000,
            Event::Connected {
                client_id: "c1".into(),
                session_present: false,
                attempt: 1,
            },
        );
        let line = apply(
            &mut v,
            2_000,
            Event::HandedOver {
                client_id: "c1-h".into(),
                previous_client_id: "c1".into(),
                took: Duration::from_millis(250),
                reason: HandoverReason::Lifetime,
            },
        );
        assert_eq!(
            line,
            "00:00:02 handed over to c1-h in 250 ms before the connection lifetime ended (no outage)"
        );
        assert!(matches!(&v.link, Link::Online { client_id, .. } if client_id == "c1-h"));
        assert_eq!((v.handovers, v.outages), (1, 0));
        let line = apply(
            &mut v,
            3_000,
            Event::HandoverFailed {
                error: "connect: refused".into(),
                retry_in: Some(Duration::from_secs(2)),
            },
        );
        assert!(line.contains("retrying in 2.0 s"), "{line}");
    }

    #[test]
    fn a_pool_names_its_connections_and_counts_them() {
        let mut v = view();
        let at = |secs: u64, connection: usize, event: Event| {
            let mut e =
                TimestampedEvent::new(SystemTime::UNIX_EPOCH + Duration::from_secs(secs), event);
            e.connection = Some(connection);
            e
        };
        for c in 0..3 {
            v.apply(&at(
                1,
                c,
                Event::Connected {
                    client_id: format!("c-p{c}"),
                    session_present: false,
                    attempt: 1,
                },
            ));
        }
        assert_eq!(v.pool_counts(), (3, 3));
        let line = v.apply(&at(
            2,
            2,
            Event::Interrupted {
                error: "kicked".into(),
            },
        ));
        assert_eq!(line, "00:00:02 #2 connection lost: kicked");
        assert_eq!(v.pool_counts(), (3, 2));
        assert!(
            matches!(&v.link, Link::Online { client_id, .. } if client_id == "c-p0"),
            "the first connection's state stays the connection line"
        );
        v.apply(&at(
            3,
            2,
            Event::Recovered {
                attempts: 1,
                outage: Duration::from_secs(1),
            },
        ));
        assert_eq!(v.pool_counts(), (3, 3));
    }

    #[test]
    fn queued_commands_are_pending_until_sent() {
        let mut v = view();
        let line = apply(
            &mut v,
            0,
            Event::CommandQueued {
                device: mac(),
                command: 33_554_437,
                queue_len: 1,
            },
        );
        assert_eq!(
            line,
            "00:00:00 offline: DHW operation mode for Garage Water Heater queued (1 waiting)"
        );
        assert_eq!(v.pending, [(MAC.to_owned(), 33_554_437)]);
        apply(
            &mut v,
            1,
            Event::CommandSent {
                device: mac(),
                command: 33_554_437,
            },
        );
        assert!(v.pending.is_empty());
        // A live send that never was queued changes nothing.
        apply(
            &mut v,
            2,
            Event::CommandSent {
                device: mac(),
                command: 16_777_219,
            },
        );
        assert!(v.pending.is_empty());
    }

    #[test]
    fn refusals_name_the_device_and_the_reason() {
        let mut v = view();
        let line = apply(
            &mut v,
            0,
            Event::CommandRefused {
                device: Some(mac()),
                command: None,
                fail_code: Some(2),
                reason: "too soon after the previous control".into(),
            },
        );
        assert_eq!(
            line,
            "00:00:00 Garage Water Heater refused a control: too soon after the previous control (code 2)"
        );
        let line = apply(
            &mut v,
            1,
            Event::CommandRefused {
                device: None,
                command: Some(33_554_437),
                fail_code: None,
                reason: "no failure code given".into(),
            },
        );
        assert_eq!(
            line,
            "00:00:00 a device refused DHW operation mode: no failure code given"
        );
        assert_eq!(v.recent.len(), 2, "refusals are history lines");
    }

    #[test]
    fn status_fills_the_device_row_and_reads_as_a_sentence() {
        let mut v = view();
        let line = apply(
            &mut v,
            0,
            Event::Status {
                device: mac(),
                // 48.5 °C and 49 °C, the heat pump on, E799.
                status: test_reports::status(
                    json!({
                        "dhwTemperature": 97, "dhwTemperatureSetting": 98,
                        "dhwOperationSetting": 1, "compUse": 2,
                        "currentInstPower": 420, "dhwChargePer": 87, "errorCode": 799
                    }),
                    UnitSystem::UsCustomary,
                ),
            },
        );
        assert_eq!(
            line,
            "00:00:00 Garage Water Heater: water 119.3 °F (setpoint 120.2 °F) · Heat Pump mode · \
             heating: heat pump · 420 W · tank 87% charged · ERROR E799 Water leak detected"
        );
        assert_eq!(v.devices[0].updated, Some(at(0)));
        assert!(v.recent.is_empty(), "status reports are not history lines");
    }

    #[test]
    fn unknown_devices_get_a_row_without_their_full_mac() {
        let mut v = view();
        let line = apply(
            &mut v,
            0,
            Event::Status {
                device: MacAddress::new("112233445566").unwrap(),
                status: test_reports::status(json!({}), UnitSystem::UsCustomary),
            },
        );
        assert!(line.contains("device …5566"), "{line}");
        assert!(!line.contains("112233445566"), "{line}");
        assert_eq!(v.devices.len(), 2);
    }

    #[test]
    fn failure_and_disconnect() {
        let mut v = view();
        let line = apply(
            &mut v,
            0,
            Event::ReconnectionFailed {
                attempts: 3,
                reason: FailureReason::AttemptLimit,
            },
        );
        assert_eq!(
            line,
            "00:00:00 gave up reconnecting after 3 attempts: the attempt limit was reached"
        );
        assert_eq!(
            apply(&mut v, 1, Event::Disconnected),
            "00:00:00 disconnected"
        );
        assert_eq!(v.link, Link::Disconnected);
    }

    #[test]
    fn recent_history_is_bounded() {
        let mut v = view();
        for i in 0..20 {
            v.note(at(i), &format!("note {i}"));
        }
        assert_eq!(v.recent.len(), RECENT_LINES);
        assert_eq!(
            v.recent.back().map(String::as_str),
            Some("00:00:00 note 19")
        );
    }
}
