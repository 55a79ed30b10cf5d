//! The MQTT-side golden examples of docs/protocol.md §14: G2's derived identifiers and topics,
//! and G3–G6 in full (requests byte-for-byte as JSON values, answers field by field).

mod protocol_support;

use nwp500::protocol::{
    classify, topics, AnswerKind, Capability, Command, CommandCode, CommandError,
    CurrentOperationMode, DhwMode, DhwOperationSetting, DrEvent, ErrorCode, Feature, HeatSource,
    Incoming, ReservationEntry, ReservationSpec, ResponseSuffix, Status, TemperatureType,
    UnitPreference, UnitSystem, UnitType, ValidationError, VolumeCode, WeekDays, Weekday,
};
use protocol_support::{device, fixtures, g5_feature_value, identity};
use serde_json::{json, Value};

const F: UnitSystem = UnitSystem::UsCustomary;
const C: UnitSystem = UnitSystem::Metric;

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

fn g5() -> Feature {
    serde_json::from_value(fixtures()["G5_feature"].clone()).unwrap()
}

fn g5_with(overrides: Value) -> Feature {
    serde_json::from_value(g5_feature_value(&overrides)).unwrap()
}

/// The G3 answer envelope as received through the device wildcard.
fn g3_answer() -> Value {
    json!({
        "clientID": "navien-client-0a1b2c3d",
        "sessionID": "00112233445566778899aabbccddeeff",
        "requestTopic": "cmd/52/navilink-aabbccddeeff/st",
        "responseTopic": "cmd/52/navilink-aabbccddeeff/navien-client-0a1b2c3d/res",
        "protocolVersion": 2,
        "response": {
            "command": 16777219, "deviceType": 52, "macAddress": "aabbccddeeff",
            "additionalValue": "1234",
            "status": fixtures()["G3_status"].clone()
        }
    })
}

fn decode_status(envelope: &Value) -> Status {
    let bytes = serde_json::to_vec(envelope).unwrap();
    match classify(
        "cmd/52/navilink-aabbccddeeff/navien-client-0a1b2c3d/res",
        &bytes,
    )
    .unwrap()
    {
        Incoming::Status(s) => *s,
        other => panic!("not a status: {other:?}"),
    }
}

#[test]
fn g2_derived_identifiers_and_topics() {
    let d = device();
    let cid = identity().client_id;
    assert_eq!(
        topics::device_wildcard(&d),
        "cmd/52/navilink-aabbccddeeff/#"
    );
    assert_eq!(
        topics::command_topic(&d, topics::RequestSuffix::St),
        "cmd/52/navilink-aabbccddeeff/st"
    );
    assert_eq!(
        topics::command_topic(&d, topics::RequestSuffix::StDid),
        "cmd/52/navilink-aabbccddeeff/st/did"
    );
    assert_eq!(
        topics::command_topic(&d, topics::RequestSuffix::Ctrl),
        "cmd/52/navilink-aabbccddeeff/ctrl"
    );
    assert_eq!(
        topics::default_response_topic(&d, &cid),
        "cmd/52/navilink-aabbccddeeff/navien-client-0a1b2c3d/res"
    );
    assert_eq!(
        topics::client_response_topic(52, &cid, ResponseSuffix::RsvRd),
        "cmd/52/navien-client-0a1b2c3d/res/rsv/rd"
    );
    assert_eq!(
        topics::client_response_topic(52, &cid, ResponseSuffix::TouRd),
        "cmd/52/navien-client-0a1b2c3d/res/tou/rd"
    );
    assert_eq!(
        topics::client_response_topic(52, &cid, ResponseSuffix::EnergyUsageDailyQueryRd),
        "cmd/52/navien-client-0a1b2c3d/res/energy-usage-daily-query/rd"
    );
    assert_eq!(
        topics::event_topic(&d, topics::EventSuffix::AppConnection),
        "evt/52/navilink-aabbccddeeff/app-connection"
    );
    assert_eq!(topics::device_segment(&d), "navilink-aabbccddeeff");
}

#[test]
fn g3_status_poll_request_is_exact() {
    let req = Command::RequestStatus
        .build(&identity(), &device(), None)
        .unwrap();
    assert_eq!(req.topic, "cmd/52/navilink-aabbccddeeff/st");
    assert_eq!(
        req.payload,
        json!({
            "clientID": "navien-client-0a1b2c3d",
            "sessionID": "00112233445566778899aabbccddeeff",
            "protocolVersion": 2,
            "request": {
                "command": 16777219,
                "deviceType": 52,
                "macAddress": "aabbccddeeff",
                "additionalValue": "1234"
            },
            "requestTopic": "cmd/52/navilink-aabbccddeeff/st",
            "responseTopic": "cmd/52/navilink-aabbccddeeff/navien-client-0a1b2c3d/res"
        })
    );
    assert_eq!(req.subscribe_first, ["cmd/52/navilink-aabbccddeeff/#"]);
    assert_eq!(req.answer, AnswerKind::Status(CommandCode::Status));
}

#[test]
fn g3_status_answer_decodes_field_by_field() {
    let s = decode_status(&g3_answer());
    // Automatic units from temperatureType 2 → °F.
    assert_eq!(s.temperature_type, Some(TemperatureType::Fahrenheit));
    assert_eq!(UnitPreference::Device.resolve(s.temperature_type), F);
    assert_eq!(s.command, 16777219);

    let h = |t: Option<nwp500::protocol::HalfCelsius>| t.unwrap();
    let d = |t: Option<nwp500::protocol::DeciCelsius>| t.unwrap();
    let temps: [(&str, f64, f64, f64, f64); 6] = [
        (
            "dhwTemperature",
            h(s.dhw_temperature).fahrenheit(),
            140.0,
            h(s.dhw_temperature).celsius(),
            60.0,
        ),
        (
            "dhwTemperature2",
            h(s.dhw_temperature2).fahrenheit(),
            139.1,
            h(s.dhw_temperature2).celsius(),
            59.5,
        ),
        (
            "dhwTemperatureSetting",
            h(s.dhw_temperature_setting).fahrenheit(),
            140.9,
            h(s.dhw_temperature_setting).celsius(),
            60.5,
        ),
        (
            "currentInletTemperature",
            h(s.current_inlet_temperature).fahrenheit(),
            59.0,
            h(s.current_inlet_temperature).celsius(),
            15.0,
        ),
        (
            "heatMinOpTemperature",
            h(s.heat_min_op_temperature).fahrenheit(),
            104.9,
            h(s.heat_min_op_temperature).celsius(),
            40.5,
        ),
        (
            "tankLowerTemperature",
            d(s.tank_lower_temperature).fahrenheit(),
            95.0,
            d(s.tank_lower_temperature).celsius(),
            35.0,
        ),
    ];
    for (name, f, ef, c, ec) in temps {
        assert!(close(f, ef, 1e-6), "{name} °F {f} != {ef}");
        assert!(close(c, ec, 1e-9), "{name} °C {c} != {ec}");
    }
    assert!(close(
        d(s.tank_upper_temperature).fahrenheit(),
        120.02,
        1e-6
    ));
    assert!(close(d(s.tank_upper_temperature).celsius(), 48.9, 1e-9));
    assert!(close(d(s.ambient_temperature).fahrenheit(), 70.7, 1e-6));
    assert!(close(d(s.ambient_temperature).celsius(), 21.5, 1e-9));
    assert_eq!(s.outside_temperature_in(F), Some(51.0));
    assert_eq!(s.outside_temperature_in(C), Some(10.5));
    assert!(close(s.freeze_protection_temp_min.fahrenheit(), 42.8, 1e-6));
    assert!(close(s.freeze_protection_temp_max.fahrenheit(), 50.0, 1e-6));
    assert_eq!(s.freeze_protection_temp_min.celsius(), 6.0);
    assert_eq!(s.freeze_protection_temp_max.celsius(), 10.0);
    assert!(close(
        s.hp_upper_on_diff_temp_setting.fahrenheit(),
        4.5,
        1e-9
    ));
    assert_eq!(s.hp_upper_on_diff_temp_setting.celsius(), 2.5);
    assert!(close(
        s.he_lower_on_diff_temp_setting.fahrenheit(),
        9.0,
        1e-9
    ));
    assert_eq!(s.he_lower_on_diff_temp_setting.celsius(), 5.0);
    assert!(close(d(s.target_super_heat).fahrenheit(), 41.0, 1e-9));
    assert_eq!(d(s.target_super_heat).celsius(), 5.0);
    assert_eq!(s.current_dhw_flow_rate.gallons_per_minute(), 0.66);
    assert_eq!(s.current_dhw_flow_rate.litres_per_minute(), 2.5);
    assert_eq!(s.cumulated_dhw_flow_rate.gallons(), 26.42);
    assert_eq!(s.cumulated_dhw_flow_rate.litres(), 100.0);
    assert_eq!(s.full_recovery_energy_wh(), 6320.0);
    assert_eq!(s.energy_to_setpoint_wh(), 4664.0);
    assert_eq!(s.usable_energy_wh(), 1656.0);
    assert_eq!(s.operation_mode, Some(CurrentOperationMode::HeatPumpMode));
    assert_eq!(
        s.dhw_operation_setting,
        Some(DhwOperationSetting::EnergySaver)
    );
    assert!(!s.is_powered_off());
    assert_eq!(s.current_heat_use, HeatSource::HeatPump);
    for (name, v) in [
        ("operationBusy", s.operation_busy),
        ("compUse", s.comp_use),
        ("antiLegionellaUse", s.anti_legionella_use),
        ("airFilterAlarmUse", s.air_filter_alarm_use),
    ] {
        assert_eq!(v, Some(true), "{name}");
    }
    for (name, v) in [
        ("heatUpperUse", s.heat_upper_use),
        ("heatLowerUse", s.heat_lower_use),
        (
            "antiLegionellaOperationBusy",
            s.anti_legionella_operation_busy,
        ),
    ] {
        assert_eq!(v, Some(false), "{name}");
    }
    assert_eq!(
        s.recirc_reservation_use, None,
        "tri-state 0 is unknown, not false"
    );
    assert!(!s.did_reload && s.dhw_operation_busy == Some(false) && !s.eco_use);
    assert!(s.dhw_use && s.shut_off_valve_use && s.error_buzzer_use);
    assert!(!s.tou_status);
    assert!(!s.tou_override_status);
    assert_eq!(s.dr_event_status, Some(DrEvent::NotApplied));
    assert_eq!(s.dr_override_status, 0);
    assert_eq!(s.error_code, Some(ErrorCode::NoError));
    assert_eq!(s.sub_error_code, 0);
    assert_eq!(s.wifi_rssi, Some(-52));

    // Serialised with wire names in the device's unit (°F here), and in °C on request.
    let out = serde_json::to_value(&s).unwrap();
    assert_eq!(out["outsideTemperature"], json!(51));
    assert_eq!(out["dhwTemperature"], json!(140.0));
    assert_eq!(out["recircReservationUse"], Value::Null);
    assert_eq!(out["operationMode"], json!("HEAT_PUMP_MODE"));
    assert_eq!(out["usableEnergy"], json!(1656.0));
    let metric = serde_json::to_value(s.view(C)).unwrap();
    assert_eq!(metric["dhwTemperature"], json!(60.0));
    assert_eq!(metric["heLowerOnTDiffempSetting"], json!(5.0));
    assert_eq!(metric["cumulatedDhwFlowRate"], json!(100.0));
}

#[test]
fn g3_required_keys_and_freeze_limit_defaults() {
    let mut env = g3_answer();
    env["response"]["status"]
        .as_object_mut()
        .unwrap()
        .remove("heLowerOnTDiffempSetting");
    let bytes = serde_json::to_vec(&env).unwrap();
    assert!(classify(
        "cmd/52/navilink-aabbccddeeff/navien-client-0a1b2c3d/res",
        &bytes
    )
    .is_err());

    let mut env = g3_answer();
    let st = env["response"]["status"].as_object_mut().unwrap();
    st.remove("freezeProtectionTempMin");
    st.remove("freezeProtectionTempMax");
    let s = decode_status(&env);
    assert_eq!(s.freeze_protection_temp_min.0, 12);
    assert_eq!(s.freeze_protection_temp_max.0, 20);
}

fn ctrl_request(extra: Value) -> Value {
    let mut request = json!({
        "deviceType": 52,
        "macAddress": "aabbccddeeff",
        "additionalValue": "1234",
    });
    for (k, v) in extra.as_object().unwrap() {
        request[k] = v.clone();
    }
    json!({
        "clientID": "navien-client-0a1b2c3d",
        "sessionID": "00112233445566778899aabbccddeeff",
        "protocolVersion": 2,
        "request": request,
        "requestTopic": "cmd/52/navilink-aabbccddeeff/ctrl",
        "responseTopic": "cmd/52/navilink-aabbccddeeff/navien-client-0a1b2c3d/res"
    })
}

#[test]
fn g4_setpoint_command_and_its_acknowledgement() {
    let cmd = Command::SetDhwTemperature {
        temperature: 140.0,
        unit: F,
    };
    let req = cmd.build(&identity(), &device(), Some(&g5())).unwrap();
    assert_eq!(req.topic, "cmd/52/navilink-aabbccddeeff/ctrl");
    assert_eq!(
        req.payload,
        ctrl_request(
            json!({"command": 33554464, "mode": "dhw-temperature", "param": [120], "paramStr": ""})
        )
    );
    // 120 °F would have been 98.
    let req120 = Command::SetDhwTemperature {
        temperature: 120.0,
        unit: F,
    }
    .build(&identity(), &device(), Some(&g5()))
    .unwrap();
    assert_eq!(req120.payload["request"]["param"], json!([98]));

    // The acknowledgement is a status whose command is 33554464 and setpoint 120.
    assert_eq!(req.answer, AnswerKind::Status(CommandCode::DhwTemperature));
    let mut ack = g3_answer();
    ack["response"]["status"]["command"] = json!(33554464);
    ack["response"]["status"]["dhwTemperatureSetting"] = json!(120);
    let s = decode_status(&ack);
    assert_eq!(
        CommandCode::from_raw(s.command),
        CommandCode::DhwTemperature
    );
    assert_eq!(s.dhw_temperature_setting.map(|t| t.0), Some(120));
}

#[test]
fn g4_other_controls_share_the_envelope() {
    let recirc = g5_with(json!({"recirculationUse": 2, "recircReservationUse": 2}));
    let cases: Vec<(Command, Value)> = vec![
        (
            Command::SetVacation { days: 7 },
            json!({"command": 33554437, "mode": "dhw-mode", "param": [5, 7], "paramStr": ""}),
        ),
        (
            Command::SetDhwMode {
                mode: DhwMode::EnergySaver,
            },
            json!({"command": 33554437, "mode": "dhw-mode", "param": [3], "paramStr": ""}),
        ),
        (
            Command::SetPower { on: false },
            json!({"command": 33554433, "mode": "power-off", "param": [], "paramStr": ""}),
        ),
        (
            Command::EnableAntiLegionella { period_days: 14 },
            json!({"command": 33554472, "mode": "anti-leg-on", "param": [14], "paramStr": ""}),
        ),
        (
            Command::SetTouEnabled { enabled: true },
            json!({"command": 33554476, "mode": "tou-on", "param": [], "paramStr": ""}),
        ),
        (
            Command::TriggerRecirculationHotButton,
            json!({"command": 33554444, "mode": "recirc-hotbtn", "param": [1], "paramStr": ""}),
        ),
    ];
    for (cmd, request) in cases {
        let req = cmd.build(&identity(), &device(), Some(&recirc)).unwrap();
        assert_eq!(req.topic, "cmd/52/navilink-aabbccddeeff/ctrl", "{cmd:?}");
        assert_eq!(req.payload, ctrl_request(request), "{cmd:?}");
    }
}

#[test]
fn g4_invalid_inputs_publish_nothing() {
    let g5 = g5();
    let recirc = g5_with(json!({"recirculationUse": 2, "recircReservationUse": 2}));
    let invalid =
        |cmd: Command, feature: &Feature| match cmd.build(&identity(), &device(), Some(feature)) {
            Err(CommandError::Invalid(ValidationError::OutOfRange { .. })) => {}
            other => panic!("{cmd:?} gave {other:?}"),
        };
    // "Vacation without days" cannot be written: `days` is a required field.
    invalid(Command::SetVacation { days: 31 }, &g5);
    invalid(Command::SetVacation { days: 0 }, &g5);
    invalid(Command::EnableAntiLegionella { period_days: 0 }, &g5);
    invalid(Command::EnableAntiLegionella { period_days: 31 }, &g5);
    invalid(Command::SetRecirculationMode { mode: 5 }, &recirc);
    invalid(
        Command::SetDhwTemperature {
            temperature: 150.0,
            unit: F,
        },
        &g5,
    );
}

#[test]
fn g4_reservation_write_is_exact() {
    let entry = ReservationSpec {
        enabled: true,
        days: WeekDays::from_days(&[
            Weekday::Monday,
            Weekday::Tuesday,
            Weekday::Wednesday,
            Weekday::Thursday,
            Weekday::Friday,
        ]),
        hour: 6,
        minute: 30,
        mode: 4,
        temperature: 140.0,
        unit: F,
        limits: None,
    }
    .build()
    .unwrap();
    let cmd = Command::UpdateReservations {
        enabled: true,
        entries: vec![entry],
    };
    let req = cmd.build(&identity(), &device(), None).unwrap();
    assert_eq!(req.topic, "cmd/52/navilink-aabbccddeeff/ctrl/rsv/rd");
    assert_eq!(
        req.payload,
        json!({
            "clientID": "navien-client-0a1b2c3d",
            "sessionID": "00112233445566778899aabbccddeeff",
            "protocolVersion": 2,
            "request": {
                "command": 16777226,
                "deviceType": 52,
                "macAddress": "aabbccddeeff",
                "additionalValue": "1234",
                "reservationUse": 2,
                "reservation": [
                    {"enable": 2, "week": 124, "hour": 6, "min": 30, "mode": 4, "param": 120}
                ]
            },
            "requestTopic": "cmd/52/navilink-aabbccddeeff/ctrl/rsv/rd",
            "responseTopic": "cmd/52/navien-client-0a1b2c3d/res/rsv/rd"
        })
    );
    assert_eq!(
        req.subscribe_first,
        ["cmd/52/navien-client-0a1b2c3d/res/rsv/rd"]
    );
}

#[test]
fn g4_energy_query_is_exact() {
    let cmd = Command::RequestEnergyUsage {
        year: 2025,
        months: vec![9],
    };
    let req = cmd.build(&identity(), &device(), None).unwrap();
    assert_eq!(
        req.topic,
        "cmd/52/navilink-aabbccddeeff/st/energy-usage-daily-query/rd"
    );
    assert_eq!(
        req.payload,
        json!({
            "clientID": "navien-client-0a1b2c3d",
            "sessionID": "00112233445566778899aabbccddeeff",
            "protocolVersion": 2,
            "request": {
                "command": 16777225,
                "deviceType": 52,
                "macAddress": "aabbccddeeff",
                "additionalValue": "1234",
                "month": [9],
                "year": 2025
            },
            "requestTopic": "cmd/52/navilink-aabbccddeeff/st/energy-usage-daily-query/rd",
            "responseTopic": "cmd/52/navien-client-0a1b2c3d/res/energy-usage-daily-query/rd"
        })
    );
    assert_eq!(req.answer, AnswerKind::Energy);
}

#[test]
fn g5_feature_request_and_decode() {
    let req = Command::RequestFeature
        .build(&identity(), &device(), None)
        .unwrap();
    assert_eq!(req.topic, "cmd/52/navilink-aabbccddeeff/st/did");
    assert_eq!(
        req.payload["request"],
        json!({
            "command": 16777217, "deviceType": 52, "macAddress": "aabbccddeeff", "additionalValue": "1234"
        })
    );
    assert_eq!(
        req.payload["responseTopic"],
        "cmd/52/navilink-aabbccddeeff/navien-client-0a1b2c3d/res"
    );

    let answer = json!({"response": {
        "command": 16777217, "deviceType": 52, "macAddress": "aabbccddeeff", "additionalValue": "1234",
        "feature": fixtures()["G5_feature"].clone()
    }});
    let bytes = serde_json::to_vec(&answer).unwrap();
    let f = match classify(
        "cmd/52/navilink-aabbccddeeff/navien-client-0a1b2c3d/res",
        &bytes,
    )
    .unwrap()
    {
        Incoming::Feature(f) => *f,
        other => panic!("not a feature: {other:?}"),
    };
    assert_eq!(f.volume_code, VolumeCode::Gallons65);
    assert_eq!(f.volume_code.gallons(), Some(65.0));
    assert_eq!(f.model_type_code, UnitType::Npf);
    let lim = |t: Option<nwp500::protocol::HalfCelsius>| t.unwrap();
    assert!(close(lim(f.dhw_temperature_min).fahrenheit(), 104.9, 1e-6));
    assert!(close(lim(f.dhw_temperature_max).fahrenheit(), 149.9, 1e-6));
    assert_eq!(lim(f.dhw_temperature_min).celsius(), 40.5);
    assert_eq!(lim(f.dhw_temperature_max).celsius(), 65.5);
    assert!(close(
        lim(f.freeze_protection_temp_min).fahrenheit(),
        42.8,
        1e-6
    ));
    assert!(close(
        lim(f.freeze_protection_temp_max).fahrenheit(),
        50.0,
        1e-6
    ));
    assert!(close(
        lim(f.recirc_temperature_min).fahrenheit(),
        104.9,
        1e-6
    ));
    assert!(close(
        lim(f.recirc_temperature_max).fahrenheit(),
        140.0,
        1e-6
    ));
    assert_eq!(lim(f.recirc_temperature_max).celsius(), 60.0);
    assert!(f.dhw_temperature_setting_use.allows_setpoint_control());
    assert!(f.power_use && f.holiday_use && f.program_reservation_use && f.dr_setting_use);
    assert!(f.anti_legionella_setting_use && f.freeze_protection_use);
    assert!(!f.mixing_valve_use && !f.recirculation_use && !f.title24_use);
    assert_eq!(f.controller_serial_number, "TESTSERIAL0001");

    // Gate results.
    for cap in [
        Capability::PowerUse,
        Capability::DhwUse,
        Capability::DhwTemperatureSettingUse,
        Capability::HolidayUse,
        Capability::ProgramReservationUse,
        Capability::DrSettingUse,
        Capability::AntiLegionellaSettingUse,
        Capability::FreezeProtectionUse,
    ] {
        assert!(f.allows(cap), "{cap}");
    }
    for cmd in [
        Command::SetRecirculationMode { mode: 1 },
        Command::TriggerRecirculationHotButton,
        Command::ConfigureRecirculationSchedule { entries: vec![] },
    ] {
        assert!(matches!(
            cmd.build(&identity(), &device(), Some(&f)),
            Err(CommandError::Unsupported { .. })
        ));
    }
    // The serial feeds TOU commands.
    let tou = Command::RequestTouSettings {
        controller_serial_number: f.controller_serial_number.clone(),
    }
    .build(&identity(), &device(), Some(&f))
    .unwrap();
    assert_eq!(
        tou.payload["request"]["controllerSerialNumber"],
        "TESTSERIAL0001"
    );

    // Setpoint window.
    let set = |t: f64| {
        Command::SetDhwTemperature {
            temperature: t,
            unit: F,
        }
        .build(&identity(), &device(), Some(&f))
    };
    assert_eq!(
        set(140.0).unwrap().payload["request"]["param"],
        json!([120])
    );
    assert!(set(150.0).is_err());
    assert!(set(100.0).is_err());

    // Same payload with temperatureType 1 and no explicit preference: limits in °C.
    let celsius = g5_with(json!({"temperatureType": 1}));
    let unit = UnitPreference::Device.resolve(celsius.temperature_type);
    assert_eq!(unit, C);
    let view = serde_json::to_value(celsius.view(unit)).unwrap();
    assert_eq!(view["dhwTemperatureMin"], json!(40.5));
    assert_eq!(view["dhwTemperatureMax"], json!(65.5));
    // Plain serialisation uses the device's own unit.
    assert_eq!(serde_json::to_value(&celsius).unwrap(), view);
    assert_eq!(
        serde_json::to_value(&f).unwrap()["dhwTemperatureMin"]
            .as_f64()
            .map(|v| (v * 10.0).round()),
        Some(1049.0)
    );
}

#[test]
fn g6_reservation_read_and_answer() {
    let req = Command::RequestReservations
        .build(&identity(), &device(), None)
        .unwrap();
    assert_eq!(req.topic, "cmd/52/navilink-aabbccddeeff/st/rsv/rd");
    assert_eq!(req.payload["request"]["command"], json!(16777222));
    assert_eq!(
        req.payload["responseTopic"],
        "cmd/52/navien-client-0a1b2c3d/res/rsv/rd"
    );
    assert_eq!(
        req.payload["request"].as_object().unwrap().len(),
        4,
        "bare request"
    );

    let topic = "cmd/52/navien-client-0a1b2c3d/res/rsv/rd";
    let decode =
        |answer: Value| match classify(topic, &serde_json::to_vec(&answer).unwrap()).unwrap() {
            Incoming::Reservation(r) => r,
            other => panic!("not a reservation: {other:?}"),
        };
    let r = decode(
        json!({"response": {"reservationUse": 2, "reservation": "023e061e047800000000000001540800036e"}}),
    );
    assert!(r.enabled());
    assert_eq!(r.entries.len(), 2, "the all-zero middle record is skipped");
    let (a, b) = (&r.entries[0], &r.entries[1]);
    assert_eq!(a.as_tuple(), [2, 62, 6, 30, 4, 120]);
    assert!(a.enabled());
    assert_eq!(
        a.week_days().days(),
        [
            Weekday::Tuesday,
            Weekday::Wednesday,
            Weekday::Thursday,
            Weekday::Friday,
            Weekday::Saturday
        ]
    );
    assert_eq!(a.time(), "06:30");
    assert_eq!(a.mode(), DhwOperationSetting::HighDemand);
    assert_eq!(a.temperature(F), 140.0);
    assert_eq!(a.temperature(C), 60.0);
    assert_eq!(b.as_tuple(), [1, 84, 8, 0, 3, 110]);
    assert!(!b.enabled());
    assert_eq!(
        b.week_days().days(),
        [Weekday::Monday, Weekday::Wednesday, Weekday::Friday]
    );
    assert_eq!(b.time(), "08:00");
    assert_eq!(b.mode(), DhwOperationSetting::EnergySaver);
    assert_eq!(b.temperature(F), 131.0);
    assert_eq!(b.temperature(C), 55.0);

    // Order-independent canonical form for write confirmation.
    let written = nwp500::protocol::CanonicalReservations::of(
        true,
        &[
            ReservationEntry {
                enable: 1,
                week: 84,
                hour: 8,
                min: 0,
                mode: 3,
                param: 110,
            },
            ReservationEntry {
                enable: 2,
                week: 62,
                hour: 6,
                min: 30,
                mode: 4,
                param: 120,
            },
        ],
    );
    assert_eq!(r.canonical(), written);

    for use_value in [1, 0] {
        let r = decode(
            json!({"response": {"reservationUse": use_value, "reservation": "023e061e0478"}}),
        );
        assert!(!r.enabled());
    }
    let r = decode(json!({"response": {"reservationUse": 2, "reservation": ""}}));
    assert!(r.entries.is_empty());
}

#[test]
fn g6_energy_answer() {
    let answer = json!({"response": fixtures()["G6_energy_answer"].clone()});
    let topic = "cmd/52/navien-client-0a1b2c3d/res/energy-usage-daily-query/rd";
    let e = match classify(topic, &serde_json::to_vec(&answer).unwrap()).unwrap() {
        Incoming::Energy(e) => e,
        other => panic!("not energy: {other:?}"),
    };
    assert_eq!(e.total.total_usage(), 6000);
    assert!(close(
        e.total.heat_pump_percentage(),
        5200.0 / 6000.0 * 100.0,
        1e-9
    ));
    assert!(close(
        e.total.heat_element_percentage(),
        800.0 / 6000.0 * 100.0,
        1e-9
    ));
    assert_eq!(e.total.total_time(), 29);
    let sept = e.month(2025, 9).expect("2025-09 present");
    assert!(e.month(2025, 8).is_none());
    let d1 = sept.day(1).unwrap();
    assert_eq!((d1.total_usage(), d1.hp_usage, d1.hp_time), (1200, 1200, 7));
    let d2 = sept.day(2).unwrap();
    assert_eq!(d2.total_usage(), 4800);
    assert_eq!(
        (d2.hp_usage, d2.hp_time, d2.he_usage, d2.he_time),
        (4000, 20, 800, 2)
    );
}
