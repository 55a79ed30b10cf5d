//! The controls' request bodies, turned into the library's [`Command`]s. Only the shape
//! is checked here; the values are validated by the library when the command is sent
//! (against the device's own limits), so the page shows the library's own error text.

use serde_json::Value;

use nwp500::client::ClientError;
use nwp500::protocol::{Command, CommandCode, CommandError, DhwMode, UnitSystem, ValidationError};

use crate::controls::Control;

/// The modes the page offers: (request name, label, mode).
pub const MODES: [(&str, &str, DhwMode); 4] = [
    ("heat_pump", "Heat Pump", DhwMode::HeatPump),
    ("energy_saver", "Energy Saver", DhwMode::EnergySaver),
    ("high_demand", "High Demand", DhwMode::HighDemand),
    ("electric", "Electric", DhwMode::Electric),
];

/// A control request as read from its body.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// The control.
    pub control: Control,
    /// The value as given, for people (`125 °F`, `Energy Saver`, `7 days`).
    pub value: String,
    /// The command code the control sends.
    pub code: u32,
    /// The command, or why the body makes none.
    pub command: Result<Command, String>,
}

/// `{"temperature": 125}` (a number or a numeric string, in the dashboard's `unit`).
pub fn temperature(body: &[u8], unit: UnitSystem) -> Parsed {
    let field = field(body, "temperature");
    let number = field.as_ref().ok().and_then(number_of);
    let value = match (&field, number) {
        (_, Some(t)) => format!("{t} {}", unit.temperature_symbol()),
        (Ok(raw), None) => shown(raw),
        (Err(_), None) => "?".to_owned(),
    };
    let command = field.and_then(|raw| {
        number_of(&raw)
            .map(|temperature| Command::SetDhwTemperature { temperature, unit })
            .ok_or_else(|| "temperature: a number is needed".to_owned())
    });
    Parsed {
        control: Control::Temperature,
        value,
        code: code_of(CommandCode::DhwTemperature),
        command,
    }
}

/// `{"mode": "energy_saver"}`: one of the names in [`MODES`].
pub fn mode(body: &[u8]) -> Parsed {
    let field = field(body, "mode");
    let name = field.as_ref().ok().and_then(Value::as_str).unwrap_or("");
    let known = MODES.iter().find(|(key, _, _)| *key == name);
    let value = match (known, &field) {
        (Some((_, label, _)), _) => (*label).to_owned(),
        (None, Ok(raw)) => shown(raw),
        (None, Err(_)) => "?".to_owned(),
    };
    let command = match (known, field) {
        (Some((_, _, mode)), _) => Ok(Command::SetDhwMode { mode: *mode }),
        (None, Err(e)) => Err(e),
        (None, Ok(_)) => Err(format!(
            "mode: one of {} is needed",
            MODES.map(|(key, _, _)| key).join(", ")
        )),
    };
    Parsed {
        control: Control::Mode,
        value,
        code: code_of(CommandCode::DhwMode),
        command,
    }
}

/// `{"days": 7}`: a whole number (the library checks the range).
pub fn vacation(body: &[u8]) -> Parsed {
    let field = field(body, "days");
    let value = match &field {
        Ok(raw) => format!("{} days", shown(raw)),
        Err(_) => "?".to_owned(),
    };
    let command = field.and_then(|raw| {
        let days = number_of(&raw)
            .filter(|d| d.fract() == 0.0)
            .ok_or_else(|| "days: a whole number is needed".to_owned())?;
        match u8::try_from(days as i64) {
            Ok(days) => Ok(Command::SetVacation { days }),
            // Beyond what the command can carry: the library's own words for the range.
            Err(_) => Err(
                ClientError::from(CommandError::from(ValidationError::OutOfRange {
                    field: "vacation_days",
                    value: days,
                    min: 1.0,
                    max: 30.0,
                }))
                .to_string(),
            ),
        }
    });
    Parsed {
        control: Control::Vacation,
        value,
        code: code_of(CommandCode::DhwMode),
        command,
    }
}

/// The member `name` of a JSON object body.
fn field(body: &[u8], name: &str) -> Result<Value, String> {
    let expected = || format!("the body must be a JSON object with \"{name}\"");
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(mut object)) => object.remove(name).ok_or_else(expected),
        _ => Err(expected()),
    }
}

/// A finite number, given as a JSON number or a numeric string.
fn number_of(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|n| n.is_finite())
}

/// A JSON value as text for people (strings without quotes), shortened.
fn shown(value: &Value) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    text.chars().take(40).collect()
}

fn code_of(code: CommandCode) -> u32 {
    u32::try_from(code.raw()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: UnitSystem = UnitSystem::UsCustomary;

    #[test]
    fn a_temperature_becomes_the_setpoint_command_in_the_dashboard_s_unit() {
        let parsed = temperature(br#"{"temperature": 125}"#, F);
        assert_eq!(parsed.control, Control::Temperature);
        assert_eq!(parsed.value, "125 °F");
        assert_eq!(parsed.code, 33_554_464);
        assert_eq!(
            parsed.command,
            Ok(Command::SetDhwTemperature {
                temperature: 125.0,
                unit: F
            })
        );
        let metric = temperature(br#"{"temperature": "48.5"}"#, UnitSystem::Metric);
        assert_eq!(metric.value, "48.5 °C");
        assert!(matches!(
            metric.command,
            Ok(Command::SetDhwTemperature { temperature, unit: UnitSystem::Metric }) if temperature == 48.5
        ));
    }

    #[test]
    fn out_of_range_temperatures_are_left_to_the_library() {
        // Refused later by the library against the device's limits, not here.
        assert!(temperature(br#"{"temperature": 999}"#, F).command.is_ok());
    }

    #[test]
    fn shapeless_bodies_are_refused_with_what_is_needed() {
        for body in [&b"125"[..], b"{}", b"not json", br#"{"temperature": null}"#] {
            let parsed = temperature(body, F);
            let error = parsed.command.unwrap_err();
            assert!(error.contains("temperature"), "{error}");
        }
        assert_eq!(temperature(br#"{"temperature": "hot"}"#, F).value, "hot");
    }

    #[test]
    fn modes_by_name() {
        for (name, label, mode) in MODES {
            let parsed = mode_of(name);
            assert_eq!(parsed.value, label);
            assert_eq!(parsed.command, Ok(Command::SetDhwMode { mode }));
            assert_eq!(parsed.code, 33_554_437);
        }
        let unknown = mode_of("turbo");
        assert_eq!(unknown.value, "turbo");
        let error = unknown.command.unwrap_err();
        assert!(error.contains("energy_saver"), "{error}");
    }

    fn mode_of(name: &str) -> Parsed {
        mode(serde_json::json!({ "mode": name }).to_string().as_bytes())
    }

    #[test]
    fn vacation_days_are_whole_numbers_checked_by_the_library() {
        let parsed = vacation(br#"{"days": 7}"#);
        assert_eq!(parsed.value, "7 days");
        assert_eq!(parsed.command, Ok(Command::SetVacation { days: 7 }));
        // In u8 but out of range: the library refuses it when it is sent.
        assert_eq!(
            vacation(br#"{"days": 45}"#).command,
            Ok(Command::SetVacation { days: 45 })
        );
        // Beyond u8: the same words as the library's.
        assert_eq!(
            vacation(br#"{"days": 400}"#).command,
            Err("vacation_days must be between 1 and 30 (got 400)".to_owned())
        );
        assert_eq!(
            vacation(br#"{"days": -3}"#).command,
            Err("vacation_days must be between 1 and 30 (got -3)".to_owned())
        );
        assert!(vacation(br#"{"days": 2.5}"#)
            .command
            .unwrap_err()
            .contains("whole number"));
    }
}
