//! Lenient scalar decoders, shared by the device payloads ([`crate::protocol`]) and the
//! REST answers (`rest`, `api`) (docs/protocol.md §0 pitfall 2, §6.1).
//!
//! The device and the cloud send numbers as JSON integers, integral floats (`1580.0`) and,
//! occasionally, numeric strings (`"120"`, `"02134"`); REST text fields sometimes arrive as
//! numbers. These newtypes and `deserialize_with` helpers accept all of those and reject
//! everything else with a serde error, so one malformed field makes its object fail to
//! decode instead of turning into a silent zero. JSON `null` counts as absent for the
//! optional helpers. Error messages name the JSON kind only, never the value.

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

/// Largest magnitude an `f64` can hold while every integer up to it stays exact (2^53).
const MAX_EXACT_F64_INT: f64 = 9_007_199_254_740_992.0;

/// Converts an integral, finite `f64` to `i64`; `None` when it has a fraction or is out of range.
pub(crate) fn integral_f64(v: f64) -> Option<i64> {
    if v.is_finite() && v.fract() == 0.0 && v.abs() <= MAX_EXACT_F64_INT {
        // Exact: the value is integral and within the range where f64 integers are exact.
        Some(v as i64)
    } else {
        None
    }
}

/// Parses a numeric string as an integer (`"120"`, `" 120 "`, `"120.0"`).
fn parse_int_str(s: &str) -> Option<i64> {
    let t = s.trim();
    t.parse::<i64>()
        .ok()
        .or_else(|| t.parse::<f64>().ok().and_then(integral_f64))
}

/// Parses a numeric string as a finite float.
fn parse_float_str(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

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

/// Reads an integer from an already parsed value, with the rules of [`Int`].
pub(crate) fn int_from_value(v: &Value) -> Option<i64> {
    Int::deserialize(v).ok().map(|i| i.0)
}

/// An integer field: JSON integer, integral float or numeric string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Int(pub(crate) i64);

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Int;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer (JSON integer, integral float or numeric string)")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Int, E> {
                Ok(Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Int, E> {
                i64::try_from(v)
                    .map(Int)
                    .map_err(|_| E::custom("integer out of range"))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Int, E> {
                integral_f64(v).map(Int).ok_or_else(|| {
                    E::custom("expected an integer, got a number with a fractional part")
                })
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Int, E> {
                parse_int_str(v)
                    .map(Int)
                    .ok_or_else(|| E::custom("expected an integer, got a non-numeric string"))
            }
        }
        d.deserialize_any(V)
    }
}

/// A numeric field that may carry a fraction (percentages, power, energy counts).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Num(pub(crate) f64);

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Num;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number (JSON number or numeric string)")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Num, E> {
                Ok(Num(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Num, E> {
                Ok(Num(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Num, E> {
                if v.is_finite() {
                    Ok(Num(v))
                } else {
                    Err(E::custom("number is not finite"))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Num, E> {
                parse_float_str(v)
                    .map(Num)
                    .ok_or_else(|| E::custom("expected a number, got a non-numeric string"))
            }
        }
        d.deserialize_any(V)
    }
}

/// A text field: a string, or a number or boolean rendered as text (REST labels such as
/// a phone number sent as a number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Text(pub(crate) String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string (or a number or boolean rendered as text)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text, E> {
                Ok(Text(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
                // serde_json's own rendering, so 37.0 reads "37.0" as the JSON text did.
                Ok(Text(
                    serde_json::Number::from_f64(v).map_or_else(String::new, |n| n.to_string()),
                ))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A scalar seen only to compare it with a constant; never fails on scalars.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Scalar {
    Number(f64),
    Other,
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON scalar")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar::Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar::Number(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar::Number(v))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Scalar, E> {
                Ok(Scalar::Other)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Scalar, E> {
                Ok(Scalar::Other)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar::Other)
            }
            fn visit_none<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Scalar, A::Error> {
                Err(de::Error::custom("expected a flag value, got an array"))
            }
            fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Scalar, A::Error> {
                Err(de::Error::custom("expected a flag value, got an object"))
            }
        }
        d.deserialize_any(V)
    }
}

/// devbool (§6.1): the number 2 is true; anything else (1, 0, other numbers, strings,
/// booleans, null) is false. Upstream compares with the integer 2, so `"2"` is false.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DevBool(pub(crate) bool);

impl<'de> Deserialize<'de> for DevBool {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(DevBool(
            matches!(Scalar::deserialize(d)?, Scalar::Number(n) if n == 2.0),
        ))
    }
}

/// tri-state (§6.1): 0 → unknown, 1 → false, 2 → true, other numbers → false;
/// numeric strings accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TriState(pub(crate) Option<bool>);

impl<'de> Deserialize<'de> for TriState {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(TriState(tri_state(Int::deserialize(d)?.0)))
    }
}

/// Decodes a tri-state raw value (§6.1).
pub(crate) fn tri_state(raw: i64) -> Option<bool> {
    match raw {
        0 => None,
        2 => Some(true),
        _ => Some(false),
    }
}

/// `touStatus` (§6.1): 0 → false, any other number → true; JSON booleans accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TouStatusFlag(pub(crate) bool);

/// `touOverrideStatus` (§6.1): 1 → true (override active), anything else → false;
/// JSON booleans accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TouOverrideFlag(pub(crate) bool);

/// A number or a JSON boolean, for the two TOU flags.
enum NumOrBool {
    Num(f64),
    Bool(bool),
}

impl<'de> Deserialize<'de> for NumOrBool {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = NumOrBool;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number, numeric string or boolean")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<NumOrBool, E> {
                Ok(NumOrBool::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<NumOrBool, E> {
                Ok(NumOrBool::Num(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<NumOrBool, E> {
                Ok(NumOrBool::Num(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<NumOrBool, E> {
                Ok(NumOrBool::Num(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<NumOrBool, E> {
                parse_float_str(v)
                    .map(NumOrBool::Num)
                    .ok_or_else(|| E::custom("expected a flag, got a non-numeric string"))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for TouStatusFlag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(TouStatusFlag(match NumOrBool::deserialize(d)? {
            NumOrBool::Bool(b) => b,
            NumOrBool::Num(n) => n != 0.0,
        }))
    }
}

impl<'de> Deserialize<'de> for TouOverrideFlag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(TouOverrideFlag(match NumOrBool::deserialize(d)? {
            NumOrBool::Bool(b) => b,
            NumOrBool::Num(n) => n == 1.0,
        }))
    }
}

/// An integer that must fit the given unsigned width (schedule bytes, bitfields).
pub(crate) fn int_in<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i64>,
{
    let v = Int::deserialize(d)?.0;
    T::try_from(v).map_err(|_| de::Error::custom(format_args!("value {v} out of range")))
}

/// Like [`int_in`] for an optional field (`null` or absent → `None`).
pub(crate) fn opt_int_in<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i64>,
{
    match Option::<Int>::deserialize(d)? {
        None => Ok(None),
        Some(Int(v)) => T::try_from(v)
            .map(Some)
            .map_err(|_| de::Error::custom(format_args!("value {v} out of range"))),
    }
}

/// Reads any value and keeps only an integer, if it is one; used where a field is
/// informational and must never make a message undecodable (request echoes).
pub(crate) fn tolerant_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<i64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(i64::try_from(v).ok())
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(integral_f64(v))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(parse_int_str(v))
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
            while a.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
            while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(None)
        }
    }
    d.deserialize_any(V)
}

/// Reads any value and keeps only a string, if it is one (request echoes).
pub(crate) fn tolerant_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_owned()))
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
            while a.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
            while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(None)
        }
    }
    d.deserialize_any(V)
}

/// `deserialize_with` functions for model fields.
pub(crate) mod field {
    use serde::{Deserialize, Deserializer};

    use super::{DevBool, Int, Num, Text, TouOverrideFlag, TouStatusFlag, TriState};

    /// Required integer.
    pub(crate) fn int<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        Ok(Int::deserialize(d)?.0)
    }

    /// Optional integer (absent or null → `None`); use with `#[serde(default)]`.
    pub(crate) fn opt_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        Ok(Option::<Int>::deserialize(d)?.map(|i| i.0))
    }

    /// Optional number (absent or null → `None`); use with `#[serde(default)]`.
    pub(crate) fn opt_num<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Ok(Option::<Num>::deserialize(d)?.map(|n| n.0))
    }

    /// Optional text (absent or null → `None`); use with `#[serde(default)]`.
    pub(crate) fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(Option::<Text>::deserialize(d)?.map(|t| t.0))
    }

    /// Text where absent or null reads as empty; use with `#[serde(default)]`.
    pub(crate) fn text_or_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        Ok(opt_text(d)?.unwrap_or_default())
    }

    /// A list where null reads as empty; use with `#[serde(default)]`.
    pub(crate) fn list_or_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
    }

    /// Required number (fractions allowed).
    pub(crate) fn num<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Num::deserialize(d)?.0)
    }

    /// Required devbool.
    pub(crate) fn devbool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        Ok(DevBool::deserialize(d)?.0)
    }

    /// Optional devbool (absent → `None`); use with `#[serde(default)]`.
    pub(crate) fn opt_devbool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        Ok(Some(DevBool::deserialize(d)?.0))
    }

    /// Required tri-state.
    pub(crate) fn tri<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        Ok(TriState::deserialize(d)?.0)
    }

    /// Required `touStatus`.
    pub(crate) fn tou_status<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        Ok(TouStatusFlag::deserialize(d)?.0)
    }

    /// Required `touOverrideStatus`.
    pub(crate) fn tou_override<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        Ok(TouOverrideFlag::deserialize(d)?.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn int(s: &str) -> Result<i64, serde_json::Error> {
        serde_json::from_str::<Int>(s).map(|i| i.0)
    }

    #[test]
    fn int_accepts_integers_integral_floats_and_numeric_strings() {
        assert_eq!(int("120").ok(), Some(120));
        assert_eq!(int("-52").ok(), Some(-52));
        assert_eq!(int("1580.0").ok(), Some(1580));
        assert_eq!(int("\"910\"").ok(), Some(910));
        assert!(int("120.5").is_err());
        assert!(int("\"abc\"").is_err());
        assert!(int("true").is_err());
        assert!(int("null").is_err());
        assert!(int("18446744073709551615").is_err());
    }

    #[derive(Deserialize)]
    struct Probe {
        #[serde(default, deserialize_with = "field::opt_int")]
        i: Option<i64>,
        #[serde(default, deserialize_with = "field::opt_num")]
        f: Option<f64>,
        #[serde(default, deserialize_with = "field::opt_text")]
        s: Option<String>,
    }

    fn probe(v: Value) -> Option<Probe> {
        serde_json::from_value(v).ok()
    }

    #[test]
    fn optional_integers_accept_floats_and_numeric_strings() {
        let i = |v| probe(v).map(|p| p.i);
        assert_eq!(i(json!({"i": 52})), Some(Some(52)));
        assert_eq!(i(json!({"i": 52.0})), Some(Some(52)));
        assert_eq!(i(json!({"i": "02134"})), Some(Some(2134)));
        assert_eq!(i(json!({"i": " -7 "})), Some(Some(-7)));
        assert_eq!(i(json!({"i": null})), Some(None));
        assert_eq!(i(json!({})), Some(None));
        assert!(probe(json!({"i": 1.5})).is_none());
        assert!(probe(json!({"i": "abc"})).is_none());
        assert!(probe(json!({"i": [1]})).is_none());
        assert!(probe(json!({"i": 1e300})).is_none());
        assert_eq!(int_from_value(&json!("910")), Some(910));
        assert_eq!(int_from_value(&json!(true)), None);
    }

    #[test]
    fn optional_numbers_and_text_are_lenient() {
        assert_eq!(probe(json!({"f": 37})).and_then(|p| p.f), Some(37.0));
        assert_eq!(
            probe(json!({"f": "-122.5"})).and_then(|p| p.f),
            Some(-122.5)
        );
        assert!(probe(json!({"f": "x"})).is_none());
        let s = |v| probe(v).and_then(|p| p.s);
        assert_eq!(s(json!({"s": 5551234})).as_deref(), Some("5551234"));
        assert_eq!(s(json!({"s": 37.5})).as_deref(), Some("37.5"));
        assert_eq!(s(json!({"s": true})).as_deref(), Some("true"));
        assert_eq!(s(json!({"s": "R"})).as_deref(), Some("R"));
        assert_eq!(s(json!({"s": null})), None);
        assert!(probe(json!({"s": {}})).is_none());
        assert_eq!(kind(&json!([1])), "an array");
    }

    #[test]
    fn devbool_is_true_only_for_the_number_two() {
        let d = |s: &str| serde_json::from_str::<DevBool>(s).map(|b| b.0).ok();
        assert_eq!(d("2"), Some(true));
        assert_eq!(d("2.0"), Some(true));
        assert_eq!(d("1"), Some(false));
        assert_eq!(d("0"), Some(false));
        assert_eq!(d("3"), Some(false));
        assert_eq!(d("\"2\""), Some(false));
        assert_eq!(d("true"), Some(false));
        assert_eq!(d("[2]"), None);
    }

    #[test]
    fn tri_state_and_tou_flags() {
        let t = |s: &str| serde_json::from_str::<TriState>(s).map(|b| b.0).ok();
        assert_eq!(t("0"), Some(None));
        assert_eq!(t("\"0\""), Some(None));
        assert_eq!(t("1"), Some(Some(false)));
        assert_eq!(t("\"2\""), Some(Some(true)));
        assert_eq!(t("3"), Some(Some(false)));
        let s = |s: &str| serde_json::from_str::<TouStatusFlag>(s).map(|b| b.0).ok();
        assert_eq!(s("0"), Some(false));
        assert_eq!(s("2"), Some(true));
        assert_eq!(s("\"0\""), Some(false));
        assert_eq!(s("true"), Some(true));
        let o = |s: &str| serde_json::from_str::<TouOverrideFlag>(s).map(|b| b.0).ok();
        assert_eq!(o("1"), Some(true));
        assert_eq!(o("2"), Some(false));
        assert_eq!(o("false"), Some(false));
    }
}
