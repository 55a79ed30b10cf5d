//! Classification of incoming messages (docs/protocol.md §4.4, §5.5, §5.8): status and feature
//! by payload key, schedules and energy by client response topic, echoes of requests,
//! control refusals, and malformed payloads as errors.

mod protocol_support;

use nwp500::protocol::{classify, Command, Incoming};
use protocol_support::{device, fixtures, identity};
use serde_json::{json, Value};

const DEVICE_RES: &str = "cmd/52/navilink-aabbccddeeff/navien-client-0a1b2c3d/res";

fn classify_value(topic: &str, v: &Value) -> Incoming {
    classify(topic, &serde_json::to_vec(v).unwrap()).unwrap()
}

#[test]
fn status_is_found_under_every_key_of_the_lookup_order() {
    let st = fixtures()["G3_status"].clone();
    for envelope in [
        json!({"response": {"status": st.clone()}}),
        json!({"response": {"st": st.clone()}}),
        json!({"status": st.clone()}),
        json!({"st": st.clone()}),
    ] {
        assert!(
            matches!(classify_value(DEVICE_RES, &envelope), Incoming::Status(_)),
            "{envelope}"
        );
    }
    // response.status wins over a top-level status.
    let mut other = st.clone();
    other["command"] = json!(33554433);
    let both = json!({"response": {"status": st}, "status": other});
    match classify_value(DEVICE_RES, &both) {
        Incoming::Status(s) => assert_eq!(s.command, 16777219),
        other => panic!("{other:?}"),
    }
}

#[test]
fn feature_is_found_under_feature_and_did() {
    let f = fixtures()["G5_feature"].clone();
    for envelope in [
        json!({"response": {"feature": f.clone()}}),
        json!({"response": {"did": f.clone()}}),
        json!({"feature": f.clone()}),
        json!({"did": f}),
    ] {
        assert!(
            matches!(classify_value(DEVICE_RES, &envelope), Incoming::Feature(_)),
            "{envelope}"
        );
    }
}

#[test]
fn our_own_requests_come_back_as_echoes() {
    let f: nwp500::protocol::Feature =
        serde_json::from_value(fixtures()["G5_feature"].clone()).unwrap();
    for cmd in [
        Command::RequestStatus,
        Command::RequestFeature,
        Command::RequestReservations,
        Command::SetPower { on: true },
        Command::RequestEnergyUsage {
            year: 2025,
            months: vec![9],
        },
    ] {
        let req = cmd.build(&identity(), &device(), Some(&f)).unwrap();
        match classify(&req.topic, &req.payload_bytes()).unwrap() {
            Incoming::Echo(e) => {
                assert_eq!(e.command, req.code.map(|c| c.raw()));
                assert_eq!(e.client_id.as_deref(), Some("navien-client-0a1b2c3d"));
            }
            other => panic!("{cmd:?}: {other:?}"),
        }
    }
    // Another client's request is an echo too, even with odd field types.
    let foreign = json!({"clientID": 7, "request": {"command": "x", "mode": "dhw-mode"}});
    assert!(matches!(
        classify_value("cmd/52/navilink-aabbccddeeff/ctrl", &foreign),
        Incoming::Echo(nwp500::protocol::RequestEcho {
            command: None,
            client_id: None
        })
    ));
}

#[test]
fn client_topics_decode_their_answers() {
    let rsv = json!({"response": {"reservationUse": 2, "reservation": "023e061e0478"}});
    assert!(matches!(
        classify_value("cmd/52/navien-client-0a1b2c3d/res/rsv/rd", &rsv),
        Incoming::Reservation(r) if r.entries.len() == 1
    ));
    assert!(matches!(
        classify_value("cmd/52/navien-client-0a1b2c3d/res/rsv-weekly/rd", &rsv),
        Incoming::WeeklyReservation(_)
    ));
    let tou = json!({"response": {"reservationUse": 2, "reservation": [
        {"season": 4095, "week": 254, "startHour": 0, "startMinute": 0, "endHour": 23,
         "endMinute": 59, "priceMin": 10, "priceMax": 25}
    ]}});
    assert!(matches!(
        classify_value("cmd/52/navien-client-0a1b2c3d/res/tou/rd", &tou),
        Incoming::Tou(t) if t.enabled() && t.periods[0].effective_decimal_point() == 5
    ));
    let energy = json!({"response": fixtures()["G6_energy_answer"].clone()});
    assert!(matches!(
        classify_value(
            "cmd/52/navien-client-0a1b2c3d/res/energy-usage-daily-query/rd",
            &energy
        ),
        Incoming::Energy(_)
    ));
    let recirc = json!({"response": {"schedule": [{"enable": 2, "week": 124, "startHour": 6,
        "startMin": 0, "endHour": 8, "endMin": 30, "mode": 3}]}});
    assert!(matches!(
        classify_value("cmd/52/navien-client-0a1b2c3d/res/recirc-rsv/rd", &recirc),
        Incoming::RecirculationSchedule(s) if s.entries.len() == 1
    ));
}

#[test]
fn control_refusals_are_typed() {
    let frame = json!({"response": {"failCode": 2}});
    match classify_value("cmd/1/navien-client-0a1b2c3d/res/controlfail", &frame) {
        Incoming::ControlRefused(r) => assert!(r.is_rate_limited()),
        other => panic!("{other:?}"),
    }
    let other_code = json!({"response": {"failCode": 5}});
    match classify_value("cmd/52/navien-client-0a1b2c3d/res/controlfail", &other_code) {
        Incoming::ControlRefused(r) => {
            assert_eq!(r.fail_code, Some(5));
            assert!(!r.is_rate_limited());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_and_malformed_messages() {
    // Valid JSON without a known answer.
    assert_eq!(
        classify_value(DEVICE_RES, &json!({"hello": 1})),
        Incoming::Unknown
    );
    assert_eq!(
        classify_value(
            DEVICE_RES,
            &json!({"response": {"command": 1}, "request": {}})
        ),
        Incoming::Unknown
    );
    assert_eq!(
        classify_value(
            "evt/52/navilink-aabbccddeeff/app-connection",
            &json!({"clientID": "x", "timestamp": "t"})
        ),
        Incoming::Unknown
    );
    // Not JSON, not an object, truncated, a status with a missing required key.
    for bad in [
        &b"not json"[..],
        b"[1,2]",
        b"42",
        b"{\"response\": {\"status\": {",
        b"",
        b"\xff\xfe",
    ] {
        assert!(classify(DEVICE_RES, bad).is_err(), "{bad:?}");
    }
    let mut st = fixtures()["G3_status"].clone();
    st.as_object_mut().unwrap().remove("command");
    assert!(classify(
        DEVICE_RES,
        &serde_json::to_vec(&json!({"response": {"status": st}})).unwrap()
    )
    .is_err());
    // An energy answer without `total` is malformed.
    assert!(classify(
        "cmd/52/navien-client-0a1b2c3d/res/energy-usage-daily-query/rd",
        br#"{"response": {"usage": []}}"#
    )
    .is_err());
    // Invalid reservation hex is malformed.
    assert!(classify(
        "cmd/52/navien-client-0a1b2c3d/res/rsv/rd",
        br#"{"response": {"reservationUse": 2, "reservation": "zz"}}"#
    )
    .is_err());
}

#[test]
fn requests_recognise_their_answers() {
    use nwp500::protocol::{ReservationEntry, UnitSystem};
    let f: nwp500::protocol::Feature =
        serde_json::from_value(fixtures()["G5_feature"].clone()).unwrap();
    let status_of = |code: i64| {
        let mut st = fixtures()["G3_status"].clone();
        st["command"] = json!(code);
        classify_value(DEVICE_RES, &json!({"response": {"status": st}}))
    };
    let set = Command::SetDhwTemperature {
        temperature: 140.0,
        unit: UnitSystem::UsCustomary,
    }
    .build(&identity(), &device(), Some(&f))
    .unwrap();
    assert!(set.is_answered_by(&status_of(33554464)));
    assert!(
        !set.is_answered_by(&status_of(16777219)),
        "a poll's status is not the ack"
    );
    let poll = Command::RequestStatus
        .build(&identity(), &device(), None)
        .unwrap();
    assert!(poll.is_answered_by(&status_of(16777219)));
    assert!(!poll.is_answered_by(&Incoming::Unknown));

    let entries = vec![
        ReservationEntry {
            enable: 2,
            week: 62,
            hour: 6,
            min: 30,
            mode: 4,
            param: 120,
        },
        ReservationEntry {
            enable: 1,
            week: 84,
            hour: 8,
            min: 0,
            mode: 3,
            param: 110,
        },
    ];
    let write = Command::UpdateReservations {
        enabled: true,
        entries,
    }
    .build(&identity(), &device(), None)
    .unwrap();
    let topic = "cmd/52/navien-client-0a1b2c3d/res/rsv/rd";
    // The echo lists the entries in another order: still the same schedule.
    let echo = classify_value(
        topic,
        &json!({"response": {"reservationUse": 2,
        "reservation": "01540800036e023e061e0478"}}),
    );
    assert!(write.is_answered_by(&echo));
    let stale = classify_value(
        topic,
        &json!({"response": {"reservationUse": 1,
        "reservation": "023e061e047801540800036e"}}),
    );
    assert!(
        !write.is_answered_by(&stale),
        "disabled echo does not confirm an enabling write"
    );
    let read = Command::RequestReservations
        .build(&identity(), &device(), None)
        .unwrap();
    assert!(read.is_answered_by(&stale));
}
