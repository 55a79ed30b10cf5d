//! Time-of-use schedules, the one home of the TOU types (docs/protocol.md §9.3, §6.6,
//! §2.9): periods sent with code 33554439, the answer on `…/res/tou/rd`, the period
//! builder, and the rate plans the REST API reads, writes and converts
//! ([`TouInfo`], [`TouPlan`], [`TouSeason`], [`TouInterval`]), which
//! `rest::RestClient` decodes into.

use std::collections::BTreeSet;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::bitfields::{SeasonMonths, WeekDays};
use super::error::{DecodeError, ValidationError};
use super::lenient::{field, int_in, kind, opt_int_in, Int};
use super::price::{decode_price, encode_price, DEFAULT_DECIMAL_POINT, MAX_DECIMAL_POINT};
use super::reservation::{check_u8, RESERVATION_ENABLED};

fn int<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(Int::deserialize(d)?.0)
}

/// One TOU period. Serialises to the wire keys; `decimalPoint` is omitted when `None`
/// (a period passed through without it is sent without it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TouPeriod {
    /// Month bitfield (§6.6).
    #[serde(deserialize_with = "int_in")]
    pub season: u16,
    /// Week bitfield (§6.6).
    #[serde(deserialize_with = "int_in")]
    pub week: u8,
    /// Window start hour 0–23.
    #[serde(rename = "startHour", deserialize_with = "int_in")]
    pub start_hour: u8,
    /// Window start minute 0–59.
    #[serde(rename = "startMinute", deserialize_with = "int_in")]
    pub start_minute: u8,
    /// Window end hour 0–23 (inclusive style, e.g. 14:59).
    #[serde(rename = "endHour", deserialize_with = "int_in")]
    pub end_hour: u8,
    /// Window end minute 0–59.
    #[serde(rename = "endMinute", deserialize_with = "int_in")]
    pub end_minute: u8,
    /// Scaled minimum price.
    #[serde(rename = "priceMin", deserialize_with = "int")]
    pub price_min: i64,
    /// Scaled maximum price.
    #[serde(rename = "priceMax", deserialize_with = "int")]
    pub price_max: i64,
    /// Price scale; absent means 5 when decoding.
    #[serde(
        rename = "decimalPoint",
        default,
        deserialize_with = "opt_int_in",
        skip_serializing_if = "Option::is_none"
    )]
    pub decimal_point: Option<u8>,
}

impl TouPeriod {
    /// The price scale in effect (`decimalPoint`, or 5 when absent).
    pub fn effective_decimal_point(&self) -> u8 {
        self.decimal_point.unwrap_or(DEFAULT_DECIMAL_POINT)
    }

    /// The minimum price as a decimal number; `None` if `decimalPoint` is out of range.
    pub fn price_min_value(&self) -> Option<f64> {
        decode_price(self.price_min, self.effective_decimal_point()).ok()
    }

    /// The maximum price as a decimal number; `None` if `decimalPoint` is out of range.
    pub fn price_max_value(&self) -> Option<f64> {
        decode_price(self.price_max, self.effective_decimal_point()).ok()
    }

    /// The months the period applies to.
    pub fn season_months(&self) -> SeasonMonths {
        SeasonMonths(self.season)
    }

    /// The days the period applies to.
    pub fn week_days(&self) -> WeekDays {
        WeekDays(self.week)
    }

    /// Start as `HH:MM`.
    pub fn start_time(&self) -> String {
        format!("{:02}:{:02}", self.start_hour, self.start_minute)
    }

    /// End as `HH:MM`.
    pub fn end_time(&self) -> String {
        format!("{:02}:{:02}", self.end_hour, self.end_minute)
    }

    /// The wire object (§9.3); `decimalPoint` only when present.
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = serde_json::json!({
            "season": self.season,
            "week": self.week,
            "startHour": self.start_hour,
            "startMinute": self.start_minute,
            "endHour": self.end_hour,
            "endMinute": self.end_minute,
            "priceMin": self.price_min,
            "priceMax": self.price_max,
        });
        if let (Some(dp), Some(obj)) = (self.decimal_point, v.as_object_mut()) {
            obj.insert("decimalPoint".into(), dp.into());
        }
        v
    }

    /// The raw tuple with the effective decimal point, for order-independent comparison.
    pub fn as_tuple(&self) -> [i64; 9] {
        [
            i64::from(self.season),
            i64::from(self.week),
            i64::from(self.start_hour),
            i64::from(self.start_minute),
            i64::from(self.end_hour),
            i64::from(self.end_minute),
            self.price_min,
            self.price_max,
            i64::from(self.effective_decimal_point()),
        ]
    }

    /// Checks what a write must respect: hours 0–23, minutes 0–59, season within 12 bits,
    /// `decimalPoint` 0–10 when present.
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_u8("start_hour", self.start_hour, 0, 23)?;
        check_u8("start_minute", self.start_minute, 0, 59)?;
        check_u8("end_hour", self.end_hour, 0, 23)?;
        check_u8("end_minute", self.end_minute, 0, 59)?;
        if self.season > SeasonMonths::ALL_YEAR.0 {
            return Err(ValidationError::OutOfRange {
                field: "season",
                value: f64::from(self.season),
                min: 0.0,
                max: f64::from(SeasonMonths::ALL_YEAR.0),
            });
        }
        if let Some(dp) = self.decimal_point {
            check_u8("decimal_point", dp, 0, MAX_DECIMAL_POINT)?;
        }
        Ok(())
    }
}

/// A TOU answer (`…/res/tou/rd`): `response.reservationUse` and `response.reservation`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TouSchedule {
    /// `reservationUse` as received (2 = enabled; absent → 0).
    #[serde(rename = "reservationUse", default, deserialize_with = "int")]
    pub reservation_use: i64,
    /// The periods.
    #[serde(rename = "reservation", default)]
    pub periods: Vec<TouPeriod>,
}

impl TouSchedule {
    /// Decodes a `response` object of a TOU answer.
    pub fn from_json(bytes: &[u8]) -> Result<Self, DecodeError> {
        Ok(serde_json::from_slice(bytes)?)
    }

    /// Whether TOU scheduling is enabled (`reservationUse` 2; 0 and 1 mean disabled).
    pub fn enabled(&self) -> bool {
        self.reservation_use == RESERVATION_ENABLED
    }

    /// The order-independent form used to confirm a write (§5.6).
    pub fn canonical(&self) -> CanonicalTou {
        CanonicalTou::of(self.enabled(), &self.periods)
    }
}

/// The comparison form of a TOU schedule: enabled flag and the set of period tuples.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CanonicalTou {
    /// Scheduling enabled.
    pub enabled: bool,
    /// Raw period tuples with the effective decimal point.
    pub periods: BTreeSet<[i64; 9]>,
}

impl CanonicalTou {
    /// The canonical form of what was (or will be) written.
    pub fn of(enabled: bool, periods: &[TouPeriod]) -> Self {
        Self {
            enabled,
            periods: periods.iter().map(TouPeriod::as_tuple).collect(),
        }
    }
}

/// A price given to [`TouPeriodSpec`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Price {
    /// A decimal price, scaled by the spec's `decimal_point` (half-up, §6.6).
    Value(f64),
    /// An already scaled integer, sent as is.
    Scaled(i64),
}

impl Price {
    fn scaled(self, decimal_point: u8) -> Result<i64, ValidationError> {
        match self {
            Self::Value(v) => encode_price(v, decimal_point),
            Self::Scaled(v) => Ok(v),
        }
    }
}

/// User-level description of one TOU period, validated and encoded by
/// [`TouPeriodSpec::build`]. Start after end (overnight) and min > max are allowed, as
/// upstream allows them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TouPeriodSpec {
    /// Months the period applies to.
    pub seasons: SeasonMonths,
    /// Days the period applies to.
    pub days: WeekDays,
    /// Window start hour 0–23.
    pub start_hour: u8,
    /// Window start minute 0–59.
    pub start_minute: u8,
    /// Window end hour 0–23.
    pub end_hour: u8,
    /// Window end minute 0–59.
    pub end_minute: u8,
    /// Minimum price.
    pub price_min: Price,
    /// Maximum price.
    pub price_max: Price,
    /// Price scale 0–10.
    pub decimal_point: u8,
}

impl TouPeriodSpec {
    /// Validates and encodes the wire period.
    pub fn build(&self) -> Result<TouPeriod, ValidationError> {
        check_u8("start_hour", self.start_hour, 0, 23)?;
        check_u8("start_minute", self.start_minute, 0, 59)?;
        check_u8("end_hour", self.end_hour, 0, 23)?;
        check_u8("end_minute", self.end_minute, 0, 59)?;
        // Checked even when both prices are pre-scaled (upstream skips it then).
        check_u8("decimal_point", self.decimal_point, 0, MAX_DECIMAL_POINT)?;
        Ok(TouPeriod {
            season: self.seasons.0,
            week: self.days.0,
            start_hour: self.start_hour,
            start_minute: self.start_minute,
            end_hour: self.end_hour,
            end_minute: self.end_minute,
            price_min: self.price_min.scaled(self.decimal_point)?,
            price_max: self.price_max.scaled(self.decimal_point)?,
            decimal_point: Some(self.decimal_point),
        })
    }
}

/// One REST TOU interval (`touInfo.schedule[].interval[]`, docs/protocol.md §2.9): a
/// [`TouPeriod`] without `season`, which sits on the enclosing [`TouSeason`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TouInterval {
    /// Week bitfield (§6.6).
    #[serde(deserialize_with = "int_in")]
    pub week: u8,
    /// Start hour.
    #[serde(rename = "startHour", deserialize_with = "int_in")]
    pub start_hour: u8,
    /// Start minute.
    #[serde(rename = "startMinute", deserialize_with = "int_in")]
    pub start_minute: u8,
    /// End hour.
    #[serde(rename = "endHour", deserialize_with = "int_in")]
    pub end_hour: u8,
    /// End minute.
    #[serde(rename = "endMinute", deserialize_with = "int_in")]
    pub end_minute: u8,
    /// Scaled minimum price (§6.6).
    #[serde(rename = "priceMin", deserialize_with = "int")]
    pub price_min: i64,
    /// Scaled maximum price (§6.6).
    #[serde(rename = "priceMax", deserialize_with = "int")]
    pub price_max: i64,
    /// Price scale; omitted when absent.
    #[serde(
        rename = "decimalPoint",
        default,
        deserialize_with = "opt_int_in",
        skip_serializing_if = "Option::is_none"
    )]
    pub decimal_point: Option<u8>,
}

/// A REST TOU season group (`schedule[]`): the months and their priced intervals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TouSeason {
    /// Month bitfield (§6.6, January = bit 0).
    #[serde(deserialize_with = "int_in")]
    pub season: u16,
    /// The intervals of the season (`interval`; absent or null → empty).
    #[serde(
        rename = "interval",
        default,
        deserialize_with = "field::list_or_empty"
    )]
    pub intervals: Vec<TouInterval>,
}

/// The TOU rate plan of a device (`data` of `GET /device/tou` and `PUT /device/tou`,
/// docs/protocol.md §2.9), with the nested `touInfo` object flattened into the outer
/// one. Serialises (and deserialises) in that flat form.
///
/// Text fields that are absent or null read as empty; a number in a text field reads
/// as its text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TouInfo {
    /// `registerPath` (`"bt"` / `"wifi"`).
    #[serde(
        rename = "registerPath",
        default,
        deserialize_with = "field::text_or_empty"
    )]
    pub register_path: String,
    /// `sourceType` (`"openei"`).
    #[serde(
        rename = "sourceType",
        default,
        deserialize_with = "field::text_or_empty"
    )]
    pub source_type: String,
    /// `controllerId`: the controller serial number.
    #[serde(
        rename = "controllerId",
        default,
        deserialize_with = "field::text_or_empty"
    )]
    pub controller_id: String,
    /// `manufactureId`.
    #[serde(
        rename = "manufactureId",
        default,
        deserialize_with = "field::text_or_empty"
    )]
    pub manufacture_id: String,
    /// Plan name.
    #[serde(default, deserialize_with = "field::text_or_empty")]
    pub name: String,
    /// Utility name.
    #[serde(default, deserialize_with = "field::text_or_empty")]
    pub utility: String,
    /// `zipCode` as an integer (a string such as `"02134"` loses its leading zero, as
    /// upstream parses it); `None` when absent.
    #[serde(rename = "zipCode", default, deserialize_with = "field::opt_int")]
    pub zip_code: Option<i64>,
    /// Season groups (absent or null → empty).
    #[serde(default, deserialize_with = "field::list_or_empty")]
    pub schedule: Vec<TouSeason>,
}

impl TouInfo {
    /// Decodes the REST answer's `data` from JSON text.
    pub fn from_json(bytes: &[u8]) -> Result<Self, DecodeError> {
        Self::from_value(serde_json::from_slice(bytes)?)
    }

    /// Decodes the REST answer's `data`: `touInfo` (an object, or null/absent) is
    /// flattened into the outer object, its keys winning, as upstream does.
    pub fn from_value(data: Value) -> Result<Self, DecodeError> {
        let Value::Object(mut flat) = data else {
            return Err(malformed(format_args!("TOU data is {}", kind(&data))));
        };
        match flat.remove("touInfo") {
            Some(Value::Object(inner)) => flat.extend(inner),
            None | Some(Value::Null) => {}
            Some(other) => {
                return Err(malformed(format_args!(
                    "touInfo is {}, not an object",
                    kind(&other)
                )))
            }
        }
        Ok(serde_json::from_value(Value::Object(flat))?)
    }
}

/// A rate plan: the `touInfo` of a `PUT /device/tou` and an element of the
/// `POST /device/tou/convert` answer (docs/protocol.md §2.9).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TouPlan {
    /// `name` (absent or null → empty).
    #[serde(default, deserialize_with = "field::text_or_empty")]
    pub name: String,
    /// `utility` (absent or null → empty).
    #[serde(default, deserialize_with = "field::text_or_empty")]
    pub utility: String,
    /// `schedule` (absent or null → empty).
    #[serde(default, deserialize_with = "field::list_or_empty")]
    pub schedule: Vec<TouSeason>,
    /// `zipCode` (sent with `PUT`; absent in convert answers).
    #[serde(
        default,
        deserialize_with = "field::opt_int",
        skip_serializing_if = "Option::is_none"
    )]
    pub zip_code: Option<i64>,
}

/// A decode error with a message that names kinds, never values.
fn malformed(msg: std::fmt::Arguments<'_>) -> DecodeError {
    DecodeError::Malformed(serde::de::Error::custom(msg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_period_and_canonicalises() {
        let spec = TouPeriodSpec {
            seasons: SeasonMonths(224),
            days: WeekDays::WEEKDAYS,
            start_hour: 14,
            start_minute: 0,
            end_hour: 19,
            end_minute: 59,
            price_min: Price::Value(0.1),
            price_max: Price::Value(0.25),
            decimal_point: 2,
        };
        let p = spec.build();
        assert_eq!(
            p.as_ref().map(|p| (p.price_min, p.price_max)).ok(),
            Some((10, 25))
        );
        assert!(TouPeriodSpec {
            decimal_point: 11,
            ..spec
        }
        .build()
        .is_err());
        assert!(TouPeriodSpec {
            end_minute: 60,
            ..spec
        }
        .build()
        .is_err());
        let sched = TouSchedule {
            reservation_use: 2,
            periods: p.into_iter().collect(),
        };
        assert!(sched.canonical().enabled);
    }

    #[test]
    fn tou_info_flattens_touinfo_with_inner_keys_winning() {
        let data = serde_json::json!({"registerPath": "bt", "name": "outer", "utility": 7,
            "touInfo": {"name": "inner", "controllerId": "S1", "zipCode": "02134",
                        "schedule": [{"season": 448, "interval": null}]}});
        let info = TouInfo::from_value(data).ok();
        assert_eq!(info.as_ref().map(|i| i.name.as_str()), Some("inner"));
        assert_eq!(info.as_ref().map(|i| i.utility.as_str()), Some("7"));
        assert_eq!(info.as_ref().map(|i| i.register_path.as_str()), Some("bt"));
        assert_eq!(info.as_ref().map(|i| i.source_type.as_str()), Some(""));
        assert_eq!(info.as_ref().and_then(|i| i.zip_code), Some(2134));
        assert_eq!(
            info.map(|i| i.schedule),
            Some(vec![TouSeason {
                season: 448,
                intervals: vec![]
            }])
        );
        let none = TouInfo::from_value(serde_json::json!({"touInfo": null})).ok();
        assert_eq!(none, Some(TouInfo::default()));
    }

    #[test]
    fn tou_info_bad_shapes_are_errors() {
        use serde_json::json;
        assert!(TouInfo::from_value(json!([])).is_err());
        assert!(TouInfo::from_value(json!({"touInfo": 3})).is_err());
        assert!(TouInfo::from_value(json!({"zipCode": "abc"})).is_err());
        assert!(TouInfo::from_value(json!({"name": {}})).is_err());
        assert!(TouInfo::from_value(json!({"schedule": [{"season": "x"}]})).is_err());
        assert!(TouInfo::from_json(b"{").is_err());
        // Messages name kinds, never values.
        // The kind is named by the source: the whole chain is checked.
        let err = TouInfo::from_value(json!({"touInfo": "secret-ish"}))
            .err()
            .map(|e| crate::error_chain::Chain(&e).to_string())
            .unwrap_or_default();
        assert!(
            err.contains("a string") && !err.contains("secret-ish"),
            "{err}"
        );
    }
}
