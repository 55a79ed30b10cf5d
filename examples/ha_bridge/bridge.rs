//! The bridge's main loop: cloud events in, retained topics out; local broker
//! (re)connections, Home Assistant's announcements and commands in, commands out.

use std::time::Duration;

use nwp500::client::Client;
use nwp500::events::{Event, TimestampedEvent};
use nwp500::protocol::redact_mac;
use nwp500::subscriptions::EnergyUpdate;
use tokio::sync::{broadcast, mpsc};
use tokio::time::MissedTickBehavior;
use tracing::{debug, error, info, warn};

use crate::broker::{Broker, BrokerEvent, OFFLINE, ONLINE};
use crate::commands::commands_for;
use crate::devices::Devices;
use crate::sender::Job;
use crate::topics::{Control, Topics};
use crate::{energy, signals};

/// Why the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// SIGINT or SIGTERM.
    Requested,
    /// The client stopped reconnecting (invalid credentials or the attempt limit).
    ReconnectionFailed,
    /// The client's event stream closed.
    ClientGone,
}

/// The streams the loop reads.
pub struct Inputs {
    /// The client's events (the first receiver: from the very first `connecting`).
    pub events: broadcast::Receiver<TimestampedEvent>,
    /// The local broker connection's events.
    pub broker: mpsc::Receiver<BrokerEvent>,
    /// Energy answers of every device.
    pub energy: mpsc::Receiver<EnergyUpdate>,
}

/// The bridge's state.
pub struct Bridge {
    client: Client,
    broker: Broker,
    topics: Topics,
    devices: Devices,
    sender: mpsc::UnboundedSender<Job>,
    energy_sink: mpsc::Sender<EnergyUpdate>,
    energy_interval: Duration,
    /// Whether the cloud link is up (availability of every device).
    cloud_up: bool,
    /// Between an interruption and its recovery: a `connected` then only means the
    /// restoration started; `recovered` says it is over.
    in_outage: bool,
}

impl Bridge {
    /// A bridge between `client` and `broker`.
    pub fn new(
        client: Client,
        broker: Broker,
        topics: Topics,
        energy_sink: mpsc::Sender<EnergyUpdate>,
        energy_interval: Duration,
    ) -> Self {
        let sender = crate::sender::start(client.clone());
        Self {
            client,
            broker,
            topics,
            devices: Devices::default(),
            sender,
            energy_sink,
            energy_interval,
            cloud_up: false,
            in_outage: false,
        }
    }

    /// Runs until a signal, a failed reconnection or the end of the client.
    pub async fn run(&mut self, mut inputs: Inputs) -> Stop {
        // The list may be empty when the cloud was unreachable at start; it is read
        // again on every connection and for every device an event names.
        self.refresh_devices();
        let shutdown = signals::shutdown();
        tokio::pin!(shutdown);
        // With requests disabled the branch below never polls this timer.
        let period = if self.energy_interval.is_zero() {
            Duration::from_secs(3600)
        } else {
            self.energy_interval
        };
        let mut energy_tick = tokio::time::interval(period);
        energy_tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        // The first tick is immediate; the first requests go out on connection instead.
        energy_tick.tick().await;
        loop {
            tokio::select! {
                received = inputs.events.recv() => match received {
                    Ok(stamped) => {
                        if let Some(stop) = self.on_cloud_event(stamped.event) {
                            return stop;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        warn!(missed, "bridge too slow: cloud events skipped");
                    }
                    Err(broadcast::error::RecvError::Closed) => return Stop::ClientGone,
                },
                Some(event) = inputs.broker.recv() => self.on_broker_event(event),
                Some(update) = inputs.energy.recv() => self.on_energy(&update),
                _ = energy_tick.tick(), if !self.energy_interval.is_zero() => {
                    self.request_energy_all();
                }
                signal = &mut shutdown => {
                    info!(signal, "stopping");
                    return Stop::Requested;
                }
            }
        }
    }

    /// Marks every device offline, disconnects from the cloud, says `offline` for the
    /// bridge and leaves the local broker.
    pub async fn finish(self, disconnect_timeout: Duration) {
        for device in self.devices.iter() {
            self.broker
                .publish(self.topics.device_availability(&device.node), OFFLINE, true);
        }
        match tokio::time::timeout(disconnect_timeout, self.client.disconnect()).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => warn!(%error, "cloud disconnect reported an error"),
            Err(_) => warn!("cloud disconnect did not finish in time"),
        }
        self.broker.close().await;
    }

    fn on_cloud_event(&mut self, event: Event) -> Option<Stop> {
        match event {
            Event::Connected { attempt, .. } => {
                debug!(attempt, in_outage = self.in_outage, "cloud connected");
                if !self.in_outage {
                    self.set_cloud(true);
                    self.request_energy_all();
                }
                self.refresh_devices();
            }
            Event::Recovered { attempts, outage } => {
                info!(
                    attempts,
                    outage_ms = outage.as_millis() as u64,
                    "cloud link recovered"
                );
                self.in_outage = false;
                self.set_cloud(true);
                self.refresh_devices();
                self.request_energy_all();
            }
            Event::Interrupted { error } => {
                warn!(%error, "cloud link interrupted");
                self.in_outage = true;
                self.set_cloud(false);
            }
            Event::ReconnectionFailed { attempts, reason } => {
                error!(attempts, ?reason, "cloud reconnection failed; stopping");
                self.set_cloud(false);
                return Some(Stop::ReconnectionFailed);
            }
            Event::Disconnected => self.set_cloud(false),
            Event::Status { device, status } => {
                let status = status.shared().clone();
                if let Some(known) = self.known(device.as_str()) {
                    if let Some(d) = self.devices.get_mut(&known) {
                        d.status = Some(status);
                    }
                    // The first status may change the unit (and so the configs).
                    self.publish_device(&known, false);
                }
            }
            Event::Feature { device, feature } => {
                let feature = feature.shared().clone();
                if let Some(known) = self.known(device.as_str()) {
                    if let Some(d) = self.devices.get_mut(&known) {
                        d.feature = Some(feature);
                    }
                    // Limits, modes, unit and firmware versions: new configs.
                    self.publish_device(&known, false);
                }
            }
            Event::CommandExpired {
                device,
                command,
                age,
            } => {
                warn!(%device, command, age_ms = age.as_millis() as u64,
                      "queued command too old when the link came back: dropped");
            }
            Event::CommandDropped { device, command } => {
                warn!(%device, command, "offline queue full: command dropped");
            }
            _ => {}
        }
        None
    }

    fn on_broker_event(&mut self, event: BrokerEvent) {
        match event {
            BrokerEvent::Connected => {
                self.broker
                    .publish(self.topics.bridge_availability(), ONLINE, true);
                self.broker.subscribe(self.topics.command_filter());
                self.broker.subscribe(self.topics.ha_status());
                self.publish_all(true);
            }
            BrokerEvent::Lost => debug!("local broker lost"),
            BrokerEvent::Message { topic, payload } => {
                if topic == self.topics.ha_status() {
                    if payload.as_ref() == ONLINE.as_bytes() {
                        info!("Home Assistant is online: publishing discovery again");
                        self.publish_all(true);
                    }
                } else if let Some((node, control)) = self.topics.parse_command(&topic) {
                    self.on_command(node, control, &payload);
                }
            }
        }
    }

    fn on_command(&mut self, node: &str, control: Control, payload: &[u8]) {
        let Some(device) = self.devices.by_node(node) else {
            warn!(node = %redact_mac(node), "command for a device the bridge does not know");
            return;
        };
        let mac = device.summary.mac.clone();
        match commands_for(control, payload, device.unit(), device.powered_off()) {
            Ok(commands) => {
                debug!(device = %redact_mac(&mac), what = control.level(), "command received");
                let job = Job {
                    mac,
                    what: control.level(),
                    commands,
                };
                if self.sender.send(job).is_err() {
                    warn!("command sender stopped; command not sent");
                }
            }
            Err(reason) => {
                warn!(device = %redact_mac(&mac), what = control.level(), %reason,
                      "command refused; nothing sent");
            }
        }
    }

    fn on_energy(&mut self, update: &EnergyUpdate) {
        let mac = update.device.as_str();
        // An answer that names no device is this device's only when there is one.
        if !update.confirmed && self.devices.len() != 1 {
            debug!("energy answer without a device: ignored");
            return;
        }
        let Some(kwh) = energy::latest_month_kwh(&update.usage) else {
            return;
        };
        let Some(device) = self.devices.get_mut(mac) else {
            return;
        };
        device.energy_kwh = Some(kwh);
        let node = device.node.clone();
        let state = device.state();
        self.broker
            .publish(self.topics.state(&node), state.to_string(), true);
    }

    /// Adds the devices the client lists and the bridge does not know yet.
    fn refresh_devices(&mut self) {
        for summary in self.client.devices().to_vec() {
            let Some(mac) = self.devices.add(summary.clone()) else {
                continue;
            };
            info!(device = %redact_mac(&mac), "water heater found: publishing its discovery configs");
            let client = self.client.clone();
            let sink = self.energy_sink.clone();
            tokio::spawn(async move {
                if let Err(error) = energy::follow(&client, &summary, sink).await {
                    warn!(device = %redact_mac(&summary.mac), %error,
                          "cannot follow energy answers; the energy sensor stays unknown");
                }
            });
            self.publish_device(&mac, true);
            if self.cloud_up {
                self.request_energy(&mac);
            }
        }
    }

    /// The key of the device an event names, reading the client's list again when it
    /// is not known yet; `None` when the client does not list it either.
    fn known(&mut self, device: &str) -> Option<String> {
        if !self.devices.contains(device) {
            self.refresh_devices();
        }
        if self.devices.contains(device) {
            self.devices.get_mut(device).map(|d| d.mac.clone())
        } else {
            debug!(device = %redact_mac(device), "event for a device the client does not list");
            None
        }
    }

    fn set_cloud(&mut self, up: bool) {
        if self.cloud_up == up {
            return;
        }
        self.cloud_up = up;
        info!(
            devices = self.devices.len(),
            availability = if up { ONLINE } else { OFFLINE },
            "devices' availability"
        );
        for device in self.devices.iter() {
            self.publish_availability(&device.node);
        }
    }

    fn publish_availability(&self, node: &str) {
        let payload = if self.cloud_up { ONLINE } else { OFFLINE };
        self.broker
            .publish(self.topics.device_availability(node), payload, true);
    }

    /// Publishes the device's discovery configs (all, or those that changed), its
    /// availability and its state.
    fn publish_device(&mut self, mac: &str, all_configs: bool) {
        let Some(device) = self.devices.get_mut(mac) else {
            return;
        };
        let configs = device.configs_to_publish(&self.topics, all_configs);
        let node = device.node.clone();
        let state = device.state();
        for config in configs {
            self.broker
                .publish(config.topic, config.payload.to_string(), true);
        }
        self.publish_availability(&node);
        self.broker
            .publish(self.topics.state(&node), state.to_string(), true);
    }

    fn publish_all(&mut self, all_configs: bool) {
        let macs: Vec<String> = self.devices.iter().map(|d| d.mac.clone()).collect();
        for mac in macs {
            self.publish_device(&mac, all_configs);
        }
    }

    fn request_energy_all(&mut self) {
        if !self.cloud_up || self.energy_interval.is_zero() {
            return;
        }
        let macs: Vec<String> = self.devices.iter().map(|d| d.mac.clone()).collect();
        for mac in macs {
            self.request_energy(&mac);
        }
    }

    fn request_energy(&mut self, mac: &str) {
        let Some(device) = self.devices.get_mut(mac) else {
            return;
        };
        // A device that says it keeps no energy history is not asked.
        if self.energy_interval.is_zero()
            || device.feature.as_ref().is_some_and(|f| !f.energy_usage_use)
        {
            return;
        }
        let job = Job {
            mac: device.summary.mac.clone(),
            what: "energy",
            commands: vec![energy::request_now()],
        };
        if self.sender.send(job).is_err() {
            warn!("command sender stopped; energy not requested");
        }
    }
}

impl Stop {
    /// The process exit code.
    pub fn exit_code(self) -> u8 {
        match self {
            Stop::Requested => 0,
            Stop::ReconnectionFailed => 2,
            Stop::ClientGone => 1,
        }
    }
}
