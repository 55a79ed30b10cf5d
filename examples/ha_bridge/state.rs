//! A device's values as the JSON object published on its state topic: the keys the
//! discovery configs' templates read (`{{ value_json.<key> }}`).
//!
//! Every key is always present; a value the device has not reported is `null`, which
//! Home Assistant's templates render as `None` and its MQTT entities show as unknown
//! (rather than a made-up zero). Flags are `"ON"` / `"OFF"`, the binary sensors'
//! default payloads.

use nwp500::protocol::{round_decimals, DhwOperationSetting, Status, UnitSystem};
use serde_json::{json, Map, Value};

/// Water heater mode names, Home Assistant's standard operation states where one fits
/// (its frontend translates them); vacation has no standard name.
pub fn mode_name(setting: DhwOperationSetting) -> Option<&'static str> {
    match setting {
        DhwOperationSetting::HeatPump => Some("heat_pump"),
        DhwOperationSetting::Electric => Some("electric"),
        DhwOperationSetting::EnergySaver => Some("eco"),
        DhwOperationSetting::HighDemand => Some("high_demand"),
        DhwOperationSetting::Vacation => Some("vacation"),
        DhwOperationSetting::PowerOff => Some("off"),
        DhwOperationSetting::Unknown(_) => None,
    }
}

/// Reads one flag of a status (`None`: the device reported it as unknown).
pub type ReadFlag = fn(&Status) -> Option<bool>;

/// The flags published as binary sensors: state key and how to read it from a status.
pub const FLAGS: &[(&str, ReadFlag)] = &[
    ("compressor", |s| s.comp_use),
    ("upper_element", |s| s.heat_upper_use),
    ("lower_element", |s| s.heat_lower_use),
    ("heating", |s| s.operation_busy),
    ("evaporator_fan", |s| Some(s.eva_fan_use)),
    ("expansion_valve", |s| Some(s.eev_use)),
    ("hot_water_draw", |s| Some(s.dhw_use)),
    ("eco_cutout", |s| Some(s.eco_use)),
    ("freeze_protection", |s| Some(s.freeze_protection_use)),
    ("anti_legionella", |s| s.anti_legionella_operation_busy),
];

/// Every key of the state object, in publication order.
pub fn keys() -> impl Iterator<Item = &'static str> {
    [
        "current_temperature",
        "target_temperature",
        "mode",
        "tank_charge",
        "power",
        "tank_upper_temperature",
        "tank_lower_temperature",
        "inlet_temperature",
        "error_code",
        "error",
        "energy",
    ]
    .into_iter()
    .chain(FLAGS.iter().map(|(key, _)| *key))
}

/// The state object for `status` (none yet: every value `null`) with temperatures in
/// `unit` and `energy_kwh` (this month's consumption, when known).
pub fn state_json(status: Option<&Status>, unit: UnitSystem, energy_kwh: Option<f64>) -> Value {
    let mut m = Map::new();
    let temp = |t: Option<f64>| t.map(|t| round_decimals(t, 1));
    let s = status;
    m.insert(
        "current_temperature".into(),
        json!(temp(
            s.and_then(|s| s.dhw_temperature).map(|t| t.in_unit(unit))
        )),
    );
    m.insert(
        "target_temperature".into(),
        json!(temp(
            s.and_then(|s| s.dhw_temperature_setting)
                .map(|t| t.in_unit(unit))
        )),
    );
    m.insert(
        "mode".into(),
        json!(s.and_then(|s| s.dhw_operation_setting).and_then(mode_name)),
    );
    m.insert(
        "tank_charge".into(),
        json!(s.map(|s| round_decimals(s.dhw_charge_percent, 1))),
    );
    m.insert("power".into(), json!(s.map(|s| s.current_inst_power)));
    m.insert(
        "tank_upper_temperature".into(),
        json!(temp(
            s.and_then(|s| s.tank_upper_temperature)
                .map(|t| t.in_unit(unit))
        )),
    );
    m.insert(
        "tank_lower_temperature".into(),
        json!(temp(
            s.and_then(|s| s.tank_lower_temperature)
                .map(|t| t.in_unit(unit))
        )),
    );
    m.insert(
        "inlet_temperature".into(),
        json!(temp(
            s.and_then(|s| s.current_inlet_temperature)
                .map(|t| t.in_unit(unit))
        )),
    );
    let error = s.and_then(|s| s.error_code);
    m.insert("error_code".into(), json!(error.map(|e| e.raw())));
    m.insert("error".into(), json!(error.map(error_text)));
    m.insert(
        "energy".into(),
        json!(energy_kwh.map(|e| round_decimals(e, 3))),
    );
    for (key, read) in FLAGS {
        let flag = s.and_then(read).map(|on| if on { "ON" } else { "OFF" });
        m.insert((*key).into(), json!(flag));
    }
    Value::Object(m)
}

/// `No error`, `E799 Water leak detected`, or `E123` for a code this library does not
/// know.
fn error_text(code: nwp500::protocol::ErrorCode) -> String {
    match (code.raw(), code.label()) {
        (0, Some(label)) => label.to_owned(),
        (raw, Some(label)) => format!("E{raw:03} {label}"),
        (raw, None) => format!("E{raw:03}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The simulator's status payload (a real device's shape) with the values the
    /// assertions below use, and `overrides`.
    fn status(overrides: Value) -> Status {
        let mut base: Value =
            serde_json::from_str(include_str!("../../sim/src/data/status_template.json"))
                .expect("the simulator's status template");
        let fixed = json!({
            "dhwTemperature": 98, "dhwTemperatureSetting": 100,
            "tankUpperTemperature": 495, "tankLowerTemperature": 412,
            "currentInletTemperature": 30, "dhwOperationSetting": 3,
            "compUse": 2, "heatUpperUse": 1, "operationBusy": 2, "dhwUse": 1,
            "dhwChargePer": 87.5, "currentInstPower": 431, "errorCode": 0
        });
        if let Some(base) = base.as_object_mut() {
            for extra in [fixed, overrides] {
                if let Some(extra) = extra.as_object() {
                    base.extend(extra.clone());
                }
            }
        }
        Status::from_json(base.to_string().as_bytes()).expect("a valid status")
    }

    #[test]
    fn values_in_the_device_unit_with_flags_and_mode() {
        let st = status(json!({}));
        let v = state_json(Some(&st), UnitSystem::Metric, Some(12.3456));
        assert_eq!(v["current_temperature"], json!(49.0));
        assert_eq!(v["target_temperature"], json!(50.0));
        assert_eq!(v["tank_upper_temperature"], json!(49.5));
        assert_eq!(v["tank_lower_temperature"], json!(41.2));
        assert_eq!(v["inlet_temperature"], json!(15.0));
        assert_eq!(v["mode"], "eco");
        assert_eq!(v["tank_charge"], json!(87.5));
        assert_eq!(v["power"], json!(431.0));
        assert_eq!(v["error_code"], json!(0));
        assert_eq!(v["error"], "No error");
        assert_eq!(v["energy"], json!(12.346));
        assert_eq!(v["compressor"], "ON");
        assert_eq!(v["upper_element"], "OFF");
        assert_eq!(v["heating"], "ON");
        assert_eq!(v["hot_water_draw"], "OFF");

        let f = state_json(Some(&st), UnitSystem::UsCustomary, None);
        assert_eq!(f["current_temperature"], json!(120.2));
        assert_eq!(f["target_temperature"], json!(122.0));
        assert_eq!(f["energy"], Value::Null);
    }

    #[test]
    fn every_key_is_present_and_unknown_values_are_null() {
        let v = state_json(None, UnitSystem::Metric, None);
        let object = v.as_object().expect("an object");
        assert_eq!(object.len(), keys().count());
        for key in keys() {
            assert_eq!(object.get(key), Some(&Value::Null), "{key}");
        }
        let with_status = state_json(Some(&status(json!({}))), UnitSystem::Metric, None);
        for key in keys() {
            assert!(with_status.get(key).is_some(), "{key}");
        }
    }

    #[test]
    fn errors_carry_their_code_and_text() {
        let v = state_json(
            Some(&status(json!({"errorCode": 799}))),
            UnitSystem::Metric,
            None,
        );
        assert_eq!(v["error_code"], json!(799));
        assert_eq!(v["error"], "E799 Water leak detected");
        let unknown = state_json(
            Some(&status(json!({"errorCode": 12}))),
            UnitSystem::Metric,
            None,
        );
        assert_eq!(unknown["error"], "E012");
    }

    #[test]
    fn every_known_setting_has_a_mode_name() {
        for raw in 1..=6 {
            assert!(
                mode_name(DhwOperationSetting::from_raw(raw)).is_some(),
                "{raw}"
            );
        }
        assert_eq!(mode_name(DhwOperationSetting::from_raw(42)), None);
        assert_eq!(
            state_json(
                Some(&status(json!({"dhwOperationSetting": 6}))),
                UnitSystem::Metric,
                None
            )["mode"],
            "off"
        );
    }
}
