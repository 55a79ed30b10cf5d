//! The REST side of Time-of-Use (docs/protocol.md §2.9): the `PUT /device/tou` body
//! and the shape of the convert answer. The plans themselves are the protocol layer's
//! types ([`TouInfo`](crate::protocol::TouInfo), [`TouPlan`]).

use serde::Serialize;
use serde_json::Value;

use crate::api::AnswerError;
use crate::protocol::lenient::kind;
use crate::protocol::TouPlan;

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

/// Decodes the `data` of a convert answer (`{touInfo: [plan, ...]}`).
pub fn parse_converted_plans(data: &Value) -> Result<Vec<TouPlan>, AnswerError> {
    match data.get("touInfo") {
        Some(list @ Value::Array(_)) => {
            // Rate plans hold no secrets: the decoder's message is kept.
            serde_json::from_value(list.clone()).map_err(|e| AnswerError::Tou {
                member: "touInfo",
                source: std::sync::Arc::new(e.into()),
            })
        }
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(other) => Err(AnswerError::WrongKind {
            member: "touInfo",
            found: kind(other),
            expected: "an array",
        }),
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
        assert_eq!(plans[0].schedule[0].intervals[0].end_minute, 59);
        assert_eq!(parse_converted_plans(&json!({})).unwrap(), vec![]);
        assert!(matches!(
            parse_converted_plans(&json!({"touInfo": {}})),
            Err(AnswerError::WrongKind {
                member: "touInfo",
                ..
            })
        ));
        assert!(matches!(
            parse_converted_plans(&json!({"touInfo": [{"schedule": 3}]})),
            Err(AnswerError::Tou {
                member: "touInfo",
                ..
            })
        ));
    }
}
