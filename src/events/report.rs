//! The device report an [`Event::Status`](super::Event::Status) or
//! [`Event::Feature`](super::Event::Feature) carries: the decoded model, shared, and
//! turned into JSON only when somebody serialises it. Building JSON for every status
//! on the bus would cost more than decoding it; most listeners only print some.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::protocol::{Feature, Status, UnitSystem};

/// A status or feature report, serialised with the protocol's field names and the
/// values decoded in `unit` (tri-state unknown as `null`).
#[derive(Clone)]
pub enum DeviceReport {
    /// A decoded status.
    Status {
        /// The status.
        status: Arc<Status>,
        /// The unit system values are written in.
        unit: UnitSystem,
    },
    /// A decoded feature payload.
    Feature {
        /// The feature payload.
        feature: Arc<Feature>,
        /// The unit system values are written in.
        unit: UnitSystem,
    },
    /// An already serialised report (e.g. an event read back from JSON).
    Json(Value),
}

impl DeviceReport {
    /// The report as a JSON object.
    pub fn to_json(&self) -> Value {
        match self {
            Self::Json(value) => value.clone(),
            // A view of plain numbers, strings and booleans always serialises.
            other => serde_json::to_value(other).unwrap_or(Value::Null),
        }
    }

    /// The decoded status, when this is one.
    pub fn status(&self) -> Option<&Arc<Status>> {
        match self {
            Self::Status { status, .. } => Some(status),
            _ => None,
        }
    }

    /// The decoded feature payload, when this is one.
    pub fn feature(&self) -> Option<&Arc<Feature>> {
        match self {
            Self::Feature { feature, .. } => Some(feature),
            _ => None,
        }
    }
}

impl Serialize for DeviceReport {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Status { status, unit } => status.view(*unit).serialize(serializer),
            Self::Feature { feature, unit } => feature.view(*unit).serialize(serializer),
            Self::Json(value) => value.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for DeviceReport {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(Self::Json)
    }
}

impl From<Value> for DeviceReport {
    fn from(value: Value) -> Self {
        Self::Json(value)
    }
}

impl PartialEq for DeviceReport {
    /// Equal when they serialise to the same JSON.
    fn eq(&self, other: &Self) -> bool {
        self.to_json() == other.to_json()
    }
}

impl fmt::Debug for DeviceReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Status { unit, .. } => write!(f, "DeviceReport::Status({unit:?})"),
            Self::Feature { unit, .. } => write!(f, "DeviceReport::Feature({unit:?})"),
            Self::Json(_) => f.write_str("DeviceReport::Json"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_reports_round_trip_and_compare_by_content() {
        let report = DeviceReport::from(serde_json::json!({"dhwTemperature": 120.5}));
        let text = serde_json::to_string(&report).unwrap();
        assert_eq!(text, r#"{"dhwTemperature":120.5}"#);
        let back: DeviceReport = serde_json::from_str(&text).unwrap();
        assert_eq!(back, report);
        assert_eq!(report.to_json()["dhwTemperature"], 120.5);
        assert!(report.status().is_none());
    }
}
