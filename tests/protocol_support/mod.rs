//! Shared test support for the protocol tests: oracle loading, the fixed identities, the G5
//! feature with overrides, and tolerant JSON comparison.
#![allow(dead_code)]

use std::path::PathBuf;

use nwp500::protocol::{ClientId, ClientIdentity, DeviceRef, Feature, MacAddress, SessionId};
use serde_json::{Map, Value};

/// Path of a file under `tests/data/oracle`.
pub fn oracle_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
        .join("oracle")
        .join(name)
}

/// Every line of a JSON Lines oracle file with its 1-based line number.
pub fn jsonl(name: &str) -> Vec<(usize, Value)> {
    let text = std::fs::read_to_string(oracle_path(name)).expect("oracle file readable");
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (i + 1, serde_json::from_str(l).expect("oracle line is JSON")))
        .collect()
}

/// A whole JSON oracle file.
pub fn json_file(name: &str) -> Value {
    let text = std::fs::read_to_string(oracle_path(name)).expect("oracle file readable");
    serde_json::from_str(&text).expect("oracle file is JSON")
}

/// `fixtures.json`.
pub fn fixtures() -> Value {
    json_file("fixtures.json")
}

/// The fixed client identity of docs/protocol.md §14.
pub fn identity() -> ClientIdentity {
    ClientIdentity::new(
        ClientId::new("navien-client-0a1b2c3d").unwrap(),
        SessionId::new("00112233445566778899aabbccddeeff").unwrap(),
    )
}

/// The fixed device of docs/protocol.md §14.
pub fn device() -> DeviceRef {
    DeviceRef::nwp500(MacAddress::new("aabbccddeeff").unwrap(), "1234")
}

/// The raw G5 feature object with `overrides` applied.
pub fn g5_feature_value(overrides: &Value) -> Value {
    let mut f = fixtures()["G5_feature"].clone();
    if let (Some(obj), Some(ov)) = (f.as_object_mut(), overrides.as_object()) {
        for (k, v) in ov {
            obj.insert(k.clone(), v.clone());
        }
    }
    f
}

/// The oracle's `feature` field (`{"base": "G5", "overrides": {...}}` or null) decoded.
pub fn oracle_feature(spec: &Value) -> Option<Feature> {
    if spec.is_null() {
        return None;
    }
    let raw = g5_feature_value(&spec["overrides"]);
    Some(serde_json::from_value(raw).expect("G5 feature decodes"))
}

/// Compares two JSON values: numbers within `tol` (integers must match exactly when the
/// expected value is an integer), everything else exactly. Returns mismatch descriptions.
pub fn json_diff(path: &str, ours: &Value, expected: &Value, tol: f64) -> Vec<String> {
    let mut out = Vec::new();
    diff_into(path, ours, expected, tol, &mut out);
    out
}

fn diff_into(path: &str, ours: &Value, expected: &Value, tol: f64, out: &mut Vec<String>) {
    match (ours, expected) {
        (Value::Number(a), Value::Number(b)) => {
            if !numbers_match(a, b, tol) {
                out.push(format!("{path}: ours {a} expected {b}"));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                out.push(format!(
                    "{path}: length ours {} expected {}",
                    a.len(),
                    b.len()
                ));
                return;
            }
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                diff_into(&format!("{path}[{i}]"), x, y, tol, out);
            }
        }
        (Value::Object(a), Value::Object(b)) => {
            for k in b.keys() {
                if !a.contains_key(k) {
                    out.push(format!("{path}.{k}: missing in ours"));
                }
            }
            for (k, v) in a {
                match b.get(k) {
                    Some(e) => diff_into(&format!("{path}.{k}"), v, e, tol, out),
                    None => out.push(format!("{path}.{k}: not expected")),
                }
            }
        }
        (a, b) => {
            if a != b {
                out.push(format!("{path}: ours {a} expected {b}"));
            }
        }
    }
}

/// Number equality: an expected integer needs an integral equal value; floats within `tol`.
pub fn numbers_match(ours: &serde_json::Number, expected: &serde_json::Number, tol: f64) -> bool {
    if expected.is_i64() || expected.is_u64() {
        let e = expected.as_f64().unwrap_or(f64::NAN);
        match ours.as_f64() {
            Some(o) => o.fract() == 0.0 && o == e,
            None => false,
        }
    } else {
        match (ours.as_f64(), expected.as_f64()) {
            (Some(o), Some(e)) => (o - e).abs() <= tol,
            _ => false,
        }
    }
}

/// Takes an object field out of a JSON object as a `Map`.
pub fn obj(v: &Value) -> &Map<String, Value> {
    v.as_object().expect("JSON object")
}

/// Reports failures with their line numbers and panics if there are any.
pub fn assert_no_failures(file: &str, failures: &[String]) {
    if !failures.is_empty() {
        panic!(
            "{} failing line(s) in {file}:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}
