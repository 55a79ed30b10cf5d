//! Simulated NWP500 water heaters: each one subscribes to its command and event topics through an
//! in-process broker session, answers on the requested response topic, applies controls and
//! lets its tank heat and cool over time.

pub(crate) mod codes;
mod energy;
pub(crate) mod handle;
mod payloads;
pub(crate) mod state;
mod thermal;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Map, Value};
use tokio::time::MissedTickBehavior;

use crate::mqtt::broker::{LocalClient, Message};
use crate::mqtt::topic;
use handle::{DeviceShared, ReceivedCommand};

/// Client id of device number `index`'s in-process broker session (no MAC in it: client ids
/// appear in logs).
pub(crate) fn session_id(index: usize) -> String {
    format!("sim-device-{index}")
}

/// Subscribes the device's session (before the simulator accepts any client, so no request is
/// ever missed).
pub(crate) fn subscribe(client: &LocalClient, mac: &str) {
    client.subscribe(&format!("cmd/{}/navilink-{mac}/#", payloads::DEVICE_TYPE));
    client.subscribe(&format!("evt/{}/navilink-{mac}/#", payloads::DEVICE_TYPE));
}

/// The device's task: answer messages, advance the physics every `tick`.
pub(crate) async fn run(device: Arc<DeviceShared>, mut client: LocalClient, tick: Duration) {
    let mut ticker = tokio::time::interval(tick.max(Duration::from_millis(1)));
    ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            message = client.recv() => match message {
                Some(m) => handle_message(&device, &client, &m),
                None => break,
            },
            _ = ticker.tick() => drop(device.sync()),
        }
    }
}

/// The topic suffix (after `cmd/52/navilink-{mac}/`) each request must arrive on.
fn expected_suffix(code: u64) -> Option<&'static str> {
    Some(match code {
        codes::STATUS => "st",
        codes::FEATURE => "st/did",
        codes::RESERVATION_READ => "st/rsv/rd",
        codes::ENERGY_USAGE => "st/energy-usage-daily-query/rd",
        codes::RESERVATION_WRITE => "ctrl/rsv/rd",
        codes::TOU_SCHEDULE => "ctrl/tou/rd",
        c if codes::is_control(c) => "ctrl",
        _ => return None,
    })
}

fn handle_message(device: &DeviceShared, client: &LocalClient, message: &Message) {
    let Ok(Value::Object(envelope)) = serde_json::from_slice::<Value>(&message.payload) else {
        tracing::debug!("device: ignoring a payload that is not a JSON object");
        return;
    };
    if envelope.contains_key("response") {
        // Our own answer (or another device's) delivered back through the wildcard.
        return;
    }
    let request = envelope.get("request").and_then(Value::as_object);
    let is_event = message.topic.starts_with("evt/");
    if request.is_none() && !is_event {
        return;
    }
    let code = request
        .and_then(|r| r.get("command"))
        .and_then(Value::as_u64);
    let answer = match (request, code, is_event) {
        (Some(request), Some(code), false) if device.responsive() => {
            answer(device, &message.topic, &envelope, request, code)
        }
        _ => None,
    };
    device.record(ReceivedCommand {
        received_at: SystemTime::now(),
        received: Instant::now(),
        topic: message.topic.to_string(),
        code,
        client_id: envelope
            .get("clientID")
            .and_then(Value::as_str)
            .map(str::to_owned),
        payload: Value::Object(envelope.clone()),
        answered: answer.is_some(),
    });
    if let Some((response_topic, payload)) = answer {
        client.publish(&response_topic, payload.to_string().as_bytes());
    }
}

/// Applies a request and builds the answer: `(response topic, payload)`, or `None` when the
/// device does not answer it.
fn answer(
    device: &DeviceShared,
    topic: &str,
    envelope: &Map<String, Value>,
    request: &Map<String, Value>,
    code: u64,
) -> Option<(String, Value)> {
    let spec = &device.spec;
    let prefix = format!("cmd/{}/navilink-{}/", payloads::DEVICE_TYPE, spec.mac);
    let suffix = topic.strip_prefix(&prefix)?;
    if Some(suffix) != expected_suffix(code) {
        tracing::warn!(
            code,
            suffix,
            "device: request on the wrong topic, not answered"
        );
        return None;
    }
    let identity_ok = request.get("macAddress").and_then(Value::as_str) == Some(spec.mac.as_str())
        && request.get("additionalValue").and_then(Value::as_str)
            == Some(spec.additional_value.as_str())
        && request.get("deviceType").and_then(Value::as_u64) == Some(payloads::DEVICE_TYPE);
    if !identity_ok {
        tracing::warn!(code, "device: request names another device, not answered");
        return None;
    }
    let response_topic = envelope
        .get("responseTopic")
        .and_then(Value::as_str)
        .filter(|t| topic::is_valid_topic(t))?
        .to_owned();

    let mut sim = device.sync();
    let state = &mut sim.state;
    let response = match code {
        codes::STATUS => {
            let mut r = payloads::response_head(state, code);
            r.insert(
                "status".into(),
                Value::Object(payloads::status(state, code)),
            );
            r
        }
        codes::FEATURE => {
            let mut r = payloads::response_head(state, code);
            r.insert("feature".into(), Value::Object(payloads::feature(state)));
            r
        }
        codes::RESERVATION_READ => payloads::reservation_answer(state, code),
        codes::RESERVATION_WRITE => {
            state.write_reservations(request);
            payloads::reservation_answer(state, code)
        }
        codes::ENERGY_USAGE => {
            let year = request.get("year").and_then(Value::as_i64).unwrap_or(0);
            let months: Vec<i64> = request
                .get("month")
                .and_then(Value::as_array)
                .map(|m| m.iter().filter_map(Value::as_i64).collect())
                .unwrap_or_default();
            let mut r = payloads::response_head(state, code);
            r.extend(energy::answer(&spec.mac, year, &months, energy::today()));
            r
        }
        codes::TOU_SCHEDULE => {
            state.tou_request(request);
            payloads::tou_answer(state, code)
        }
        c if codes::is_control(c) => {
            if device.take_refusal() {
                return refusal(envelope);
            }
            state.apply_control(c, request);
            let mut r = payloads::response_head(state, code);
            r.insert(
                "status".into(),
                Value::Object(payloads::status(state, code)),
            );
            r
        }
        _ => return None,
    };
    Some((response_topic, payloads::envelope(envelope, response)))
}

/// `failCode` of a control refused as "too soon" (docs/protocol.md §5.8).
const FAIL_CODE_TOO_SOON: u64 = 2;

/// A refused control's answer: `controlfail` on the sender's client response topic, with
/// nothing but the failure code (like the frames seen from real devices, it names neither
/// the device nor the command).
fn refusal(envelope: &Map<String, Value>) -> Option<(String, Value)> {
    let client_id = envelope.get("clientID").and_then(Value::as_str)?;
    let topic = format!("cmd/{}/{client_id}/res/controlfail", payloads::DEVICE_TYPE);
    if !topic::is_valid_topic(&topic) {
        return None;
    }
    let mut response = Map::new();
    response.insert("failCode".into(), Value::from(FAIL_CODE_TOO_SOON));
    Some((topic, payloads::envelope(envelope, response)))
}
