//! What the page shows of one device: a few fields picked out of its latest status, plus
//! labels that would otherwise need logic in the page's script, what its controls accept
//! and what became of the settings given through them.

use serde::Serialize;
use serde_json::Value;

use crate::controls::ControlPanel;
use crate::limits::Limits;

/// One device as the page and the JSON endpoint show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceCard {
    /// MAC as the device list gives it (also the key of the device in events).
    pub mac: String,
    /// The MAC reduced to `[0-9a-z]`, used in element ids (`temp-<key>`).
    pub key: String,
    /// The MAC's last four characters, for display (`…eeff`).
    pub mac_tail: String,
    /// The user's label for the device (may be empty).
    pub name: String,
    /// When the latest status arrived (RFC 3339), `None` before the first.
    pub updated: Option<String>,
    /// Water temperature (`dhwTemperature`), in the dashboard's unit.
    pub water_temperature: Option<f64>,
    /// Setpoint (`dhwTemperatureSetting`), in the dashboard's unit.
    pub setpoint: Option<f64>,
    /// Configured mode (`dhwOperationSetting`), e.g. "Energy Saver".
    pub mode: Option<String>,
    /// What the unit does now (`operationMode`), e.g. "Heat Pump Mode".
    pub operation: Option<String>,
    /// Running heat sources, e.g. "heat pump + upper element", or "idle".
    pub heating: Option<String>,
    /// Power drawn now (`currentInstPower`), W.
    pub power_watts: Option<f64>,
    /// Tank charge (`dhwChargePer`), %.
    pub tank_charge_percent: Option<f64>,
    /// Upper tank temperature (`tankUpperTemperature`), in the dashboard's unit.
    pub upper_temperature: Option<f64>,
    /// Lower tank temperature (`tankLowerTemperature`), in the dashboard's unit.
    pub lower_temperature: Option<f64>,
    /// The values are the last known ones, not current: the link is not up.
    pub stale: bool,
    /// What the controls accept.
    pub limits: Limits,
    /// What became of the settings given through the controls.
    pub controls: ControlPanel,
    /// The whole latest status, as the client decoded it.
    pub status: Option<Value>,
}

impl DeviceCard {
    /// A device with no status yet.
    pub fn new(mac: &str, name: &str) -> Self {
        Self {
            mac: mac.to_owned(),
            key: dom_key(mac),
            mac_tail: mac_tail(mac),
            name: name.to_owned(),
            updated: None,
            water_temperature: None,
            setpoint: None,
            mode: None,
            operation: None,
            heating: None,
            power_watts: None,
            tank_charge_percent: None,
            upper_temperature: None,
            lower_temperature: None,
            stale: false,
            limits: Limits::default(),
            controls: ControlPanel::default(),
            status: None,
        }
    }

    /// Takes the fields shown from `status` (a status object of `Event::Status`); a
    /// missing or unexpected field shows as unknown, never as an error.
    pub fn apply_status(&mut self, status: Value, updated: Option<String>) {
        self.water_temperature = number(&status, "dhwTemperature");
        self.setpoint = number(&status, "dhwTemperatureSetting");
        self.mode = status.get("dhwOperationSetting").and_then(enum_label);
        self.operation = status.get("operationMode").and_then(enum_label);
        self.heating = heating_label(&status);
        self.power_watts = number(&status, "currentInstPower");
        self.tank_charge_percent = number(&status, "dhwChargePer");
        self.upper_temperature = number(&status, "tankUpperTemperature");
        self.lower_temperature = number(&status, "tankLowerTemperature");
        self.updated = updated;
        self.status = Some(status);
    }
}

fn number(status: &Value, key: &str) -> Option<f64> {
    status
        .get(key)
        .and_then(Value::as_f64)
        .filter(|v| v.is_finite())
}

/// `"ENERGY_SAVER"` → `"Energy Saver"`; an unknown raw value `7` → `"7"`.
pub fn enum_label(value: &Value) -> Option<String> {
    match value {
        Value::String(name) => Some(
            name.split('_')
                .filter(|word| !word.is_empty())
                .map(|word| {
                    let lower = word.to_lowercase();
                    let mut chars = lower.chars();
                    chars
                        .next()
                        .map(|first| first.to_uppercase().chain(chars).collect::<String>())
                        .unwrap_or_default()
                })
                .collect::<Vec<_>>()
                .join(" "),
        ),
        Value::Number(raw) => Some(raw.to_string()),
        _ => None,
    }
}

/// The running heat sources from `compUse`, `heatUpperUse` and `heatLowerUse`; `None`
/// when the status reports none of them.
pub fn heating_label(status: &Value) -> Option<String> {
    let sources = [
        ("compUse", "heat pump"),
        ("heatUpperUse", "upper element"),
        ("heatLowerUse", "lower element"),
    ];
    let flags: Vec<(Option<bool>, &str)> = sources
        .iter()
        .map(|(key, label)| (status.get(*key).and_then(Value::as_bool), *label))
        .collect();
    if flags.iter().all(|(flag, _)| flag.is_none()) {
        return None;
    }
    let running: Vec<&str> = flags
        .iter()
        .filter(|(flag, _)| *flag == Some(true))
        .map(|(_, label)| *label)
        .collect();
    Some(if running.is_empty() {
        "idle".to_owned()
    } else {
        running.join(" + ")
    })
}

/// The MAC reduced to lowercase letters and digits: safe in an element id.
pub fn dom_key(mac: &str) -> String {
    mac.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// `…` and the last four characters of the MAC (the whole MAC is not shown).
pub fn mac_tail(mac: &str) -> String {
    let key = dom_key(mac);
    let start = key.len().saturating_sub(4);
    format!("…{}", &key[start..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn picks_the_shown_fields_out_of_a_status() {
        let mut card = DeviceCard::new("aabbccddeeff", "Garage Water Heater");
        card.apply_status(
            json!({
                "dhwTemperature": 121.5,
                "dhwTemperatureSetting": 125,
                "dhwOperationSetting": "ENERGY_SAVER",
                "operationMode": "HYBRID_EFFICIENCY_MODE",
                "compUse": true,
                "heatUpperUse": false,
                "heatLowerUse": true,
                "currentInstPower": 466,
                "dhwChargePer": 87.5,
                "tankUpperTemperature": 130.5,
                "tankLowerTemperature": 101
            }),
            Some("2026-01-01T00:00:00.000Z".into()),
        );
        assert_eq!(card.water_temperature, Some(121.5));
        assert_eq!(card.setpoint, Some(125.0));
        assert_eq!(card.mode.as_deref(), Some("Energy Saver"));
        assert_eq!(card.operation.as_deref(), Some("Hybrid Efficiency Mode"));
        assert_eq!(card.heating.as_deref(), Some("heat pump + lower element"));
        assert_eq!(card.power_watts, Some(466.0));
        assert_eq!(card.tank_charge_percent, Some(87.5));
        assert_eq!(card.upper_temperature, Some(130.5));
        assert_eq!(card.lower_temperature, Some(101.0));
        assert_eq!(card.updated.as_deref(), Some("2026-01-01T00:00:00.000Z"));
        assert_eq!(
            card.status.as_ref().unwrap()["dhwTemperature"],
            json!(121.5)
        );
    }

    #[test]
    fn missing_or_odd_fields_are_unknown() {
        let mut card = DeviceCard::new("aabbccddeeff", "");
        card.apply_status(
            json!({"dhwTemperature": "hot", "dhwOperationSetting": 9, "operationMode": null}),
            None,
        );
        assert_eq!(card.water_temperature, None);
        assert_eq!(card.setpoint, None);
        assert_eq!(card.mode.as_deref(), Some("9"));
        assert_eq!(card.operation, None);
        assert_eq!(card.heating, None);
        card.apply_status(json!([1, 2]), None);
        assert_eq!(card.mode, None);
    }

    #[test]
    fn heating_is_idle_when_every_reported_source_is_off() {
        assert_eq!(
            heating_label(&json!({"compUse": false, "heatUpperUse": null})).as_deref(),
            Some("idle")
        );
        assert_eq!(
            heating_label(&json!({"compUse": true, "heatUpperUse": true, "heatLowerUse": false}))
                .as_deref(),
            Some("heat pump + upper element")
        );
        assert_eq!(heating_label(&json!({})), None);
    }

    #[test]
    fn enum_names_become_words() {
        assert_eq!(
            enum_label(&json!("HEAT_PUMP")).as_deref(),
            Some("Heat Pump")
        );
        assert_eq!(enum_label(&json!("STANDBY")).as_deref(), Some("Standby"));
        assert_eq!(enum_label(&json!("")).as_deref(), Some(""));
        assert_eq!(enum_label(&json!(true)), None);
    }

    #[test]
    fn keys_are_id_safe_and_the_mac_is_shown_shortened() {
        assert_eq!(dom_key("AA:BB:CC:DD:EE:FF"), "aabbccddeeff");
        assert_eq!(dom_key("<x\" y>"), "xy");
        assert_eq!(mac_tail("aabbccddeeff"), "…eeff");
        assert_eq!(mac_tail("ab"), "…ab");
        let card = DeviceCard::new("AA:BB:CC:DD:EE:FF", "n");
        assert_eq!(card.key, "aabbccddeeff");
        assert_eq!(card.mac_tail, "…eeff");
    }
}
