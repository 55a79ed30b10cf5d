//! Firmware info (docs/protocol.md §2.8).

use std::fmt;

use serde::Deserialize;
use serde_json::Value;

use crate::api::AnswerError;
use crate::protocol::lenient::{self, field};
use crate::protocol::redact_mac;

/// One entry of `data.firmwares[]`.
#[derive(Clone, PartialEq, Eq)]
pub struct FirmwareInfo {
    /// `macAddress`.
    pub mac_address: String,
    /// `additionalValue`.
    pub additional_value: String,
    /// `deviceType`.
    pub device_type: Option<i64>,
    /// `curSwCode`: component code (`FirmwareType`, docs/protocol.md §11).
    pub cur_sw_code: Option<i64>,
    /// `curVersion`: opaque packed version (e.g. 184614912 = 0x0B010000).
    pub cur_version: Option<i64>,
    /// `downloadedVersion`.
    pub downloaded_version: Option<i64>,
    /// `deviceGroup`, e.g. `"NWP500"`.
    pub device_group: Option<String>,
}

impl fmt::Debug for FirmwareInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FirmwareInfo")
            .field("mac_address", &redact_mac(&self.mac_address))
            .field("additional_value", &self.additional_value)
            .field("device_type", &self.device_type)
            .field("cur_sw_code", &self.cur_sw_code)
            .field("cur_version", &self.cur_version)
            .field("downloaded_version", &self.downloaded_version)
            .field("device_group", &self.device_group)
            .finish()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawFirmware {
    #[serde(default, deserialize_with = "field::opt_text")]
    mac_address: Option<String>,
    #[serde(default, deserialize_with = "field::opt_text")]
    additional_value: Option<String>,
    #[serde(default, deserialize_with = "field::opt_int")]
    device_type: Option<i64>,
    #[serde(default, deserialize_with = "field::opt_int")]
    cur_sw_code: Option<i64>,
    #[serde(default, deserialize_with = "field::opt_int")]
    cur_version: Option<i64>,
    #[serde(default, deserialize_with = "field::opt_int")]
    downloaded_version: Option<i64>,
    #[serde(default, deserialize_with = "field::opt_text")]
    device_group: Option<String>,
}

/// Decodes the `data` of a firmware info answer (`{firmwares: [...]}`; a missing or
/// null list is empty).
pub fn parse_firmwares(data: &Value) -> Result<Vec<FirmwareInfo>, AnswerError> {
    let list = match data.get("firmwares") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(other) => {
            return Err(AnswerError::WrongKind {
                member: "firmwares",
                found: lenient::kind(other),
                expected: "an array",
            })
        }
    };
    list.iter()
        .enumerate()
        .map(|(index, v)| {
            let raw: RawFirmware =
                serde_json::from_value(v.clone()).map_err(|e| AnswerError::InvalidEntry {
                    list: "firmwares",
                    index,
                    source: e.into(),
                })?;
            Ok(FirmwareInfo {
                mac_address: raw.mac_address.unwrap_or_default(),
                additional_value: raw.additional_value.unwrap_or_default(),
                device_type: raw.device_type,
                cur_sw_code: raw.cur_sw_code,
                cur_version: raw.cur_version,
                downloaded_version: raw.downloaded_version,
                device_group: raw.device_group,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_firmware_entries() {
        let data = json!({"firmwares": [{"macAddress": "aabbccddeeff", "additionalValue": "1234",
            "deviceType": 52, "curSwCode": 1, "curVersion": 184614912,
            "downloadedVersion": null, "deviceGroup": "NWP500"}]});
        let f = parse_firmwares(&data).unwrap();
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].cur_version, Some(0x0B01_0000));
        assert_eq!(f[0].downloaded_version, None);
        assert_eq!(f[0].device_group.as_deref(), Some("NWP500"));
        assert!(parse_firmwares(&json!({})).unwrap().is_empty());
        assert!(matches!(
            parse_firmwares(&json!({"firmwares": 1})),
            Err(AnswerError::WrongKind {
                member: "firmwares",
                ..
            })
        ));
        assert!(matches!(
            parse_firmwares(&json!({"firmwares": [{}, {"curVersion": "x"}]})),
            Err(AnswerError::InvalidEntry {
                list: "firmwares",
                index: 1,
                ..
            })
        ));
    }
}
