//! One test per command code of docs/protocol.md §5.3: the typed call produces exactly the
//! expected topic and request JSON (envelope, code, mode string, params). Codes 33554466
//! ("go-out day") has no command by design.

mod protocol_support;

use std::time::{Duration, UNIX_EPOCH};

use nwp500::protocol::{
    Command, CommandCode, DhwMode, Feature, RecirculationEntry, ReservationEntry, TouPeriod,
    UnitSystem,
};
use protocol_support::{device, g5_feature_value, identity};
use serde_json::{json, Value};

/// G5 with recirculation fitted, so every gate is open.
fn all_gates_open() -> Feature {
    serde_json::from_value(g5_feature_value(
        &json!({"recirculationUse": 2, "recircReservationUse": 2}),
    ))
    .unwrap()
}

/// Builds `cmd` and checks the topic suffix, response topic and the request beyond the four
/// common keys.
fn assert_builds(cmd: Command, code: i64, suffix: &str, response: &str, extra: Value) {
    let req = cmd
        .build(&identity(), &device(), Some(&all_gates_open()))
        .unwrap();
    let topic = format!("cmd/52/navilink-aabbccddeeff/{suffix}");
    let mut request = json!({
        "command": code,
        "deviceType": 52,
        "macAddress": "aabbccddeeff",
        "additionalValue": "1234",
    });
    for (k, v) in extra.as_object().unwrap() {
        request[k] = v.clone();
    }
    let expected = json!({
        "clientID": "navien-client-0a1b2c3d",
        "sessionID": "00112233445566778899aabbccddeeff",
        "protocolVersion": 2,
        "request": request,
        "requestTopic": topic,
        "responseTopic": response,
    });
    assert_eq!(req.topic, topic);
    assert_eq!(req.payload, expected);
    assert_eq!(req.code.map(CommandCode::raw), Some(code));
    assert_eq!(cmd.code().map(CommandCode::raw), Some(code));
    assert!(CommandCode::from_raw(code).is_sendable());
}

const DEFAULT_RES: &str = "cmd/52/navilink-aabbccddeeff/navien-client-0a1b2c3d/res";

fn mode(code: i64, cmd: Command, mode: &str, param: Value) {
    assert_builds(
        cmd,
        code,
        "ctrl",
        DEFAULT_RES,
        json!({"mode": mode, "param": param, "paramStr": ""}),
    );
}

fn entry() -> ReservationEntry {
    ReservationEntry {
        enable: 2,
        week: 124,
        hour: 6,
        min: 30,
        mode: 4,
        param: 120,
    }
}

fn period() -> TouPeriod {
    TouPeriod {
        season: 224,
        week: 124,
        start_hour: 14,
        start_minute: 0,
        end_hour: 19,
        end_minute: 59,
        price_min: 12345,
        price_max: 31794,
        decimal_point: Some(5),
    }
}

#[test]
fn code_16777217_device_info() {
    assert_builds(
        Command::RequestFeature,
        16777217,
        "st/did",
        DEFAULT_RES,
        json!({}),
    );
}

#[test]
fn code_16777219_status() {
    assert_builds(
        Command::RequestStatus,
        16777219,
        "st",
        DEFAULT_RES,
        json!({}),
    );
}

#[test]
fn code_16777222_reservation_read() {
    assert_builds(
        Command::RequestReservations,
        16777222,
        "st/rsv/rd",
        "cmd/52/navien-client-0a1b2c3d/res/rsv/rd",
        json!({}),
    );
}

#[test]
fn code_16777225_energy_usage() {
    assert_builds(
        Command::RequestEnergyUsage {
            year: 2025,
            months: vec![7, 8, 9],
        },
        16777225,
        "st/energy-usage-daily-query/rd",
        "cmd/52/navien-client-0a1b2c3d/res/energy-usage-daily-query/rd",
        json!({"year": 2025, "month": [7, 8, 9]}),
    );
}

#[test]
fn code_16777226_reservation_write() {
    assert_builds(
        Command::UpdateReservations {
            enabled: false,
            entries: vec![entry()],
        },
        16777226,
        "ctrl/rsv/rd",
        "cmd/52/navien-client-0a1b2c3d/res/rsv/rd",
        json!({"reservationUse": 1, "reservation": [
            {"enable": 2, "week": 124, "hour": 6, "min": 30, "mode": 4, "param": 120}
        ]}),
    );
}

#[test]
fn code_33554433_power_off() {
    mode(
        33554433,
        Command::SetPower { on: false },
        "power-off",
        json!([]),
    );
}

#[test]
fn code_33554434_power_on() {
    mode(
        33554434,
        Command::SetPower { on: true },
        "power-on",
        json!([]),
    );
}

#[test]
fn code_33554437_dhw_mode_and_vacation() {
    mode(
        33554437,
        Command::SetDhwMode {
            mode: DhwMode::HighDemand,
        },
        "dhw-mode",
        json!([4]),
    );
    mode(
        33554437,
        Command::SetVacation { days: 30 },
        "dhw-mode",
        json!([5, 30]),
    );
}

#[test]
fn code_33554438_weekly_reservation() {
    assert_builds(
        Command::UpdateWeeklyReservation {
            enabled: true,
            entries: vec![entry()],
        },
        33554438,
        "ctrl",
        DEFAULT_RES,
        json!({"reservationUse": 2, "reservation": [
            {"enable": 2, "week": 124, "hour": 6, "min": 30, "mode": 4, "param": 120}
        ]}),
    );
}

#[test]
fn code_33554439_tou_read_and_write() {
    let tou_res = "cmd/52/navien-client-0a1b2c3d/res/tou/rd";
    assert_builds(
        Command::RequestTouSettings {
            controller_serial_number: "TESTSERIAL0001".into(),
        },
        33554439,
        "ctrl/tou/rd",
        tou_res,
        json!({"controllerSerialNumber": "TESTSERIAL0001"}),
    );
    assert_builds(
        Command::ConfigureTouSchedule {
            controller_serial_number: "TESTSERIAL0001".into(),
            periods: vec![period()],
            enabled: true,
        },
        33554439,
        "ctrl/tou/rd",
        tou_res,
        json!({
            "controllerSerialNumber": "TESTSERIAL0001",
            "reservationUse": 2,
            "reservation": [{"season": 224, "week": 124, "startHour": 14, "startMinute": 0,
                             "endHour": 19, "endMinute": 59, "priceMin": 12345,
                             "priceMax": 31794, "decimalPoint": 5}]
        }),
    );
}

#[test]
fn code_33554440_recirculation_schedule() {
    let e = RecirculationEntry {
        enable: 2,
        week: 124,
        start_hour: 6,
        start_min: 0,
        end_hour: 8,
        end_min: 30,
        mode: 3,
    };
    assert_builds(
        Command::ConfigureRecirculationSchedule { entries: vec![e] },
        33554440,
        "ctrl",
        DEFAULT_RES,
        json!({"schedule": [{"enable": 2, "week": 124, "startHour": 6, "startMin": 0,
                             "endHour": 8, "endMin": 30, "mode": 3}]}),
    );
}

#[test]
fn code_33554441_reservation_water_program() {
    mode(
        33554441,
        Command::ConfigureReservationWaterProgram,
        "reservation-mode",
        json!([]),
    );
}

#[test]
fn code_33554442_ota_commit() {
    assert_builds(
        Command::CommitFirmwareUpdate {
            sw_code: 1,
            sw_version: 184614912,
        },
        33554442,
        "ctrl",
        DEFAULT_RES,
        json!({"commitOta": {"swCode": 1, "swVersion": 184614912}}),
    );
}

#[test]
fn code_33554443_ota_check() {
    mode(
        33554443,
        Command::CheckFirmwareUpdate,
        "ota-check",
        json!([]),
    );
}

#[test]
fn code_33554444_recirculation_hot_button() {
    mode(
        33554444,
        Command::TriggerRecirculationHotButton,
        "recirc-hotbtn",
        json!([1]),
    );
}

#[test]
fn code_33554445_recirculation_mode() {
    mode(
        33554445,
        Command::SetRecirculationMode { mode: 2 },
        "recirc-mode",
        json!([2]),
    );
}

#[test]
fn code_33554446_wifi_reconnect() {
    mode(
        33554446,
        Command::ReconnectWifi,
        "wifi-reconnect",
        json!([]),
    );
}

#[test]
fn code_33554447_wifi_reset() {
    mode(33554447, Command::ResetWifi, "wifi-reset", json!([]));
}

#[test]
fn code_33554451_freeze_protection_temperature() {
    mode(
        33554451,
        Command::SetFreezeProtectionTemperature {
            temperature: 45.0,
            unit: UnitSystem::UsCustomary,
        },
        "frez-temp",
        json!([14]),
    );
}

#[test]
fn code_33554455_smart_diagnostic() {
    mode(
        33554455,
        Command::RunSmartDiagnostic,
        "smart-diagnostic",
        json!([]),
    );
}

#[test]
fn code_33554464_dhw_temperature() {
    mode(
        33554464,
        Command::SetDhwTemperature {
            temperature: 60.0,
            unit: UnitSystem::Metric,
        },
        "dhw-temperature",
        json!([120]),
    );
}

#[test]
fn code_33554466_go_out_day_is_known_but_not_sendable() {
    let code = CommandCode::from_raw(33554466);
    assert_eq!(code, CommandCode::GoOutDay);
    assert!(!code.is_sendable());
    // Vacation goes through dhw-mode [5, days] instead.
    assert_eq!(
        Command::SetVacation { days: 7 }.code(),
        Some(CommandCode::DhwMode)
    );
}

#[test]
fn code_33554467_intelligent_off() {
    mode(
        33554467,
        Command::SetIntelligentScheduling { enabled: false },
        "intelligent-off",
        json!([]),
    );
}

#[test]
fn code_33554468_intelligent_on() {
    mode(
        33554468,
        Command::SetIntelligentScheduling { enabled: true },
        "intelligent-on",
        json!([]),
    );
}

#[test]
fn code_33554469_demand_response_off() {
    mode(
        33554469,
        Command::SetDemandResponse { enabled: false },
        "dr-off",
        json!([]),
    );
}

#[test]
fn code_33554470_demand_response_on() {
    mode(
        33554470,
        Command::SetDemandResponse { enabled: true },
        "dr-on",
        json!([]),
    );
}

#[test]
fn code_33554471_anti_legionella_off() {
    mode(
        33554471,
        Command::DisableAntiLegionella,
        "anti-leg-off",
        json!([]),
    );
}

#[test]
fn code_33554472_anti_legionella_on() {
    mode(
        33554472,
        Command::EnableAntiLegionella { period_days: 7 },
        "anti-leg-on",
        json!([7]),
    );
}

#[test]
fn code_33554473_air_filter_reset() {
    mode(
        33554473,
        Command::ResetAirFilter,
        "air-filter-reset",
        json!([]),
    );
}

#[test]
fn code_33554474_air_filter_life() {
    mode(
        33554474,
        Command::SetAirFilterLife { value: 1000 },
        "air-filter-life",
        json!([1000]),
    );
}

#[test]
fn code_33554475_tou_off() {
    mode(
        33554475,
        Command::SetTouEnabled { enabled: false },
        "tou-off",
        json!([]),
    );
}

#[test]
fn code_33554476_tou_on() {
    mode(
        33554476,
        Command::SetTouEnabled { enabled: true },
        "tou-on",
        json!([]),
    );
}

#[test]
fn app_connection_event_has_no_code() {
    let at = UNIX_EPOCH + Duration::from_micros(1_767_323_045_123_456);
    let cmd = Command::SignalAppConnection { at };
    assert_eq!(cmd.code(), None);
    let req = cmd.build(&identity(), &device(), None).unwrap();
    assert_eq!(req.topic, "evt/52/navilink-aabbccddeeff/app-connection");
    assert_eq!(
        req.payload,
        json!({"clientID": "navien-client-0a1b2c3d", "timestamp": "2026-01-02T03:04:05.123456Z"})
    );
    assert!(req.subscribe_first.is_empty() && req.response_topic.is_none());
    // Six fraction digits even on a whole second.
    let whole = Command::SignalAppConnection {
        at: UNIX_EPOCH + Duration::from_secs(1_767_323_045),
    }
    .build(&identity(), &device(), None)
    .unwrap();
    assert_eq!(whole.payload["timestamp"], "2026-01-02T03:04:05.000000Z");
}

#[test]
fn every_code_of_the_catalogue_is_known() {
    let codes = [
        16777217, 16777219, 16777222, 16777225, 16777226, 33554433, 33554434, 33554437, 33554438,
        33554439, 33554440, 33554441, 33554442, 33554443, 33554444, 33554445, 33554446, 33554447,
        33554451, 33554455, 33554464, 33554466, 33554467, 33554468, 33554469, 33554470, 33554471,
        33554472, 33554473, 33554474, 33554475, 33554476,
    ];
    for c in codes {
        let code = CommandCode::from_raw(c);
        assert!(code.is_known(), "{c}");
        assert_eq!(code.raw(), c);
        assert_eq!(code.is_query(), c < 33554432, "{c}");
    }
    assert!(!CommandCode::from_raw(33554435).is_known());
}
