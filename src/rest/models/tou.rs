//! Time-of-Use rate plans (protocol.md §2.9). Prices and bitfields are kept in their
//! wire encoding (protocol.md §6.6); decoding them is the protocol module's job.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::rest::lenient;

/// One priced interval of a season (`interval[]`), in wire encoding.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TouInterval {
    /// `week`: weekday bitfield.
    #[serde(deserialize_with = "int_or_zero", default)]
    pub week: i64,
    /// `startHour`.
    #[serde(deserialize_with = "int_or_zero", default)]
    pub start_hour: i64,
    /// `startMinute`.
    #[serde(deserialize_with = "int_or_zero", default)]
    pub start_minute: i64,
    /// `endHour`.
    #[serde(deserialize_with = "int_or_zero", default)]
    pub end_hour: i64,
    /// `endMinute`.
    #[serde(deserialize_with = "int_or_zero", default)]
    pub end_minute: i64,
    /// `priceMin`: scaled integer price.
    #[serde(deserialize_with = "int_or_zero", default)]
    pub price_min: i64,
    /// `priceMax`: scaled integer price.
    #[serde(deserialize_with = "int_or_zero", default)]
    pub price_max: i64,
    /// `decimalPoint`: scale of the prices.
    #[serde(deserialize_with = "int_or_zero", default)]
    pub decimal_point: i64,
}

/// One season of a plan (`schedule[]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TouSeason {
    /// `season`: month bitfield (January = bit 0).
    #[serde(deserialize_with = "int_or_zero", default)]
    pub season: i64,
    /// `interval`.
    #[serde(default, deserialize_with = "list_or_empty")]
    pub interval: Vec<TouInterval>,
}

/// The TOU settings of a device (`GET /device/tou`, `PUT /device/tou`), with the
/// nested `touInfo` flattened into the outer object as upstream does.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TouInfo {
    /// `registerPath`: `"bt"` or `"wifi"` (empty when absent).
    pub register_path: String,
    /// `sourceType`, e.g. `"openei"` (empty when absent).
    pub source_type: String,
    /// `controllerId`: controller serial number.
    pub controller_id: String,
    /// `manufactureId`.
    pub manufacture_id: String,
    /// `name`: plan name.
    pub name: String,
    /// `utility`.
    pub utility: String,
    /// `zipCode` (a numeric string such as `"02134"` reads as 2134).
    pub zip_code: i64,
    /// `schedule`.
    pub schedule: Vec<TouSeason>,
}

/// A rate plan: the `touInfo` of a `PUT /device/tou` and an element of the
/// `POST /device/tou/convert` answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TouPlan {
    /// `name`.
    #[serde(default, deserialize_with = "string_or_empty")]
    pub name: String,
    /// `utility`.
    #[serde(default, deserialize_with = "string_or_empty")]
    pub utility: String,
    /// `schedule`.
    #[serde(default, deserialize_with = "list_or_empty")]
    pub schedule: Vec<TouSeason>,
    /// `zipCode` (sent with `PUT`; absent in convert answers).
    #[serde(
        default,
        deserialize_with = "lenient::opt_int",
        skip_serializing_if = "Option::is_none"
    )]
    pub zip_code: Option<i64>,
}

/// Body of `PUT /device/tou` (apply a rate plan); `userId` is added by the client.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TouUpdate {
    /// `macAddress`.
    pub mac_address: String,
    /// `additionalValue`.
    pub additional_value: String,
    /// `registerPath` (default `"wifi"`).
    pub register_path: String,
    /// `sourceData`: the original OpenEI plan.
    pub source_data: Value,
    /// `sourceType` (default `"openei"`).
    pub source_type: String,
    /// `touInfo`: usually an element of [`RestClient::convert_tou`](crate::rest::RestClient::convert_tou).
    pub tou_info: TouPlan,
    /// `userType` (default `"O"`).
    pub user_type: String,
    /// `zipCode` as text.
    pub zip_code: String,
}

impl TouUpdate {
    /// An update with the upstream defaults (`wifi`, `openei`, user type `O`).
    pub fn new(
        mac_address: impl Into<String>,
        additional_value: impl Into<String>,
        source_data: Value,
        tou_info: TouPlan,
        zip_code: impl Into<String>,
    ) -> Self {
        Self {
            mac_address: mac_address.into(),
            additional_value: additional_value.into(),
            register_path: "wifi".to_owned(),
            source_data,
            source_type: "openei".to_owned(),
            tou_info,
            user_type: "O".to_owned(),
            zip_code: zip_code.into(),
        }
    }
}

fn int_or_zero<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(lenient::opt_int(d)?.unwrap_or(0))
}

fn string_or_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(lenient::opt_string(d)?.unwrap_or_default())
}

fn list_or_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// Decodes the `data` of a TOU read/write answer, flattening `touInfo` into the
/// outer object (keys of `touInfo` win); absent text fields are empty.
pub fn parse_tou_info(data: &Value) -> Result<TouInfo, String> {
    let outer = data
        .as_object()
        .ok_or_else(|| format!("TOU data is {}", lenient::kind(data)))?;
    let mut flat = outer.clone();
    match outer.get("touInfo") {
        Some(Value::Object(inner)) => {
            flat.remove("touInfo");
            flat.extend(inner.clone());
        }
        None | Some(Value::Null) => {}
        Some(other) => return Err(format!("touInfo is {}", lenient::kind(other))),
    }
    let text = |key: &str| -> Result<String, String> {
        match flat.get(key) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(Value::Number(n)) => Ok(n.to_string()),
            Some(other) => Err(format!("{key} is {}", lenient::kind(other))),
        }
    };
    let zip_code = match flat.get("zipCode") {
        None | Some(Value::Null) => 0,
        Some(v) => lenient::int_from_value(v)
            .ok_or_else(|| format!("zipCode is {}, not an integer", lenient::kind(v)))?,
    };
    let schedule = match flat.get("schedule") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => serde_json::from_value(v.clone()).map_err(|e| format!("schedule: {e}"))?,
    };
    Ok(TouInfo {
        register_path: text("registerPath")?,
        source_type: text("sourceType")?,
        controller_id: text("controllerId")?,
        manufacture_id: text("manufactureId")?,
        name: text("name")?,
        utility: text("utility")?,
        zip_code,
        schedule,
    })
}

/// Decodes the `data` of a convert answer (`{touInfo: [plan, ...]}`).
pub fn parse_converted_plans(data: &Value) -> Result<Vec<TouPlan>, String> {
    match data.get("touInfo") {
        Some(list @ Value::Array(_)) => {
            serde_json::from_value(list.clone()).map_err(|e| format!("touInfo: {e}"))
        }
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(other) => Err(format!("touInfo is {}, not an array", lenient::kind(other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn update_body_uses_wire_names_and_defaults() {
        let plan = TouPlan {
            name: "E-TOU-C".into(),
            utility: "Example Power".into(),
            schedule: vec![],
            zip_code: Some(94103),
        };
        let u = TouUpdate::new("aabbccddeeff", "1234", json!({"label": "x"}), plan, "94103");
        let v = serde_json::to_value(&u).unwrap();
        assert_eq!(
            v,
            json!({"macAddress": "aabbccddeeff", "additionalValue": "1234",
                   "registerPath": "wifi", "sourceData": {"label": "x"}, "sourceType": "openei",
                   "touInfo": {"name": "E-TOU-C", "utility": "Example Power", "schedule": [],
                               "zipCode": 94103},
                   "userType": "O", "zipCode": "94103"})
        );
    }

    #[test]
    fn converted_plans() {
        let data = json!({"touInfo": [{"utility": "U", "name": "N",
            "schedule": [{"season": 4095, "interval": [{"week": 127, "startHour": 0,
              "startMinute": 0, "endHour": 23, "endMinute": 59, "priceMin": 10,
              "priceMax": 10, "decimalPoint": 2}]}]}]});
        let plans = parse_converted_plans(&data).unwrap();
        assert_eq!(plans.len(), 1);
        assert_eq!(plans[0].zip_code, None);
        assert_eq!(plans[0].schedule[0].interval[0].end_minute, 59);
        assert!(parse_converted_plans(&json!({"touInfo": {}})).is_err());
    }

    #[test]
    fn bad_shapes_are_errors() {
        assert!(parse_tou_info(&json!([])).is_err());
        assert!(parse_tou_info(&json!({"touInfo": 3})).is_err());
        assert!(parse_tou_info(&json!({"zipCode": "abc"})).is_err());
        assert!(parse_tou_info(&json!({"schedule": [{"season": "x"}]})).is_err());
    }
}
