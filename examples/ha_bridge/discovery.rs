//! Home Assistant MQTT discovery configs for one water heater: pure functions from what
//! the bridge knows about the device to `(topic, payload)` pairs.
//!
//! Every config carries a `unique_id`, the same `device` block (so the entities group
//! under one device), the `origin`, and an `availability` list of the bridge's own topic
//! and the device's, with `availability_mode: all`: an entity is available only while
//! the bridge runs *and* the device's cloud link is up. Values come from the device's
//! JSON state topic through `value_json` templates (see `state.rs`).

use nwp500::protocol::{Feature, UnitSystem};
use serde_json::{json, Map, Value};

use crate::state::{self, FLAGS};
use crate::topics::{Control, Topics};

/// One discovery message.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `<prefix>/<component>/<node>/<object>/config`.
    pub topic: String,
    /// The JSON config.
    pub payload: Value,
}

/// What the configs are built from.
#[derive(Debug, Clone, Copy)]
pub struct DeviceInfo<'a> {
    /// The node id (`nwp500_<mac>`).
    pub node: &'a str,
    /// The MAC's 12 hex digits, lowercase.
    pub mac: &'a str,
    /// The user's label for the device (may be empty).
    pub name: &'a str,
    /// The device's feature report, once it arrived (limits, modes, firmware).
    pub feature: Option<&'a Feature>,
    /// The unit temperatures are published and commanded in.
    pub unit: UnitSystem,
}

/// What a sensor measures, for its unit, device class and state class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Measure {
    Temperature,
    Percent,
    Power,
    Energy,
    Code,
    Text,
}

/// A sensor: object id, name, state key, measure, diagnostic or not.
struct Sensor {
    object: &'static str,
    name: &'static str,
    key: &'static str,
    measure: Measure,
    diagnostic: bool,
}

const SENSORS: &[Sensor] = &[
    Sensor {
        object: "water_temperature",
        name: "Water temperature",
        key: "current_temperature",
        measure: Measure::Temperature,
        diagnostic: false,
    },
    Sensor {
        object: "tank_charge",
        name: "Tank charge",
        key: "tank_charge",
        measure: Measure::Percent,
        diagnostic: false,
    },
    Sensor {
        object: "power",
        name: "Power",
        key: "power",
        measure: Measure::Power,
        diagnostic: false,
    },
    Sensor {
        object: "tank_upper_temperature",
        name: "Tank upper temperature",
        key: "tank_upper_temperature",
        measure: Measure::Temperature,
        diagnostic: false,
    },
    Sensor {
        object: "tank_lower_temperature",
        name: "Tank lower temperature",
        key: "tank_lower_temperature",
        measure: Measure::Temperature,
        diagnostic: false,
    },
    Sensor {
        object: "inlet_temperature",
        name: "Inlet temperature",
        key: "inlet_temperature",
        measure: Measure::Temperature,
        diagnostic: false,
    },
    Sensor {
        object: "energy",
        name: "Energy this month",
        key: "energy",
        measure: Measure::Energy,
        diagnostic: false,
    },
    Sensor {
        object: "error_code",
        name: "Error code",
        key: "error_code",
        measure: Measure::Code,
        diagnostic: true,
    },
    Sensor {
        object: "error",
        name: "Error",
        key: "error",
        measure: Measure::Text,
        diagnostic: true,
    },
];

/// Binary sensor names and device classes, by state key (the keys of [`FLAGS`]).
fn flag_entity(key: &str) -> (&'static str, Option<&'static str>, bool) {
    match key {
        "compressor" => ("Compressor", Some("running"), false),
        "upper_element" => ("Upper element", Some("heat"), false),
        "lower_element" => ("Lower element", Some("heat"), false),
        "heating" => ("Heating", Some("heat"), false),
        "evaporator_fan" => ("Evaporator fan", Some("running"), false),
        "expansion_valve" => ("Expansion valve", Some("running"), true),
        "hot_water_draw" => ("Hot water draw", Some("running"), false),
        "eco_cutout" => ("ECO high-limit cut-out", Some("problem"), true),
        "freeze_protection" => ("Freeze protection", Some("running"), true),
        "anti_legionella" => ("Anti-Legionella cycle", Some("running"), false),
        _ => ("Flag", None, true),
    }
}

/// The water heater's mode names for `feature` (every mode while it is unknown): the
/// DHW modes it allows, `off` when it can be switched off, and `vacation` (which it
/// may report; it cannot be chosen here, since it needs a day count).
pub fn modes(feature: Option<&Feature>) -> Vec<&'static str> {
    let allows = |flag: fn(&Feature) -> bool| feature.is_none_or(flag);
    let mut modes = Vec::new();
    if allows(|f| f.power_use) {
        modes.push("off");
    }
    for (name, flag) in [
        (
            "eco",
            (|f: &Feature| f.energy_saver_use) as fn(&Feature) -> bool,
        ),
        ("heat_pump", |f| f.heatpump_use),
        ("high_demand", |f| f.high_demand_use),
        ("electric", |f| f.electric_use),
    ] {
        if allows(flag) {
            modes.push(name);
        }
    }
    if allows(|f| f.holiday_use) {
        modes.push("vacation");
    }
    modes
}

/// Every discovery config of the device: the water heater, the sensors, the binary
/// sensors.
pub fn configs(topics: &Topics, info: &DeviceInfo<'_>) -> Vec<Config> {
    let mut out = vec![water_heater(topics, info)];
    out.extend(SENSORS.iter().map(|s| sensor(topics, info, s)));
    out.extend(
        FLAGS
            .iter()
            .map(|(key, _)| binary_sensor(topics, info, key)),
    );
    out
}

fn water_heater(topics: &Topics, info: &DeviceInfo<'_>) -> Config {
    let state = topics.state(info.node);
    let mut c = common(topics, info, "water_heater");
    // `null`: the entity is the device itself and takes the device's name.
    c.insert("name".into(), Value::Null);
    c.insert("current_temperature_topic".into(), json!(state));
    c.insert(
        "current_temperature_template".into(),
        json!(template("current_temperature")),
    );
    c.insert("temperature_state_topic".into(), json!(state));
    c.insert(
        "temperature_state_template".into(),
        json!(template("target_temperature")),
    );
    c.insert(
        "temperature_command_topic".into(),
        json!(topics.command(info.node, Control::Temperature)),
    );
    c.insert("mode_state_topic".into(), json!(state));
    c.insert("mode_state_template".into(), json!(template("mode")));
    c.insert(
        "mode_command_topic".into(),
        json!(topics.command(info.node, Control::Mode)),
    );
    c.insert("modes".into(), json!(modes(info.feature)));
    if info.feature.is_none_or(|f| f.power_use) {
        c.insert(
            "power_command_topic".into(),
            json!(topics.command(info.node, Control::Power)),
        );
    }
    let (unit, precision) = match info.unit {
        UnitSystem::Metric => ("C", 0.5),
        UnitSystem::UsCustomary => ("F", 1.0),
    };
    c.insert("temperature_unit".into(), json!(unit));
    c.insert("precision".into(), json!(precision));
    if let Some((min, max)) = info.feature.and_then(|f| limits(f, info.unit)) {
        c.insert("min_temp".into(), json!(min));
        c.insert("max_temp".into(), json!(max));
    }
    c.insert("optimistic".into(), json!(false));
    c.insert("qos".into(), json!(1));
    finish(topics, "water_heater", info.node, "water_heater", c)
}

/// The setpoint range of the feature report in `unit`. In °F the limits (half-°C on
/// the wire) are rounded inwards to whole degrees, since the library checks a setpoint
/// against the limits converted to the same unit: Home Assistant then offers only
/// values the library accepts.
fn limits(feature: &Feature, unit: UnitSystem) -> Option<(f64, f64)> {
    let (min, max) = (feature.dhw_temperature_min?, feature.dhw_temperature_max?);
    Some(match unit {
        UnitSystem::Metric => (min.celsius(), max.celsius()),
        // The margin absorbs conversion noise (a limit of exactly 120 °F computed as
        // 119.999…); it is no larger than the tolerance the library allows itself.
        UnitSystem::UsCustomary => (
            (min.fahrenheit() - 1e-9).ceil(),
            (max.fahrenheit() + 1e-9).floor(),
        ),
    })
}

fn sensor(topics: &Topics, info: &DeviceInfo<'_>, s: &Sensor) -> Config {
    let mut c = common(topics, info, s.object);
    c.insert("name".into(), json!(s.name));
    c.insert("state_topic".into(), json!(topics.state(info.node)));
    c.insert("value_template".into(), json!(template(s.key)));
    let (unit, device_class, state_class) = match s.measure {
        Measure::Temperature => (
            Some(info.unit.temperature_symbol()),
            Some("temperature"),
            Some("measurement"),
        ),
        Measure::Percent => (Some("%"), None, Some("measurement")),
        Measure::Power => (Some("W"), Some("power"), Some("measurement")),
        Measure::Energy => (Some("kWh"), Some("energy"), Some("total_increasing")),
        Measure::Code | Measure::Text => (None, None, None),
    };
    if let Some(unit) = unit {
        c.insert("unit_of_measurement".into(), json!(unit));
    }
    if let Some(class) = device_class {
        c.insert("device_class".into(), json!(class));
    }
    if let Some(class) = state_class {
        c.insert("state_class".into(), json!(class));
    }
    match s.measure {
        Measure::Percent => {
            c.insert("icon".into(), json!("mdi:water-percent"));
        }
        Measure::Code | Measure::Text => {
            c.insert("icon".into(), json!("mdi:alert-circle-outline"));
        }
        _ => {}
    }
    if s.diagnostic {
        c.insert("entity_category".into(), json!("diagnostic"));
    }
    finish(topics, "sensor", info.node, s.object, c)
}

fn binary_sensor(topics: &Topics, info: &DeviceInfo<'_>, key: &str) -> Config {
    let (name, device_class, diagnostic) = flag_entity(key);
    let mut c = common(topics, info, key);
    c.insert("name".into(), json!(name));
    c.insert("state_topic".into(), json!(topics.state(info.node)));
    c.insert("value_template".into(), json!(template(key)));
    c.insert("payload_on".into(), json!("ON"));
    c.insert("payload_off".into(), json!("OFF"));
    if let Some(class) = device_class {
        c.insert("device_class".into(), json!(class));
    }
    if diagnostic {
        c.insert("entity_category".into(), json!("diagnostic"));
    }
    finish(topics, "binary_sensor", info.node, key, c)
}

/// `{{ value_json.<key> }}`.
fn template(key: &str) -> String {
    debug_assert!(state::keys().any(|k| k == key), "{key} is not a state key");
    format!("{{{{ value_json.{key} }}}}")
}

/// The keys every entity shares.
fn common(topics: &Topics, info: &DeviceInfo<'_>, object: &str) -> Map<String, Value> {
    let mut c = Map::new();
    c.insert("unique_id".into(), json!(format!("{}_{object}", info.node)));
    c.insert("device".into(), device(info));
    c.insert(
        "origin".into(),
        json!({"name": "nwp500 ha_bridge", "sw_version": env!("CARGO_PKG_VERSION")}),
    );
    c.insert(
        "availability".into(),
        json!([
            {"topic": topics.bridge_availability()},
            {"topic": topics.device_availability(info.node)},
        ]),
    );
    c.insert("availability_mode".into(), json!("all"));
    c.insert("payload_available".into(), json!("online"));
    c.insert("payload_not_available".into(), json!("offline"));
    c
}

/// The `device` block: identifiers and MAC connection, manufacturer, model (with the
/// tank size once the feature report gave it), firmware versions and serial number.
fn device(info: &DeviceInfo<'_>) -> Value {
    let suffix = info
        .mac
        .get(info.mac.len().saturating_sub(4)..)
        .unwrap_or("");
    let name = if info.name.trim().is_empty() {
        format!("NWP500 {suffix}")
    } else {
        info.name.trim().to_owned()
    };
    let mut d = Map::new();
    d.insert("identifiers".into(), json!([info.node]));
    if info.mac.len() == 12 {
        let pairs: Vec<&str> = (0..6)
            .filter_map(|i| info.mac.get(i * 2..i * 2 + 2))
            .collect();
        d.insert("connections".into(), json!([["mac", pairs.join(":")]]));
    }
    d.insert("manufacturer".into(), json!("Navien"));
    let gallons = info.feature.and_then(|f| f.volume_code.gallons());
    let model = match gallons {
        Some(g) => format!("NWP500-{g:.0}"),
        None => "NWP500".to_owned(),
    };
    d.insert("model".into(), json!(model));
    d.insert("name".into(), json!(name));
    if let Some(f) = info.feature {
        d.insert(
            "sw_version".into(),
            json!(format!(
                "controller {} · panel {} · Wi-Fi {}",
                f.controller_sw_version, f.panel_sw_version, f.wifi_sw_version
            )),
        );
        if !f.controller_serial_number.is_empty() {
            d.insert("serial_number".into(), json!(f.controller_serial_number));
        }
    }
    Value::Object(d)
}

fn finish(
    topics: &Topics,
    component: &str,
    node: &str,
    object: &str,
    config: Map<String, Value>,
) -> Config {
    Config {
        topic: topics.discovery(component, node, object),
        payload: Value::Object(config),
    }
}

#[cfg(test)]
#[path = "discovery_tests.rs"]
mod tests;
