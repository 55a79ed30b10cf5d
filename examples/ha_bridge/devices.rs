//! What the bridge knows about each water heater: its identity, its latest status,
//! feature report and energy figure, and the discovery configs last published for it.

use std::collections::BTreeMap;
use std::sync::Arc;

use nwp500::client::DeviceSummary;
use nwp500::protocol::{Feature, Status, UnitPreference, UnitSystem};
use serde_json::Value;

use crate::discovery::{self, DeviceInfo};
use crate::state;
use crate::topics::{node_id, Topics};

/// One water heater.
#[derive(Debug)]
pub struct Device {
    /// As the client lists it (its `mac` is what `Client::send` takes).
    pub summary: DeviceSummary,
    /// `nwp500_<mac>`.
    pub node: String,
    /// The MAC's hex digits, lowercase (the form events name devices by).
    pub mac: String,
    /// The latest status.
    pub status: Option<Arc<Status>>,
    /// The latest feature report.
    pub feature: Option<Arc<Feature>>,
    /// This month's consumption, kWh, from the latest energy answer.
    pub energy_kwh: Option<f64>,
    /// The discovery configs last published, to skip publishing identical ones.
    published: Vec<discovery::Config>,
}

impl Device {
    /// A device first seen in the client's list; `None` when its MAC is unusable.
    pub fn new(summary: DeviceSummary) -> Option<Self> {
        let node = node_id(&summary.mac)?;
        let mac = node.trim_start_matches("nwp500_").to_owned();
        Some(Self {
            summary,
            node,
            mac,
            status: None,
            feature: None,
            energy_kwh: None,
            published: Vec::new(),
        })
    }

    /// The unit values are published and commanded in: the device's own display unit
    /// (from its feature report, else its status), °F until either arrived, as the
    /// device's own default.
    pub fn unit(&self) -> UnitSystem {
        let reported = self
            .feature
            .as_ref()
            .and_then(|f| f.temperature_type)
            .or_else(|| self.status.as_ref().and_then(|s| s.temperature_type));
        UnitPreference::Device.resolve(reported)
    }

    /// Whether the device last reported itself switched off.
    pub fn powered_off(&self) -> bool {
        self.status.as_ref().is_some_and(|s| s.is_powered_off())
    }

    /// The state object to publish.
    pub fn state(&self) -> Value {
        state::state_json(self.status.as_deref(), self.unit(), self.energy_kwh)
    }

    /// The discovery configs for what is known now.
    pub fn configs(&self, topics: &Topics) -> Vec<discovery::Config> {
        discovery::configs(
            topics,
            &DeviceInfo {
                node: &self.node,
                mac: &self.mac,
                name: &self.summary.name,
                feature: self.feature.as_deref(),
                unit: self.unit(),
            },
        )
    }

    /// The configs that differ from the last published ones (all of them when `all`),
    /// remembered as published.
    pub fn configs_to_publish(&mut self, topics: &Topics, all: bool) -> Vec<discovery::Config> {
        let now = self.configs(topics);
        let changed = if all {
            now.clone()
        } else {
            now.iter()
                .filter(|c| !self.published.contains(c))
                .cloned()
                .collect()
        };
        self.published = now;
        changed
    }
}

/// Every device the bridge knows, by MAC (hex digits, lowercase).
#[derive(Debug, Default)]
pub struct Devices {
    by_mac: BTreeMap<String, Device>,
}

impl Devices {
    /// Adds `summary` unless known; answers the new device's MAC key.
    pub fn add(&mut self, summary: DeviceSummary) -> Option<String> {
        let device = Device::new(summary)?;
        if self.by_mac.contains_key(&device.mac) {
            return None;
        }
        let mac = device.mac.clone();
        self.by_mac.insert(mac.clone(), device);
        Some(mac)
    }

    /// The device an event names (`device` as in events: the MAC in any case).
    pub fn get_mut(&mut self, mac: &str) -> Option<&mut Device> {
        self.by_mac.get_mut(&key(mac)?)
    }

    /// Whether an event's device is known.
    pub fn contains(&self, mac: &str) -> bool {
        key(mac).is_some_and(|k| self.by_mac.contains_key(&k))
    }

    /// The device with node id `node`.
    pub fn by_node(&self, node: &str) -> Option<&Device> {
        self.by_mac
            .get(node.strip_prefix("nwp500_")?)
            .filter(|d| d.node == node)
    }

    /// Every device.
    pub fn iter(&self) -> impl Iterator<Item = &Device> {
        self.by_mac.values()
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.by_mac.len()
    }
}

/// The map key of a MAC as any event or list spells it.
fn key(mac: &str) -> Option<String> {
    node_id(mac).map(|node| node.trim_start_matches("nwp500_").to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_found_by_any_spelling_of_their_mac_and_by_node() {
        let mut devices = Devices::default();
        assert_eq!(
            devices.add(DeviceSummary::from_mac("AA:BB:CC:DD:EE:FF")),
            Some("aabbccddeeff".to_owned())
        );
        assert_eq!(devices.add(DeviceSummary::from_mac("aabbccddeeff")), None);
        assert!(devices.contains("aabbccddeeff"));
        assert!(devices.get_mut("AABBCCDDEEFF").is_some());
        assert_eq!(
            devices
                .by_node("nwp500_aabbccddeeff")
                .map(|d| d.summary.mac.as_str()),
            Some("AA:BB:CC:DD:EE:FF")
        );
        assert!(devices.by_node("aabbccddeeff").is_none());
        assert_eq!(devices.len(), 1);
    }

    #[test]
    fn unchanged_configs_are_not_published_twice() {
        let topics = Topics::new("homeassistant", "nwp500");
        let mut device = Device::new(DeviceSummary::from_mac("aabbccddeeff")).unwrap();
        let first = device.configs_to_publish(&topics, false);
        assert!(!first.is_empty());
        assert!(device.configs_to_publish(&topics, false).is_empty());
        assert_eq!(device.configs_to_publish(&topics, true), first);
        assert_eq!(device.unit(), UnitSystem::UsCustomary);
    }
}
