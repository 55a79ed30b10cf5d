//! Status answers as a device sends them: the G3 envelope of docs/protocol.md §14 with the status
//! values varied (seeded), for each simulated device.

use bytes::Bytes;
use nwp500_sim::DeviceSpec;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Map, Value};

/// The G3 `response.status` object (docs/protocol.md §14, G3).
const G3_STATUS: &str = include_str!("../data/g3_status.json");

/// Client id the status answers are addressed to (the one the measured clients use).
pub const CLIENT_ID: &str = "navien-client-0a1b2c3d";

/// The session id of the envelopes.
const SESSION_ID: &str = "00112233445566778899aabbccddeeff";

/// The MAC of simulated device `index` (the simulator's numbering).
pub fn device_mac(index: usize) -> String {
    DeviceSpec::numbered(index).mac
}

/// The wildcard a client subscribes to for one device (`cmd/52/navilink-<mac>/#`).
pub fn device_filter(index: usize) -> String {
    format!("cmd/52/navilink-{}/#", device_mac(index))
}

/// The topic a device answers a status poll on.
pub fn response_topic(index: usize) -> String {
    format!("cmd/52/navilink-{}/{CLIENT_ID}/res", device_mac(index))
}

/// A pool of pre-serialised status answers: `variants` different status values for each of
/// `devices` devices. Message `i` of a run is [`StatusPool::message`]`(i)`.
#[derive(Debug, Clone)]
pub struct StatusPool {
    topics: Vec<String>,
    /// `payloads[device][variant]`.
    payloads: Vec<Vec<Bytes>>,
}

impl StatusPool {
    /// Builds the pool (deterministic for a given `seed`).
    pub fn new(devices: usize, variants: usize, seed: u64) -> Result<Self, serde_json::Error> {
        let template: Map<String, Value> = serde_json::from_str(G3_STATUS)?;
        let mut rng = StdRng::seed_from_u64(seed);
        let devices = devices.max(1);
        let variants = variants.max(1);
        let mut payloads = Vec::with_capacity(devices);
        for d in 0..devices {
            let spec = DeviceSpec::numbered(d);
            let mut per_device = Vec::with_capacity(variants);
            for _ in 0..variants {
                let status = vary(&template, &mut rng);
                per_device.push(Bytes::from(serde_json::to_vec(&envelope(&spec, status))?));
            }
            payloads.push(per_device);
        }
        Ok(Self {
            topics: (0..devices).map(response_topic).collect(),
            payloads,
        })
    }

    /// Number of devices covered.
    pub fn devices(&self) -> usize {
        self.topics.len()
    }

    /// Message number `i`: devices in turn, then the next variant.
    pub fn message(&self, i: usize) -> (&str, Bytes) {
        let device = i % self.topics.len();
        let per_device = &self.payloads[device];
        let variant = (i / self.topics.len()) % per_device.len();
        (&self.topics[device], per_device[variant].clone())
    }

    /// Mean payload size in bytes.
    pub fn mean_payload_len(&self) -> usize {
        let (sum, n) = self
            .payloads
            .iter()
            .flatten()
            .fold((0, 0), |(s, n), p| (s + p.len(), n + 1));
        sum / n.max(1)
    }
}

/// The G3 status with the measured values changed within plausible ranges (raw encodings:
/// half-°C, deci-°C, W, %, dBm, 0.1 L/min). Enumerations are left as they are.
fn vary(template: &Map<String, Value>, rng: &mut StdRng) -> Value {
    let mut s = template.clone();
    let dhw: i64 = rng.random_range(80..=130);
    let upper: i64 = rng.random_range(300..=620);
    let total: i64 = 1580;
    let mut set = |key: &str, v: i64| {
        s.insert(key.to_owned(), Value::from(v));
    };
    set("dhwTemperature", dhw);
    set("dhwTemperature2", dhw - rng.random_range(0..=3));
    set("tankUpperTemperature", upper);
    set("tankLowerTemperature", upper - rng.random_range(0..=150));
    set("currentInstPower", rng.random_range(0..=4500));
    set("dhwChargePer", rng.random_range(0..=100));
    set("wifiRssi", rng.random_range(-90..=-30));
    set("currentDhwFlowRate", rng.random_range(0..=60));
    set("cumulatedDhwFlowRate", rng.random_range(0..=100_000));
    set("availableEnergyCapacity", rng.random_range(0..=total));
    set("ambientTemperature", rng.random_range(-50..=350));
    set("outsideTemperature", rng.random_range(-10..=40));
    set("dischargeTemperature", rng.random_range(300..=900));
    set("currentFanRpm", rng.random_range(0..=1200));
    set("eevStep", rng.random_range(0..=480));
    Value::Object(s)
}

/// The full answer envelope of G3 around `status`.
fn envelope(spec: &DeviceSpec, status: Value) -> Value {
    let request_topic = format!("cmd/52/navilink-{}/st", spec.mac);
    let response_topic = format!("cmd/52/navilink-{}/{CLIENT_ID}/res", spec.mac);
    json!({
        "clientID": CLIENT_ID,
        "sessionID": SESSION_ID,
        "requestTopic": request_topic,
        "responseTopic": response_topic,
        "protocolVersion": 2,
        "response": {
            "command": 16_777_219,
            "deviceType": 52,
            "macAddress": spec.mac,
            "additionalValue": spec.additional_value,
            "status": status,
        }
    })
}
