//! One test per docs-versus-code contradiction of docs/protocol.md §13, showing which side the
//! protocol layer follows (the upstream code's, as docs/protocol.md does, unless stated).
//! Items 1 (REST `authorization` header) and 2 (refresh response merge) concern the REST
//! client and are tested with it.

mod protocol_support;

use nwp500::protocol::{
    classify, Command, CommandCode, DhwMode, DhwOperationSetting, Feature, HeatSource, Incoming,
    RecirculationEntry, RecirculationMode, ReservationSchedule, Status, TouPeriod, UnitSystem,
    WeekDays, Weekday,
};
use protocol_support::{device, fixtures, g5_feature_value, identity};
use serde_json::{json, Value};

fn g5() -> Feature {
    serde_json::from_value(fixtures()["G5_feature"].clone()).unwrap()
}

fn all_gates() -> Feature {
    serde_json::from_value(g5_feature_value(
        &json!({"recirculationUse": 2, "recircReservationUse": 2}),
    ))
    .unwrap()
}

fn g3_with(changes: Value) -> Status {
    let mut st = fixtures()["G3_status"].clone();
    for (k, v) in changes.as_object().unwrap() {
        st[k] = v.clone();
    }
    serde_json::from_value(st).unwrap()
}

fn build(cmd: Command) -> nwp500::protocol::OutgoingRequest {
    cmd.build(&identity(), &device(), Some(&all_gates()))
        .unwrap()
}

#[test]
fn c03_topics_use_navilink_mac_not_home_and_user_seq() {
    let req = build(Command::SetPower { on: true });
    assert_eq!(req.topic, "cmd/52/navilink-aabbccddeeff/ctrl");
    assert_eq!(req.subscribe_first, ["cmd/52/navilink-aabbccddeeff/#"]);
    let rsv = build(Command::RequestReservations);
    assert_eq!(
        rsv.response_topic.as_deref(),
        Some("cmd/52/navien-client-0a1b2c3d/res/rsv/rd")
    );
    assert!(!req.topic.contains("10001") && !req.topic.contains("20002"));
}

#[test]
fn c04_status_request_is_bare_on_st_with_the_default_response_topic() {
    let req = build(Command::RequestStatus);
    assert_eq!(req.topic, "cmd/52/navilink-aabbccddeeff/st");
    assert_eq!(
        req.response_topic.as_deref(),
        Some("cmd/52/navilink-aabbccddeeff/navien-client-0a1b2c3d/res")
    );
    let request = req.payload["request"].as_object().unwrap();
    assert!(!request.contains_key("mode") && !request.contains_key("param"));
}

#[test]
fn c05_dhw_temperature_is_33554464_and_33554438_is_the_weekly_reservation() {
    let t = build(Command::SetDhwTemperature {
        temperature: 140.0,
        unit: UnitSystem::UsCustomary,
    });
    assert_eq!(t.payload["request"]["command"], 33554464);
    assert_eq!(t.payload["request"]["mode"], "dhw-temperature");
    let w = build(Command::UpdateWeeklyReservation {
        enabled: true,
        entries: vec![],
    });
    assert_eq!(w.payload["request"]["command"], 33554438);
    assert!(w.payload["request"].get("mode").is_none());
}

#[test]
fn c06_anti_legionella_uses_anti_leg_on_with_days_and_off_without_params() {
    let on = build(Command::EnableAntiLegionella { period_days: 7 });
    assert_eq!(on.payload["request"]["mode"], "anti-leg-on");
    assert_eq!(on.payload["request"]["param"], json!([7]));
    let off = build(Command::DisableAntiLegionella);
    assert_eq!(off.payload["request"]["mode"], "anti-leg-off");
    assert_eq!(off.payload["request"]["param"], json!([]));
}

#[test]
fn c07_vacation_is_dhw_mode_5_with_1_to_30_days_never_go_out_day() {
    let v = build(Command::SetVacation { days: 30 });
    assert_eq!(v.payload["request"]["command"], 33554437);
    assert_eq!(v.payload["request"]["param"], json!([5, 30]));
    assert!(Command::SetVacation { days: 31 }
        .build(&identity(), &device(), Some(&g5()))
        .is_err());
    assert!(!CommandCode::GoOutDay.is_sendable());
}

#[test]
fn c08_energy_request_has_only_year_and_months_and_the_answer_has_total_and_usage() {
    let req = build(Command::RequestEnergyUsage {
        year: 2025,
        months: vec![9],
    });
    let keys: Vec<&String> = req.payload["request"].as_object().unwrap().keys().collect();
    assert!(keys
        .iter()
        .all(|k| !["mode", "param", "paramStr"].contains(&k.as_str())));
    let e: nwp500::protocol::EnergyUsage =
        serde_json::from_value(fixtures()["G6_energy_answer"].clone()).unwrap();
    assert_eq!(e.total.hp_time, 27);
    // The documented shape (`data[]` at the top, no `usage`) is not an energy answer.
    let docs_shape =
        json!({"typeOfUsage": 1, "year": 2025, "data": [], "total": {"heUsage": 1, "hpUsage": 2}});
    assert!(serde_json::from_value::<nwp500::protocol::EnergyUsage>(docs_shape).is_err());
}

#[test]
fn c09_app_connection_goes_to_evt_navilink_with_client_id_and_timestamp() {
    let req = build(Command::SignalAppConnection {
        at: std::time::UNIX_EPOCH,
    });
    assert_eq!(req.topic, "evt/52/navilink-aabbccddeeff/app-connection");
    let keys: Vec<&String> = req.payload.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["clientID", "timestamp"]);
}

#[test]
fn c10_wire_keys_are_camel_case() {
    let mut snake = serde_json::Map::new();
    for (k, v) in fixtures()["G3_status"].as_object().unwrap() {
        let s: String = k
            .chars()
            .flat_map(|c| {
                if c.is_ascii_uppercase() {
                    vec!['_', c.to_ascii_lowercase()]
                } else {
                    vec![c]
                }
            })
            .collect();
        snake.insert(s, v.clone());
    }
    assert!(serde_json::from_value::<Status>(Value::Object(snake)).is_err());
    let f = build(Command::RequestTouSettings {
        controller_serial_number: "S".into(),
    });
    assert!(f.payload["request"].get("controllerSerialNumber").is_some());
}

#[test]
fn c11_quick_reference_codes_do_not_exist() {
    for c in [0x11, 0x21, 0x31] {
        assert!(!CommandCode::from_raw(c).is_known());
    }
}

#[test]
fn c12_inlet_temperature_is_half_celsius() {
    let s = g3_with(json!({"currentInletTemperature": 100}));
    let t = s.current_inlet_temperature.unwrap();
    assert_eq!(t.fahrenheit(), 122.0);
    assert_eq!(t.celsius(), 50.0);
}

#[test]
fn c13_current_heat_use_is_an_enum() {
    assert_eq!(
        g3_with(json!({"currentHeatUse": 2})).current_heat_use,
        HeatSource::HeatElement
    );
    assert_eq!(
        g3_with(json!({"currentHeatUse": 3})).current_heat_use,
        HeatSource::HeatPumpAndElement
    );
}

#[test]
fn c14_flow_is_litres_per_minute_and_volume_litres() {
    let s = g3_with(json!({"currentDhwFlowRate": 100, "cumulatedDhwFlowRate": 100}));
    assert_eq!(s.current_dhw_flow_rate.litres_per_minute(), 10.0);
    assert_eq!(s.current_dhw_flow_rate.gallons_per_minute(), 2.64);
    assert_eq!(s.cumulated_dhw_flow_rate.litres(), 100.0);
    assert_eq!(s.cumulated_dhw_flow_rate.gallons(), 26.42);
}

#[test]
fn c15_eight_status_flags_are_tri_state() {
    let s = g3_with(json!({
        "operationBusy": 0, "compUse": 0, "antiLegionellaUse": 0,
        "antiLegionellaOperationBusy": 0, "heatUpperUse": 0, "heatLowerUse": 0,
        "airFilterAlarmUse": 0, "recircReservationUse": 0, "didReload": 0
    }));
    for v in [
        s.operation_busy,
        s.comp_use,
        s.anti_legionella_use,
        s.anti_legionella_operation_busy,
        s.heat_upper_use,
        s.heat_lower_use,
        s.air_filter_alarm_use,
        s.recirc_reservation_use,
    ] {
        assert_eq!(v, None);
    }
    // devbool flags stay plain booleans.
    assert!(!s.did_reload);
}

#[test]
fn c16_tank_energy_is_count_times_four_watt_hours() {
    let s = g3_with(json!({"totalEnergyCapacity": 1580, "availableEnergyCapacity": 1166}));
    assert_eq!(s.full_recovery_energy_wh(), 6320.0);
    assert_eq!(s.energy_to_setpoint_wh(), 4664.0);
    assert_eq!(s.usable_energy_wh(), 1656.0);
    let deficit = g3_with(json!({"totalEnergyCapacity": 100, "availableEnergyCapacity": 900}));
    assert_eq!(deficit.usable_energy_wh(), 0.0);
}

#[test]
fn c17_feature_uses_mixing_valve_use_and_a_control_type_enum() {
    let f: Feature =
        serde_json::from_value(g5_feature_value(&json!({"mixingValveUse": 2}))).unwrap();
    assert!(f.mixing_valve_use);
    let misspelt: Feature = serde_json::from_value(g5_feature_value(
        &json!({"mixingValveUse": 1, "mixingValueUse": 2}),
    ))
    .unwrap();
    assert!(!misspelt.mixing_valve_use);
    for (raw, allowed) in [(0, false), (1, false), (2, true), (3, true), (4, true)] {
        let f: Feature =
            serde_json::from_value(g5_feature_value(&json!({"dhwTemperatureSettingUse": raw})))
                .unwrap();
        assert_eq!(
            f.dhw_temperature_setting_use.allows_setpoint_control(),
            allowed,
            "{raw}"
        );
    }
    assert_eq!(g5().freeze_protection_temp_max.unwrap().fahrenheit(), 50.0);
}

#[test]
fn c18_mode_numbering_is_hp_electric_saver_demand_vacation_off() {
    use DhwOperationSetting as D;
    assert_eq!(
        (1..=6).map(D::from_raw).collect::<Vec<_>>(),
        [
            D::HeatPump,
            D::Electric,
            D::EnergySaver,
            D::HighDemand,
            D::Vacation,
            D::PowerOff
        ]
    );
    assert_eq!(DhwMode::Electric.raw(), 2);
    assert_eq!(DhwMode::EnergySaver.raw(), 3);
}

#[test]
fn c19_week_bitfield_has_sunday_128_and_weekdays_124() {
    assert_eq!(Weekday::Sunday.bit(), 128);
    assert_eq!(Weekday::Saturday.bit(), 2);
    assert_eq!(WeekDays::from_days(&Weekday::ALL[..5]).0, 124);
    assert_eq!(WeekDays(62).days()[0], Weekday::Tuesday);
}

#[test]
fn c20_tou_write_uses_the_standard_envelope() {
    let period = TouPeriod {
        season: 4095,
        week: 254,
        start_hour: 0,
        start_minute: 0,
        end_hour: 23,
        end_minute: 59,
        price_min: 10,
        price_max: 25,
        decimal_point: None,
    };
    let req = build(Command::ConfigureTouSchedule {
        controller_serial_number: "TESTSERIAL0001".into(),
        periods: vec![period],
        enabled: true,
    });
    let r = &req.payload["request"];
    assert_eq!(r["controllerSerialNumber"], "TESTSERIAL0001");
    assert_eq!(r["reservationUse"], 2);
    assert!(
        r.get("cmd").is_none() && r.get("operation").is_none() && r.get("controllerId").is_none()
    );
    assert!(
        r["reservation"][0].get("decimalPoint").is_none(),
        "passed through without a default"
    );
}

#[test]
fn c21_setpoint_unit_is_explicit() {
    let celsius_device: Feature =
        serde_json::from_value(g5_feature_value(&json!({"temperatureType": 1}))).unwrap();
    // 60 read as °C gives 120 whatever the device's display unit; upstream's unset-unit
    // path would have validated in °C and encoded as °F (31).
    let req = Command::SetDhwTemperature {
        temperature: 60.0,
        unit: UnitSystem::Metric,
    }
    .build(&identity(), &device(), Some(&celsius_device))
    .unwrap();
    assert_eq!(req.payload["request"]["param"], json!([120]));
    // The same number in °F is out of range on any device.
    assert!(Command::SetDhwTemperature {
        temperature: 60.0,
        unit: UnitSystem::UsCustomary
    }
    .build(&identity(), &device(), Some(&celsius_device))
    .is_err());
}

#[test]
fn c22_recirculation_schedule_is_33554440_with_recirculation_modes() {
    let e = RecirculationEntry {
        enable: 2,
        week: 124,
        start_hour: 6,
        start_min: 0,
        end_hour: 8,
        end_min: 0,
        mode: 4,
    };
    assert_eq!(e.mode(), RecirculationMode::Temperature);
    let req = build(Command::ConfigureRecirculationSchedule { entries: vec![e] });
    assert_eq!(req.payload["request"]["command"], 33554440);
    let hot = build(Command::TriggerRecirculationHotButton);
    assert_eq!(hot.payload["request"]["command"], 33554444);
    assert_eq!(hot.payload["request"]["mode"], "recirc-hotbtn");
}

#[test]
fn c23_reservation_use_writes_2_for_enabled_and_reads_only_2_as_enabled() {
    let on = build(Command::UpdateReservations {
        enabled: true,
        entries: vec![],
    });
    let off = build(Command::UpdateReservations {
        enabled: false,
        entries: vec![],
    });
    assert_eq!(on.payload["request"]["reservationUse"], 2);
    assert_eq!(off.payload["request"]["reservationUse"], 1);
    for (raw, enabled) in [(2, true), (1, false), (0, false)] {
        let s: ReservationSchedule =
            serde_json::from_value(json!({"reservationUse": raw})).unwrap();
        assert_eq!(s.enabled(), enabled);
    }
}

#[test]
fn c24_unverified_mode_strings_are_sent_as_upstream_sends_them() {
    for (cmd, mode) in [
        (Command::ReconnectWifi, "wifi-reconnect"),
        (Command::ResetWifi, "wifi-reset"),
        (
            Command::SetFreezeProtectionTemperature {
                temperature: 45.0,
                unit: UnitSystem::UsCustomary,
            },
            "frez-temp",
        ),
        (Command::RunSmartDiagnostic, "smart-diagnostic"),
        (Command::CheckFirmwareUpdate, "ota-check"),
    ] {
        assert_eq!(build(cmd).payload["request"]["mode"], mode);
    }
}

#[test]
fn c25_reservation_write_is_16777226_on_ctrl_rsv_rd() {
    let req = build(Command::UpdateReservations {
        enabled: true,
        entries: vec![],
    });
    assert_eq!(req.payload["request"]["command"], 16777226);
    assert_eq!(req.topic, "cmd/52/navilink-aabbccddeeff/ctrl/rsv/rd");
}

#[test]
fn c26_payloads_are_json_and_only_the_reservation_list_is_hex() {
    let req = build(Command::RequestStatus);
    let text = req.payload_string();
    assert!(serde_json::from_str::<Value>(&text).is_ok());
    let topic = "cmd/52/navien-client-0a1b2c3d/res/rsv/rd";
    let hex = br#"{"response": {"reservationUse": 2, "reservation": "023e061e0478"}}"#;
    assert!(matches!(classify(topic, hex), Ok(Incoming::Reservation(r)) if r.entries.len() == 1));
    assert!(
        classify(topic, b"7b22726573706f6e7365223a7b7d7d").is_err(),
        "hex-encoded payloads are not accepted"
    );
}

#[test]
fn c27_superheat_is_converted_as_an_absolute_temperature_but_kept_raw() {
    let s = g3_with(json!({"targetSuperHeat": 50, "currentSuperHeat": 40}));
    let t = s.target_super_heat.unwrap();
    assert_eq!(t.0, 50);
    assert_eq!(t.fahrenheit(), 41.0);
    assert_eq!(t.celsius(), 5.0);
}

#[test]
fn c28_additional_value_is_sent_verbatim() {
    let dev = nwp500::protocol::DeviceRef::nwp500(
        nwp500::protocol::MacAddress::new("aabbccddeeff").unwrap(),
        "opaque value / with spaces",
    );
    let req = Command::RequestStatus
        .build(&identity(), &dev, None)
        .unwrap();
    assert_eq!(
        req.payload["request"]["additionalValue"],
        "opaque value / with spaces"
    );
}
