//! What a person wants to know from a status report, read from the status object of a
//! `status` event (wire field names, decoded values: enums as their names, tri-state
//! flags as `true`/`false`/`null`, temperatures in the monitor's unit).

use nwp500::protocol::{CurrentOperationMode, DhwOperationSetting, ErrorCode, HeatSource};
use serde_json::Value;

/// The fields of one status report the monitor shows.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusSummary {
    /// `dhwTemperature`: water temperature in the tank.
    pub water: Option<f64>,
    /// `dhwTemperatureSetting`: the setpoint.
    pub setpoint: Option<f64>,
    /// `dhwOperationSetting`: the configured mode, in words.
    pub mode: String,
    /// Whether the heater reports itself switched off.
    pub powered_off: bool,
    /// `operationMode`: what the unit does now, in words.
    pub activity: String,
    /// What is heating: "heat pump", "upper element", "lower element", "idle"…
    pub heating: String,
    /// `currentInstPower`, W.
    pub power_w: Option<f64>,
    /// `dhwChargePer`, %.
    pub charge_percent: Option<f64>,
    /// Hot water being drawn (`dhwUse`) and the flow (`currentDhwFlowRate`).
    pub draw: Option<Option<f64>>,
    /// Vacation: days set and elapsed.
    pub vacation: Option<(i64, i64)>,
    /// The device error in words, `None` when there is none.
    pub error: Option<String>,
}

impl StatusSummary {
    /// Reads the fields from a status object; anything missing or odd shows as unknown.
    pub fn from_status(status: &Value) -> Self {
        let setting = decode(
            status.get("dhwOperationSetting"),
            1..=6,
            DhwOperationSetting::from_raw,
            DhwOperationSetting::name,
        );
        let mode = match setting {
            Some(s) => s.to_string(),
            None => "unknown".to_owned(),
        };
        let powered_off = setting == Some(DhwOperationSetting::PowerOff);
        let activity = decode(
            status.get("operationMode"),
            [0, 32, 64, 96],
            CurrentOperationMode::from_raw,
            CurrentOperationMode::name,
        )
        .map_or_else(|| "unknown".to_owned(), |m| m.to_string());
        let vacation = (setting == Some(DhwOperationSetting::Vacation)).then(|| {
            (
                int(status, "vacationDaySetting").unwrap_or(0),
                int(status, "vacationDayElapsed").unwrap_or(0),
            )
        });
        let draw = (status.get("dhwUse").and_then(Value::as_bool) == Some(true))
            .then(|| num(status, "currentDhwFlowRate"));
        Self {
            water: num(status, "dhwTemperature"),
            setpoint: num(status, "dhwTemperatureSetting"),
            mode,
            powered_off,
            activity,
            heating: heating(status),
            power_w: num(status, "currentInstPower"),
            charge_percent: num(status, "dhwChargePer"),
            draw,
            vacation,
            error: error_text(status),
        }
    }
}

/// Which heat sources run, from the tri-state flags `compUse`, `heatUpperUse`,
/// `heatLowerUse` (falling back to the `currentHeatUse` enum when all are unknown).
fn heating(status: &Value) -> String {
    let flags = [
        ("compUse", "heat pump"),
        ("heatUpperUse", "upper element"),
        ("heatLowerUse", "lower element"),
    ];
    let known: Vec<(bool, &str)> = flags
        .iter()
        .filter_map(|(key, label)| Some((status.get(*key)?.as_bool()?, *label)))
        .collect();
    if known.is_empty() {
        return match decode(
            status.get("currentHeatUse"),
            0..=3,
            HeatSource::from_raw,
            HeatSource::name,
        ) {
            Some(HeatSource::NotReported) | None => "unknown".to_owned(),
            Some(source) => source.to_string().to_lowercase(),
        };
    }
    let running: Vec<&str> = known
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, l)| *l)
        .collect();
    if running.is_empty() {
        "idle".to_owned()
    } else {
        running.join(" + ")
    }
}

/// The device error in words (docs/protocol.md §12), `None` for "no error" or no report.
fn error_text(status: &Value) -> Option<String> {
    let code = match status.get("errorCode")? {
        Value::Number(n) => ErrorCode::from_raw(n.as_i64()?),
        // Known codes are serialised by name, `E799_WATER_LEAK` or `NO_ERROR`.
        Value::String(name) if name == "NO_ERROR" => ErrorCode::NoError,
        Value::String(name) => {
            let digits: String = name
                .strip_prefix('E')?
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            ErrorCode::from_raw(digits.parse().ok()?)
        }
        _ => return None,
    };
    code.is_error()
        .then(|| code.describe(int(status, "subErrorCode").unwrap_or(0)))
}

/// An enum given by name (known values) or as a raw integer (unknown ones).
fn decode<T: Copy>(
    value: Option<&Value>,
    raws: impl IntoIterator<Item = i64>,
    from_raw: fn(i64) -> T,
    name: fn(T) -> Option<&'static str>,
) -> Option<T> {
    match value? {
        Value::Number(n) => Some(from_raw(n.as_i64()?)),
        Value::String(s) => raws
            .into_iter()
            .map(from_raw)
            .find(|v| name(*v) == Some(s.as_str())),
        _ => None,
    }
}

fn num(status: &Value, key: &str) -> Option<f64> {
    status.get(key)?.as_f64().filter(|v| v.is_finite())
}

fn int(status: &Value, key: &str) -> Option<i64> {
    status.get(key)?.as_i64()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Value {
        json!({
            "dhwTemperature": 118.5, "dhwTemperatureSetting": 120.0,
            "dhwOperationSetting": "ENERGY_SAVER", "operationMode": "HEAT_PUMP_MODE",
            "compUse": true, "heatUpperUse": false, "heatLowerUse": false,
            "currentHeatUse": "HEATPUMP", "currentInstPower": 420.0, "dhwChargePer": 87.0,
            "dhwUse": false, "currentDhwFlowRate": 0.0,
            "errorCode": "NO_ERROR", "subErrorCode": 0,
            "vacationDaySetting": 0, "vacationDayElapsed": 0
        })
    }

    #[test]
    fn reads_the_usual_fields() {
        let s = StatusSummary::from_status(&sample());
        assert_eq!(s.water, Some(118.5));
        assert_eq!(s.setpoint, Some(120.0));
        assert_eq!(s.mode, "Energy Saver");
        assert!(!s.powered_off);
        assert_eq!(s.activity, "Heat Pump");
        assert_eq!(s.heating, "heat pump");
        assert_eq!(s.power_w, Some(420.0));
        assert_eq!(s.charge_percent, Some(87.0));
        assert_eq!(s.draw, None);
        assert_eq!(s.vacation, None);
        assert_eq!(s.error, None);
    }

    #[test]
    fn heating_combines_sources_and_reports_idle_and_unknown() {
        let mut v = sample();
        v["heatUpperUse"] = json!(true);
        assert_eq!(
            StatusSummary::from_status(&v).heating,
            "heat pump + upper element"
        );
        v["compUse"] = json!(false);
        v["heatUpperUse"] = json!(false);
        assert_eq!(StatusSummary::from_status(&v).heating, "idle");
        for key in ["compUse", "heatUpperUse", "heatLowerUse"] {
            v[key] = Value::Null;
        }
        assert_eq!(StatusSummary::from_status(&v).heating, "heat pump");
        v["currentHeatUse"] = json!("UNKNOWN");
        assert_eq!(StatusSummary::from_status(&v).heating, "unknown");
    }

    #[test]
    fn errors_in_words_known_and_unknown() {
        let mut v = sample();
        v["errorCode"] = json!("E910_DISCHARGE_TEMP_SENSOR");
        v["subErrorCode"] = json!(2);
        assert_eq!(
            StatusSummary::from_status(&v).error.as_deref(),
            Some("E910 Discharge temperature sensor fault (high limit)")
        );
        v["errorCode"] = json!("E799_WATER_LEAK");
        v["subErrorCode"] = json!(0);
        assert_eq!(
            StatusSummary::from_status(&v).error.as_deref(),
            Some("E799 Water leak detected")
        );
        v["errorCode"] = json!(123);
        assert_eq!(
            StatusSummary::from_status(&v).error.as_deref(),
            Some("E123 (unknown error code)")
        );
        v["errorCode"] = json!(0);
        assert_eq!(StatusSummary::from_status(&v).error, None);
        v["errorCode"] = Value::Null;
        assert_eq!(StatusSummary::from_status(&v).error, None);
    }

    #[test]
    fn power_off_vacation_and_draws() {
        let mut v = sample();
        v["dhwOperationSetting"] = json!("POWER_OFF");
        let s = StatusSummary::from_status(&v);
        assert!(s.powered_off);
        assert_eq!(s.mode, "Power Off");
        v["dhwOperationSetting"] = json!("VACATION");
        v["vacationDaySetting"] = json!(7);
        v["vacationDayElapsed"] = json!(2);
        v["dhwUse"] = json!(true);
        v["currentDhwFlowRate"] = json!(2.5);
        let s = StatusSummary::from_status(&v);
        assert_eq!(s.vacation, Some((7, 2)));
        assert_eq!(s.draw, Some(Some(2.5)));
    }

    #[test]
    fn odd_or_missing_values_are_unknown_not_a_panic() {
        let s =
            StatusSummary::from_status(&json!({"dhwOperationSetting": 42, "operationMode": []}));
        assert_eq!(s.mode, "Unknown (42)");
        assert_eq!(s.activity, "unknown");
        assert_eq!(s.water, None);
        assert_eq!(s.heating, "unknown");
        let s = StatusSummary::from_status(&json!("not an object"));
        assert_eq!(s.mode, "unknown");
        assert_eq!(s.error, None);
    }
}
