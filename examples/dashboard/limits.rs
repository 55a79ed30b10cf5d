//! What a device's controls accept, from its feature report: the setpoint range, the
//! modes it has, whether it has a vacation mode. Only shown as hints: the library checks
//! every value itself when the command is sent.

use serde::Serialize;
use serde_json::Value;

use crate::requests::MODES;

/// One mode the page offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModeOption {
    /// The request name (`energy_saver`).
    pub key: &'static str,
    /// For people (`Energy Saver`).
    pub label: &'static str,
}

/// What the controls of one device accept.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Limits {
    /// Whether the device's feature report arrived (before it, everything is offered).
    pub known: bool,
    /// Lowest setpoint (`dhwTemperatureMin`), in the dashboard's unit.
    pub setpoint_min: Option<f64>,
    /// Highest setpoint (`dhwTemperatureMax`), in the dashboard's unit.
    pub setpoint_max: Option<f64>,
    /// Whether the device has a vacation mode (`holidayUse`).
    pub vacation: bool,
    /// The modes it has.
    pub modes: Vec<ModeOption>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            known: false,
            setpoint_min: None,
            setpoint_max: None,
            vacation: true,
            modes: MODES
                .iter()
                .map(|(key, label, _)| ModeOption { key, label })
                .collect(),
        }
    }
}

/// The feature flag that says a device has a mode.
fn mode_flag(key: &str) -> &'static str {
    match key {
        "heat_pump" => "heatpumpUse",
        "energy_saver" => "energySaverUse",
        "high_demand" => "highDemandUse",
        _ => "electricUse",
    }
}

impl Limits {
    /// The limits a feature report (a feature object of `Event::Feature`) gives. A flag
    /// that is absent or unknown offers its control; only an explicit `false` hides it.
    pub fn from_feature(feature: &Value) -> Self {
        let number = |key: &str| {
            feature
                .get(key)
                .and_then(Value::as_f64)
                .filter(|v| v.is_finite())
        };
        let offered = |key: &str| feature.get(key).and_then(Value::as_bool) != Some(false);
        Self {
            known: true,
            setpoint_min: number("dhwTemperatureMin"),
            setpoint_max: number("dhwTemperatureMax"),
            vacation: offered("holidayUse"),
            modes: MODES
                .iter()
                .filter(|(key, _, _)| offered(mode_flag(key)))
                .map(|(key, label, _)| ModeOption { key, label })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn keys(limits: &Limits) -> Vec<&str> {
        limits.modes.iter().map(|m| m.key).collect()
    }

    #[test]
    fn before_the_feature_report_everything_is_offered() {
        let limits = Limits::default();
        assert!(!limits.known && limits.vacation);
        assert_eq!(
            keys(&limits),
            ["heat_pump", "energy_saver", "high_demand", "electric"]
        );
    }

    #[test]
    fn the_feature_report_gives_the_range_and_the_modes() {
        let limits = Limits::from_feature(&json!({
            "dhwTemperatureMin": 95, "dhwTemperatureMax": 150.5,
            "holidayUse": false, "electricUse": false, "heatpumpUse": true,
            "energySaverUse": null
        }));
        assert!(limits.known);
        assert_eq!(limits.setpoint_min, Some(95.0));
        assert_eq!(limits.setpoint_max, Some(150.5));
        assert!(!limits.vacation);
        assert_eq!(keys(&limits), ["heat_pump", "energy_saver", "high_demand"]);
        let v = serde_json::to_value(&limits).unwrap();
        assert_eq!(v["setpointMax"], 150.5);
        assert_eq!(
            v["modes"][0],
            json!({"key": "heat_pump", "label": "Heat Pump"})
        );
    }
}
