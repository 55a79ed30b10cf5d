//! The devices a client monitors.

use serde::Serialize;

use crate::protocol::{DeviceRef, IdError, MacAddress};
use crate::rest::Device;

/// A monitored device, as the device list describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DeviceSummary {
    /// MAC as the device list gives it (used in topics and events).
    pub mac: String,
    /// `additionalValue`, echoed in every request.
    pub additional_value: String,
    /// Device type (52 for the NWP500).
    pub device_type: u32,
    /// The user's label for it.
    pub name: String,
}

impl DeviceSummary {
    /// From a REST device-list entry.
    pub fn from_rest(device: &Device) -> Self {
        Self {
            mac: device.info.mac_address.clone(),
            additional_value: device.info.additional_value.clone(),
            device_type: device.info.device_type,
            name: device.info.device_name.clone(),
        }
    }

    /// A device known only by its MAC (brokers without the REST API).
    pub fn from_mac(mac: &str) -> Self {
        Self {
            mac: mac.to_owned(),
            additional_value: String::new(),
            device_type: crate::protocol::NWP500_DEVICE_TYPE,
            name: String::new(),
        }
    }

    /// The protocol layer's reference to this device.
    pub fn device_ref(&self) -> Result<DeviceRef, IdError> {
        Ok(DeviceRef::new(
            MacAddress::new(self.mac.clone())?,
            self.additional_value.clone(),
            self.device_type,
        ))
    }
}
