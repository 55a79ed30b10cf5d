//! JSON payloads a device sends: status, feature, reservation/TOU answers and the envelope.
//!
//! Status and feature start from real raw objects (the golden examples of the recorded test
//! vectors, in `src/data/`) so that every key is present with a realistic encoding; the fields
//! the simulation changes are then overwritten.

use std::sync::OnceLock;

use serde_json::{json, Map, Value};

use super::state::{DeviceState, DHW_TEMPERATURE_MAX, DHW_TEMPERATURE_MIN, MODE_POWER_OFF};
use super::thermal::{HEAT_PUMP_ELECTRIC_W, LAYER_CAPACITY_WH_PER_K};

/// NWP500 device type.
pub(crate) const DEVICE_TYPE: u64 = 52;
/// Reference temperature of the energy fields, °C (`dhwTemperatureMin`, docs/protocol.md §6.5).
const ENERGY_REFERENCE_C: f64 = 40.5;

fn template(cell: &'static OnceLock<Map<String, Value>>, text: &str) -> Map<String, Value> {
    cell.get_or_init(|| match serde_json::from_str(text) {
        Ok(Value::Object(map)) => map,
        // The templates are compiled in and checked by a unit test.
        _ => Map::new(),
    })
    .clone()
}

fn status_template() -> Map<String, Value> {
    static CELL: OnceLock<Map<String, Value>> = OnceLock::new();
    template(&CELL, include_str!("../data/status_template.json"))
}

fn feature_template() -> Map<String, Value> {
    static CELL: OnceLock<Map<String, Value>> = OnceLock::new();
    template(&CELL, include_str!("../data/feature_template.json"))
}

fn devbool(on: bool) -> Value {
    json!(if on { 2 } else { 1 })
}

fn half_c(c: f64) -> Value {
    json!((c * 2.0).round() as i64)
}

fn deci_c(c: f64) -> Value {
    json!((c * 10.0).round() as i64)
}

/// The full status object (all 102 keys of docs/protocol.md §7) for a reply to `command`.
pub(crate) fn status(state: &DeviceState, command: u64) -> Map<String, Value> {
    let mut s = status_template();
    let tank = &state.tank;
    let h = state.heaters;
    let sp = state.setpoint;
    let mut set = |k: &str, v: Value| {
        s.insert(k.to_owned(), v);
    };

    set("command", json!(command));
    set(
        "temperatureType",
        json!(if state.spec.celsius { 1 } else { 2 }),
    );
    set("errorCode", json!(state.error_code));
    set("subErrorCode", json!(state.sub_error_code));

    // What runs now.
    let operation_mode = match (h.compressor, h.any_element()) {
        (false, false) => 0,
        (true, false) => 32,
        (_, true) if state.mode == 3 => 64,
        (_, true) => 96,
    };
    set("operationMode", json!(operation_mode));
    set("dhwOperationSetting", json!(state.mode));
    set("operationBusy", devbool(h.any()));
    set("dhwOperationBusy", devbool(h.any()));
    let heat_use = match (h.compressor, h.any_element()) {
        (false, false) => 0,
        (true, false) => 1,
        (false, true) => 2,
        (true, true) => 3,
    };
    set("currentHeatUse", json!(heat_use));
    set("compUse", devbool(h.compressor));
    set("heatUpperUse", devbool(h.upper_element));
    set("heatLowerUse", devbool(h.lower_element));
    set("eevUse", devbool(h.compressor));
    set("evaFanUse", devbool(h.compressor));
    let drawing = tank.draw_lpm > 0.0;
    set("dhwUse", devbool(drawing));
    set(
        "dhwUseSustained",
        devbool(drawing && state.draw_elapsed_s > 60.0),
    );
    set(
        "currentInstPower",
        json!(if h.compressor {
            (HEAT_PUMP_ELECTRIC_W + (tank.lower_c - 45.0) * 2.0).round() as i64
        } else {
            0
        }),
    );

    // Temperatures.
    set("dhwTemperature", half_c(tank.upper_c));
    set(
        "dhwTemperature2",
        half_c(0.9 * tank.upper_c + 0.1 * tank.lower_c),
    );
    set("dhwTemperatureSetting", json!(sp));
    set("dhwTargetTemperatureSetting", json!(sp));
    for (key, offset) in [
        ("hpUpperOnTempSetting", 6),
        ("hpLowerOnTempSetting", 11),
        ("heUpperOnTempSetting", 16),
        ("heLowerOnTempSetting", 21),
    ] {
        set(key, json!(sp - offset));
    }
    for key in [
        "hpUpperOffTempSetting",
        "hpLowerOffTempSetting",
        "heUpperOffTempSetting",
        "heLowerOffTempSetting",
    ] {
        set(key, json!(sp));
    }
    set(
        "freezeProtectionTemperature",
        json!(state.freeze_protection_temperature),
    );
    set("currentInletTemperature", half_c(tank.inlet_c));
    set("tankUpperTemperature", deci_c(tank.upper_c));
    set("tankLowerTemperature", deci_c(tank.lower_c));
    set("ambientTemperature", deci_c(tank.ambient_c));
    if h.compressor {
        set("dischargeTemperature", deci_c(tank.lower_c + 20.0));
        set("suctionTemperature", deci_c(tank.ambient_c - 9.5));
        set("evaporatorTemperature", deci_c(tank.ambient_c - 13.5));
        set("currentSuperHeat", json!(40));
        set("targetFanRpm", json!(900));
        set("currentFanRpm", json!(880));
        set("fanPwm", json!(40));
        set("eevStep", json!(120));
    } else {
        for key in [
            "dischargeTemperature",
            "suctionTemperature",
            "evaporatorTemperature",
        ] {
            set(key, deci_c(tank.ambient_c));
        }
        set("currentSuperHeat", json!(0));
        set("targetFanRpm", json!(0));
        set("currentFanRpm", json!(0));
        set("fanPwm", json!(0));
        set("eevStep", json!(0));
    }

    // Flow and energy.
    set(
        "currentDhwFlowRate",
        json!((tank.draw_lpm * 10.0).round() as i64),
    );
    set(
        "cumulatedDhwFlowRate",
        json!(tank.delivered_litres.floor() as i64),
    );
    let capacity = 2.0 * LAYER_CAPACITY_WH_PER_K;
    let full_wh = (capacity * (state.setpoint_c() - ENERGY_REFERENCE_C)).max(0.0);
    let needed_wh = (capacity * (state.setpoint_c() - tank.mean_c())).clamp(0.0, full_wh);
    set("totalEnergyCapacity", json!((full_wh / 4.0).round() as i64));
    set(
        "availableEnergyCapacity",
        json!((needed_wh / 4.0).round() as i64),
    );
    let charge = if full_wh > 0.0 {
        (100.0 * (full_wh - needed_wh) / full_wh).round() as i64
    } else {
        100
    };
    set("dhwChargePer", json!(charge.clamp(0, 100)));

    // Maintenance, programs, schedules.
    set(
        "airFilterAlarmElapsed",
        json!(state.air_filter_elapsed_h.floor() as i64),
    );
    set(
        "cumulatedOpTimeEvaFan",
        json!(state.fan_hours.floor() as i64),
    );
    set("antiLegionellaUse", devbool(state.anti_legionella));
    set("antiLegionellaPeriod", json!(state.anti_legionella_period));
    set("programReservationUse", json!(state.reservation_use));
    set("vacationDaySetting", json!(state.vacation_days));
    set(
        "vacationDayElapsed",
        json!((state.vacation_elapsed_s / 86400.0).floor() as i64),
    );
    set("touStatus", json!(i64::from(state.tou_enabled)));
    set("recircOperationMode", json!(state.recirculation_mode));
    if state.mode == MODE_POWER_OFF {
        set("operationBusy", devbool(false));
    }
    s
}

/// The feature object (docs/protocol.md §8).
pub(crate) fn feature(state: &DeviceState) -> Map<String, Value> {
    let mut f = feature_template();
    f.insert(
        "controllerSerialNumber".into(),
        json!(state.spec.serial_number),
    );
    f.insert(
        "temperatureType".into(),
        json!(if state.spec.celsius { 1 } else { 2 }),
    );
    f.insert("dhwTemperatureMin".into(), json!(DHW_TEMPERATURE_MIN));
    f.insert("dhwTemperatureMax".into(), json!(DHW_TEMPERATURE_MAX));
    f
}

/// `{"command", "deviceType", "macAddress", "additionalValue"}`, the head of every `response`.
pub(crate) fn response_head(state: &DeviceState, command: u64) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("command".into(), json!(command));
    m.insert("deviceType".into(), json!(DEVICE_TYPE));
    m.insert("macAddress".into(), json!(state.spec.mac));
    m.insert("additionalValue".into(), json!(state.spec.additional_value));
    m
}

/// A reservation read/write answer.
pub(crate) fn reservation_answer(state: &DeviceState, command: u64) -> Map<String, Value> {
    let mut m = response_head(state, command);
    m.insert("reservationUse".into(), json!(state.reservation_use));
    m.insert("reservation".into(), json!(state.reservation_hex()));
    m
}

/// A TOU read/write answer.
pub(crate) fn tou_answer(state: &DeviceState, command: u64) -> Map<String, Value> {
    let mut m = response_head(state, command);
    m.insert(
        "controllerSerialNumber".into(),
        json!(state.spec.serial_number),
    );
    m.insert("reservationUse".into(), json!(state.tou_reservation_use));
    m.insert(
        "reservation".into(),
        Value::Array(state.tou_periods.clone()),
    );
    m
}

/// Wraps a `response` object in the envelope, echoing the request's identifiers.
pub(crate) fn envelope(
    request_envelope: &Map<String, Value>,
    response: Map<String, Value>,
) -> Value {
    let echo = |k: &str| request_envelope.get(k).cloned().unwrap_or(Value::Null);
    json!({
        "clientID": echo("clientID"),
        "sessionID": echo("sessionID"),
        "requestTopic": echo("requestTopic"),
        "responseTopic": echo("responseTopic"),
        "protocolVersion": 2,
        "response": Value::Object(response),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DeviceSpec;

    #[test]
    fn templates_hold_every_documented_key() {
        assert_eq!(status_template().len(), 102);
        assert_eq!(feature_template().len(), 43);
        assert!(status_template().contains_key("heLowerOnTDiffempSetting"));
    }

    #[test]
    fn status_keeps_every_key_and_reflects_the_state() {
        let mut state = DeviceState::new(DeviceSpec::numbered(0), 1, false);
        state.setpoint = 120;
        state.tank.upper_c = 57.0;
        state.tank.lower_c = 50.0;
        state.advance(10.0);
        let s = status(&state, 33_554_464);
        assert_eq!(s.len(), 102);
        assert_eq!(s["command"], json!(33_554_464));
        assert_eq!(s["dhwTemperatureSetting"], json!(120));
        assert_eq!(s["dhwOperationSetting"], json!(3));
        assert_eq!(s["compUse"], json!(2), "the tank is below the setpoint");
        assert_eq!(s["operationMode"], json!(32), "heat pump only");
        assert_eq!(s["heatUpperUse"], json!(1));
        assert_eq!(s["tankUpperTemperature"], json!(570));
        assert_eq!(s["totalEnergyCapacity"], json!(1541));
        for v in s.values() {
            assert!(v.is_i64() || v.is_u64(), "every status value is an integer");
        }
    }

    #[test]
    fn golden_setpoint_gives_the_golden_full_recovery_energy() {
        let state = DeviceState::new(DeviceSpec::numbered(0), 1, false);
        assert_eq!(
            status(&state, 16_777_219)["totalEnergyCapacity"],
            json!(1580)
        );
    }

    #[test]
    fn feature_carries_the_serial_number() {
        let mut spec = DeviceSpec::numbered(3);
        spec.celsius = true;
        let f = feature(&DeviceState::new(spec, 1, false));
        assert_eq!(f["controllerSerialNumber"], json!("TESTSERIAL0004"));
        assert_eq!(f["temperatureType"], json!(1));
        assert_eq!(f.len(), 43);
    }
}
