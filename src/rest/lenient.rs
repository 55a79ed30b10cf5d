//! Lenient field decoding for REST payloads.
//!
//! The cloud sends integers sometimes as integral floats (`52.0`) and sometimes as
//! numeric strings (`"02134"`); text fields sometimes arrive as numbers. These
//! `deserialize_with` helpers accept all of those forms and map JSON `null` to
//! `None`, so one odd field never fails a whole response. Error messages name the
//! JSON kind only, never the value.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Largest magnitude an `f64` can hold while still representing every integer exactly.
const F64_EXACT_INT: f64 = 9_007_199_254_740_992.0;

/// The JSON kind of a value, for error messages that must not echo the value.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Reads an integer from a JSON integer, an integral float or a numeric string.
pub(crate) fn int_from_value(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().and_then(integral_f64_to_i64)),
        Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>()
                .ok()
                .or_else(|| s.parse::<f64>().ok().and_then(integral_f64_to_i64))
        }
        _ => None,
    }
}

fn integral_f64_to_i64(f: f64) -> Option<i64> {
    // The range check keeps the cast exact; fractional values are not integers.
    if f.is_finite() && f.fract() == 0.0 && f.abs() <= F64_EXACT_INT {
        Some(f as i64)
    } else {
        None
    }
}

/// `Option<i64>`: integer, integral float or numeric string; `null`/absent → `None`.
pub(crate) fn opt_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(v) => int_from_value(&v)
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("expected an integer, got {}", kind(&v)))),
    }
}

/// `Option<f64>`: any JSON number or numeric string; `null`/absent → `None`.
pub(crate) fn opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(Value::String(s)) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Some)
            .ok_or_else(|| D::Error::custom("expected a number, got a non-numeric string")),
        Some(v) => Err(D::Error::custom(format!(
            "expected a number, got {}",
            kind(&v)
        ))),
    }
}

/// `Option<String>`: a string, or a number/boolean rendered as text; `null`/absent → `None`.
pub(crate) fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(v) => Err(D::Error::custom(format!(
            "expected a string, got {}",
            kind(&v)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Deserialize)]
    struct Probe {
        #[serde(default, deserialize_with = "opt_int")]
        i: Option<i64>,
        #[serde(default, deserialize_with = "opt_f64")]
        f: Option<f64>,
        #[serde(default, deserialize_with = "opt_string")]
        s: Option<String>,
    }

    fn probe(v: Value) -> Result<Probe, serde_json::Error> {
        serde_json::from_value(v)
    }

    #[test]
    fn integers_accept_floats_and_numeric_strings() {
        assert_eq!(probe(json!({"i": 52})).unwrap().i, Some(52));
        assert_eq!(probe(json!({"i": 52.0})).unwrap().i, Some(52));
        assert_eq!(probe(json!({"i": "02134"})).unwrap().i, Some(2134));
        assert_eq!(probe(json!({"i": " -7 "})).unwrap().i, Some(-7));
        assert_eq!(probe(json!({"i": null})).unwrap().i, None);
        assert_eq!(probe(json!({})).unwrap().i, None);
    }

    #[test]
    fn integers_reject_fractions_and_other_kinds() {
        assert!(probe(json!({"i": 1.5})).is_err());
        assert!(probe(json!({"i": "abc"})).is_err());
        assert!(probe(json!({"i": [1]})).is_err());
        assert!(probe(json!({"i": 1e300})).is_err());
    }

    #[test]
    fn floats_and_strings_are_lenient() {
        assert_eq!(probe(json!({"f": 37})).unwrap().f, Some(37.0));
        assert_eq!(probe(json!({"f": "-122.5"})).unwrap().f, Some(-122.5));
        assert!(probe(json!({"f": "x"})).is_err());
        assert_eq!(
            probe(json!({"s": 5551234})).unwrap().s.as_deref(),
            Some("5551234")
        );
        assert_eq!(probe(json!({"s": "R"})).unwrap().s.as_deref(), Some("R"));
        assert!(probe(json!({"s": {}})).is_err());
    }
}
