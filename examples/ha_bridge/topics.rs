//! The bridge's topic names on the local broker: discovery configs under the discovery
//! prefix, and state, availability and command topics under the base topic.
//!
//! ```text
//! homeassistant/<component>/<node>/<object>/config   discovery (retained)
//! homeassistant/status                               Home Assistant's birth/will
//! nwp500/bridge/availability                         the bridge (retained, last will)
//! nwp500/<node>/availability                         one device's cloud link (retained)
//! nwp500/<node>/state                                one device's values, JSON (retained)
//! nwp500/<node>/<control>/set                        commands from Home Assistant
//! ```
//!
//! `<node>` is `nwp500_` and the device's 12 MAC hex digits: stable, unique, and valid
//! in a discovery topic (`[a-zA-Z0-9_-]`).

/// A command topic's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Target temperature (a number in the device's unit).
    Temperature,
    /// Operation mode (one of the water heater's `modes`).
    Mode,
    /// Power (`ON` / `OFF`).
    Power,
}

impl Control {
    /// Every control.
    pub const ALL: [Control; 3] = [Control::Temperature, Control::Mode, Control::Power];

    /// The topic level naming it.
    pub fn level(self) -> &'static str {
        match self {
            Control::Temperature => "temperature",
            Control::Mode => "mode",
            Control::Power => "power",
        }
    }
}

/// The topic layout, from the two configurable prefixes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topics {
    discovery_prefix: String,
    base: String,
}

impl Topics {
    /// A layout with `discovery_prefix` (Home Assistant's, `homeassistant` by default)
    /// and `base` (the bridge's own, `nwp500` by default); trailing slashes are ignored.
    pub fn new(discovery_prefix: &str, base: &str) -> Self {
        Self {
            discovery_prefix: discovery_prefix.trim_end_matches('/').to_owned(),
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    /// `<base>/bridge/availability`: the bridge's own availability and last will.
    pub fn bridge_availability(&self) -> String {
        format!("{}/bridge/availability", self.base)
    }

    /// `<base>/<node>/availability`.
    pub fn device_availability(&self, node: &str) -> String {
        format!("{}/{node}/availability", self.base)
    }

    /// `<base>/<node>/state`.
    pub fn state(&self, node: &str) -> String {
        format!("{}/{node}/state", self.base)
    }

    /// `<base>/<node>/<control>/set`.
    pub fn command(&self, node: &str, control: Control) -> String {
        format!("{}/{node}/{}/set", self.base, control.level())
    }

    /// The filter matching every command topic.
    pub fn command_filter(&self) -> String {
        format!("{}/+/+/set", self.base)
    }

    /// `<prefix>/status`: where Home Assistant announces itself.
    pub fn ha_status(&self) -> String {
        format!("{}/status", self.discovery_prefix)
    }

    /// `<prefix>/<component>/<node>/<object>/config`.
    pub fn discovery(&self, component: &str, node: &str, object: &str) -> String {
        format!(
            "{}/{component}/{node}/{object}/config",
            self.discovery_prefix
        )
    }

    /// The node and control a command topic names; `None` for any other topic.
    pub fn parse_command<'t>(&self, topic: &'t str) -> Option<(&'t str, Control)> {
        let rest = topic.strip_prefix(self.base.as_str())?.strip_prefix('/')?;
        let mut levels = rest.split('/');
        let (node, level, set) = (levels.next()?, levels.next()?, levels.next()?);
        if set != "set" || levels.next().is_some() || node.is_empty() {
            return None;
        }
        let control = Control::ALL.into_iter().find(|c| c.level() == level)?;
        Some((node, control))
    }
}

/// The node id of a device: `nwp500_` and its MAC's hex digits in lowercase; `None`
/// when the MAC has no hex digit at all.
pub fn node_id(mac: &str) -> Option<String> {
    let digits: String = mac
        .chars()
        .filter(char::is_ascii_hexdigit)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (!digits.is_empty()).then(|| format!("nwp500_{digits}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topics() -> Topics {
        Topics::new("homeassistant/", "nwp500")
    }

    #[test]
    fn layout() {
        let t = topics();
        let node = "nwp500_aabbccddeeff";
        assert_eq!(t.bridge_availability(), "nwp500/bridge/availability");
        assert_eq!(
            t.device_availability(node),
            "nwp500/nwp500_aabbccddeeff/availability"
        );
        assert_eq!(t.state(node), "nwp500/nwp500_aabbccddeeff/state");
        assert_eq!(
            t.command(node, Control::Temperature),
            "nwp500/nwp500_aabbccddeeff/temperature/set"
        );
        assert_eq!(t.ha_status(), "homeassistant/status");
        assert_eq!(
            t.discovery("water_heater", node, "water_heater"),
            "homeassistant/water_heater/nwp500_aabbccddeeff/water_heater/config"
        );
    }

    #[test]
    fn command_topics_round_trip_and_nothing_else_parses() {
        let t = topics();
        for control in Control::ALL {
            let topic = t.command("nwp500_aabbccddeeff", control);
            assert_eq!(
                t.parse_command(&topic),
                Some(("nwp500_aabbccddeeff", control))
            );
        }
        for other in [
            "nwp500/bridge/availability",
            "nwp500/nwp500_aabbccddeeff/state",
            "nwp500/nwp500_aabbccddeeff/fan/set",
            "nwp500/nwp500_aabbccddeeff/mode/set/extra",
            "nwp500//mode/set",
            "nwp500x/n/mode/set",
            "homeassistant/status",
        ] {
            assert_eq!(t.parse_command(other), None, "{other}");
        }
    }

    #[test]
    fn node_ids_keep_only_the_hex_digits() {
        assert_eq!(
            node_id("AA:BB:CC:DD:EE:FF").as_deref(),
            Some("nwp500_aabbccddeeff")
        );
        assert_eq!(
            node_id("aabbccddeeff").as_deref(),
            Some("nwp500_aabbccddeeff")
        );
        assert_eq!(node_id("::"), None);
    }
}
