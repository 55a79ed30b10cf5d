//! What a message on a command topic asks for, as the library's `Command`s.
//!
//! Only the payload's form is checked here (a number, a known mode, `ON`/`OFF`); the
//! values themselves (setpoint range, the device's capabilities) are checked by
//! `Client::send`, which refuses an invalid command before anything is sent.

use nwp500::protocol::{Command, DhwMode, UnitSystem};

use crate::topics::Control;

/// The commands for a message on `control`'s topic, in sending order; `Err` holds why
/// the payload was refused. `unit` is the unit the device's values are published in
/// (Home Assistant sends setpoints in the unit the entity declares); `powered_off` says
/// whether the device last reported itself switched off (choosing a mode then switches
/// it on first).
pub fn commands_for(
    control: Control,
    payload: &[u8],
    unit: UnitSystem,
    powered_off: bool,
) -> Result<Vec<Command>, String> {
    let text = std::str::from_utf8(payload)
        .map_err(|_| "the payload is not UTF-8 text".to_owned())?
        .trim();
    match control {
        Control::Temperature => {
            let temperature = text
                .parse::<f64>()
                .ok()
                .filter(|t| t.is_finite())
                .ok_or_else(|| format!("`{}` is not a temperature", shorten(text)))?;
            Ok(vec![Command::SetDhwTemperature { temperature, unit }])
        }
        Control::Mode => {
            let mode = match text {
                "off" => return Ok(vec![Command::SetPower { on: false }]),
                "eco" => DhwMode::EnergySaver,
                "heat_pump" => DhwMode::HeatPump,
                "high_demand" => DhwMode::HighDemand,
                "electric" => DhwMode::Electric,
                "vacation" => {
                    return Err("vacation needs a number of days: start it on the device \
                                or in the NaviLink app"
                        .to_owned())
                }
                other => return Err(format!("unknown mode `{}`", shorten(other))),
            };
            let set = Command::SetDhwMode { mode };
            Ok(if powered_off {
                vec![Command::SetPower { on: true }, set]
            } else {
                vec![set]
            })
        }
        Control::Power => match text.to_ascii_uppercase().as_str() {
            "ON" => Ok(vec![Command::SetPower { on: true }]),
            "OFF" => Ok(vec![Command::SetPower { on: false }]),
            _ => Err(format!("`{}` is neither ON nor OFF", shorten(text))),
        },
    }
}

/// At most 32 characters of a payload, for a log line.
fn shorten(text: &str) -> String {
    let mut short: String = text.chars().take(32).collect();
    if text.chars().count() > 32 {
        short.push('…');
    }
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: UnitSystem = UnitSystem::UsCustomary;

    #[test]
    fn temperatures_in_the_published_unit() {
        assert_eq!(
            commands_for(Control::Temperature, b"125.0", F, false),
            Ok(vec![Command::SetDhwTemperature {
                temperature: 125.0,
                unit: F
            }])
        );
        assert_eq!(
            commands_for(Control::Temperature, b" 48.5\n", UnitSystem::Metric, false),
            Ok(vec![Command::SetDhwTemperature {
                temperature: 48.5,
                unit: UnitSystem::Metric
            }])
        );
        for bad in [&b"hot"[..], b"", b"NaN", b"inf", b"\xff"] {
            assert!(commands_for(Control::Temperature, bad, F, false).is_err());
        }
    }

    #[test]
    fn modes_map_to_dhw_modes_and_power() {
        for (name, mode) in [
            ("eco", DhwMode::EnergySaver),
            ("heat_pump", DhwMode::HeatPump),
            ("high_demand", DhwMode::HighDemand),
            ("electric", DhwMode::Electric),
        ] {
            assert_eq!(
                commands_for(Control::Mode, name.as_bytes(), F, false),
                Ok(vec![Command::SetDhwMode { mode }])
            );
            assert_eq!(
                commands_for(Control::Mode, name.as_bytes(), F, true),
                Ok(vec![
                    Command::SetPower { on: true },
                    Command::SetDhwMode { mode }
                ])
            );
        }
        assert_eq!(
            commands_for(Control::Mode, b"off", F, false),
            Ok(vec![Command::SetPower { on: false }])
        );
        let vacation = commands_for(Control::Mode, b"vacation", F, false).unwrap_err();
        assert!(vacation.contains("days"), "{vacation}");
        let unknown = commands_for(Control::Mode, b"turbo", F, false).unwrap_err();
        assert!(unknown.contains("turbo"), "{unknown}");
    }

    #[test]
    fn power_takes_on_and_off() {
        assert_eq!(
            commands_for(Control::Power, b"ON", F, true),
            Ok(vec![Command::SetPower { on: true }])
        );
        assert_eq!(
            commands_for(Control::Power, b"off", F, false),
            Ok(vec![Command::SetPower { on: false }])
        );
        assert!(commands_for(Control::Power, b"maybe", F, false).is_err());
    }

    #[test]
    fn long_payloads_are_shortened_in_messages() {
        let long = "x".repeat(500);
        let message = commands_for(Control::Mode, long.as_bytes(), F, false).unwrap_err();
        assert!(message.len() < 80, "{message}");
    }
}
