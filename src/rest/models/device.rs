//! Device list entries and device info (docs/protocol.md §2.6, §2.7).

use std::fmt;

use serde::Deserialize;
use serde_json::Value;

use crate::api::AnswerError;
use crate::protocol::lenient::{self, field};
use crate::protocol::redact_mac;

/// Device type of the NWP500 (`deviceType` 52), also the default when absent.
pub use crate::protocol::NWP500_DEVICE_TYPE;

/// Whether the cloud sees the device online (`connected`: 1 = no, 2 = yes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloudConnection {
    /// `1`.
    Disconnected,
    /// `2`.
    Connected,
    /// Any other value, kept raw.
    Unknown(i64),
}

impl CloudConnection {
    /// Decodes the raw `connected` value.
    pub fn from_raw(raw: i64) -> Self {
        match raw {
            1 => Self::Disconnected,
            2 => Self::Connected,
            other => Self::Unknown(other),
        }
    }
}

/// `installType`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstallType {
    /// `"R"`.
    Residential,
    /// `"C"`.
    Commercial,
    /// Anything else (the vendor docs also show free text), kept as sent.
    Other(String),
}

impl InstallType {
    /// Decodes the raw `installType` text.
    pub fn from_raw(raw: &str) -> Self {
        match raw {
            "R" => Self::Residential,
            "C" => Self::Commercial,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// `deviceInfo` of a device list entry or device info answer.
///
/// `Debug` shortens the MAC address (first 2 and last 4 characters).
#[derive(Clone, PartialEq)]
pub struct DeviceInfo {
    /// `homeSeq`: home/installation id (0 when absent).
    pub home_seq: i64,
    /// `macAddress`: 12 lowercase hex digits, used verbatim in topics.
    pub mac_address: String,
    /// `additionalValue`: echoed in every MQTT request and REST device call.
    pub additional_value: String,
    /// `deviceType` (52 = NWP500, also the default).
    pub device_type: u32,
    /// `deviceName`: user label (`"Unknown"` when absent).
    pub device_name: String,
    /// `connected` (disconnected when absent).
    pub connected: CloudConnection,
    /// `installType`, if sent.
    pub install_type: Option<InstallType>,
}

impl fmt::Debug for DeviceInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceInfo")
            .field("home_seq", &self.home_seq)
            .field("mac_address", &redact_mac(&self.mac_address))
            .field("additional_value", &self.additional_value)
            .field("device_type", &self.device_type)
            .field("device_name", &self.device_name)
            .field("connected", &self.connected)
            .field("install_type", &self.install_type)
            .finish()
    }
}

/// `location` of a device (every field may be null).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Location {
    /// `state`.
    #[serde(default, deserialize_with = "field::opt_text")]
    pub state: Option<String>,
    /// `city`.
    #[serde(default, deserialize_with = "field::opt_text")]
    pub city: Option<String>,
    /// `address`.
    #[serde(default, deserialize_with = "field::opt_text")]
    pub address: Option<String>,
    /// `latitude`.
    #[serde(default, deserialize_with = "field::opt_num")]
    pub latitude: Option<f64>,
    /// `longitude`.
    #[serde(default, deserialize_with = "field::opt_num")]
    pub longitude: Option<f64>,
    /// `altitude`.
    #[serde(default, deserialize_with = "field::opt_num")]
    pub altitude: Option<f64>,
}

/// One entry of the device list: `deviceInfo` plus `location` (optional here,
/// although the upstream client requires it).
#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    /// `deviceInfo`.
    pub info: DeviceInfo,
    /// `location`, if present.
    pub location: Option<Location>,
}

/// `installer` of a device info answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Installer {
    /// `installerId`.
    #[serde(default, deserialize_with = "field::opt_text")]
    pub installer_id: Option<String>,
    /// `installerFirstName`.
    #[serde(default, deserialize_with = "field::opt_text")]
    pub installer_first_name: Option<String>,
    /// `installerLastName`.
    #[serde(default, deserialize_with = "field::opt_text")]
    pub installer_last_name: Option<String>,
    /// `installerPhoneNumber`.
    #[serde(default, deserialize_with = "field::opt_text")]
    pub installer_phone_number: Option<String>,
}

/// The answer of `POST /device/info`.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceDetail {
    /// `deviceInfo` and `location`.
    pub device: Device,
    /// `installer`, if present.
    pub installer: Option<Installer>,
    /// `alarmInfo` (`{isEtcAlarm, isErrorAlarm}`; value types undocumented, kept raw).
    pub alarm_info: Option<Value>,
    /// `descaling` (`{descalingStartTime, descalingEndTime}`; undocumented, kept raw).
    pub descaling: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDeviceInfo {
    #[serde(default, deserialize_with = "field::opt_int")]
    home_seq: Option<i64>,
    #[serde(default, deserialize_with = "field::opt_text")]
    mac_address: Option<String>,
    #[serde(default, deserialize_with = "field::opt_text")]
    additional_value: Option<String>,
    #[serde(default, deserialize_with = "field::opt_int")]
    device_type: Option<i64>,
    #[serde(default, deserialize_with = "field::opt_text")]
    device_name: Option<String>,
    #[serde(default, deserialize_with = "field::opt_int")]
    connected: Option<i64>,
    #[serde(default, deserialize_with = "field::opt_text")]
    install_type: Option<String>,
}

impl RawDeviceInfo {
    fn into_model(self) -> Result<DeviceInfo, AnswerError> {
        let device_type = match self.device_type {
            None => NWP500_DEVICE_TYPE,
            Some(raw) => u32::try_from(raw).map_err(|_| AnswerError::OutOfRange {
                member: "deviceInfo.deviceType",
            })?,
        };
        Ok(DeviceInfo {
            home_seq: self.home_seq.unwrap_or(0),
            mac_address: self.mac_address.unwrap_or_default(),
            additional_value: self.additional_value.unwrap_or_default(),
            device_type,
            device_name: self.device_name.unwrap_or_else(|| "Unknown".to_owned()),
            connected: CloudConnection::from_raw(self.connected.unwrap_or(1)),
            install_type: self.install_type.as_deref().map(InstallType::from_raw),
        })
    }
}

fn field<'a>(obj: &'a serde_json::Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).filter(|v| !v.is_null())
}

fn decode<T: serde::de::DeserializeOwned>(
    v: &Value,
    member: &'static str,
) -> Result<T, AnswerError> {
    serde_json::from_value(v.clone()).map_err(|e| AnswerError::Invalid {
        member,
        source: e.into(),
    })
}

/// Decodes one `{deviceInfo, location}` object.
pub fn parse_device(value: &Value) -> Result<Device, AnswerError> {
    let obj = value.as_object().ok_or(AnswerError::WrongKind {
        member: "device entry",
        found: lenient::kind(value),
        expected: "an object",
    })?;
    let info = field(obj, "deviceInfo").ok_or(AnswerError::Missing {
        member: "deviceInfo",
    })?;
    let info = decode::<RawDeviceInfo>(info, "deviceInfo")?.into_model()?;
    let location = field(obj, "location")
        .map(|l| decode::<Location>(l, "location"))
        .transpose()?;
    Ok(Device { info, location })
}

/// Decodes the `data` of a device info answer.
pub fn parse_device_detail(value: &Value) -> Result<DeviceDetail, AnswerError> {
    let device = parse_device(value)?;
    // parse_device checked that it is an object.
    let obj = value.as_object().cloned().unwrap_or_default();
    let installer = field(&obj, "installer")
        .map(|v| decode::<Installer>(v, "installer"))
        .transpose()?;
    Ok(DeviceDetail {
        device,
        installer,
        alarm_info: field(&obj, "alarmInfo").cloned(),
        descaling: field(&obj, "descaling").cloned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_when_keys_are_missing() {
        let d = parse_device(&json!({"deviceInfo": {}})).unwrap();
        assert_eq!(d.info.device_type, 52);
        assert_eq!(d.info.device_name, "Unknown");
        assert_eq!(d.info.connected, CloudConnection::Disconnected);
        assert_eq!(d.info.home_seq, 0);
        assert!(d.info.install_type.is_none());
        assert!(d.location.is_none());
    }

    #[test]
    fn odd_values_are_kept() {
        let d = parse_device(
            &json!({"deviceInfo": {"connected": 7, "installType": "Apartment",
                                                     "deviceType": 52.0, "homeSeq": "10001"},
                                     "location": {"latitude": null}}),
        )
        .unwrap();
        assert_eq!(d.info.connected, CloudConnection::Unknown(7));
        assert_eq!(
            d.info.install_type,
            Some(InstallType::Other("Apartment".into()))
        );
        assert_eq!(d.info.device_type, 52);
        assert_eq!(d.info.home_seq, 10001);
        assert_eq!(d.location, Some(Location::default()));
    }

    #[test]
    fn malformed_entries_are_errors_not_panics() {
        assert_eq!(
            parse_device(&json!(3)).unwrap_err(),
            AnswerError::WrongKind {
                member: "device entry",
                found: "a number",
                expected: "an object"
            }
        );
        assert_eq!(
            parse_device(&json!({"location": {}})).unwrap_err(),
            AnswerError::Missing {
                member: "deviceInfo"
            }
        );
        assert_eq!(
            parse_device(&json!({"deviceInfo": {"deviceType": -1}})).unwrap_err(),
            AnswerError::OutOfRange {
                member: "deviceInfo.deviceType"
            }
        );
        assert!(matches!(
            parse_device(&json!({"deviceInfo": {"connected": "x"}})),
            Err(AnswerError::Invalid {
                member: "deviceInfo",
                ..
            })
        ));
    }

    #[test]
    fn debug_shortens_the_mac() {
        let d = parse_device(&json!({"deviceInfo": {"macAddress": "aabbccddeeff"}})).unwrap();
        let s = format!("{d:?}");
        assert!(!s.contains("aabbccddeeff"), "{s}");
        // The one redacted form of the crate (the MAC's own `Display`).
        assert!(s.contains("\"…eeff\""), "{s}");
    }
}
