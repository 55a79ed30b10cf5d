//! Unit tests of the discovery builders (`discovery.rs`).

use std::collections::HashSet;

use nwp500::protocol::{Feature, UnitSystem};
use serde_json::{json, Value};

use super::*;
use crate::state;

/// The simulator's feature payload (a real device's shape) with the golden limits.
fn feature(overrides: Value) -> Feature {
    let mut f: Value =
        serde_json::from_str(include_str!("../../sim/src/data/feature_template.json"))
            .expect("the simulator's feature template");
    let object = f.as_object_mut().expect("an object");
    object.insert("dhwTemperatureMin".into(), json!(81));
    object.insert("dhwTemperatureMax".into(), json!(131));
    object.insert("controllerSerialNumber".into(), json!("TESTSERIAL0001"));
    if let Some(extra) = overrides.as_object() {
        object.extend(extra.clone());
    }
    Feature::from_json(f.to_string().as_bytes()).expect("a valid feature")
}

fn info(feature: Option<&Feature>, unit: UnitSystem) -> DeviceInfo<'_> {
    DeviceInfo {
        node: "nwp500_aabbccddeeff",
        mac: "aabbccddeeff",
        name: "Garage Water Heater",
        feature,
        unit,
    }
}

fn topics() -> Topics {
    Topics::new("homeassistant", "nwp500")
}

fn by_component<'c>(configs: &'c [Config], component: &str) -> Vec<&'c Config> {
    configs
        .iter()
        .filter(|c| c.topic.split('/').nth(1) == Some(component))
        .collect()
}

#[test]
fn every_config_has_the_keys_home_assistant_needs() {
    let f = feature(json!({}));
    for feature in [None, Some(&f)] {
        let configs = configs(&topics(), &info(feature, UnitSystem::UsCustomary));
        let mut ids = HashSet::new();
        for c in &configs {
            let p = &c.payload;
            let levels: Vec<&str> = c.topic.split('/').collect();
            assert_eq!(levels.len(), 5, "{}", c.topic);
            assert_eq!(levels[0], "homeassistant");
            assert_eq!(levels[2], "nwp500_aabbccddeeff");
            assert_eq!(levels[4], "config");
            assert!(
                levels[3]
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-'),
                "{}",
                c.topic
            );
            let id = p["unique_id"].as_str().expect("unique_id");
            assert!(ids.insert(id.to_owned()), "duplicate unique_id {id}");
            assert_eq!(p["device"]["identifiers"], json!(["nwp500_aabbccddeeff"]));
            assert_eq!(p["device"]["manufacturer"], "Navien");
            assert_eq!(
                p["device"]["connections"],
                json!([["mac", "aa:bb:cc:dd:ee:ff"]])
            );
            assert_eq!(p["availability_mode"], "all");
            assert_eq!(
                p["availability"],
                json!([
                    {"topic": "nwp500/bridge/availability"},
                    {"topic": "nwp500/nwp500_aabbccddeeff/availability"}
                ])
            );
            assert_eq!(p["origin"]["name"], "nwp500 ha_bridge");
            match levels[1] {
                "sensor" | "binary_sensor" => {
                    assert_eq!(p["state_topic"], "nwp500/nwp500_aabbccddeeff/state");
                    let template = p["value_template"].as_str().expect("value_template");
                    let key = template
                        .trim_start_matches("{{ value_json.")
                        .trim_end_matches(" }}");
                    assert!(state::keys().any(|k| k == key), "{template}");
                    assert!(p["name"].is_string());
                }
                "water_heater" => {}
                other => panic!("unexpected component {other}"),
            }
        }
        assert_eq!(by_component(&configs, "water_heater").len(), 1);
        assert_eq!(by_component(&configs, "binary_sensor").len(), FLAGS.len());
    }
}

#[test]
fn the_water_heater_reads_the_state_and_commands_the_bridge() {
    let f = feature(json!({}));
    let configs = configs(&topics(), &info(Some(&f), UnitSystem::UsCustomary));
    let p = &by_component(&configs, "water_heater")[0].payload;
    let state = "nwp500/nwp500_aabbccddeeff/state";
    assert_eq!(p["name"], Value::Null);
    assert_eq!(p["current_temperature_topic"], state);
    assert_eq!(
        p["current_temperature_template"],
        "{{ value_json.current_temperature }}"
    );
    assert_eq!(p["temperature_state_topic"], state);
    assert_eq!(p["mode_state_topic"], state);
    assert_eq!(p["mode_state_template"], "{{ value_json.mode }}");
    assert_eq!(
        p["temperature_command_topic"],
        "nwp500/nwp500_aabbccddeeff/temperature/set"
    );
    assert_eq!(
        p["mode_command_topic"],
        "nwp500/nwp500_aabbccddeeff/mode/set"
    );
    assert_eq!(
        p["power_command_topic"],
        "nwp500/nwp500_aabbccddeeff/power/set"
    );
    assert_eq!(p["temperature_unit"], "F");
    assert_eq!(p["precision"], json!(1.0));
    // 81 and 131 half-°C: 104.9 °F and 149.9 °F, rounded inwards.
    assert_eq!(p["min_temp"], json!(105.0));
    assert_eq!(p["max_temp"], json!(149.0));
    assert_eq!(p["device"]["model"], "NWP500-65");
    assert_eq!(p["device"]["serial_number"], "TESTSERIAL0001");
    assert!(p["device"]["sw_version"]
        .as_str()
        .is_some_and(|v| v.starts_with("controller ")));
    assert_eq!(p["device"]["name"], "Garage Water Heater");
}

#[test]
fn celsius_devices_get_half_degree_precision_and_celsius_limits() {
    let f = feature(json!({"temperatureType": 1}));
    let configs = configs(&topics(), &info(Some(&f), UnitSystem::Metric));
    let p = &by_component(&configs, "water_heater")[0].payload;
    assert_eq!(p["temperature_unit"], "C");
    assert_eq!(p["precision"], json!(0.5));
    assert_eq!(p["min_temp"], json!(40.5));
    assert_eq!(p["max_temp"], json!(65.5));
    for sensor in by_component(&configs, "sensor") {
        if sensor.payload["device_class"] == "temperature" {
            assert_eq!(sensor.payload["unit_of_measurement"], "°C");
        }
    }
}

#[test]
fn without_a_feature_report_every_mode_is_offered_and_no_limits_are_guessed() {
    let configs = configs(&topics(), &info(None, UnitSystem::UsCustomary));
    let p = &by_component(&configs, "water_heater")[0].payload;
    assert_eq!(
        p["modes"],
        json!([
            "off",
            "eco",
            "heat_pump",
            "high_demand",
            "electric",
            "vacation"
        ])
    );
    assert!(p.get("min_temp").is_none());
    assert!(p.get("max_temp").is_none());
    assert_eq!(p["device"]["model"], "NWP500");
    assert!(p["device"].get("sw_version").is_none());
}

#[test]
fn modes_follow_the_feature_report() {
    let f = feature(json!({"electricUse": 1, "powerUse": 1, "holidayUse": 1}));
    assert_eq!(modes(Some(&f)), ["eco", "heat_pump", "high_demand"]);
    let configs = configs(&topics(), &info(Some(&f), UnitSystem::UsCustomary));
    let p = &by_component(&configs, "water_heater")[0].payload;
    assert!(p.get("power_command_topic").is_none());
    // Every mode the state can report is one the entity lists (or the state is off).
    for setting in 1..=4 {
        let name =
            crate::state::mode_name(nwp500::protocol::DhwOperationSetting::from_raw(setting));
        if setting != 2 {
            assert!(modes(Some(&f)).contains(&name.expect("known")), "{setting}");
        }
    }
}

#[test]
fn sensors_have_units_and_classes_home_assistant_accepts() {
    let configs = configs(&topics(), &info(None, UnitSystem::UsCustomary));
    for c in by_component(&configs, "sensor") {
        let p = &c.payload;
        match p["device_class"].as_str() {
            Some("temperature") => assert_eq!(p["unit_of_measurement"], "°F"),
            Some("power") => assert_eq!(p["unit_of_measurement"], "W"),
            Some("energy") => {
                assert_eq!(p["unit_of_measurement"], "kWh");
                assert_eq!(p["state_class"], "total_increasing");
            }
            Some(other) => panic!("unexpected device class {other}"),
            None => {}
        }
    }
    let unnamed: Vec<&str> = by_component(&configs, "binary_sensor")
        .iter()
        .filter(|c| c.payload["name"] == "Flag")
        .map(|c| c.topic.as_str())
        .collect();
    assert!(unnamed.is_empty(), "flags without a name: {unnamed:?}");
}

#[test]
fn an_unnamed_device_is_named_after_its_mac_tail() {
    let mut i = info(None, UnitSystem::Metric);
    i.name = "  ";
    let configs = configs(&topics(), &i);
    assert_eq!(configs[0].payload["device"]["name"], "NWP500 eeff");
}
