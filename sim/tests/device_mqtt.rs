//! Simulated devices answering hand-built MQTT requests (docs/protocol.md §4, §5, §7–§10).

mod common;

use std::time::{Duration, Instant};

use common::*;
use nwp500_sim::{SimConfig, Simulator};
use serde_json::{json, Value};

const STATUS: u64 = 16_777_219;
const FEATURE: u64 = 16_777_217;
const WAIT: Duration = Duration::from_secs(2);

fn quiet_config() -> SimConfig {
    SimConfig {
        random_draws: false,
        ..SimConfig::default()
    }
}

async fn connected(sim: &Simulator, client_id: &str) -> RawLink {
    let mut link = RawLink::tcp(sim.mqtt_tcp_url()).await;
    link.connect(client_id).await;
    link.subscribe(1, &format!("cmd/52/navilink-{MAC}/#")).await;
    link
}

/// Sends a mode/param control and returns the `response.status` of its acknowledgement.
async fn control(link: &mut RawLink, code: u64, mode: &str, param: Value) -> Value {
    let response_topic = default_response_topic(CLIENT_ID);
    let request = json!({"command": code, "mode": mode, "param": param, "paramStr": ""});
    link.send(&publish(
        7,
        &topic("ctrl"),
        &envelope(CLIENT_ID, "ctrl", &response_topic, request),
    ))
    .await;
    let answer = link
        .next_publish_on(&response_topic, WAIT)
        .await
        .expect("control acknowledged");
    answer.json()["response"]["status"].clone()
}

#[tokio::test]
async fn status_request_is_answered_within_100ms() {
    let sim = Simulator::start(quiet_config()).unwrap();
    let mut link = connected(&sim, CLIENT_ID).await;
    let response_topic = default_response_topic(CLIENT_ID);
    let request = envelope(CLIENT_ID, "st", &response_topic, json!({"command": STATUS}));

    let sent = Instant::now();
    link.send(&publish(2, &topic("st"), &request)).await;
    // The broker delivers the request back to its publisher first (as AWS IoT does).
    let echo = link
        .next_publish_on(&topic("st"), WAIT)
        .await
        .expect("echo");
    assert_eq!(echo.json()["request"]["command"], json!(STATUS));
    let answer = link
        .next_publish_on(&response_topic, WAIT)
        .await
        .expect("status answer");
    let elapsed = sent.elapsed();
    assert!(
        elapsed < Duration::from_millis(100),
        "answered after {elapsed:?}"
    );

    let body = answer.json();
    assert_eq!(body["clientID"], json!(CLIENT_ID));
    assert_eq!(body["sessionID"], json!(SESSION_ID));
    assert_eq!(body["response"]["command"], json!(STATUS));
    assert_eq!(body["response"]["macAddress"], json!(MAC));
    assert_eq!(body["response"]["additionalValue"], json!("1234"));
    let status = body["response"]["status"].as_object().unwrap();
    assert_eq!(status.len(), 102, "every status key of docs/protocol.md §7");
    assert_eq!(status["command"], json!(STATUS));
    assert_eq!(status["dhwTemperatureSetting"], json!(121));

    let device = &sim.devices()[0];
    assert_eq!(device.command_count(STATUS), 1);
    let recorded = &device.commands_with_code(STATUS)[0];
    assert_eq!(recorded.client_id.as_deref(), Some(CLIENT_ID));
    assert_eq!(recorded.topic, topic("st"));
    assert!(recorded.answered);
}

#[tokio::test]
async fn controls_change_the_state_and_are_acknowledged_with_their_code() {
    let sim = Simulator::start(quiet_config()).unwrap();
    let mut link = connected(&sim, CLIENT_ID).await;

    let s = control(&mut link, 33_554_464, "dhw-temperature", json!([120])).await;
    assert_eq!(s["command"], json!(33_554_464));
    assert_eq!(s["dhwTemperatureSetting"], json!(120));
    assert_eq!(s["dhwTargetTemperatureSetting"], json!(120));

    let s = control(&mut link, 33_554_433, "power-off", json!([])).await;
    assert_eq!(s["command"], json!(33_554_433));
    assert_eq!(s["dhwOperationSetting"], json!(6));
    assert_eq!(s["operationMode"], json!(0), "nothing runs while off");

    let s = control(&mut link, 33_554_434, "power-on", json!([])).await;
    assert_eq!(s["dhwOperationSetting"], json!(3), "back to Energy Saver");

    let s = control(&mut link, 33_554_437, "dhw-mode", json!([5, 7])).await;
    assert_eq!(s["dhwOperationSetting"], json!(5));
    assert_eq!(s["vacationDaySetting"], json!(7));

    let s = control(&mut link, 33_554_437, "dhw-mode", json!([4])).await;
    assert_eq!(s["dhwOperationSetting"], json!(4));

    let s = control(&mut link, 33_554_472, "anti-leg-on", json!([14])).await;
    assert_eq!(s["antiLegionellaUse"], json!(2));
    assert_eq!(s["antiLegionellaPeriod"], json!(14));
    let s = control(&mut link, 33_554_471, "anti-leg-off", json!([])).await;
    assert_eq!(s["antiLegionellaUse"], json!(1));

    let s = control(&mut link, 33_554_476, "tou-on", json!([])).await;
    assert_eq!(s["touStatus"], json!(1));
    let s = control(&mut link, 33_554_475, "tou-off", json!([])).await;
    assert_eq!(s["touStatus"], json!(0));

    // Every command is recorded, in order, with its payload.
    let codes: Vec<Option<u64>> = sim.devices()[0].commands().iter().map(|c| c.code).collect();
    assert_eq!(
        codes,
        [
            33_554_464, 33_554_433, 33_554_434, 33_554_437, 33_554_437, 33_554_472, 33_554_471,
            33_554_476, 33_554_475
        ]
        .map(Some)
    );
    let first = &sim.devices()[0].commands()[0];
    assert_eq!(first.mode(), Some("dhw-temperature"));
    assert_eq!(first.param(), Some(&vec![json!(120)]));
}

#[tokio::test]
async fn feature_reservation_tou_and_energy_requests_get_their_answers() {
    let sim = Simulator::start(quiet_config()).unwrap();
    let mut link = connected(&sim, CLIENT_ID).await;
    link.subscribe(2, &format!("cmd/52/{CLIENT_ID}/res/#"))
        .await;

    // Feature.
    let default_topic = default_response_topic(CLIENT_ID);
    link.send(&publish(
        3,
        &topic("st/did"),
        &envelope(
            CLIENT_ID,
            "st/did",
            &default_topic,
            json!({"command": FEATURE}),
        ),
    ))
    .await;
    let feature = link
        .next_publish_on(&default_topic, WAIT)
        .await
        .unwrap()
        .json();
    let feature = &feature["response"]["feature"];
    assert_eq!(feature["controllerSerialNumber"], json!("TESTSERIAL0001"));
    assert_eq!(feature.as_object().unwrap().len(), 43);

    // Reservation write, then read (hex form, docs/protocol.md §6.7).
    let rsv_topic = format!("cmd/52/{CLIENT_ID}/res/rsv/rd");
    let entries = json!([
        {"enable": 2, "week": 62, "hour": 6, "min": 30, "mode": 4, "param": 120},
        {"enable": 1, "week": 84, "hour": 8, "min": 0, "mode": 3, "param": 110}
    ]);
    link.send(&publish(
        4,
        &topic("ctrl/rsv/rd"),
        &envelope(
            CLIENT_ID,
            "ctrl/rsv/rd",
            &rsv_topic,
            json!({"command": 16_777_226, "reservationUse": 2, "reservation": entries}),
        ),
    ))
    .await;
    let echo = link.next_publish_on(&rsv_topic, WAIT).await.unwrap().json();
    assert_eq!(echo["response"]["reservationUse"], json!(2));
    link.send(&publish(
        5,
        &topic("st/rsv/rd"),
        &envelope(
            CLIENT_ID,
            "st/rsv/rd",
            &rsv_topic,
            json!({"command": 16_777_222}),
        ),
    ))
    .await;
    let read = link.next_publish_on(&rsv_topic, WAIT).await.unwrap().json();
    assert_eq!(
        read["response"]["reservation"],
        json!("023e061e047801540800036e")
    );

    // TOU write, then read.
    let tou_topic = format!("cmd/52/{CLIENT_ID}/res/tou/rd");
    let period = json!({"season": 224, "week": 124, "startHour": 16, "startMinute": 0,
        "endHour": 20, "endMinute": 59, "priceMin": 31794, "priceMax": 45000, "decimalPoint": 5});
    link.send(&publish(
        6,
        &topic("ctrl/tou/rd"),
        &envelope(
            CLIENT_ID,
            "ctrl/tou/rd",
            &tou_topic,
            json!({"command": 33_554_439, "controllerSerialNumber": "TESTSERIAL0001",
                   "reservationUse": 2, "reservation": [period.clone()]}),
        ),
    ))
    .await;
    link.next_publish_on(&tou_topic, WAIT).await.unwrap();
    link.send(&publish(
        7,
        &topic("ctrl/tou/rd"),
        &envelope(
            CLIENT_ID,
            "ctrl/tou/rd",
            &tou_topic,
            json!({"command": 33_554_439, "controllerSerialNumber": "TESTSERIAL0001"}),
        ),
    ))
    .await;
    let tou = link.next_publish_on(&tou_topic, WAIT).await.unwrap().json();
    assert_eq!(tou["response"]["reservationUse"], json!(2));
    assert_eq!(tou["response"]["reservation"], json!([period]));

    // Energy usage for a past month: one entry per day, totals that add up.
    let energy_topic = format!("cmd/52/{CLIENT_ID}/res/energy-usage-daily-query/rd");
    link.send(&publish(
        8,
        &topic("st/energy-usage-daily-query/rd"),
        &envelope(
            CLIENT_ID,
            "st/energy-usage-daily-query/rd",
            &energy_topic,
            json!({"command": 16_777_225, "month": [9], "year": 2025}),
        ),
    ))
    .await;
    let energy = link
        .next_publish_on(&energy_topic, WAIT)
        .await
        .unwrap()
        .json();
    let days = energy["response"]["usage"][0]["data"].as_array().unwrap();
    assert_eq!(days.len(), 30);
    let hp: u64 = days.iter().map(|d| d["hpUsage"].as_u64().unwrap()).sum();
    assert_eq!(energy["response"]["total"]["hpUsage"], json!(hp));
}

#[tokio::test]
async fn misaddressed_requests_are_recorded_but_not_answered() {
    let sim = Simulator::start(quiet_config()).unwrap();
    let mut link = connected(&sim, CLIENT_ID).await;
    let response_topic = default_response_topic(CLIENT_ID);
    // A status request published on the control topic.
    link.send(&publish(
        2,
        &topic("ctrl"),
        &envelope(
            CLIENT_ID,
            "ctrl",
            &response_topic,
            json!({"command": STATUS}),
        ),
    ))
    .await;
    // A status request naming another additionalValue.
    link.send(&publish(
        3,
        &topic("st"),
        &envelope(
            CLIENT_ID,
            "st",
            &response_topic,
            json!({"command": STATUS, "additionalValue": "9999"}),
        ),
    ))
    .await;
    assert!(link
        .next_publish_on(&response_topic, Duration::from_millis(300))
        .await
        .is_none());
    let device = &sim.devices()[0];
    assert_eq!(device.command_count(STATUS), 2);
    assert!(device.commands().iter().all(|c| !c.answered));

    // An unresponsive device records but stays silent; switched back, it answers.
    device.set_responsive(false);
    link.send(&publish(
        4,
        &topic("st"),
        &envelope(CLIENT_ID, "st", &response_topic, json!({"command": STATUS})),
    ))
    .await;
    assert!(link
        .next_publish_on(&response_topic, Duration::from_millis(300))
        .await
        .is_none());
    device.set_responsive(true);
    link.send(&publish(
        5,
        &topic("st"),
        &envelope(CLIENT_ID, "st", &response_topic, json!({"command": STATUS})),
    ))
    .await;
    assert!(link.next_publish_on(&response_topic, WAIT).await.is_some());
    assert!(
        device
            .wait_for_commands(STATUS, 4, Duration::from_secs(1))
            .await
    );
}

#[tokio::test]
async fn the_tank_heats_when_running_and_cools_when_off() {
    let sim = Simulator::start(SimConfig {
        time_scale: 3600.0,
        tick_interval: Duration::from_millis(20),
        random_draws: false,
        ..SimConfig::default()
    })
    .unwrap();
    let device = &sim.devices()[0];
    device.set_tank_temperature(40.0);
    let before = device.status();
    assert_ne!(
        before["operationMode"],
        json!(0),
        "far below the setpoint: heating"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = device.status();
    let upper = |s: &Value| s["tankUpperTemperature"].as_i64().unwrap();
    assert!(
        upper(&after) > upper(&before) + 20,
        "{} -> {}",
        upper(&before),
        upper(&after)
    );
    assert!(after["currentInstPower"].as_i64().unwrap() > 0);
    assert!(
        after["availableEnergyCapacity"].as_i64().unwrap()
            < before["availableEnergyCapacity"].as_i64().unwrap(),
        "less energy still needed"
    );

    // Power off through MQTT; the tank then loses heat.
    let mut link = connected(&sim, CLIENT_ID).await;
    control(&mut link, 33_554_433, "power-off", json!([])).await;
    device.set_tank_temperature(60.0);
    let off_before = device.status();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let off_after = device.status();
    assert_eq!(off_after["operationMode"], json!(0));
    assert!(upper(&off_after) < upper(&off_before), "cooling");
}
