//! Time-of-use schedules (protocol.md §9.3, §6.6): periods sent with code 33554439, the
//! answer on `…/res/tou/rd`, the period builder, and the REST `GET /device/tou` model.

use std::collections::BTreeSet;

use serde::{Deserialize, Deserializer, Serialize};

use super::bitfields::{SeasonMonths, WeekDays};
use super::error::ValidationError;
use super::lenient::{int_in, opt_int_in, Int};
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
    pub fn from_json(bytes: &[u8]) -> Result<Self, super::error::DecodeError> {
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

/// One REST TOU interval (`touInfo.schedule[].interval[]`): a [`TouPeriod`] without
/// `season`, which sits on the enclosing group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TouInterval {
    /// Week bitfield.
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
    /// Scaled minimum price.
    #[serde(rename = "priceMin", deserialize_with = "int")]
    pub price_min: i64,
    /// Scaled maximum price.
    #[serde(rename = "priceMax", deserialize_with = "int")]
    pub price_max: i64,
    /// Price scale.
    #[serde(
        rename = "decimalPoint",
        default,
        deserialize_with = "opt_int_in",
        skip_serializing_if = "Option::is_none"
    )]
    pub decimal_point: Option<u8>,
}

/// A REST TOU season group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TouSeason {
    /// Month bitfield.
    #[serde(deserialize_with = "int_in")]
    pub season: u16,
    /// The intervals of the season.
    #[serde(rename = "interval", default)]
    pub intervals: Vec<TouInterval>,
}

/// The body of `touInfo` (or the flattened `data`).
#[derive(Debug, Clone, Default, Deserialize)]
struct TouInfoBody {
    #[serde(rename = "controllerId", default)]
    controller_id: String,
    #[serde(rename = "manufactureId", default)]
    manufacture_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    utility: String,
    #[serde(rename = "zipCode", default, deserialize_with = "opt_zip")]
    zip_code: Option<i64>,
    #[serde(default)]
    schedule: Vec<TouSeason>,
}

fn opt_zip<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(Option::<Int>::deserialize(d)?.map(|i| i.0))
}

#[derive(Deserialize)]
struct TouInfoData {
    #[serde(rename = "registerPath", default)]
    register_path: String,
    #[serde(rename = "sourceType", default)]
    source_type: String,
    #[serde(rename = "touInfo", default)]
    nested: Option<TouInfoBody>,
    #[serde(flatten)]
    flat: TouInfoBody,
}

/// The REST TOU rate plan (`GET /device/tou` `data`, protocol.md §2.9), with the nested
/// `touInfo` object flattened as upstream does. Absent labels are empty strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TouInfo {
    /// `registerPath` (`"bt"` / `"wifi"`).
    #[serde(rename = "registerPath")]
    pub register_path: String,
    /// `sourceType` (`"openei"`).
    #[serde(rename = "sourceType")]
    pub source_type: String,
    /// `controllerId`: the controller serial number.
    #[serde(rename = "controllerId")]
    pub controller_id: String,
    /// `manufactureId`.
    #[serde(rename = "manufactureId")]
    pub manufacture_id: String,
    /// Plan name.
    pub name: String,
    /// Utility name.
    pub utility: String,
    /// `zipCode` as an integer (a string such as `"02134"` loses its leading zero, as
    /// upstream parses it).
    #[serde(rename = "zipCode")]
    pub zip_code: Option<i64>,
    /// Season groups.
    pub schedule: Vec<TouSeason>,
}

impl TouInfo {
    /// Decodes the REST response `data` object.
    pub fn from_json(bytes: &[u8]) -> Result<Self, super::error::DecodeError> {
        let raw: TouInfoData = serde_json::from_slice(bytes)?;
        Ok(Self::from_data(raw))
    }

    /// Decodes the REST response `data` from a JSON value.
    pub fn from_value(value: serde_json::Value) -> Result<Self, super::error::DecodeError> {
        let raw: TouInfoData = serde_json::from_value(value)?;
        Ok(Self::from_data(raw))
    }

    fn from_data(raw: TouInfoData) -> Self {
        let body = raw.nested.unwrap_or(raw.flat);
        Self {
            register_path: raw.register_path,
            source_type: raw.source_type,
            controller_id: body.controller_id,
            manufacture_id: body.manufacture_id,
            name: body.name,
            utility: body.utility,
            zip_code: body.zip_code,
            schedule: body.schedule,
        }
    }
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
}
