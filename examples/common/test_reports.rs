//! Typed status and feature reports for the examples' tests: a recorded payload from the
//! protocol test vectors with the fields a test cares about replaced, in wire encoding
//! (temperatures in half-degrees Celsius, flags 1 = off / 2 = on, enumerations as codes).
//!
//! Included by each example's tests with
//! `#[cfg(test)] #[path = "../common/test_reports.rs"] mod test_reports;`.

// Each example uses the part its tests need.
#![allow(dead_code)]

use nwp500::events::Report;
use nwp500::{Feature, Status, UnitSystem};
use serde_json::Value;

const STATUSES: &str = include_str!("../../tests/data/oracle/status.jsonl");
const FEATURES: &str = include_str!("../../tests/data/oracle/feature.jsonl");

/// A quiet status (no error, nothing heating) with `wire` fields replaced.
pub fn status(wire: Value, unit: UnitSystem) -> Report<Status> {
    let base = serde_json::json!({
        "errorCode": 0, "subErrorCode": 0, "compUse": 1, "heatUpperUse": 1,
        "heatLowerUse": 1, "currentInstPower": 0, "operationMode": 0,
    });
    let raw = merged(recorded(STATUSES), [base, wire]);
    Report::new(
        serde_json::from_value::<Status>(raw).expect("a recorded status decodes"),
        unit,
    )
}

/// A recorded feature payload with `wire` fields replaced.
pub fn feature(wire: Value, unit: UnitSystem) -> Report<Feature> {
    let raw = merged(recorded(FEATURES), [wire]);
    Report::new(
        serde_json::from_value::<Feature>(raw).expect("a recorded feature payload decodes"),
        unit,
    )
}

fn recorded(jsonl: &str) -> Value {
    let first = jsonl.lines().next().expect("the recordings are not empty");
    let record: Value = serde_json::from_str(first).expect("a recording is JSON");
    record["raw"].clone()
}

fn merged<const N: usize>(mut raw: Value, overrides: [Value; N]) -> Value {
    for wire in overrides {
        if let (Some(raw), Value::Object(wire)) = (raw.as_object_mut(), wire) {
            raw.extend(wire);
        }
    }
    raw
}

/// A valid MAC address.
pub fn mac(text: &str) -> nwp500::MacAddress {
    nwp500::MacAddress::new(text).expect("a valid MAC address")
}
