//! The control actions of the AWS IoT quotas: `GET /_sim/quotas` and `POST /_sim/quotas`.
//! The body and its fields are listed in the crate documentation.

use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::quotas::AwsQuotas;
use crate::shared::Shared;

type Body = Map<String, Value>;

/// The quotas in force.
pub(super) fn get(shared: &Shared) -> Value {
    json!(shared.broker.quotas())
}

/// Starts from `{"preset": "aws" | "unlimited"}` if given (else from the quotas in force),
/// then applies every other field present: a number sets that quota, `null` lifts it; fields
/// not named keep their value. An unknown field or a value of the wrong type changes nothing
/// and is an error.
pub(super) fn update(shared: &Shared, body: &Body) -> Result<Value, &'static str> {
    let mut quotas = match body.get("preset").map(Value::as_str) {
        None => shared.broker.quotas(),
        Some(Some("aws")) => AwsQuotas::default(),
        Some(Some("unlimited")) => AwsQuotas::unlimited(),
        Some(_) => return Err(USAGE),
    };
    for (key, value) in body.iter().filter(|(key, _)| *key != "preset") {
        let number = match value {
            Value::Null => None,
            v => Some(v.as_u64().ok_or(USAGE)?),
        };
        let count = number.map(|n| usize::try_from(n).unwrap_or(usize::MAX));
        match key.as_str() {
            "max_subscriptions_per_connection" => quotas.max_subscriptions_per_connection = count,
            "max_filters_per_subscribe" => quotas.max_filters_per_subscribe = count,
            "max_inbound_publishes_per_second" => {
                quotas.max_inbound_publishes_per_second =
                    number.map(|n| u32::try_from(n).unwrap_or(u32::MAX))
            }
            "max_inflight_outbound" => quotas.max_inflight_outbound = count,
            "min_connect_interval_per_client_id_ms" => {
                quotas.min_connect_interval_per_client_id = number.map(Duration::from_millis)
            }
            _ => return Err(USAGE),
        }
    }
    shared.set_quotas(quotas);
    Ok(json!(quotas))
}

const USAGE: &str = "expected {\"preset\": \"aws\" | \"unlimited\"} and/or any of \
    max_subscriptions_per_connection, max_filters_per_subscribe, \
    max_inbound_publishes_per_second, max_inflight_outbound, \
    min_connect_interval_per_client_id_ms: integer | null";
